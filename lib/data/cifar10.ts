/**
 * CIFAR-10 in any of its forms: the official binary batches (`cifar-10-batches-bin`), the official Python
 * pickles (`cifar-10-batches-py`) or an image-folder tree `cifar10/{train,test}/<class>/*` (the layout
 * torchvision's ImageFolder reads, e.g. the JPEG q75 copy under `ROBUSTLAB_DATA`). Labels follow CIFAR-10's
 * class order, whatever the folders' sort order; files are read in a fixed order, so a seed names the same
 * subset everywhere.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { msg } from '../messages';
import type { Dataset } from './dataset';
import { createHash } from 'node:crypto';
import { CIFAR10_CLASSES, SOURCES, readCifarBatch } from './loaders';
import { parsePickle, type PickledArray } from './pickle';
import { decodeImages } from './decodePool';
import { cacheDir, readCached, sourceKey, writeCached } from './cache';

/** Which form a CIFAR-10 dataset was read from. */
export type Cifar10Source = 'binary' | 'pickle' | 'jpeg-copy';

/** How results from each form are labelled beside a paper's numbers. */
export const CIFAR10_SOURCE_LABELS: Record<Cifar10Source, string> = {
  binary: 'CIFAR-10',
  pickle: 'CIFAR-10',
  'jpeg-copy': 'CIFAR-10 (JPEG q75 copy)',
};

const BIN_FILES = { train: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`), test: ['test_batch.bin'] };
const IMAGE_FILE = /\.(png|jpe?g)$/i;

/** Where one form of CIFAR-10 lies: the directory and the form. */
export interface Cifar10Location {
  /** The form found. */
  source: Cifar10Source;
  /** Its directory: `cifar-10-batches-bin`, `cifar-10-batches-py` or the tree's `<split>` folder. */
  dir: string;
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Finds CIFAR-10's `split` under `dir` (default `ROBUSTLAB_DATA`), preferring the lossless official forms:
 * `cifar-10-batches-bin/`, then `cifar-10-batches-py/`, then the image tree `cifar10/<split>/`; `dir` may
 * also be one of those folders itself. Returns undefined when none is there.
 * @example const where = findCifar10('test'); if (where) console.log(where.source);
 */
export function findCifar10(split: 'train' | 'test', dir = process.env.ROBUSTLAB_DATA): Cifar10Location | undefined {
  if (!dir) return undefined;
  const py = split === 'train' ? [1, 2, 3, 4, 5].map((i) => `data_batch_${i}`) : ['test_batch'];
  // `dir` is the data directory, or one of the forms' own folders
  for (const bin of [path.join(dir, 'cifar-10-batches-bin'), dir]) if (BIN_FILES[split].every((f) => fs.existsSync(path.join(bin, f)))) return { source: 'binary', dir: bin };
  for (const pk of [path.join(dir, 'cifar-10-batches-py'), dir]) if (py.every((f) => fs.existsSync(path.join(pk, f)))) return { source: 'pickle', dir: pk };
  for (const tree of [path.join(dir, 'cifar10', split), path.join(dir, split)]) if (isDir(tree)) return { source: 'jpeg-copy', dir: tree };
  return undefined;
}

/**
 * The image files of a CIFAR-10 tree split, one folder per class named as in {@link CIFAR10_CLASSES},
 * in a fixed order: names sorted by code point within each class, then interleaved class by class (image
 * j of class k comes before image j + 1 of any class), so every prefix is as class-balanced as it can be.
 * Throws naming the folder when a class folder is missing or an unknown folder or non-image file is there.
 */
export function cifar10TreeFiles(splitDir: string): { file: string; label: number }[] {
  const entries = fs.readdirSync(splitDir);
  for (const e of entries)
    if (isDir(path.join(splitDir, e)) && !CIFAR10_CLASSES.includes(e))
      throw new Error(msg.dataCorrupt(path.join(splitDir, e), `is not a CIFAR-10 class folder (expected ${CIFAR10_CLASSES.join(', ')})`));
  const perClass = CIFAR10_CLASSES.map((c) => {
    const d = path.join(splitDir, c);
    if (!isDir(d)) throw new Error(msg.dataCorrupt(d, `class folder missing: a CIFAR-10 image tree has one folder per class (${CIFAR10_CLASSES.join(', ')})`));
    const names = fs.readdirSync(d).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const f of names) if (!IMAGE_FILE.test(f)) throw new Error(msg.dataCorrupt(path.join(d, f), 'is not a PNG or JPEG image file (only .png, .jpg, .jpeg belong in a class folder)'));
    if (names.length === 0) throw new Error(msg.dataCorrupt(d, 'class folder is empty'));
    return names.map((f) => path.join(d, f));
  });
  const out: { file: string; label: number }[] = [];
  const longest = Math.max(...perClass.map((f) => f.length));
  for (let j = 0; j < longest; j++) perClass.forEach((files, k) => j < files.length && out.push({ file: files[j], label: k }));
  return out;
}

/** Options of {@link cifar10}. */
export interface Cifar10Options {
  /** Data directory (default `ROBUSTLAB_DATA`), or one of the forms' folders. */
  dir?: string;
  /** `'train'` (50,000 images) or `'test'` (10,000, the default). */
  split?: 'train' | 'test';
  /** Cache the decoded image tree (default true), in `cacheDir` (default {@link cacheDir}). */
  cache?: boolean;
  /** Where the decoded-set cache lives (default `ROBUSTLAB_CACHE`, else the user's cache directory). */
  cacheDir?: string;
  /** Decoding threads for the image tree (default: the cores available). */
  threads?: number;
  /** Where cache warnings go (default console.warn). */
  warn?: (line: string) => void;
}

// bump when decoding changes, so that caches written by an older decoder are not served
const DECODER_VERSION = 'libjpeg-exact v1';

/** The batches of a split, in order, as one set of NHWC bytes and labels. */
function concatBatches(parts: readonly { x: Uint8Array; y: Int32Array; n: number }[]): { x: Uint8Array; y: Int32Array } {
  const n = parts.reduce((a, p) => a + p.n, 0);
  const x = new Uint8Array(n * 3072);
  const y = new Int32Array(n);
  let o = 0;
  for (const p of parts) {
    x.set(p.x, o * 3072);
    y.set(p.y, o);
    o += p.n;
  }
  return { x, y };
}

function readBinary(dir: string, split: 'train' | 'test'): { x: Uint8Array; y: Int32Array } {
  return concatBatches(BIN_FILES[split].map((f) => readCifarBatch(path.join(dir, f))));
}

/**
 * One batch of `cifar-10-batches-py` (a pickled dict with `data`, uint8 [n, 3072] in CHW order, and
 * `labels`) as NHWC bytes and labels; throws naming the file when it is not one.
 */
export function readCifarPickle(file: string): { x: Uint8Array; y: Int32Array; n: number } {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new Error(msg.dataCorrupt(file, `cannot read (${(e as Error).message})`));
  }
  const d = parsePickle(buf, file);
  const data = d instanceof Map ? (d.get('data') as PickledArray | undefined) : undefined;
  const labels = d instanceof Map ? (d.get('labels') as unknown) : undefined;
  if (!data || data.kind !== 'ndarray' || !Array.isArray(labels)) throw new Error(msg.dataCorrupt(file, "expected a pickled dict with 'data' (a NumPy array) and 'labels' (a list)"));
  const n = labels.length;
  if (data.dtype !== 'u1' || data.shape.length !== 2 || data.shape[0] !== n || data.shape[1] !== 3072 || data.bytes.length !== n * 3072)
    throw new Error(msg.dataCorrupt(file, `expected 'data' of dtype u1 and shape [${n}, 3072], got ${data.dtype} [${data.shape}]`));
  const x = new Uint8Array(n * 3072);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = labels[i];
    if (!(Number.isInteger(k) && k >= 0 && k <= 9)) throw new Error(msg.dataCorrupt(file, `label ${i} is ${String(k)}, expected 0..9`));
    y[i] = k as number;
    for (let ch = 0; ch < 3; ch++) for (let p = 0; p < 1024; p++) x[i * 3072 + p * 3 + ch] = data.bytes[i * 3072 + ch * 1024 + p];
  }
  return { x, y, n };
}

function readPickles(dir: string, split: 'train' | 'test'): { x: Uint8Array; y: Int32Array } {
  const files = split === 'train' ? [1, 2, 3, 4, 5].map((i) => `data_batch_${i}`) : ['test_batch'];
  return concatBatches(files.map((f) => readCifarPickle(path.join(dir, f))));
}

function readTree(dir: string, split: 'train' | 'test', opts: Cifar10Options): { x: Uint8Array; y: Int32Array } {
  const items = cifar10TreeFiles(dir);
  const files = items.map((it) => it.file);
  const useCache = opts.cache ?? true;
  const key = useCache ? sourceKey(dir, files, DECODER_VERSION) : '';
  const where = createHash('sha1').update(path.resolve(dir)).digest('hex').slice(0, 10);
  const file = path.join(opts.cacheDir ?? cacheDir(), `cifar10-${split}-${where}.u8`);
  if (useCache) {
    const hit = readCached(file, key, opts.warn);
    if (hit && hit.y.length === items.length && hit.shape[1] === 32 && hit.shape[2] === 32 && hit.shape[3] === 3) return { x: hit.x, y: Int32Array.from(hit.y) };
  }
  const x = decodeImages(files, 32, 32, opts.threads);
  const y = Int32Array.from(items, (it) => it.label);
  if (useCache) writeCached(file, key, { x, y: Uint8Array.from(y), shape: [y.length, 32, 32, 3] }, opts.warn);
  return { x, y };
}

/**
 * CIFAR-10 (`split` default `'test'`) from the first form found by {@link findCifar10} under `dir` (default
 * `ROBUSTLAB_DATA`), pixels as bytes. The result's `source` says which form it came from; numbers from
 * `'jpeg-copy'` are labelled {@link CIFAR10_SOURCE_LABELS} `['jpeg-copy']` beside a paper's. An image tree
 * is decoded over worker threads once, then read from the decoded-set cache (see `cache.ts`).
 * @example const test = cifar10({ split: 'test' }); console.log(test.source, test.shape);
 */
export function cifar10(opts: Cifar10Options = {}): Dataset {
  const split = opts.split ?? 'test';
  if (split !== 'train' && split !== 'test') throw new Error(msg.oneOf('split', ['train', 'test'], split));
  const where = findCifar10(split, opts.dir ?? process.env.ROBUSTLAB_DATA);
  if (!where) {
    const base = opts.dir ?? process.env.ROBUSTLAB_DATA;
    const at = base ? path.join(base, 'cifar-10-batches-bin') : '<data dir>/cifar-10-batches-bin (no directory given and ROBUSTLAB_DATA is not set)';
    throw new Error(msg.dataMissing(`CIFAR-10 (${split})`, at, BIN_FILES[split], `${SOURCES.cifar10}, or run \`npm run data -- cifar10\`; the Python pickles cifar-10-batches-py/ or an image tree cifar10/${split}/<class>/ are read too`));
  }
  const { x, y } = where.source === 'binary' ? readBinary(where.dir, split) : where.source === 'pickle' ? readPickles(where.dir, split) : readTree(where.dir, split, opts);
  return { name: `cifar10-${split}`, x, y, shape: [y.length, 32, 32, 3], numClasses: 10, classNames: [...CIFAR10_CLASSES], source: where.source };
}
