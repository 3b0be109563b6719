/**
 * The PAG loss of Ganz, Kawar and Elad (ICML 2023), Eq. (1)-(2): cross-entropy plus lambda times the cosine
 * loss between the model's targeted input gradients and "ground-truth" perceptually aligned gradients. The
 * input gradients are taken on the tape, so the loss differentiates them again with respect to the weights
 * (double backprop).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../models/classifier';
import { crossEntropy } from './crossEntropy';
import { logSoftmax } from '../tensor/ops';
import { assert } from '../engine/assert';
import { msg } from '../messages';

/** Which scalar output the targeted input gradient differentiates. */
export type GradientOf = 'logit' | 'logSoftmax';

/** How the cosine terms of one image's targets are combined. */
export type PagReduction = 'sum' | 'mean';

/** Options of {@link pagLoss}. */
export interface PagLossOptions {
  /** lambda of Eq. (1) (default 0.4, Table 3's CIFAR-10 value for CM, NN and RIGD). */
  lambda?: number;
  /**
   * `'sum'` (the paper's Eq. 1): per image, the sum over its targets of (1 - cos), averaged over the batch.
   * `'mean'` (the authors' code): `meanScale` * (1 - the mean cosine over every (image, target) pair).
   * With all C = 10 targets per image and `meanScale` 10 the two agree. Default `'sum'`.
   */
  reduction?: PagReduction;
  /** Factor of the `'mean'` reduction (the code's 10; default 10). */
  meanScale?: number;
  /** epsilon of Eq. (2), the floor of ||v|| * ||u|| (default 1e-8, as torch's cosine similarity). */
  eps?: number;
  /**
   * Differentiate the logit f(x)_t (`'logit'`, the paper's notation) or log softmax_t (`'logSoftmax'`, the
   * code's -CE(f(x), t)). Default `'logSoftmax'`.
   */
  gradientOf?: GradientOf;
  /** Forward passes in training mode (batch-norm statistics of the batch, as the code's model.train()); default true. */
  training?: boolean;
}

/** Defaults of {@link pagLoss}. */
export const PAG_DEFAULTS: Required<PagLossOptions> = {
  lambda: 0.4,
  reduction: 'sum',
  meanScale: 10,
  eps: 1e-8,
  gradientOf: 'logSoftmax',
  training: true,
};

/**
 * Eq. (2) per row: 1 - v.u / max(||v||_2 ||u||_2, eps), shape [M].
 * @param v [M, ...] (flattened per row)
 * @param u same shape as `v`
 * @param eps floor of the norm product (default 1e-8)
 * @example cosineLoss(tf.tensor2d([[1, 0]]), tf.tensor2d([[0, 2]])) // [1]
 */
export function cosineLoss(v: tf.Tensor, u: tf.Tensor, eps = PAG_DEFAULTS.eps): tf.Tensor1D {
  assert(v.rank >= 2 && u.rank === v.rank && v.shape.every((d, i) => d === u.shape[i]), () => msg.shape('u', v.shape, u.shape));
  assert(eps > 0 && Number.isFinite(eps), () => msg.positive('eps', eps));
  return tf.tidy(() => {
    const m = v.shape[0];
    const a = v.reshape([m, -1]);
    const b = u.reshape([m, -1]);
    const dot = a.mul(b).sum(1);
    // sqrt(|a|^2 |b|^2) rather than |a| |b|: one square root, and no infinite derivative of sqrt at a zero row
    // of the target (the floor keeps the product's root away from 0).
    const den = tf.maximum(a.square().sum(1).mul(b.square().sum(1)), eps * eps).sqrt();
    return tf.sub(1, dot.div(den)) as tf.Tensor1D;
  });
}

/**
 * Targeted input gradients grad_x out(x)_t for every image and each of its targets, shape [N, k, ...input]:
 * one forward and backward pass over the batch repeated k times (row i*k + j holds image i with target
 * targets[i, j]). Called under a gradient tape (tf.variableGrads) the result stays differentiable in the
 * weights. With batch-norm in training mode the repeated batch has the original batch's statistics.
 * @param model classifier
 * @param x inputs [N, ...inputShape]
 * @param targets target classes [N, k] int32
 * @param opts `gradientOf` (default 'logSoftmax') and `training` (default true)
 */
export function targetedInputGradients(
  model: Classifier,
  x: tf.Tensor,
  targets: tf.Tensor2D,
  opts: { gradientOf?: GradientOf; training?: boolean } = {},
): tf.Tensor {
  const n = x.shape[0];
  assert(targets.rank === 2 && targets.shape[0] === n, () => msg.shape('targets', [n, null], targets.shape));
  const of = opts.gradientOf ?? PAG_DEFAULTS.gradientOf;
  const training = opts.training ?? PAG_DEFAULTS.training;
  return tf.tidy(() => {
    const k = targets.shape[1];
    const rest = x.shape.slice(1);
    const xr = x.expandDims(1).tile([1, k, ...rest.map(() => 1)]).reshape([n * k, ...rest]);
    const oh = tf.oneHot(targets.reshape([n * k]).toInt(), model.numClasses).toFloat();
    const g = tf.grad((v: tf.Tensor) => {
      const z = model.apply(v, { training }).logits;
      return (of === 'logit' ? z : logSoftmax(z)).mul(oh).sum();
    })(xr);
    return g.reshape([n, k, ...rest]);
  });
}

/**
 * The PAG term of Eq. (1) alone: lambda times the reduced cosine loss between the model's targeted input
 * gradients and the ground-truth gradients `g`.
 * @param model classifier
 * @param x inputs [N, ...]
 * @param targets target classes [N, k]
 * @param g ground-truth gradients [N, k, ...inputShape]
 * @param opts see {@link PagLossOptions}
 */
export function pagTerm(model: Classifier, x: tf.Tensor, targets: tf.Tensor2D, g: tf.Tensor, opts: PagLossOptions = {}): tf.Scalar {
  const o = { ...PAG_DEFAULTS, ...opts };
  assert(Number.isFinite(o.lambda) && o.lambda >= 0, () => msg.nonNegative('lambda', o.lambda));
  assert(o.reduction === 'sum' || o.reduction === 'mean', () => msg.oneOf('reduction', ['sum', 'mean'], o.reduction));
  const [n, k] = targets.shape;
  assert(g.rank === x.rank + 1 && g.shape[0] === n && g.shape[1] === k && x.shape.slice(1).every((d, i) => d === g.shape[i + 2]), () =>
    msg.shape('g', [n, k, ...x.shape.slice(1)], g.shape),
  );
  return tf.tidy(() => {
    const grads = targetedInputGradients(model, x, targets, o);
    const l = cosineLoss(grads.reshape([n * k, -1]), g.reshape([n * k, -1]), o.eps);
    const reduced = o.reduction === 'sum' ? l.sum().div(n) : l.mean().mul(o.meanScale);
    return reduced.mul(o.lambda) as tf.Scalar;
  });
}

/**
 * Eq. (1): mean cross-entropy of f(x) against y plus {@link pagTerm}.
 * @example
 * const { value, grads } = tf.variableGrads(() => pagLoss(model, x, y, targets, g, { lambda: 0.4 }));
 */
export function pagLoss(model: Classifier, x: tf.Tensor, y: tf.Tensor1D, targets: tf.Tensor2D, g: tf.Tensor, opts: PagLossOptions = {}): tf.Scalar {
  return tf.tidy(() => {
    const ce = crossEntropy(model.apply(x, { training: opts.training ?? PAG_DEFAULTS.training }).logits, y).mean();
    return ce.add(pagTerm(model, x, targets, g, opts)) as tf.Scalar;
  });
}
