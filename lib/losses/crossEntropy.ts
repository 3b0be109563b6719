/**
 * Softmax cross-entropy and KL divergence, per example, built from log-softmax (lib/tensor/ops' version, whose
 * second derivative is right) so that they stay differentiable twice.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { logSoftmax } from '../tensor/ops';
import { checkLogitsLabels, checkSameShape } from '../tensor/validate';
import type { ExampleLoss, Loss, LossContext } from './types';

/**
 * Per-example softmax cross-entropy `-log softmax(logits)[y]`, shape [N].
 * @param logits [N, K]
 * @param labels int labels [N]
 * @example crossEntropy(tf.tensor2d([[0, 0]]), tf.tensor1d([1], 'int32')) // [log 2]
 */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  checkLogitsLabels(logits, labels);
  return tf.tidy(() => {
    const k = logits.shape[1];
    const oh = tf.oneHot(labels.toInt(), k).toFloat();
    return logSoftmax(logits).mul(oh).sum(1).neg() as tf.Tensor1D;
  });
}

/**
 * Per-example KL(p || q) with p = softmax(pLogits), q = softmax(qLogits), shape [N]. TRADES' regulariser
 * with p the natural and q the adversarial prediction.
 */
export function klDivergence(pLogits: tf.Tensor2D, qLogits: tf.Tensor2D): tf.Tensor1D {
  checkSameShape(pLogits, qLogits, 'pLogits', 'qLogits');
  return tf.tidy(() => {
    const lp = logSoftmax(pLogits);
    const lq = logSoftmax(qLogits);
    return lp.exp().mul(lp.sub(lq)).sum(1) as tf.Tensor1D;
  });
}

/** Cross-entropy of the context's logits against its labels, per example. */
export const ce: ExampleLoss = (ctx: LossContext) => crossEntropy(ctx.logits, ctx.y);

/** Turns a per-example loss into a training loss by the batch mean. */
export function mean(loss: ExampleLoss): Loss {
  return (ctx) => tf.tidy(() => loss(ctx).mean() as tf.Scalar);
}
