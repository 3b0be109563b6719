/**
 * Loaders for the papers' real datasets in their distributed formats: CIFAR-10 binary batches, STL-10
 * binary, CIFAR-10-C `.npy` files and a folder of PNG/JPEG images. Each reads a directory given by the
 * user or `ROBUSTLAB_DATA`, checks every file fully before returning, and never returns partial data.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { msg } from '../messages';
import type { Dataset } from './dataset';
import { readNpy } from './npy';
import { readImage } from './image';

/** CIFAR-10 class names, label order. */
export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
/** STL-10 class names, label order (file labels 1..10 map to 0..9). */
export const STL10_CLASSES = ['airplane', 'bird', 'car', 'cat', 'deer', 'dog', 'horse', 'monkey', 'ship', 'truck'];
/** The 19 corruption file names of CIFAR-10-C (15 benchmark + 4 extra). */
export const CIFAR10C_FILES = [
  'gaussian_noise', 'shot_noise', 'impulse_noise', 'defocus_blur', 'glass_blur', 'motion_blur', 'zoom_blur', 'snow', 'frost', 'fog',
  'brightness', 'contrast', 'elastic_transform', 'pixelate', 'jpeg_compression', 'speckle_noise', 'gaussian_blur', 'spatter', 'saturate',
];

/** Official sources, for the messages that say where data comes from. */
export const SOURCES = {
  mnist: 'http://yann.lecun.com/exdb/mnist/ (mirror: https://ossci-datasets.s3.amazonaws.com/mnist/)',
  cifar10: 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz (unpack to cifar-10-batches-bin/)',
  stl10: 'https://ai.stanford.edu/~acoates/stl10/stl10_binary.tar.gz (unpack to stl10_binary/)',
  cifar10c: 'https://zenodo.org/record/2535967 (CIFAR-10-C.tar, unpack to CIFAR-10-C/)',
} as const;

/**
 * Finds `sub` under the user's directory or `ROBUSTLAB_DATA` (or the directory itself when it already is
 * `sub`); throws saying where to put `files` and what the official source is.
 */
export function findDataDir(what: string, sub: string, files: readonly string[], source: string, dir?: string): string {
  const base = dir ?? process.env.ROBUSTLAB_DATA;
  const candidates = base ? [path.join(base, sub), base] : [];
  for (const c of candidates) if (files.every((f) => fs.existsSync(path.join(c, f)))) return c;
  const where = base ? path.join(base, sub) : `<data dir>/${sub} (no directory given and ROBUSTLAB_DATA is not set)`;
  throw new Error(msg.dataMissing(what, where, files, source));
}

function readBytes(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new Error(msg.dataCorrupt(file, `cannot read (${(e as Error).message})`));
  }
}

/** Decodes one CIFAR-10 binary batch (records of 1 label byte + 3072 bytes, CHW) into NHWC [0, 1]. */
export function readCifarBatch(file: string): { x: Float32Array; y: Int32Array; n: number } {
  const buf = readBytes(file);
  const rec = 1 + 3072;
  if (buf.length === 0 || buf.length % rec !== 0)
    throw new Error(msg.dataCorrupt(file, `size ${buf.length} bytes is not a positive multiple of ${rec} (1 label byte + 3072 pixel bytes per record): truncated or not a CIFAR-10 batch`));
  const n = buf.length / rec;
  const x = new Float32Array(n * 3072);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * rec;
    if (buf[o] > 9) throw new Error(msg.dataCorrupt(file, `record ${i} has label ${buf[o]}, expected 0..9`));
    y[i] = buf[o];
    for (let ch = 0; ch < 3; ch++)
      for (let p = 0; p < 1024; p++) x[i * 3072 + p * 3 + ch] = buf[o + 1 + ch * 1024 + p] / 255;
  }
  return { x, y, n };
}

/** Decodes STL-10 binary images (3 x 96 x 96 per image, column-major) and labels (1..10). */
export function readStl10(xFile: string, yFile: string): { x: Float32Array; y: Int32Array; n: number } {
  const xb = readBytes(xFile);
  const yb = readBytes(yFile);
  const d = 96 * 96 * 3;
  if (xb.length === 0 || xb.length % d !== 0)
    throw new Error(msg.dataCorrupt(xFile, `size ${xb.length} bytes is not a positive multiple of ${d} (3 x 96 x 96 per image): truncated or not STL-10`));
  const n = xb.length / d;
  if (yb.length !== n) throw new Error(msg.dataCorrupt(yFile, `has ${yb.length} labels, but ${path.basename(xFile)} has ${n} images`));
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (yb[i] < 1 || yb[i] > 10) throw new Error(msg.dataCorrupt(yFile, `label ${i} is ${yb[i]}, expected 1..10`));
    y[i] = yb[i] - 1;
  }
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++)
    for (let ch = 0; ch < 3; ch++)
      for (let col = 0; col < 96; col++)
        for (let row = 0; row < 96; row++) x[i * d + (row * 96 + col) * 3 + ch] = xb[i * d + ch * 9216 + col * 96 + row] / 255;
  return { x, y, n };
}

/**
 * STL-10 labelled splits from the binary distribution: `<dir>/stl10_binary/{train,test}_{X,y}.bin`.
 * @example const test = stl10({ split: 'test' });
 */
export function stl10(opts: { dir?: string; split?: 'train' | 'test' } = {}): Dataset {
  const split = opts.split ?? 'test';
  const files = [`${split}_X.bin`, `${split}_y.bin`];
  const d = findDataDir(`STL-10 (${split})`, 'stl10_binary', files, SOURCES.stl10, opts.dir);
  const r = readStl10(path.join(d, files[0]), path.join(d, files[1]));
  return { name: `stl10-${split}`, x: r.x, y: r.y, shape: [r.n, 96, 96, 3], numClasses: 10, classNames: [...STL10_CLASSES] };
}

/**
 * One corruption at one severity of CIFAR-10-C (`<dir>/CIFAR-10-C/<name>.npy`, N = 5m images of HxWx3 uint8,
 * severities 1..5 in order, and `labels.npy`).
 * @example const fog3 = cifar10c({ corruption: 'fog', severity: 3 });
 */
export function cifar10c(opts: { corruption: string; severity: number; dir?: string }): Dataset {
  if (!CIFAR10C_FILES.includes(opts.corruption)) throw new Error(msg.oneOf('corruption', CIFAR10C_FILES, opts.corruption));
  if (![1, 2, 3, 4, 5].includes(opts.severity)) throw new Error(msg.oneOf('severity', [1, 2, 3, 4, 5], opts.severity));
  const files = [`${opts.corruption}.npy`, 'labels.npy'];
  const d = findDataDir(`CIFAR-10-C ${opts.corruption}`, 'CIFAR-10-C', files, SOURCES.cifar10c, opts.dir);
  const xf = path.join(d, files[0]);
  const yf = path.join(d, files[1]);
  const xa = readNpy(xf);
  const ya = readNpy(yf);
  if (xa.shape.length !== 4 || xa.shape[3] !== 3 || xa.shape[0] % 5 !== 0 || xa.dtype !== '|u1')
    throw new Error(msg.dataCorrupt(xf, `expected uint8 images of shape [5*m, h, w, 3] (severities 1..5 in order), got ${xa.dtype} [${xa.shape}]`));
  if (ya.shape.length !== 1 || ya.shape[0] !== xa.shape[0]) throw new Error(msg.dataCorrupt(yf, `expected ${xa.shape[0]} labels, got shape [${ya.shape}]`));
  const [total, h, w] = xa.shape;
  const m = total / 5;
  const dim = h * w * 3;
  const start = (opts.severity - 1) * m;
  const x = new Float32Array(m * dim);
  for (let i = 0; i < x.length; i++) x[i] = xa.data[start * dim + i] / 255;
  const y = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    const v = ya.data[start + i];
    if (!(Number.isInteger(v) && v >= 0 && v <= 9)) throw new Error(msg.dataCorrupt(yf, `label ${start + i} is ${v}, expected 0..9`));
    y[i] = v;
  }
  return { name: `cifar10c-${opts.corruption}-${opts.severity}`, x, y, shape: [m, h, w, 3], numClasses: 10, classNames: [...CIFAR10_CLASSES] };
}

/**
 * A folder of images, one subfolder per class (sorted names are the classes), PNG or JPEG, all the same size.
 * @example const ds = imageFolder('photos/');
 */
export function imageFolder(dir: string, opts: { name?: string } = {}): Dataset {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(msg.dataCorrupt(dir, 'not a directory (expected one subfolder of PNG/JPEG images per class)'));
  const classNames = fs.readdirSync(dir).filter((f) => fs.statSync(path.join(dir, f)).isDirectory()).sort();
  const items: { file: string; label: number }[] = [];
  classNames.forEach((c, k) => {
    for (const f of fs.readdirSync(path.join(dir, c)).sort()) if (/\.(png|jpe?g)$/i.test(f)) items.push({ file: path.join(dir, c, f), label: k });
  });
  if (items.length === 0) throw new Error(msg.dataCorrupt(dir, 'no PNG or JPEG images in class subfolders'));
  const first = readImage(items[0].file);
  const { height: h, width: w } = first;
  const d = h * w * 3;
  const x = new Float32Array(items.length * d);
  const y = new Int32Array(items.length);
  items.forEach((it, i) => {
    const img = i === 0 ? first : readImage(it.file);
    if (img.height !== h || img.width !== w) throw new Error(msg.dataCorrupt(it.file, `is ${img.width}x${img.height}, expected ${w}x${h} like ${items[0].file}`));
    for (let p = 0; p < d; p++) x[i * d + p] = img.data[p] / 255;
    y[i] = it.label;
  });
  return { name: opts.name ?? path.basename(path.resolve(dir)), x, y, shape: [items.length, h, w, 3], numClasses: classNames.length, classNames };
}
