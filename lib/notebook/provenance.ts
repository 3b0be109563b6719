/**
 * Data provenance for a notebook: which dataset and form a run used, whether it is the paper's, and the
 * loading order with fallbacks (e.g. ImageNet when present, then CIFAR-10, then the MNIST test set, then the
 * generated shapes10), said in one prominent line at the top of the notebook and of the report.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findCifar10, cifar10, CIFAR10_SOURCE_LABELS, type Cifar10Source } from '../data/cifar10';
import { imageFolderClasses, listImageFolder, loadImageListing, type ImageFolderListing } from '../data/imageFolder';
import { imagenetC, imagenetCListing, type ImagenetCEntry } from '../data/imagenetC';
import { hasMnist, mnistTestSet } from '../data/mnist';
import { shapes10 } from '../data/shapes10';
import { stratifiedSplit, type Dataset } from '../data/dataset';
import { msg } from '../messages';

/** The datasets a notebook can fall back through. */
export type DataChoice = 'imagenet' | 'cifar10' | 'mnist' | 'shapes10';

/** Where a run's data came from. */
export interface Provenance {
  /** Dataset id: imagenet, cifar10, mnist or shapes10. */
  dataset: DataChoice;
  /** Its form in words, e.g. "CIFAR-10 (JPEG q75 copy), its own train/test split". */
  form: string;
  /** The paper's dataset in words, e.g. "CIFAR-10". */
  paperDataset: string;
  /** Whether this is the paper's dataset (a re-encoded copy counts, with its form said). */
  isPapers: boolean;
  /** Real data, or generated (shapes10). */
  generated: boolean;
  /** The datasets tried before this one and why they were skipped. */
  fallbacks: string[];
}

/** A train/test pair with its provenance. */
export interface LoadedData {
  /** Training pool. */
  train: Dataset;
  /** Test pool. */
  test: Dataset;
  /** Where it came from. */
  provenance: Provenance;
  /**
   * With ImageNet, when `<data>/imagenet-c` is there: ImageNet-C matched to `test` (the same val images, in
   * the same order, with the same labels), one (corruption, severity) at a time.
   */
  imagenetC?: ImagenetCSource;
}

/** ImageNet-C's copies of a loaded ImageNet test set. */
export interface ImagenetCSource {
  /** The ImageNet-C folder. */
  dir: string;
  /** The corruptions and severities present. */
  listing: ImagenetCEntry[];
  /** The corrupted copies of the test images, in the test set's order (throws naming a missing file). */
  load(corruption: string, severity: number): Dataset;
}

/** How much of ImageNet {@link loadData} reads: all of it would not fit in memory (193 GB at 224 px). */
export interface ImagenetLoadOptions {
  /** Training images per class, a seeded pick (default 20: 20,000 images, 3.0 GB at 224 px). */
  trainPerClass?: number;
  /** Validation images per class, a seeded pick (default 10; val has 50). */
  testPerClass?: number;
  /** One class in `classEvery` of the sorted wnids (default 1: all 1,000); 10 gives a 100-class subset. */
  classEvery?: number;
  /** Crop size (default 224). */
  size?: number;
  /** The shorter side before the crop (default 256). */
  resize?: number;
  /** Seed of the per-class picks (default 0). */
  seed?: number;
  /** Decoding threads (default: the cores available). */
  threads?: number;
}

/** Options of {@link loadData}. */
export interface LoadDataOptions {
  /** The paper's dataset in words, e.g. "CIFAR-10". */
  paperDataset: string;
  /** Images of the generated shapes10 (default 4,000). */
  shapesN?: number;
  /** Data directory (default `ROBUSTLAB_DATA`). */
  dir?: string;
  /** How much of ImageNet to read, when `'imagenet'` is in the order and present. */
  imagenet?: ImagenetLoadOptions;
}

/**
 * `<data>/imagenet` when it holds `train/` and `val/` with class folders; else undefined, with the reason
 * in `why` (absent, or e.g. a flat val/ not yet sorted into class folders).
 */
function findImagenet(dir: string | undefined, why: string[]): string | undefined {
  const root = dir ? path.join(dir, 'imagenet') : undefined;
  if (!root || !fs.existsSync(root)) {
    why.push('ImageNet: not found under ROBUSTLAB_DATA/imagenet/{train,val}');
    return undefined;
  }
  try {
    for (const split of ['train', 'val']) imageFolderClasses(path.join(root, split), split);
  } catch (e) {
    why.push(`ImageNet: ${(e as Error).message}`);
    return undefined;
  }
  return root;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** ImageNet's train and val (a seeded subset) and, when present, ImageNet-C matched to val. */
function loadImagenet(root: string, dataDir: string, o: ImagenetLoadOptions, paperDataset: string, fallbacks: string[]): LoadedData {
  const every = o.classEvery ?? 1;
  if (!(Number.isInteger(every) && every >= 1)) throw new Error(msg.positiveInt('imagenet.classEvery', every));
  const all = imageFolderClasses(path.join(root, 'train'));
  const classes = all.filter((_, i) => i % every === 0);
  const seed = o.seed ?? 0;
  const size = o.size ?? 224;
  const decode = { size, resize: o.resize, threads: o.threads };
  const trainList = listImageFolder({ dir: root, split: 'train', classes, perClass: o.trainPerClass ?? 20, seed });
  const testList: ImageFolderListing = listImageFolder({ dir: root, split: 'val', classes, perClass: o.testPerClass ?? 10, seed: seed + 1 });
  const train = loadImageListing(trainList, { ...decode, name: 'imagenet-train' });
  const test = loadImageListing(testList, { ...decode, name: 'imagenet-val' });
  const cDir = path.join(dataDir, 'imagenet-c');
  let imagenetCSource: ImagenetCSource | undefined;
  let cText = '';
  if (fs.existsSync(cDir)) {
    const listing = imagenetCListing(cDir);
    const load = (corruption: string, severity: number) => imagenetC({ dir: cDir, corruption, severity, like: testList, size, threads: o.threads });
    imagenetCSource = { dir: cDir, listing, load };
    cText = `; ImageNet-C (${plural(listing.length, 'corruption')}) on the same val images`;
  } else cText = '; no ImageNet-C under ROBUSTLAB_DATA/imagenet-c (corruptions are generated from the val images)';
  const paper = paperDataset.toLowerCase().replace(/[^a-z0-9]/g, '');
  const subsetText = every === 1 ? `all ${plural(all.length, 'class', 'classes')}` : `${plural(classes.length, 'class', 'classes')} (one in ${every} of ${all.length})`;
  const form = `ImageNet (ILSVRC-2012) train and val, seeded subsets of ${subsetText}: ${plural(train.shape[0], 'training image')}, ${plural(test.shape[0], 'val image')} as the test set, shorter side resized to ${o.resize ?? Math.max(256, size)} and centre-cropped to ${size}x${size}${cText}`;
  // a subset of ImageNet's classes is another task (fewer, easier decisions): not the paper's dataset
  const isPapers = paper.startsWith('imagenet') && classes.length === all.length;
  return { train, test, imagenetC: imagenetCSource, provenance: { dataset: 'imagenet', form, paperDataset, isPapers, generated: false, fallbacks } };
}

/**
 * Loads the first available dataset of `order`: ImageNet (`<data>/imagenet/{train,val}/<wnid>/*.JPEG`, a
 * seeded per-class subset of `opts.imagenet`'s size, val as the test set, and ImageNet-C from
 * `<data>/imagenet-c` in `imagenetC` when there), CIFAR-10's own split (any form `cifar10()` reads), the MNIST
 * test set split by class 80/20 (the training set is not at hand), or generated shapes10 (`shapesN` images,
 * split 80/20).
 * @param opts.paperDataset the paper's dataset in words, e.g. "CIFAR-10"
 * @example const { train, test, provenance } = loadData(['cifar10', 'mnist', 'shapes10'], { paperDataset: 'CIFAR-10' });
 * @example const d = loadData(['imagenet', 'cifar10'], { paperDataset: 'ImageNet', imagenet: { trainPerClass: 50, classEvery: 10 } });
 */
export function loadData(order: readonly DataChoice[], opts: LoadDataOptions): LoadedData {
  const fallbacks: string[] = [];
  const paper = opts.paperDataset.toLowerCase().replace(/[^a-z0-9]/g, '');
  const dataDir = opts.dir ?? process.env.ROBUSTLAB_DATA;
  for (const choice of order) {
    if (choice === 'imagenet') {
      const root = findImagenet(dataDir, fallbacks);
      if (root && dataDir) return loadImagenet(root, dataDir, opts.imagenet ?? {}, opts.paperDataset, fallbacks);
      continue;
    }
    if (choice === 'cifar10') {
      if (!findCifar10('train', opts.dir) || !findCifar10('test', opts.dir)) {
        fallbacks.push('CIFAR-10: not found under ROBUSTLAB_DATA');
        continue;
      }
      const train = cifar10({ split: 'train', dir: opts.dir });
      const test = cifar10({ split: 'test', dir: opts.dir });
      const label = CIFAR10_SOURCE_LABELS[(train.source ?? 'binary') as Cifar10Source] ?? 'CIFAR-10';
      return { train, test, provenance: { dataset: 'cifar10', form: `${label}, its own train/test split`, paperDataset: opts.paperDataset, isPapers: paper === 'cifar10', generated: false, fallbacks } };
    }
    if (choice === 'mnist') {
      if (!hasMnist(opts.dir)) {
        fallbacks.push('MNIST: not found under ROBUSTLAB_DATA');
        continue;
      }
      const { train, test } = stratifiedSplit(mnistTestSet(opts.dir), 0.8, 0);
      return { train, test, provenance: { dataset: 'mnist', form: 'MNIST test split (10,000 images), split by class 80/20 into train and test', paperDataset: opts.paperDataset, isPapers: paper === 'mnist', generated: false, fallbacks } };
    }
    const n = opts.shapesN ?? 4000;
    const { train, test } = stratifiedSplit(shapes10({ n, seed: 0 }), 0.8, 0);
    return { train, test, provenance: { dataset: 'shapes10', form: `generated shapes10 (${n} synthetic 32x32 images, five shapes x two textures), split 80/20`, paperDataset: opts.paperDataset, isPapers: false, generated: true, fallbacks } };
  }
  throw new Error(msg.noDataset(order));
}

/**
 * The provenance in one Markdown paragraph, for the top of a notebook and of the report: the data and form,
 * whether it is the paper's, and what a generated set means for the claims.
 */
export function provenanceLine(p: Provenance): string {
  const head = `**Data: ${p.form}.**`;
  const vs = p.isPapers ? `The paper's dataset (${p.paperDataset})${/JPEG/.test(p.form) ? ', re-encoded as JPEG q75: each pixel a few levels off the original' : ''}.` : `**Not the paper's data** (the paper uses ${p.paperDataset}).`;
  const gen = p.generated ? ' **Generated data**: numbers here say nothing about the paper; expect most claims inconclusive.' : '';
  const fb = p.fallbacks.length ? ` Fallback: ${p.fallbacks.join('; ')}.` : '';
  return `${head} ${vs}${gen}${fb}`;
}
