/**
 * The decoded-set cache: a dataset decoded from many files, stored as one file (a JSON header line, the
 * uint8 pixels, the uint8 labels) under `ROBUSTLAB_CACHE` (default `$XDG_CACHE_HOME/robustlab`, else
 * `~/.cache/robustlab`). The file is keyed by its sources (names, sizes, mtimes), so a changed source is
 * never served stale; written whole (temporary file, then rename); verified on read (header, sizes, CRC-32
 * of the payload). A bad or stale file is ignored and replaced, never trusted.
 * @module
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { msg } from '../messages';

const MAGIC = 'robustlab-decoded-set v1';

/** The cache directory: `ROBUSTLAB_CACHE`, else `$XDG_CACHE_HOME/robustlab`, else `~/.cache/robustlab`. */
export function cacheDir(): string {
  if (process.env.ROBUSTLAB_CACHE) return process.env.ROBUSTLAB_CACHE;
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'robustlab');
}

/**
 * A key over source files: SHA-1 of their names (relative to `root`), sizes and mtimes, and `extra`
 * (e.g. the decoder's version). Any change to a source file changes the key.
 */
export function sourceKey(root: string, files: readonly string[], extra: string): string {
  const h = createHash('sha1').update(`${extra}\n`);
  for (const f of files) {
    const st = fs.statSync(f);
    h.update(`${path.relative(root, f)}\t${st.size}\t${st.mtimeMs}\n`);
  }
  return h.digest('hex');
}

/** A cached set: pixels and labels as bytes, and the shape of the pixels. */
export interface CachedSet {
  /** NHWC pixels. */
  x: Uint8Array;
  /** Labels, one byte each. */
  y: Uint8Array;
  /** [n, h, w, c]. */
  shape: [number, number, number, number];
}

interface Header {
  magic: string;
  key: string;
  shape: [number, number, number, number];
  crc: number;
}

/**
 * Reads the cached set stored under `file` for `key`; undefined when there is none, and undefined with a
 * warning (`warn`, default console.warn) when the file is there but wrong (another key, bad size or CRC).
 */
export function readCached(file: string, key: string, warn: (line: string) => void = console.warn): CachedSet | undefined {
  if (!fs.existsSync(file)) return undefined;
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    warn(msg.cacheStale(file, (e as Error).message));
    return undefined;
  }
  const nl = buf.indexOf(10);
  let h: Header;
  try {
    h = JSON.parse(buf.toString('utf8', 0, nl)) as Header;
  } catch {
    warn(msg.cacheStale(file, 'unreadable header'));
    return undefined;
  }
  if (h.magic !== MAGIC || h.key !== key) {
    warn(msg.cacheStale(file, h.magic !== MAGIC ? 'not a decoded-set file' : 'its sources changed'));
    return undefined;
  }
  const [n, hh, w, c] = h.shape;
  const nx = n * hh * w * c;
  const payload = buf.subarray(nl + 1);
  if (payload.length !== nx + n) {
    warn(msg.cacheStale(file, `payload is ${payload.length} bytes, expected ${nx + n}`));
    return undefined;
  }
  if (crc32(payload) !== h.crc) {
    warn(msg.cacheStale(file, 'CRC-32 mismatch'));
    return undefined;
  }
  return { x: new Uint8Array(payload.buffer, payload.byteOffset, nx), y: new Uint8Array(payload.buffer, payload.byteOffset + nx, n), shape: h.shape };
}

/**
 * Stores `set` for `key` under `file`, atomically (a temporary file in the same directory, then rename).
 * Failing to write (read-only or full disk) only warns: the cache is an optimisation.
 */
export function writeCached(file: string, key: string, set: CachedSet, warn: (line: string) => void = console.warn): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const crc = crc32(set.y, crc32(set.x));
    const header: Header = { magic: MAGIC, key, shape: set.shape, crc };
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, `${JSON.stringify(header)}\n`);
      fs.writeSync(fd, set.x);
      fs.writeSync(fd, set.y);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    warn(msg.cacheWriteFailed(file, (e as Error).message));
  }
}
