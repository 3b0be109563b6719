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
import { readImage } from './image';
import { CIFAR10_CLASSES, SOURCES, readCifarBatch } from './loaders';

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

/** Decodes the listed 32x32 RGB images into NHWC bytes; throws naming the first bad file. */
export function decodeCifarImages(items: readonly { file: string }[]): Uint8Array {
  const x = new Uint8Array(items.length * 3072);
  items.forEach((it, i) => {
    const img = readImage(it.file);
    if (img.width !== 32 || img.height !== 32) throw new Error(msg.dataCorrupt(it.file, `is ${img.width}x${img.height}, expected 32x32 (CIFAR-10)`));
    x.set(img.data, i * 3072);
  });
  return x;
}

function toUnit(bytes: Uint8Array): Float32Array {
  const x = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) x[i] = bytes[i] / 255;
  return x;
}

/**
 * CIFAR-10 (`split` default `'test'`) from the first form found by {@link findCifar10} under `dir` (default
 * `ROBUSTLAB_DATA`). The result's `source` says which form it came from; numbers from `'jpeg-copy'` are
 * labelled {@link CIFAR10_SOURCE_LABELS} `['jpeg-copy']` beside a paper's.
 * @example const test = cifar10({ split: 'test' }); console.log(test.source, test.shape);
 */
export function cifar10(opts: { dir?: string; split?: 'train' | 'test' } = {}): Dataset {
  const split = opts.split ?? 'test';
  if (split !== 'train' && split !== 'test') throw new Error(msg.oneOf('split', ['train', 'test'], split));
  const where = findCifar10(split, opts.dir ?? process.env.ROBUSTLAB_DATA);
  if (!where) {
    const base = opts.dir ?? process.env.ROBUSTLAB_DATA;
    const at = base ? path.join(base, 'cifar-10-batches-bin') : '<data dir>/cifar-10-batches-bin (no directory given and ROBUSTLAB_DATA is not set)';
    throw new Error(msg.dataMissing(`CIFAR-10 (${split})`, at, BIN_FILES[split], `${SOURCES.cifar10}, or run \`npm run data -- cifar10\`; the Python pickles cifar-10-batches-py/ or an image tree cifar10/${split}/<class>/ are read too`));
  }
  let x: Float32Array;
  let y: Int32Array;
  if (where.source === 'binary') {
    const parts = BIN_FILES[split].map((f) => readCifarBatch(path.join(where.dir, f)));
    const n = parts.reduce((a, p) => a + p.n, 0);
    x = new Float32Array(n * 3072);
    y = new Int32Array(n);
    let o = 0;
    for (const p of parts) {
      x.set(p.x, o * 3072);
      y.set(p.y, o);
      o += p.n;
    }
  } else if (where.source === 'jpeg-copy') {
    const items = cifar10TreeFiles(where.dir);
    x = toUnit(decodeCifarImages(items));
    y = Int32Array.from(items, (it) => it.label);
  } else throw new Error(msg.dataCorrupt(where.dir, 'the Python pickle form is not read yet'));
  return { name: `cifar10-${split}`, x, y, shape: [y.length, 32, 32, 3], numClasses: 10, classNames: [...CIFAR10_CLASSES], source: where.source };
}
