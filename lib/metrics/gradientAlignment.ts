/**
 * Measuring perceptually aligned gradients (Ganz et al., ICML 2023). The paper gauges PAG by looking at
 * large-eps targeted examples (Fig. 1, 4, 5); {@link gradientAlignment} adds a number: the mean cosine between
 * the model's targeted input gradients and a source's ground-truth gradients on held-out images.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../models/classifier';
import type { GradientSource } from '../training/pagSources';
import { cosineLoss, targetedInputGradients, type GradientOf } from '../losses/pag';
import { drawTargets } from '../training/pag';
import { pgd } from '../attacks/pgd';
import { checkInputs, checkPositiveInt } from '../tensor/validate';
import { assert } from '../engine/assert';
import { msg } from '../messages';
import { Rng } from '../engine/seed';

/** Options of {@link gradientAlignment}. */
export interface GradientAlignmentOptions {
  /** Targets per image: 'all' classes (default) or k drawn per image with `seed`. */
  targetsPerImage?: 'all' | number;
  /** Seed of the target draw (default 0). */
  seed?: number;
  /** Images per batch (default 64). */
  batchSize?: number;
  /** Differentiated output (default 'logSoftmax', as the PAG loss). */
  gradientOf?: GradientOf;
}

/** Result of {@link gradientAlignment}. */
export interface GradientAlignmentRecord {
  /** Mean cosine over images and their targets. */
  mean: number;
  /** Standard deviation of the per-image mean cosines. */
  sd: number;
  /** Images measured. */
  n: number;
  /** Per-image mean cosine over its targets (for paired tests between models on the same images). */
  perImage: number[];
}

/**
 * Mean cos(grad_x out(x)_t, g(x, t)) over the images x and their targets t, batch-norm in eval mode: 1 means
 * the model's gradients point where the source's do, 0 unrelated.
 * @param model classifier
 * @param x held-out images [N, ...] in [0, 1]
 * @param source ground-truth gradients (e.g. the class mean, or a robust teacher through `rigd`)
 * @param opts see {@link GradientAlignmentOptions}
 * @example const { mean } = gradientAlignment(model, xTest, classMean(train));
 */
export function gradientAlignment(model: Classifier, x: tf.Tensor, source: GradientSource, opts: GradientAlignmentOptions = {}): GradientAlignmentRecord {
  checkInputs(x, model.inputShape, [0, 1], 'x');
  const batchSize = opts.batchSize ?? 64;
  checkPositiveInt(batchSize, 'batchSize');
  const n = x.shape[0];
  const perImage: number[] = [];
  for (let s = 0; s < n; s += batchSize) {
    const m = Math.min(batchSize, n - s);
    const t = drawTargets(m, model.numClasses, opts.targetsPerImage ?? 'all', (opts.seed ?? 0) * 7919 + s);
    const k = t.length / m;
    const cos = tf.tidy(() => {
      const xb = x.slice(s, m);
      const targets = tf.tensor2d(t, [m, k], 'int32');
      const grads = targetedInputGradients(model, xb, targets, { gradientOf: opts.gradientOf, training: false });
      const g = source.gradients(xb, targets);
      return tf.sub(1, cosineLoss(grads.reshape([m * k, -1]), g.reshape([m * k, -1]))).reshape([m, k]).mean(1);
    });
    perImage.push(...cos.dataSync());
    cos.dispose();
  }
  const mean = perImage.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(perImage.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, n - 1));
  return { mean, sd, n, perImage };
}

/** Options of {@link targetedExamples}. */
export interface TargetedExamplesOptions {
  /** l2 radius (default 10: far beyond the 0.5 threat model, so that the image may change class visibly). */
  eps?: number;
  /** PGD steps (default 60). */
  steps?: number;
  /** Step size (default 2.5 * eps / steps). */
  stepSize?: number;
  /** Target classes (default every class of the model). */
  classes?: number[];
}

/**
 * Large-eps targeted l2 PGD toward each class (the paper's Fig. 1, 4, 5): row i, column j of the result is
 * image i pushed to maximise the probability of classes[j], within an l2 ball of radius eps and [0, 1].
 * A model with PAG yields class features; a vanilla model yields noise.
 * @param model classifier
 * @param x images [N, ...] in [0, 1]
 * @param opts see {@link TargetedExamplesOptions}
 * @returns [N, classes.length, ...inputShape]
 * @example const grid = targetedExamples(model, xTest.slice(0, 4), { eps: 10 });
 */
export function targetedExamples(model: Classifier, x: tf.Tensor, opts: TargetedExamplesOptions = {}): tf.Tensor {
  checkInputs(x, model.inputShape, [0, 1], 'x');
  const eps = opts.eps ?? 10;
  const steps = opts.steps ?? 60;
  assert(Number.isFinite(eps) && eps > 0, () => msg.positive('eps', eps));
  checkPositiveInt(steps, 'steps');
  const classes = opts.classes ?? Array.from({ length: model.numClasses }, (_, i) => i);
  const n = x.shape[0];
  const k = classes.length;
  const rest = x.shape.slice(1);
  const xr = tf.tidy(() => x.expandDims(1).tile([1, k, ...rest.map(() => 1)]).reshape([n * k, ...rest]));
  const y = tf.tensor1d(Array.from({ length: n * k }, (_, r) => classes[r % k]), 'int32');
  try {
    const adv = pgd(model, xr, y, { norm: 'l2', eps, steps, stepSize: opts.stepSize ?? (2.5 * eps) / steps, targeted: true, randomStart: false, earlyStop: false });
    const out = adv.reshape([n, k, ...rest]);
    adv.dispose();
    return out;
  } finally {
    tf.dispose([xr, y]);
  }
}

/** Result of {@link rankCorrelation}. */
export interface RankCorrelationRecord {
  /** Spearman's rho (Pearson correlation of the mid-ranks). */
  rho: number;
  /** Two-sided permutation p-value of rho (exact over all orders up to 8 points, else `permutations` draws). */
  p: number;
  /** Points. */
  n: number;
}

function midRanks(v: readonly number[]): number[] {
  const order = v.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(v.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let k = i; k <= j; k++) r[order[k][1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

function pearson(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  const ma = a.reduce((s, x) => s + x, 0) / n;
  const mb = b.reduce((s, x) => s + x, 0) / n;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < n; i++) {
    num += (a[i] - ma) * (b[i] - mb);
    da += (a[i] - ma) ** 2;
    db += (b[i] - mb) ** 2;
  }
  return da > 0 && db > 0 ? num / Math.sqrt(da * db) : 0;
}

/**
 * Spearman's rank correlation of paired values (gradient alignment against robust accuracy over models) with
 * a two-sided permutation test: the share of orders of `b` whose |rho| reaches the observed one.
 * @param a first values
 * @param b second values, same length (at least 3)
 * @param opts permutations above 8 points (default 20000) and their seed (default 0)
 * @example rankCorrelation([0.1, 0.3, 0.2], [5, 9, 7]) // { rho: 1, ... }
 */
export function rankCorrelation(a: readonly number[], b: readonly number[], opts: { permutations?: number; seed?: number } = {}): RankCorrelationRecord {
  assert(a.length === b.length, () => msg.pairedLength('rankCorrelation', a.length, b.length));
  assert(a.length >= 3, () => msg.tooFewSeeds('rankCorrelation', 3, a.length));
  const ra = midRanks(a);
  const rb = midRanks(b);
  const rho = pearson(ra, rb);
  const n = a.length;
  const tol = 1e-12;
  let hits = 0;
  let total = 0;
  if (n <= 8) {
    const perm = rb.slice();
    const visit = (k: number): void => {
      if (k === n) {
        total++;
        if (Math.abs(pearson(ra, perm)) >= Math.abs(rho) - tol) hits++;
        return;
      }
      for (let i = k; i < n; i++) {
        [perm[k], perm[i]] = [perm[i], perm[k]];
        visit(k + 1);
        [perm[k], perm[i]] = [perm[i], perm[k]];
      }
    };
    visit(0);
  } else {
    const rng = new Rng(opts.seed ?? 0);
    total = opts.permutations ?? 20000;
    for (let t = 0; t < total; t++) {
      const p = rng.permutation(n);
      if (Math.abs(pearson(ra, Array.from(p, (i) => rb[i]))) >= Math.abs(rho) - tol) hits++;
    }
    // The observed order counts as one of the permutations (a p-value is never 0).
    hits++;
    total++;
  }
  return { rho, p: hits / total, n };
}
