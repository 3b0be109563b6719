/**
 * IDX files (the MNIST format), optionally gzipped, checked by MD5 when a digest is given.
 * @module
 */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { createHash } from 'node:crypto';
import { msg } from '../messages';

/** A decoded IDX array. */
export interface IdxArray {
  /** Dimensions. */
  shape: number[];
  /** Values (unsigned bytes for MNIST). */
  data: Uint8Array;
}

/** Reads an IDX file (gzipped when it ends in .gz). Throws naming the file when it cannot be read (a directory, missing), on a bad header or truncation. */
export function readIdx(file: string, md5?: string): IdxArray {
  let raw: Buffer;
  try {
    raw = fs.readFileSync(file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new Error(msg.dataCorrupt(file, err.code === 'EISDIR' ? 'is a directory, expected an IDX file' : `cannot be read (${err.message})`));
  }
  if (md5) {
    const got = createHash('md5').update(raw).digest('hex');
    if (got !== md5) throw new Error(msg.dataCorrupt(file, `MD5 ${got} does not match the expected ${md5} (corrupt or a different file)`));
  }
  let buf: Buffer;
  try {
    buf = file.endsWith('.gz') ? zlib.gunzipSync(raw) : raw;
  } catch (e) {
    throw new Error(msg.dataCorrupt(file, `not a valid gzip stream (${(e as Error).message})`));
  }
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) throw new Error(msg.dataCorrupt(file, `not an IDX file (bad magic)`));
  if (buf[2] !== 0x08) throw new Error(msg.dataCorrupt(file, `IDX type 0x${buf[2].toString(16)} is not unsigned bytes (0x08)`));
  const rank = buf[3];
  if (buf.length < 4 + 4 * rank) throw new Error(msg.dataCorrupt(file, `truncated header`));
  const shape = Array.from({ length: rank }, (_, i) => buf.readUInt32BE(4 + 4 * i));
  const n = shape.reduce((a, b) => a * b, 1);
  const off = 4 + 4 * rank;
  if (buf.length - off !== n) throw new Error(msg.dataCorrupt(file, `expected ${n} data bytes for shape [${shape}], found ${buf.length - off} (truncated or padded)`));
  return { shape, data: new Uint8Array(buf.buffer, buf.byteOffset + off, n) };
}
