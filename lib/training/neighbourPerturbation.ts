/**
 * Perturbation toward neighbouring classes (the gain-from-neighbours supplement, Algorithm 3 and Eq. 5): per
 * sample a target p drawn uniformly from the top-k of row y of the class similarity matrix M (which includes y
 * itself), then `steps` signed steps *down* the cross-entropy of p, x <- x - eta sign(grad_x CE(x, y_p)); the
 * outer loss is the batch-mean CE of the perturbed inputs against the true labels. Standard adversarial training
 * steps *up* the CE of y instead (Eq. 3).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TrainingMethod } from './method';
import type { Classifier } from '../models/classifier';
import { pgd } from '../attacks/pgd';
import { crossEntropy } from '../losses/crossEntropy';
import { Rng } from '../engine/seed';
import { headWeights, similarityMatrix, topSimilar } from '../metrics/classSimilarity';
import { assert } from '../engine/assert';
import { msgNeighbours } from '../messages';

/**
 * Options of {@link neighbourPerturbation}. The supplement gives none of k, steps and eta: the defaults are
 * the notebook's documented choice, not the paper's.
 */
export interface NeighbourPerturbationOptions {
  /** Similarity-rank threshold k: targets come from the top-k of M[y] (default 3). */
  k?: number;
  /** Perturbation steps (default 1). */
  steps?: number;
  /** Step size eta in pixel units (default 2/255). */
  eta?: number;
  /** Draw targets from the top-k excluding y itself (default false: the supplement's topk includes y). */
  excludeSelf?: boolean;
  /** Project onto the l-inf ball of this radius (default none: Algorithm 3 states no projection). */
  eps?: number;
  /**
   * The similarity matrix M. Default: computed from the model's head at the first batch and kept (Algorithm 3
   * takes M as an input); `'current'` recomputes it from the head at every batch.
   */
  similarity?: number[][] | 'current';
}

/** Row c: the k classes a target for class c is drawn from (the top-k of M[c], without c when `excludeSelf`). */
function topKRows(m: number[][], k: number, excludeSelf: boolean): number[][] {
  const c = m.length;
  assert(Number.isInteger(k) && k >= 1 && k <= c - (excludeSelf ? 1 : 0), () => msgNeighbours.k(k, c, excludeSelf));
  return m.map((_, y) => (excludeSelf ? topSimilar(m, y, c).filter((j) => j !== y).slice(0, k) : topSimilar(m, y, k)));
}

/** Targets p_i drawn uniformly from the top-k of M[y_i] (Algorithm 3, lines 5-7), in JavaScript. */
export function neighbourTargets(m: number[][], labels: ArrayLike<number>, k: number, seed: number, excludeSelf = false): Int32Array {
  const rows = topKRows(m, k, excludeSelf);
  const rng = new Rng(seed);
  return Int32Array.from({ length: labels.length }, (_, i) => rows[labels[i]][rng.int(k)]);
}

/**
 * The top-k table of {@link neighbourTargets} as an int32 tensor [C, k] (row c: the k classes drawn from for
 * class c), so that a training step draws its targets on the engine without reading its labels back.
 */
export function neighbourTable(m: number[][], k: number, excludeSelf = false): tf.Tensor2D {
  return tf.tensor2d(topKRows(m, k, excludeSelf).flat(), [m.length, k], 'int32');
}

/** Targets for labels `y` from a {@link neighbourTable}: column `pick[i]` of row `y[i]`, picks uniform and seeded. */
export function drawNeighbourTargets(table: tf.Tensor2D, y: tf.Tensor1D, seed: number): tf.Tensor1D {
  const k = table.shape[1];
  const rng = new Rng(seed);
  const picks = Int32Array.from({ length: y.shape[0] }, () => rng.int(k));
  return tf.tidy(() => {
    const rows = tf.gather(table, y.toInt()) as tf.Tensor2D;
    if (k === 1) return rows.reshape([-1]) as tf.Tensor1D;
    return rows.mul(tf.oneHot(tf.tensor1d(picks, 'int32'), k).toInt()).sum(1).toInt() as tf.Tensor1D;
  });
}

/**
 * The perturbed inputs of Eq. 5: `steps` targeted signed steps toward `targets`, clipped to [0, 1] (and to the
 * eps-ball when given).
 */
export function perturbTowards(model: Classifier, x: tf.Tensor, targets: tf.Tensor1D, opts: { steps: number; eta: number; eps?: number }): tf.Tensor {
  const eps = opts.eps ?? opts.steps * opts.eta; // a ball that never binds
  return pgd(model, x, targets, { norm: 'linf', eps, steps: opts.steps, stepSize: opts.eta, randomStart: false, targeted: true });
}

/**
 * The neighbour-perturbation training method (Algorithm 3).
 * @example train(model, data, { method: neighbourPerturbation({ k: 3, steps: 1, eta: 2 / 255 }) })
 */
export function neighbourPerturbation(opts: NeighbourPerturbationOptions = {}): TrainingMethod & { dispose(): void } {
  const { k = 3, steps = 1, eta = 2 / 255, excludeSelf = false, eps } = opts;
  // The top-k table is built once (from M as given, or the head at the first batch): the step reads nothing back.
  let table: tf.Tensor2D | undefined = Array.isArray(opts.similarity) ? neighbourTable(opts.similarity, k, excludeSelf) : undefined;
  return {
    name: `neighbour perturbation (k ${k}, ${steps} x ${eta.toFixed(4)})`,
    inner: (model, x, y, ctx) => {
      if (!table || opts.similarity === 'current') {
        table?.dispose();
        table = neighbourTable(similarityMatrix(headWeights(model)), k, excludeSelf);
      }
      const t = drawNeighbourTargets(table, y, ctx.seed);
      try {
        return perturbTowards(model, x, t, { steps, eta, eps });
      } finally {
        t.dispose();
      }
    },
    outer: (ctx) => crossEntropy(ctx.adv().logits, ctx.y).mean() as tf.Scalar,
    dispose: () => {
      table?.dispose();
      table = undefined;
    },
  } as TrainingMethod & { dispose(): void };
}
