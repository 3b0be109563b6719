/**
 * PAG training (Ganz et al., ICML 2023, Eq. 1) as a {@link TrainingMethod} on the shared trainer: clean inputs
 * only, cross-entropy plus lambda times the cosine loss between the model's targeted input gradients and a
 * {@link GradientSource}'s ground-truth gradients.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TrainingMethod } from './method';
import type { GradientSource } from './pagSources';
import { pagLoss, type PagLossOptions } from '../losses/pag';
import { Rng } from '../engine/seed';
import { assert } from '../engine/assert';
import { msg } from '../messages';

/** Options of {@link pag}. */
export interface PagOptions extends PagLossOptions {
  /**
   * Targets per image: `'all'` (every class, the paper's sum over y_t = 1..C; default) or k < C classes drawn
   * per image without replacement, uniformly from all classes (the authors' code draws its targets from all
   * classes, the true one included; k = 1 is C times cheaper).
   */
  targetsPerImage?: 'all' | number;
}

/**
 * Target classes [n][k] for a batch: every class, or k distinct classes per image drawn with `seed`.
 * @param n images
 * @param classes C
 * @param perImage 'all' or k in [1, C]
 * @param seed seed of the draw
 */
export function drawTargets(n: number, classes: number, perImage: 'all' | number, seed: number): Int32Array {
  const k = perImage === 'all' ? classes : perImage;
  assert(Number.isInteger(k) && k >= 1 && k <= classes, () => msg.pagTargetsPerImage(k, classes));
  const out = new Int32Array(n * k);
  const rng = new Rng(seed);
  for (let i = 0; i < n; i++) {
    if (k === classes) for (let j = 0; j < k; j++) out[i * k + j] = j;
    else {
      const p = rng.permutation(classes);
      for (let j = 0; j < k; j++) out[i * k + j] = p[j];
    }
  }
  return out;
}

/**
 * The PAG training method. Its inner step (outside the gradient tape) draws the batch's targets and asks the
 * source for g(x, t); the trainer hands g to the outer loss as `xAdv` (no adversarial input exists here: PAG
 * never trains on perturbed images) and disposes it after the step.
 * @param source ground-truth gradients (the caller keeps and disposes it)
 * @param opts lambda (default 0.4), reduction ('sum', Eq. 1), eps of Eq. 2 (1e-8), targetsPerImage ('all')
 * @example train(model, data, { method: pag(classMean(data), { lambda: 0.4 }), optimizer: { lr: 0.01, weightDecay: 1e-4 } })
 */
export function pag(source: GradientSource, opts: PagOptions = {}): TrainingMethod {
  const { targetsPerImage = 'all', ...loss } = opts;
  // Targets of the batch whose g the inner step computed; plain numbers, so nothing to dispose.
  let batch: { n: number; k: number; targets: Int32Array } | undefined;
  return {
    name: `PAG-${source.name}`,
    inner: (model, x, _y, ctx) => {
      const n = x.shape[0];
      const targets = drawTargets(n, model.numClasses, targetsPerImage, ctx.seed);
      const k = targets.length / n;
      batch = { n, k, targets };
      return tf.tidy(() => source.gradients(x, tf.tensor2d(targets, [n, k], 'int32')));
    },
    outer: (ctx) => {
      assert(batch && ctx.xAdv && batch.n === ctx.x.shape[0], () => msg.pagNoTargets());
      const { n, k, targets } = batch;
      return tf.tidy(() => pagLoss(ctx.model, ctx.x, ctx.y, tf.tensor2d(targets, [n, k], 'int32'), ctx.xAdv!, loss));
    },
  };
}
