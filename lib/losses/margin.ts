/**
 * Margin losses of the attack literature: the Carlini-Wagner margin and AutoAttack's difference of logits
 * ratio (DLR), per example, from logits.
 * @module
 */
import { checkLogitsLabels } from '../tensor/validate';
import * as tf from '@tensorflow/tfjs-core';
import type { ExampleLoss, LossContext } from './types';

/** Logit of the label and the largest other logit, [N] each. */
function trueAndBestOther(logits: tf.Tensor2D, labels: tf.Tensor1D): [tf.Tensor1D, tf.Tensor1D] {
  const k = logits.shape[1];
  const oh = tf.oneHot(labels.toInt(), k).toFloat();
  const zy = logits.mul(oh).sum(1) as tf.Tensor1D;
  // Push the label's logit far below every other so that max runs over i != y only.
  const other = logits.sub(oh.mul(1e9)).max(1) as tf.Tensor1D;
  return [zy, other];
}

/**
 * The r-th largest logit per example (r = 0 is the max), [N]. TopK has no gradient in TF.js and the tape
 * rejects it even behind a stop-gradient, so its indices come from a detached copy of the logits and pick
 * the logit through a one-hot mask, which is differentiable (the sort itself is piecewise constant).
 */
function ranked(logits: tf.Tensor2D, r: number): tf.Tensor1D {
  const k = logits.shape[1];
  const idx = tf.topk(tf.tensor2d(logits.dataSync(), logits.shape), r + 1).indices.slice([0, r], [-1, 1]).squeeze([1]);
  return logits.mul(tf.oneHot(idx.toInt(), k).toFloat()).sum(1) as tf.Tensor1D;
}

/**
 * Per-example logit margin `Z_y - max_{i != y} Z_i` (Carlini & Wagner, 2017, eq. for f_6 without the
 * clamp), shape [N]. Positive means correctly classified; the black-box attacks (ZOO, SPSA, NES) minimise it.
 * @param logits [N, K]
 * @param labels int labels [N]
 * @example margin(tf.tensor2d([[2, 0, 1]]), tf.tensor1d([0], 'int32')) // [1]
 */
export function margin(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  checkLogitsLabels(logits, labels);
  return tf.tidy(() => {
    const [zy, other] = trueAndBestOther(logits, labels);
    return zy.sub(other) as tf.Tensor1D;
  });
}

/**
 * C&W margin loss to be maximised: `min(max_{i != y} Z_i - Z_y, kappa)` (Carlini & Wagner, 2017, f_6; the
 * C&W-inf attack of Madry et al. is PGD with this loss). Default `kappa = Infinity` (no clamp), so
 * `pgd(model, x, y, { loss: cwLoss })` is the C&W l-inf attack.
 * @example const xAdv = pgd(model, x, y, { loss: cwLoss, steps: 30 });
 */
export const cwLoss: ExampleLoss = (ctx: LossContext) => tf.tidy(() => margin(ctx.logits, ctx.y).neg() as tf.Tensor1D);

/**
 * C&W margin loss clamped at confidence `kappa` (Carlini & Wagner, 2017, f_6 with kappa): the loss stops
 * growing once the best wrong logit leads by `kappa`, so the attack spends no effort beyond it.
 * @param kappa confidence, >= 0 (the paper's default 0; Madry's CW attack uses 50)
 * @example pgd(model, x, y, { loss: cwLossKappa(50) })
 */
export function cwLossKappa(kappa: number): ExampleLoss {
  return (ctx) => tf.tidy(() => margin(ctx.logits, ctx.y).neg().minimum(kappa) as tf.Tensor1D);
}

/**
 * Difference of logits ratio, to be maximised (Croce & Hein, 2020, eq. 6):
 * `-(z_y - max_{i != y} z_i) / (z_pi1 - z_pi3 + 1e-12)` with `z_pi` the logits sorted in decreasing order.
 * Shift and scale invariant in the logits, which defeats attacks on logit scaling. Needs >= 3 classes.
 * @example const xAdv = pgd(model, x, y, { loss: dlrLoss });
 */
export const dlrLoss: ExampleLoss = (ctx: LossContext) =>
  tf.tidy(() => {
    const k = ctx.logits.shape[1];
    const [zy, other] = trueAndBestOther(ctx.logits, ctx.y);
    return zy.sub(other).neg().div(ranked(ctx.logits, 0).sub(ranked(ctx.logits, Math.min(2, k - 1))).add(1e-12)) as tf.Tensor1D;
  });

/**
 * Targeted DLR towards `targets`, to be maximised (Croce & Hein, 2020, eq. 7):
 * `-(z_y - z_t) / (z_pi1 - (z_pi3 + z_pi4) / 2 + 1e-12)`. Needs >= 4 classes. The context's `y` is the true label.
 * @param targets int target classes [N]
 * @example pgd(model, x, y, { loss: dlrTargetedLoss(t) })
 */
export function dlrTargetedLoss(targets: tf.Tensor1D): ExampleLoss {
  return (ctx) =>
    tf.tidy(() => {
      const k = ctx.logits.shape[1];
      const zy = ctx.logits.mul(tf.oneHot(ctx.y.toInt(), k).toFloat()).sum(1);
      const zt = ctx.logits.mul(tf.oneHot(targets.toInt(), k).toFloat()).sum(1);
      const at = (i: number) => ranked(ctx.logits, Math.min(i, k - 1));
      return zy.sub(zt).neg().div(at(0).sub(at(2).add(at(3)).div(2)).add(1e-12)) as tf.Tensor1D;
    });
}
