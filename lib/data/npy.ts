/**
 * NumPy `.npy` files (format versions 1, 2 and 3), the layout of CIFAR-10-C and ImageNet-C exports.
 * @module
 */
import * as fs from 'node:fs';
import { msg } from '../messages';

/** A decoded `.npy` array, C order. */
export interface NpyArray {
  /** Dimensions. */
  shape: number[];
  /** The NumPy dtype string, e.g. `|u1`, `<f4`. */
  dtype: string;
  /** Values; 64-bit integers come back as Float64Array (exact below 2^53). */
  data: Uint8Array | Int32Array | Float32Array | Float64Array;
}

const DTYPES: Record<string, { bytes: number; read: (b: Buffer, n: number) => NpyArray['data'] }> = {
  u1: { bytes: 1, read: (b, n) => new Uint8Array(b.buffer, b.byteOffset, n).slice() },
  i4: { bytes: 4, read: (b, n) => Int32Array.from({ length: n }, (_, i) => b.readInt32LE(4 * i)) },
  f4: { bytes: 4, read: (b, n) => Float32Array.from({ length: n }, (_, i) => b.readFloatLE(4 * i)) },
  f8: { bytes: 8, read: (b, n) => Float64Array.from({ length: n }, (_, i) => b.readDoubleLE(8 * i)) },
  i8: { bytes: 8, read: (b, n) => Float64Array.from({ length: n }, (_, i) => Number(b.readBigInt64LE(8 * i))) },
};

/** Parses `.npy` bytes; `file` names the source in errors. Throws on a bad header, dtype or length. */
export function parseNpy(buf: Buffer, file = '<buffer>'): NpyArray {
  const bad = (what: string) => new Error(msg.dataCorrupt(file, what));
  if (buf.length < 10 || buf[0] !== 0x93 || buf.toString('latin1', 1, 6) !== 'NUMPY') throw bad('not a .npy file (the magic \\x93NUMPY is missing)');
  const major = buf[6];
  if (major < 1 || major > 3) throw bad(`.npy format version ${major}.${buf[7]} is not supported (expected 1, 2 or 3)`);
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.length >= 12 ? buf.readUInt32LE(8) : -1;
  const start = major === 1 ? 10 : 12;
  if (headerLen < 0 || buf.length < start + headerLen) throw bad(`truncated .npy header (needs ${start + headerLen} bytes, file has ${buf.length})`);
  const header = buf.toString(major === 3 ? 'utf8' : 'latin1', start, start + headerLen);
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw bad(`unreadable .npy header ${JSON.stringify(header.trim())}`);
  if (fortran === 'True') throw bad('Fortran-order .npy arrays are not supported (save with C order)');
  const order = descr[0];
  const kind = descr.slice(1);
  const dt = Object.hasOwn(DTYPES, kind) ? DTYPES[kind] : undefined;
  if (!dt || (order === '>' && dt.bytes > 1)) throw bad(`dtype ${descr} is not supported (expected |u1, <i4, <i8, <f4 or <f8)`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw bad(`bad shape (${shapeText}) in the .npy header`);
  const n = shape.reduce((a, b) => a * b, 1);
  const off = start + headerLen;
  const need = n * dt.bytes;
  if (buf.length - off !== need)
    throw bad(`expected ${need} data bytes for shape [${shape}] of ${descr}, found ${buf.length - off} (${buf.length - off < need ? 'truncated' : 'trailing bytes'})`);
  return { shape, dtype: descr, data: dt.read(buf.subarray(off), n) };
}

/** Reads a `.npy` file. Throws naming the file when it is missing, truncated or malformed. */
export function readNpy(file: string): NpyArray {
  if (!fs.existsSync(file)) throw new Error(msg.dataCorrupt(file, 'file not found'));
  if (fs.statSync(file).isDirectory()) throw new Error(msg.dataCorrupt(file, 'is a directory, expected a .npy file'));
  return parseNpy(fs.readFileSync(file), file);
}

/** Encodes a C-order array as `.npy` version 1 bytes (for tests and for saving generated -C sets). */
export function encodeNpy(data: Uint8Array | Float32Array | Int32Array, shape: readonly number[]): Buffer {
  const n = shape.reduce((a, b) => a * b, 1);
  if (!shape.every((d) => Number.isInteger(d) && d >= 0) || n !== data.length) throw new Error(msg.shape('shape', [data.length], [...shape]));
  const descr = data instanceof Uint8Array ? '|u1' : data instanceof Float32Array ? '<f4' : '<i4';
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  // numpy pads the header with spaces so the data starts on a 64-byte boundary, ending in a newline
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const pre = Buffer.alloc(10);
  pre[0] = 0x93;
  pre.write('NUMPY', 1, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}
