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

/** Targets p_i drawn uniformly from the top-k of M[y_i] (Algorithm 3, lines 5-7). */
export function neighbourTargets(m: number[][], labels: ArrayLike<number>, k: number, seed: number, excludeSelf = false): Int32Array {
  const c = m.length;
  assert(Number.isInteger(k) && k >= 1 && k <= c - (excludeSelf ? 1 : 0), () => msgNeighbours.k(k, c, excludeSelf));
  const rng = new Rng(seed);
  const out = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    const top = excludeSelf ? topSimilar(m, y, c).filter((j) => j !== y).slice(0, k) : topSimilar(m, y, k);
    out[i] = top[rng.int(k)];
  }
  return out;
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
export function neighbourPerturbation(opts: NeighbourPerturbationOptions = {}): TrainingMethod {
  const { k = 3, steps = 1, eta = 2 / 255, excludeSelf = false, eps } = opts;
  let m: number[][] | undefined = Array.isArray(opts.similarity) ? opts.similarity : undefined;
  return {
    name: `neighbour perturbation (k ${k}, ${steps} x ${eta.toFixed(4)})`,
    inner: (model, x, y, ctx) => {
      if (!m || opts.similarity === 'current') m = similarityMatrix(headWeights(model));
      const t = tf.tensor1d(neighbourTargets(m, y.dataSync(), k, ctx.seed, excludeSelf), 'int32');
      try {
        return perturbTowards(model, x, t, { steps, eta, eps });
      } finally {
        t.dispose();
      }
    },
    outer: (ctx) => crossEntropy(ctx.adv().logits, ctx.y).mean() as tf.Scalar,
  };
}
