/**
 * Metrics beyond accuracy, from predictions as plain arrays: confusion matrices, class-wise error (the
 * class-wise robustness gaps paper), corruption error CE_c / mCE / mCA (Hendrycks & Dietterich, 2019),
 * similarity rank of mispredictions (the neighbours paper, supplement Algorithms 1-2), perturbation norms.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Norm } from '../types';
import { lpNorm } from '../tensor/norms';
import { assert } from '../engine/assert';
import { msg } from '../messages';
import { checkPositiveInt, checkSameShape } from '../tensor/validate';

function checkPairs(pred: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): void {
  checkPositiveInt(numClasses, 'numClasses');
  assert(pred.length === labels.length, () => msg.batchMismatch('pred', pred.length, 'labels', labels.length));
  for (const [arr, name] of [[pred, 'pred'], [labels, 'labels']] as const) {
    let lo = Infinity;
    let hi = -Infinity;
    let ok = true;
    for (let i = 0; i < arr.length; i++) {
      lo = Math.min(lo, arr[i]);
      hi = Math.max(hi, arr[i]);
      if (!Number.isInteger(arr[i])) ok = false;
    }
    assert(arr.length === 0 || (ok && lo >= 0 && hi < numClasses), () => msg.labels(name, numClasses, lo, hi));
  }
}

/**
 * Confusion matrix `C[true][predicted]` of counts.
 * @example confusionMatrix([0, 1, 1], [0, 0, 1], 2) // [[1, 1], [0, 1]]
 */
export function confusionMatrix(pred: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): number[][] {
  checkPairs(pred, labels, numClasses);
  const c = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < pred.length; i++) c[labels[i]][pred[i]]++;
  return c;
}

/** Result of {@link classWiseError}. */
export interface ClassWiseErrorRecord {
  /** Error rate of each class (NaN for a class with no examples). */
  perClass: number[];
  /** Examples per class. */
  counts: number[];
  /** Mean of the per-class errors over the classes present. */
  mean: number;
  /** Population standard deviation (ddof 0, as numpy's default) of the per-class errors over the classes present. */
  sd: number;
  /** Worst class error minus best (the class-wise gap). */
  gap: number;
}

/**
 * Per-class error with its mean and standard deviation over classes (the class-wise robustness gaps
 * paper's disparity measure). Pass adversarial predictions for class-wise robust error.
 * @example classWiseError([0, 1, 1, 1], [0, 0, 1, 1], 2) // perClass [0.5, 0], mean 0.25, sd 0.25
 */
export function classWiseError(pred: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): ClassWiseErrorRecord {
  const c = confusionMatrix(pred, labels, numClasses);
  const counts = c.map((row) => row.reduce((a, b) => a + b, 0));
  const perClass = c.map((row, k) => (counts[k] ? 1 - row[k] / counts[k] : NaN));
  const present = perClass.filter((v) => !Number.isNaN(v));
  assert(present.length > 0, () => msg.emptyRecord('labels'));
  const mean = present.reduce((a, b) => a + b, 0) / present.length;
  const sd = Math.sqrt(present.reduce((a, b) => a + (b - mean) ** 2, 0) / present.length);
  return { perClass, counts, mean, sd, gap: Math.max(...present) - Math.min(...present) };
}

/** Error rates per corruption, one per severity (ImageNet-C / CIFAR-10-C: 5 severities). */
export type CorruptionErrors = Record<string, number[]>;

/** Result of {@link corruptionError}. */
export interface CorruptionRecord {
  /** CE_c per corruption: the mean error over severities, or with a baseline sum_s E_{s,c} / sum_s E^base_{s,c}. */
  ce: Record<string, number>;
  /** Mean of CE_c over corruptions. */
  mCE: number;
  /** Mean corruption accuracy: 1 - the mean error over every corruption and severity. */
  mCA: number;
  /** Relative CE_c (with a baseline and clean errors): sum_s (E_{s,c} - E_clean) / sum_s (E^base_{s,c} - E^base_clean). */
  relativeCe?: Record<string, number>;
  /** Mean relative CE. */
  relativeMCE?: number;
  /** Whether `ce` is normalised by a baseline (AlexNet in the paper). */
  normalized: boolean;
}

/**
 * Corruption error (Hendrycks & Dietterich, 2019, Sec. 4): unnormalised CE_c (mean error over severities)
 * or, given the baseline's errors (AlexNet in the paper), CE_c = sum_s E^f_{s,c} / sum_s E^AlexNet_{s,c};
 * mCE is their mean over corruptions; mCA the mean accuracy. With clean errors, the relative mCE too.
 * @example corruptionError({ fog: [0.1, 0.3] }, { baseline: { fog: [0.2, 0.6] } }).mCE // 0.5
 */
export function corruptionError(
  errors: CorruptionErrors,
  opts: { baseline?: CorruptionErrors; cleanError?: number; baselineCleanError?: number } = {},
): CorruptionRecord {
  const names = Object.keys(errors);
  assert(names.length > 0, () => msg.emptyRecord('errors'));
  const sum = (a: number[]) => a.reduce((s, v) => s + v, 0);
  const ce: Record<string, number> = {};
  let all = 0;
  let count = 0;
  for (const c of names) {
    const e = errors[c];
    assert(Array.isArray(e) && e.length > 0, () => msg.emptyRecord(`errors.${c}`));
    assert(e.every((v) => Number.isFinite(v)), () => msg.notFinite(`errors.${c}`));
    all += sum(e);
    count += e.length;
    if (opts.baseline) {
      const b = Object.hasOwn(opts.baseline, c) ? opts.baseline[c] : undefined;
      assert(Array.isArray(b) && b.length === e.length, () => msg.missingBaseline(c));
      ce[c] = sum(e) / sum(b);
    } else ce[c] = sum(e) / e.length;
  }
  const mean = (r: Record<string, number>) => sum(names.map((c) => r[c])) / names.length;
  const rec: CorruptionRecord = { ce, mCE: mean(ce), mCA: 1 - all / count, normalized: !!opts.baseline };
  if (opts.baseline && opts.cleanError !== undefined && opts.baselineCleanError !== undefined) {
    const rel: Record<string, number> = {};
    for (const c of names) {
      const b = opts.baseline[c];
      rel[c] = sum(errors[c].map((v) => v - opts.cleanError!)) / sum(b.map((v) => v - opts.baselineCleanError!));
    }
    rec.relativeCe = rel;
    rec.relativeMCE = mean(rel);
  }
  return rec;
}

/** Result of {@link similarityRanks}. */
export interface SimilarityRankRecord {
  /** Rank k in {1..C} of each misprediction (in the order of the mispredicted examples). */
  ranks: number[];
  /** histogram[k - 1] = number of mispredictions of rank k. */
  histogram: number[];
  /** The class similarity matrix M = W^T W (M_ij = z_i . z_j). */
  similarity: number[][];
}

/**
 * Similarity rank of mispredictions (the neighbours paper, supplement Algorithm 1 and the histogram of
 * Algorithm 2): class embeddings z_i are the columns of the head weights W [d, C]; M = W^T W; for a
 * misprediction p of an example of class c, k is the 1-based position of M_cp in row c sorted in
 * descending order (the first position on ties). Correct predictions are skipped.
 * @param headWeights the linear head's weight matrix [featureDim, numClasses]
 * @example similarityRanks([[1, 0, 0.9], [0, 1, 0]], [2], [0]).ranks // [2] (M_02 = 0.9 is second in row 0)
 */
export function similarityRanks(headWeights: number[][] | tf.Tensor2D, pred: ArrayLike<number>, labels: ArrayLike<number>): SimilarityRankRecord {
  const W = Array.isArray(headWeights) ? headWeights : (headWeights.arraySync() as number[][]);
  const C = W[0]?.length ?? 0;
  checkPairs(pred, labels, C);
  const M = Array.from({ length: C }, (_, i) => Array.from({ length: C }, (_, j) => W.reduce((a, row) => a + row[i] * row[j], 0)));
  const ranks: number[] = [];
  const histogram = new Array<number>(C).fill(0);
  for (let n = 0; n < pred.length; n++) {
    const c = labels[n];
    const p = pred[n];
    if (p === c) continue;
    const k = 1 + M[c].filter((v) => v > M[c][p]).length;
    ranks.push(k);
    histogram[k - 1]++;
  }
  return { ranks, histogram, similarity: M };
}

/** Summary of per-example perturbation norms. */
export interface PerturbationNormRecord {
  norm: Norm;
  values: number[];
  mean: number;
  median: number;
  max: number;
}

/**
 * Per-example lp norms of `xAdv - x` with their mean, median and max (for minimum-norm attacks' tables).
 * @example perturbationNorms(x, xAdv, 'l2').median
 */
export function perturbationNorms(x: tf.Tensor, xAdv: tf.Tensor, norm: Norm): PerturbationNormRecord {
  checkSameShape(x, xAdv, 'x', 'xAdv');
  const t = tf.tidy(() => lpNorm(xAdv.sub(x), norm));
  const values = Array.from(t.dataSync());
  t.dispose();
  assert(values.length > 0, () => msg.emptyRecord('x'));
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return {
    norm,
    values,
    mean: values.reduce((a, b) => a + b, 0) / values.length,
    median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2,
    max: s[s.length - 1],
  };
}
