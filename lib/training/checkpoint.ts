/**
 * Checkpoints: every model variable, the optimiser's buffers and the trainer's position, written whole
 * and atomically (a temporary file renamed over the target), so an interrupted write loses nothing.
 * Format: 8-byte magic, uint32 header length, JSON header, then float32 tensors in header order.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../models/classifier';
import type { Sgd } from './sgd';
import { msg } from '../messages';

const MAGIC = 'RLCKPT01';

/** What a checkpoint carries besides tensors. */
export interface CheckpointMeta {
  /** Epochs completed. */
  epoch: number;
  /** Anything JSON the trainer wants back (history, seed). */
  extra?: unknown;
}

interface Entry {
  name: string;
  shape: number[];
  kind: 'var' | 'opt';
}

/** Writes model variables, optimiser buffers and `meta` to `file` atomically. */
export async function saveCheckpoint(file: string, model: Classifier, opt: Sgd | undefined, meta: CheckpointMeta): Promise<void> {
  const named = model.namedVariables();
  const entries: Entry[] = [];
  const chunks: Buffer[] = [];
  for (const [name, v] of Object.entries(named)) {
    entries.push({ name, shape: v.shape, kind: 'var' });
    chunks.push(Buffer.from((await v.data()).buffer.slice(0)));
  }
  if (opt) {
    const byVar = new Map<tf.Variable, string>(Object.entries(named).map(([n, v]) => [v, n]));
    for (const [v, b] of opt.state()) {
      const name = byVar.get(v);
      if (!name) continue;
      entries.push({ name, shape: b.shape, kind: 'opt' });
      chunks.push(Buffer.from((await b.data()).buffer.slice(0)));
    }
  }
  const header = Buffer.from(JSON.stringify({ entries, meta, model: model.name }), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, Buffer.concat([Buffer.from(MAGIC), len, header, ...chunks]));
  fs.renameSync(tmp, file);
}

/** Restores `model` (and `opt`) from `file`; returns the metadata. Throws naming the file on any mismatch. */
export function loadCheckpoint(file: string, model: Classifier, opt?: Sgd): CheckpointMeta {
  const buf = fs.readFileSync(file);
  if (buf.length < 12 || buf.subarray(0, 8).toString() !== MAGIC) throw new Error(msg.checkpointMismatch(file, 'not a robustlab checkpoint (bad magic)'));
  const hl = buf.readUInt32LE(8);
  if (12 + hl > buf.length) throw new Error(msg.checkpointMismatch(file, 'truncated header'));
  const header = JSON.parse(buf.subarray(12, 12 + hl).toString('utf8')) as { entries: Entry[]; meta: CheckpointMeta; model: string };
  const named = model.namedVariables();
  let offset = 12 + hl;
  const pending: [tf.Variable, Float32Array, Entry][] = [];
  for (const e of header.entries) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    if (offset + 4 * n > buf.length) throw new Error(msg.checkpointMismatch(file, `truncated data at '${e.name}'`));
    const data = new Float32Array(buf.buffer.slice(buf.byteOffset + offset, buf.byteOffset + offset + 4 * n));
    offset += 4 * n;
    const v = named[e.name];
    if (!v) throw new Error(msg.checkpointMismatch(file, `variable '${e.name}' does not exist in model '${model.name}'`));
    if (v.shape.join() !== e.shape.join()) throw new Error(msg.checkpointMismatch(file, `variable '${e.name}' has shape [${e.shape}] in the file, [${v.shape}] in the model`));
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
