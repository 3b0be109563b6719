/**
 * ImageNet-style image folders: `<dir>/<class>/*.{JPEG,jpg,jpeg,png}` (ImageNet's `train/`, and `val/` once
 * sorted into class folders), images of any size brought to one square size by torchvision's standard
 * evaluation transform (shorter side resized, then a centre crop; see `resize.ts`). Class folders are sorted
 * by code point, so ImageNet's wnids get the indices 0..K-1 that torchvision's `ImageFolder` gives them.
 * Listing (and a seeded per-class subset) comes before decoding, so that a memory estimate can refuse a set
 * too large to hold before any image is read.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { msg, msgImageFolder } from '../messages';
import type { Dataset } from './dataset';
import { Rng } from '../engine/seed';
import { decodeImages } from './decodePool';
import { imageFolder as sameSizeFolder } from './loaders';

/** The image files a class folder may hold (ImageNet's are `.JPEG`); other files are skipped. */
export const IMAGE_FOLDER_FILE = /\.(jpe?g|png)$/i;

/**
 * The default and largest `maxBytes`: 4 GiB, the longest byte array Node allocates (a Dataset's pixels are
 * one `Uint8Array`). At 224 x 224 that is 28,532 images; all of ImageNet's train split would need 193 GB.
 */
export const IMAGE_FOLDER_MAX_BYTES = 2 ** 32;

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The class folders of `dir`, sorted by code point (Python's `sorted`, as torchvision's `find_classes`);
 * hidden folders (`.name`) are not classes. Throws naming `dir` when it is not a directory or has none.
 */
export function imageFolderClasses(dir: string, arg = 'dir'): string[] {
  if (!isDir(dir)) throw new Error(msgImageFolder.notADir(arg, dir, 'one folder of images per class'));
  const classes = fs
    .readdirSync(dir)
    .filter((e) => !e.startsWith('.') && isDir(path.join(dir, e)))
    .sort(byCodePoint);
  if (classes.length === 0) throw new Error(msgImageFolder.noClassFolders(dir));
  return classes;
}

/**
 * Readable class names for class folders: from `LOC_synset_mapping.txt` (Kaggle's ImageNet: lines
 * `n01440764 tench, Tinca tinca`) or `classes.txt` (the same form: folder, space, name) in `dir` or its
 * parent, the name cut at its first comma; a folder the file does not list keeps its own name.
 */
export function imageFolderClassNames(dir: string, classes: readonly string[]): string[] {
  for (const where of [dir, path.dirname(path.resolve(dir))])
    for (const f of ['LOC_synset_mapping.txt', 'classes.txt']) {
      const file = path.join(where, f);
      if (!fs.existsSync(file)) continue;
      const names = new Map<string, string>();
      for (const line of fs.readFileSync(file, 'utf8').split(/\r?\n/)) {
        const m = /^\s*(\S+)\s+(.+?)\s*$/.exec(line);
        if (m) names.set(m[1], m[2].split(',')[0].trim());
      }
      return classes.map((c) => names.get(c) || c);
    }
  return [...classes];
}

/** The files of an image folder chosen for loading, before decoding. */
export interface ImageFolderListing {
  /** The folder read (the split's folder when `split` was given). */
  dir: string;
  /** Class folder names, label order (label k is `classes[k]`). */
  classes: string[];
  /** Readable class names, label order (see {@link imageFolderClassNames}). */
  classNames: string[];
  /** The files, `path` relative to `dir` (`<class>/<file>`), in load order (classes interleaved). */
  files: { path: string; label: number }[];
}

/** Which files of an image folder to take. */
export interface ImageFolderSelection {
  /** The folder: `<dir>/<class>/*`, or `<dir>/<split>/<class>/*` with `split`. */
  dir: string;
  /** A subfolder of `dir` holding the classes, e.g. `'train'` or `'val'`. */
  split?: string;
  /**
   * At most this many images per class, a seeded random pick (all of a class that has fewer): the way to
   * load a part of ImageNet that fits in memory.
   */
  perClass?: number;
  /**
   * Only these class folders (e.g. wnids), labelled 0..K'-1 in sorted order; throws naming any not there.
   * Default: every class folder.
   */
  classes?: readonly string[];
  /**
   * Seed of the `perClass` pick (default 0). Each class draws from its own stream (the seed and its folder
   * name), so a class's files are the same whichever other classes are loaded.
   */
  seed?: number;
}

/** A per-class stream: the same class folder and seed pick the same files in any folder or class subset. */
function classRng(seed: number, cls: string): Rng {
  return new Rng(createHash('sha1').update(`${seed}\u0000${cls}`).digest().readUInt32LE(0));
}

/**
 * Lists the files {@link imageFolder} loads: the class folders (all, or `classes`), each folder's image
 * files sorted by code point, a seeded `perClass` pick of them (kept in name order), then interleaved class
 * by class (image j of every class before image j + 1 of any), so that every prefix of the set is as
 * class-balanced as it can be. torchvision's `ImageFolder` orders class by class instead; labels agree.
 * Throws naming the folder when `dir` is missing, has no class folders, or a chosen class has no images.
 * @example const l = listImageFolder({ dir: '/data/imagenet', split: 'val', perClass: 10 }); console.log(l.files.length);
 */
export function listImageFolder(sel: ImageFolderSelection): ImageFolderListing {
  if (typeof sel.dir !== 'string' || sel.dir === '') throw new Error(msgImageFolder.notADir('dir', String(sel.dir), 'a folder path'));
  if (sel.split !== undefined && !isDir(sel.dir)) throw new Error(msgImageFolder.notADir('dir', sel.dir, `a folder with the split ${sel.split}/ in it`));
  const dir = sel.split === undefined ? sel.dir : path.join(sel.dir, sel.split);
  if (sel.perClass !== undefined && !(Number.isInteger(sel.perClass) && sel.perClass >= 1)) throw new Error(msg.positiveInt('perClass', sel.perClass));
  const seed = sel.seed ?? 0;
  if (!Number.isFinite(seed)) throw new Error(msg.finiteNumber('seed', seed));
  const all = imageFolderClasses(dir, sel.split === undefined ? 'dir' : 'split');
  let classes = all;
  if (sel.classes !== undefined) {
    const missing = sel.classes.filter((c) => !all.includes(c));
    if (missing.length) throw new Error(msgImageFolder.unknownClasses('classes', missing, dir));
    if (sel.classes.length === 0) throw new Error(msg.emptyRecord('classes'));
    classes = [...new Set(sel.classes)].sort(byCodePoint);
  }
  const perClass = classes.map((c) => {
    const names = fs
      .readdirSync(path.join(dir, c))
      .filter((f) => IMAGE_FOLDER_FILE.test(f))
      .sort(byCodePoint);
    if (names.length === 0) throw new Error(msgImageFolder.emptyClass(path.join(dir, c)));
    if (sel.perClass === undefined || sel.perClass >= names.length) return names.map((f) => `${c}/${f}`);
    const pick = Array.from(classRng(seed, c).permutation(names.length).subarray(0, sel.perClass)).sort((a, b) => a - b);
    return pick.map((i) => `${c}/${names[i]}`);
  });
  const files: { path: string; label: number }[] = [];
  const longest = Math.max(...perClass.map((f) => f.length));
  for (let j = 0; j < longest; j++) perClass.forEach((f, k) => j < f.length && files.push({ path: f[j], label: k }));
  return { dir, classes, classNames: imageFolderClassNames(dir, classes), files };
}

/** How listed images are decoded and brought to one size. */
export interface ImageFolderDecoding {
  /** Side of the square crop in pixels (default 224). */
  size?: number;
  /**
   * The shorter side is resized to this before the crop: an integer >= `size`, default 256 (or `size` when
   * that is larger). torchvision's ratio is 256 / 224; at another size pass e.g. `Math.round(size * 8 / 7)`.
   */
  resize?: number;
  /** Refuse to decode a set larger than this many bytes (default and largest {@link IMAGE_FOLDER_MAX_BYTES}). */
  maxBytes?: number;
  /** Decoding threads (default: the cores available; sets of at most 1,000 images decode on this thread). */
  threads?: number;
  /** Dataset name (default the folder's name, with the split). */
  name?: string;
}

/** Options of {@link imageFolder}: which files, and how they are decoded. */
export interface ImageFolderOptions extends ImageFolderSelection, ImageFolderDecoding {}

/**
 * Throws, naming `perClass`, when `n` images of `size` x `size` x 3 bytes exceed `maxBytes`; checks the
 * options first. Called before any image is decoded.
 */
export function checkImageBudget(n: number, size: number, maxBytes: number = IMAGE_FOLDER_MAX_BYTES): void {
  if (!(typeof maxBytes === 'number' && maxBytes > 0)) throw new Error(msg.positive('maxBytes', maxBytes));
  if (maxBytes > IMAGE_FOLDER_MAX_BYTES) throw new Error(msg.atMost('maxBytes', IMAGE_FOLDER_MAX_BYTES, maxBytes));
  const bytes = n * size * size * 3;
  if (bytes > maxBytes) throw new Error(msgImageFolder.tooLarge(n, size, bytes, maxBytes));
}

/**
 * Decodes the files of a listing (from {@link listImageFolder}) into a {@link Dataset}: each image's
 * shorter side resized to `resize` (bilinear, no antialiasing: see `resizeBilinear`), then its centre `size`
 * x `size` crop, over worker threads. The memory estimate is checked first (see {@link checkImageBudget}).
 * Not cached: the decoded-set cache stores labels as single bytes, too few for ImageNet's 1,000 classes.
 */
export function loadImageListing(listing: ImageFolderListing, opts: ImageFolderDecoding = {}): Dataset {
  const size = opts.size ?? 224;
  const resize = opts.resize ?? Math.max(256, size);
  if (!(Number.isInteger(size) && size >= 1)) throw new Error(msg.positiveInt('size', size));
  if (!(Number.isInteger(resize) && resize >= size)) throw new Error(msgImageFolder.resize(size, resize));
  const n = listing.files.length;
  checkImageBudget(n, size, opts.maxBytes);
  const x = decodeImages(listing.files.map((f) => path.join(listing.dir, f.path)), size, size, opts.threads, { size, resize });
  const y = Int32Array.from(listing.files, (f) => f.label);
  const name = opts.name ?? path.basename(path.resolve(listing.dir));
  return { name, x, y, shape: [n, size, size, 3], numClasses: listing.classes.length, classNames: [...listing.classNames], source: 'image-folder' };
}

/**
 * An image folder as a {@link Dataset}.
 *
 * With options: an ImageNet-style folder `<dir>/<class>/*` (or `<dir>/<split>/<class>/*`) of images of any
 * size, each resized (shorter side to `resize`, default 256) and centre-cropped to `size` (default 224), the
 * standard ImageNet evaluation transform; labels 0..K-1 in sorted class-folder order, as torchvision's; a
 * seeded `perClass` subset and a class subset `classes` picked before decoding; a set over `maxBytes` is
 * refused before decoding (see {@link listImageFolder}, {@link loadImageListing}). A class folder without
 * images is an error.
 *
 * With a path string (the older form, kept for its callers): every image must have the same size, no
 * resizing, and a folder without images is not a class.
 * @example const val = imageFolder({ dir: '/data/imagenet', split: 'val', perClass: 10 }); // 10,000 images, 224 x 224
 * @example const ds = imageFolder('photos/'); // same-size images as they are
 */
export function imageFolder(opts: ImageFolderOptions): Dataset;
export function imageFolder(dir: string, opts?: { name?: string }): Dataset;
export function imageFolder(a: ImageFolderOptions | string, b: { name?: string } = {}): Dataset {
  if (typeof a === 'string') return sameSizeFolder(a, b);
  const listing = listImageFolder(a);
  const name = a.name ?? (a.split === undefined ? path.basename(path.resolve(a.dir)) : `${path.basename(path.resolve(a.dir))}-${a.split}`);
  return loadImageListing(listing, { ...a, name });
}
