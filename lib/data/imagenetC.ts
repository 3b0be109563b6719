/**
 * ImageNet-C in its distributed layout, `<dir>/<corruption>/<severity 1..5>/<class>/*.JPEG`: ImageNet's 50,000
 * validation images, already resized and cropped to 224 x 224, under each corruption and severity, with
 * the validation set's file names. A set is matched to a clean set by class-folder name (so its labels are
 * the clean set's), and, given the clean listing, file by file (so its images are the clean test images,
 * in their order). The sets have the shape of `corruptedSets`' items, so notebooks can swap one for the other.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { msg, msgImageFolder } from '../messages';
import type { Dataset } from './dataset';
import { CORRUPTIONS, type CorruptionFamily } from './corruptions/index';
import { decodeImages } from './decodePool';
import { checkImageBudget, listImageFolder, type ImageFolderListing } from './imageFolder';

const SEVERITIES = [1, 2, 3, 4, 5];

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** One corruption present in an ImageNet-C folder. */
export interface ImagenetCEntry {
  /** Folder name, e.g. `gaussian_noise`. */
  corruption: string;
  /** Its family when it is one of the 19 of CIFAR-10-C / ImageNet-C, else undefined. */
  family: CorruptionFamily | undefined;
  /** The severities present (folders `1`..`5`), ascending. */
  severities: number[];
}

/**
 * The corruptions and severities present under an ImageNet-C folder: every folder holding at least one
 * severity folder `1`..`5`, the 19 known ones in ImageNet-C's order (the 15 benchmark corruptions, then
 * the 4 extra), any others after them by name. Throws naming `dir` when it is missing or holds none.
 * @example for (const { corruption, severities } of imagenetCListing('/data/imagenet-c')) console.log(corruption, severities);
 */
export function imagenetCListing(dir: string): ImagenetCEntry[] {
  if (!isDir(dir)) throw new Error(msgImageFolder.notADir('dir', dir, 'ImageNet-C: <dir>/<corruption>/<severity>/<class>/*.JPEG'));
  const known = CORRUPTIONS.map((c) => c.name);
  const rank = (c: string) => (known.includes(c) ? known.indexOf(c) : known.length);
  const out = fs
    .readdirSync(dir)
    .filter((c) => isDir(path.join(dir, c)))
    .map((c) => ({ corruption: c, family: CORRUPTIONS.find((k) => k.name === c)?.family, severities: SEVERITIES.filter((s) => isDir(path.join(dir, c, String(s)))) }))
    .filter((e) => e.severities.length > 0)
    .sort((a, b) => rank(a.corruption) - rank(b.corruption) || (a.corruption < b.corruption ? -1 : a.corruption > b.corruption ? 1 : 0));
  if (out.length === 0) throw new Error(msgImageFolder.noCorruptions(dir));
  return out;
}

/**
 * The clean set an ImageNet-C set is matched to: its class folders in label order, and optionally its files
 * (paths `<class>/<file>` with labels, as {@link listImageFolder} returns) to take exactly those images.
 */
export interface CleanMatch {
  /** Class folder names, label order (e.g. the clean listing's `classes`). */
  classes: readonly string[];
  /** Readable class names, label order (default `classes`). */
  classNames?: readonly string[];
  /** Take these files, in this order, with these labels (the clean test images' corrupted copies). */
  files?: readonly { path: string; label: number }[];
}

/** Options of {@link imagenetC}. */
export interface ImagenetCOptions {
  /** The ImageNet-C folder (holding `<corruption>/<severity>/<class>/`). */
  dir: string;
  /** A corruption folder present under `dir` (see {@link imagenetCListing}). */
  corruption: string;
  /** Severity, 1..5. */
  severity: number;
  /**
   * Match to a clean set: labels by class-folder name (throws naming a clean class with no folder here);
   * with `files`, exactly those images. Default: the set's own sorted class folders.
   */
  like?: CleanMatch | ImageFolderListing;
  /** Without `like.files`: at most this many images per class, seeded as {@link listImageFolder}'s. */
  perClass?: number;
  /** Seed of the `perClass` pick (default 0). */
  seed?: number;
  /** Side of the images (default 224, ImageNet-C's): larger images are centre-cropped, never resized. */
  size?: number;
  /** Refuse a set over this many bytes (see `checkImageBudget`). */
  maxBytes?: number;
  /** Decoding threads (default: the cores available). */
  threads?: number;
}

/** The folder of one (corruption, severity), checked; throws naming what is missing. */
function setDir(opts: Pick<ImagenetCOptions, 'dir' | 'corruption' | 'severity'>): string {
  if (!SEVERITIES.includes(opts.severity)) throw new Error(msg.oneOf('severity', SEVERITIES, opts.severity));
  const listing = imagenetCListing(opts.dir);
  const entry = listing.find((e) => e.corruption === opts.corruption);
  if (!entry) throw new Error(msg.oneOf('corruption', listing.map((e) => e.corruption), opts.corruption));
  const d = path.join(opts.dir, opts.corruption, String(opts.severity));
  if (!entry.severities.includes(opts.severity)) throw new Error(msgImageFolder.missingSeverity(d, entry.severities));
  return d;
}

/**
 * One corruption at one severity of ImageNet-C as a {@link Dataset} of `size` x `size` images (224 as
 * distributed; only centre-cropped if larger). With `like`, labels follow the clean set's class indices (a
 * clean class with no folder here is an error naming it; classes not in the clean set are left out), and
 * with `like.files` the set holds exactly the clean images' corrupted copies, in the clean order (an image
 * missing here is an error naming it).
 * @example const fog3 = imagenetC({ dir: '/data/imagenet-c', corruption: 'fog', severity: 3, like: valListing });
 */
export function imagenetC(opts: ImagenetCOptions): Dataset {
  const d = setDir(opts);
  const size = opts.size ?? 224;
  if (!(Number.isInteger(size) && size >= 1)) throw new Error(msg.positiveInt('size', size));
  const like = opts.like;
  if (like) for (const c of like.classes) if (!isDir(path.join(d, c))) throw new Error(msgImageFolder.missingClassC(c, d));
  let files: { path: string; label: number }[];
  let classes: readonly string[];
  let classNames: readonly string[];
  if (like?.files) {
    files = like.files.map((f) => {
      if (!fs.existsSync(path.join(d, f.path))) throw new Error(msgImageFolder.missingFileC(path.join(d, f.path), f.path));
      return { path: f.path, label: f.label };
    });
    classes = like.classes;
    classNames = like.classNames ?? like.classes;
  } else {
    const own = listImageFolder({ dir: d, classes: like?.classes, perClass: opts.perClass, seed: opts.seed });
    // the listing labels the kept classes in sorted order; the clean set's order is the one that counts
    const index = own.classes.map((c) => (like ? like.classes.indexOf(c) : own.classes.indexOf(c)));
    files = own.files.map((f) => ({ path: f.path, label: index[f.label] }));
    classes = like?.classes ?? own.classes;
    classNames = like?.classNames ?? (like ? like.classes : own.classNames);
  }
  checkImageBudget(files.length, size, opts.maxBytes);
  const x = decodeImages(files.map((f) => path.join(d, f.path)), size, size, opts.threads, { size, resize: null });
  const y = Int32Array.from(files, (f) => f.label);
  return {
    name: `imagenet-c-${opts.corruption}-${opts.severity}`, x, y, shape: [files.length, size, size, 3], numClasses: classes.length, classNames: [...classNames], source: 'imagenet-c',
  };
}

/**
 * Every (corruption, severity) present under an ImageNet-C folder (or those of `corruptions` and
 * `severities`), one set at a time, as `{ corruption, family, severity, data }`: the items of
 * `corruptedSets`, read from files instead of generated. A corruption or severity asked for but absent is
 * an error naming it, raised before any set is decoded.
 * @example for (const { corruption, severity, data } of imagenetCSets({ dir, like: valListing })) evaluate(model, data);
 */
export function* imagenetCSets(
  opts: Omit<ImagenetCOptions, 'corruption' | 'severity'> & { corruptions?: readonly string[]; severities?: readonly number[] },
): Generator<{ corruption: string; family: CorruptionFamily | undefined; severity: number; data: Dataset }> {
  const listing = imagenetCListing(opts.dir);
  // every pair asked for is checked before the first set is decoded (minutes each at full size)
  const entries = (opts.corruptions ?? listing.map((e) => e.corruption)).map((c) => {
    const e = listing.find((l) => l.corruption === c);
    if (!e) throw new Error(msg.oneOf('corruption', listing.map((l) => l.corruption), c));
    for (const s of opts.severities ?? []) {
      if (!SEVERITIES.includes(s)) throw new Error(msg.oneOf('severity', SEVERITIES, s));
      if (!e.severities.includes(s)) throw new Error(msgImageFolder.missingSeverity(path.join(opts.dir, c, String(s)), e.severities));
    }
    return e;
  });
  for (const e of entries)
    for (const severity of opts.severities ?? e.severities) yield { corruption: e.corruption, family: e.family, severity, data: imagenetC({ ...opts, corruption: e.corruption, severity }) };
}
