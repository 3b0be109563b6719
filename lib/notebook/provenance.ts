/**
 * Data provenance for a notebook: which dataset and form a run used, whether it is the paper's, and the
 * loading order with fallbacks (CIFAR-10 when present, then the MNIST test set, then the generated shapes10),
 * said in one prominent line at the top of the notebook and of the report.
 * @module
 */
import { findCifar10, cifar10, CIFAR10_SOURCE_LABELS, type Cifar10Source } from '../data/cifar10';
import { hasMnist, mnistTestSet } from '../data/mnist';
import { shapes10 } from '../data/shapes10';
import { stratifiedSplit, type Dataset } from '../data/dataset';
import { msg } from '../messages';

/** The datasets a notebook can fall back through. */
export type DataChoice = 'cifar10' | 'mnist' | 'shapes10';

/** Where a run's data came from. */
export interface Provenance {
  /** Dataset id: cifar10, mnist or shapes10. */
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
}

/**
 * Loads the first available dataset of `order`: CIFAR-10's own split (any form `cifar10()` reads), the MNIST
 * test set split by class 80/20 (the training set is not at hand), or generated shapes10 (`shapesN` images,
 * split 80/20).
 * @param paperDataset the paper's dataset in words, e.g. "CIFAR-10"
 * @example const { train, test, provenance } = loadData(['cifar10', 'mnist', 'shapes10'], { paperDataset: 'CIFAR-10' });
 */
export function loadData(order: readonly DataChoice[], opts: { paperDataset: string; shapesN?: number; dir?: string }): LoadedData {
  const fallbacks: string[] = [];
  const paper = opts.paperDataset.toLowerCase().replace(/[^a-z0-9]/g, '');
  for (const choice of order) {
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
