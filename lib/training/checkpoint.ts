/**
 * Checkpoints: every model variable, the optimiser's buffers and the trainer's position, written whole
 * and atomically (a temporary file renamed over the target), so an interrupted write loses nothing.
 * Format `RLCKPT02`: 8-byte magic, uint32 header length, JSON header, then float32 tensors in header order.
 * The header records the payload's length and CRC-32, so a flipped byte, a truncation or trailing bytes are
 * refused on read; every tensor is also checked to be finite. Files of the older `RLCKPT01` format (no
 * checksum) still load, with the length and finite checks.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../models/classifier';
import type { Sgd } from './sgd';
import { msg } from '../messages';

const MAGIC = 'RLCKPT02';
const MAGIC_V1 = 'RLCKPT01';
const PRELUDE = 12;

/** What a checkpoint carries besides tensors. */
export interface CheckpointMeta {
  /** Epochs completed. */
  epoch: number;
  /** Batches completed of epoch `epoch + 1` when the run stopped mid-epoch (absent or 0 at an epoch's end). */
  batch?: number;
  /** Anything JSON the trainer wants back (history, seed). */
  extra?: unknown;
}

interface Entry {
  name: string;
  shape: number[];
  kind: 'var' | 'opt';
}

interface Header {
  entries: Entry[];
  meta: CheckpointMeta;
  model: string;
  /** Payload bytes after the header and their CRC-32 (format 02 only). */
  payloadBytes?: number;
  crc32?: number;
}

/** The temporary file a process writes before the rename. */
const tmpName = (file: string, pid: number): string => `${file}.tmp-${pid}`;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes `FILE.tmp-PID` files left next to `file` by writers that were killed mid-write (their process is
 * gone). Temporary files of live processes are left alone. Returns the paths removed.
 */
export function removeStaleTemporaries(file: string): string[] {
  const dir = path.dirname(path.resolve(file));
  const prefix = `${path.basename(file)}.tmp-`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || processAlive(pid)) continue;
    const p = path.join(dir, name);
    try {
      fs.unlinkSync(p);
      removed.push(p);
    } catch {
      // Another process cleaned it up first.
    }
  }
  return removed;
}

function firstNonFinite(data: Float32Array): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return i;
  return -1;
}

const entryLabel = (e: Entry): string => (e.kind === 'var' ? `variable '${e.name}'` : `optimiser buffer of '${e.name}'`);

/**
 * Writes model variables, optimiser buffers and `meta` to `file` atomically, after removing stale temporary
 * files of dead writers. Throws naming the tensor when one holds NaN or Infinity (a diverged run would
 * otherwise overwrite a good checkpoint with one that cannot be resumed).
 */
export async function saveCheckpoint(file: string, model: Classifier, opt: Sgd | undefined, meta: CheckpointMeta): Promise<void> {
  const named = model.namedVariables();
  const entries: Entry[] = [];
  const chunks: Buffer[] = [];
  const add = async (e: Entry, t: tf.Tensor): Promise<void> => {
    const data = (await t.data()) as Float32Array;
    const bad = firstNonFinite(data);
    if (bad >= 0) throw new Error(msg.checkpointNotFinite(file, entryLabel(e), bad, data[bad]));
    entries.push(e);
    chunks.push(Buffer.from(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)));
  };
  for (const [name, v] of Object.entries(named)) await add({ name, shape: v.shape, kind: 'var' }, v);
  if (opt) {
    const byVar = new Map<tf.Variable, string>(Object.entries(named).map(([n, v]) => [v, n]));
    for (const [v, b] of opt.state()) {
      const name = byVar.get(v);
      if (name !== undefined) await add({ name, shape: b.shape, kind: 'opt' }, b);
    }
  }
  const payload = Buffer.concat(chunks);
  const h: Header = { entries, meta, model: model.name, payloadBytes: payload.length, crc32: zlib.crc32(payload) };
  const header = Buffer.from(JSON.stringify(h), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  removeStaleTemporaries(file);
  const tmp = tmpName(file, process.pid);
  try {
    fs.writeFileSync(tmp, Buffer.concat([Buffer.from(MAGIC), len, header, payload]));
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

function parseHeader(file: string, buf: Buffer): { header: Header; version: 1 | 2 } {
  const magic = buf.length >= PRELUDE ? buf.subarray(0, 8).toString('latin1') : '';
  const version = magic === MAGIC ? 2 : magic === MAGIC_V1 ? 1 : 0;
  if (version === 0) throw new Error(msg.checkpointMismatch(file, 'not a robustlab checkpoint (bad magic)'));
  const hl = buf.readUInt32LE(8);
  if (PRELUDE + hl > buf.length) throw new Error(msg.checkpointMismatch(file, `truncated header (${hl} bytes announced, ${buf.length - PRELUDE} present)`));
  let header: Header;
  try {
    header = JSON.parse(buf.subarray(PRELUDE, PRELUDE + hl).toString('utf8')) as Header;
  } catch (e) {
    throw new Error(msg.checkpointMismatch(file, `corrupt header (${(e as Error).message})`));
  }
  const entriesOk =
    header !== null &&
    typeof header === 'object' &&
    Array.isArray(header.entries) &&
    header.entries.every(
      (e) =>
        e !== null &&
        typeof e === 'object' &&
        typeof e.name === 'string' &&
        (e.kind === 'var' || e.kind === 'opt') &&
        Array.isArray(e.shape) &&
        e.shape.every((d) => Number.isInteger(d) && d >= 0),
    ) &&
    header.meta !== null &&
    typeof header.meta === 'object' &&
    Number.isInteger(header.meta.epoch) &&
    header.meta.epoch >= 0;
  if (!entriesOk) throw new Error(msg.checkpointMismatch(file, 'corrupt header (entries or meta.epoch malformed)'));
  if (version === 2 && !(Number.isInteger(header.payloadBytes) && Number.isInteger(header.crc32)))
    throw new Error(msg.checkpointMismatch(file, 'corrupt header (payloadBytes or crc32 missing)'));
  return { header, version };
}

/**
 * Restores `model` (and `opt`) from `file`; returns the metadata. Throws naming the file on any mismatch:
 * bad magic, corrupt header, truncation, trailing bytes, a checksum that does not match, a tensor holding
 * NaN or Infinity (naming it), or variables that do not fit the model. A refused file leaves the model
 * untouched.
 */
export function loadCheckpoint(file: string, model: Classifier, opt?: Sgd): CheckpointMeta {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new Error(msg.checkpointMismatch(file, `cannot be read (${(e as Error).message})`));
  }
  const { header, version } = parseHeader(file, buf);
  const start = PRELUDE + buf.readUInt32LE(8);
  const expected = 4 * header.entries.reduce((s, e) => s + e.shape.reduce((a, b) => a * b, 1), 0);
  const present = buf.length - start;
  if (version === 2 && header.payloadBytes !== expected)
    throw new Error(msg.checkpointMismatch(file, `corrupt header (payloadBytes ${header.payloadBytes} but the entries need ${expected})`));
  if (present < expected) throw new Error(msg.checkpointMismatch(file, `truncated data: ${expected} payload bytes expected, ${present} present`));
  if (present > expected) throw new Error(msg.checkpointMismatch(file, `${present - expected} trailing bytes after the ${expected} payload bytes`));
  if (version === 2) {
    const crc = zlib.crc32(buf.subarray(start));
    if (crc !== header.crc32) throw new Error(msg.checkpointMismatch(file, `payload checksum mismatch (CRC-32 ${crc} vs ${header.crc32} in the header): the file is corrupt`));
  }
  const named = model.namedVariables();
  let offset = start;
  const pending: [tf.Variable, Float32Array, Entry][] = [];
  for (const e of header.entries) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(buf.buffer.slice(buf.byteOffset + offset, buf.byteOffset + offset + 4 * n));
    offset += 4 * n;
    const v = Object.hasOwn(named, e.name) ? named[e.name] : undefined;
    if (!v) throw new Error(msg.checkpointMismatch(file, `variable '${e.name}' does not exist in model '${model.name}'`));
    if (v.shape.join() !== e.shape.join()) throw new Error(msg.checkpointMismatch(file, `variable '${e.name}' has shape [${e.shape}] in the file, [${v.shape}] in the model`));
    const bad = firstNonFinite(data);
    if (bad >= 0) throw new Error(msg.checkpointNotFinite(file, entryLabel(e), bad, data[bad]));
    pending.push([v, data, e]);
  }
  const missing = Object.keys(named).filter((k) => !header.entries.some((e) => e.kind === 'var' && e.name === k));
  if (missing.length) throw new Error(msg.checkpointMismatch(file, `missing variables ${missing.join(', ')}`));
  // Only assign once everything checked out: a bad file leaves the model untouched.
  for (const [v, data, e] of pending) {
    const t = tf.tensor(data, e.shape);
    if (e.kind === 'var') v.assign(t);
    else opt?.setBuffer(v, t);
    t.dispose();
  }
  return header.meta;
}
