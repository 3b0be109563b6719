/**
 * Class similarity from a linear head (the gain-from-neighbours supplement, A.1): class embeddings are the
 * columns z_c = W[:, c] of the head's weight matrix and M = W^T W holds their raw dot products. For heads
 * without a weight matrix, feature centroids stand in for the embeddings. Also the test that decides whether
 * mispredictions fall on near neighbours more often than chance.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../models/classifier';
import { assert } from '../engine/assert';
import { msgNeighbours } from '../messages';

/** The head weight matrix W [featureDim, numClasses] of a model built with a linear (or hypersphere) head. */
export function headWeights(model: Classifier): number[][] {
  const w = model.namedVariables()['head.w'];
  assert(w !== undefined && w.rank === 2 && w.shape[1] === model.numClasses, () => msgNeighbours.noHead(model.name));
  return w.arraySync() as number[][];
}

/** M = W^T W, M_ij = z_i . z_j, for W [d, C]. */
export function similarityMatrix(w: number[][]): number[][] {
  const c = w[0]?.length ?? 0;
  assert(c > 0 && w.every((r) => r.length === c), () => msgNeighbours.ragged());
  return Array.from({ length: c }, (_, i) => Array.from({ length: c }, (_, j) => w.reduce((a, r) => a + r[i] * r[j], 0)));
}

/**
 * M from class centroids of features (an option for heads without a weight matrix): z_c = mean feature of
 * class c, M_ij = z_i . z_j.
 * @param features [N, d]
 * @param labels int labels, length N
 */
export function centroidSimilarity(features: tf.Tensor2D, labels: ArrayLike<number>, numClasses: number): number[][] {
  const [n, d] = features.shape;
  assert(labels.length === n, () => msgNeighbours.centroidLabels(n, labels.length));
  const f = features.dataSync();
  const sum = Array.from({ length: numClasses }, () => new Float64Array(d));
  const count = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < n; i++) {
    count[labels[i]]++;
    for (let j = 0; j < d; j++) sum[labels[i]][j] += f[i * d + j];
  }
  // W [d, C] with columns the centroids.
  const w = Array.from({ length: d }, (_, j) => Array.from({ length: numClasses }, (_, c) => (count[c] ? sum[c][j] / count[c] : 0)));
  return similarityMatrix(w);
}

/**
 * The k classes most similar to class `c` (row c of M sorted in descending order, ties by index), which
 * usually includes c itself first (Algorithm 3, line 6).
 */
export function topSimilar(m: number[][], c: number, k: number): number[] {
  return m[c]
    .map((v, j) => [v, j] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, k)
    .map(([, j]) => j);
}

/** Result of {@link nearRankTest}. */
export interface NearRankTest {
  /** Mispredictions counted. */
  n: number;
  /** Mean similarity rank observed. */
  meanRank: number;
  /** Mean rank if mispredictions fell uniformly on the other classes (ranks 2..C): (C + 2) / 2. */
  uniformMeanRank: number;
  /** Share of errors at rank 2 (the nearest other class) vs 1 / (C - 1) under uniformity. */
  nearestShare: number;
  /** One-sided p-value that ranks are no lower than uniform (normal approximation of the mean rank). */
  p: number;
}

/**
 * Are mispredictions concentrated on near neighbours? Under the null hypothesis each misprediction's rank is
 * uniform on {2, ..., C} (mean (C + 2) / 2, variance ((C - 1)^2 - 1) / 12); the one-sided z-test on the mean
 * rank gives p. Ranks of 1 (a class more similar to c than c itself) are counted as they come.
 * @param histogram histogram[k - 1] = mispredictions of rank k (from `similarityRanks`)
 */
export function nearRankTest(histogram: readonly number[]): NearRankTest {
  const c = histogram.length;
  assert(c >= 3, () => msgNeighbours.fewClasses(c));
  const n = histogram.reduce((a, b) => a + b, 0);
  const meanRank = n ? histogram.reduce((a, h, i) => a + h * (i + 1), 0) / n : NaN;
  const mu = (c + 2) / 2;
  const sd = Math.sqrt(((c - 1) ** 2 - 1) / 12);
  const z = n ? (meanRank - mu) / (sd / Math.sqrt(n)) : NaN;
  return { n, meanRank, uniformMeanRank: mu, nearestShare: n ? histogram[1] / n : NaN, p: n ? normalCdf(z) : NaN };
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 through erf; |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const t = 1 / (1 + 0.3275911 * (Math.abs(z) / Math.SQRT2));
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-(z * z) / 2);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}
