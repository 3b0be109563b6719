/**
 * Training-mode batch normalisation as one op. Written with TF.js ops it is about fifteen kernels forward and
 * back (moments, centring, scaling, and their gradients), each a full pass over the activations; PyTorch runs
 * one fused kernel each way. Where the active backend registers {@link FUSED_BATCH_NORM} and
 * {@link FUSED_BATCH_NORM_GRAD} (aten: ATen's `native_batch_norm` and `native_batch_norm_backward`) this op runs
 * them; elsewhere it is the composite formula, unchanged.
 *
 * The fused gradient kernel has no gradient of its own. When a tape records the backward pass (the gradient
 * of a gradient, as in double backprop), the gradient is written with TF.js ops instead, so it stays
 * differentiable to any order.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';

/** Kernel name of the fused training-mode batch norm: x, gamma, beta to y, mean, invstd, unbiased variance. */
export const FUSED_BATCH_NORM = 'FusedBatchNormTraining';
/** Kernel name of its gradient: dy, x, gamma, mean, invstd to dx, dgamma, dbeta. */
export const FUSED_BATCH_NORM_GRAD = 'FusedBatchNormTrainingGrad';

/** What {@link batchNormTraining} returns. */
export interface BatchNormResult {
  /** The normalised, scaled and shifted input. */
  y: tf.Tensor;
  /** Per-channel batch mean, shape [C]. */
  mean: tf.Tensor1D;
  /** Per-channel unbiased batch variance (divided by n - 1, n at least 2), the one running averages use. */
  unbiasedVariance: tf.Tensor1D;
}

/** Values per channel: every axis but the last. */
const perChannel = (x: tf.Tensor): number => x.size / x.shape[x.shape.length - 1];

function composite(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): BatchNormResult {
  return tf.tidy(() => {
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const { mean, variance } = tf.moments(x, axes);
    const n = perChannel(x);
    const y = x.sub(mean).mul(tf.rsqrt(variance.add(epsilon)).mul(gamma)).add(beta);
    return { y, mean: mean as tf.Tensor1D, unbiasedVariance: variance.mul(n / Math.max(n - 1, 1)) as tf.Tensor1D };
  });
}

/** True where the fused kernel applies: the active backend has it, float32, image or matrix input, n > 1 per channel. */
function fused(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): boolean {
  return (
    tf.getKernel(FUSED_BATCH_NORM, tf.getBackend()) != null &&
    (x.rank === 4 || x.rank === 2) &&
    x.dtype === 'float32' && gamma.dtype === 'float32' && beta.dtype === 'float32' &&
    perChannel(x) > 1
  );
}

/**
 * Batch normalisation with batch statistics over all axes but the last (channels last), differentiable in x,
 * gamma and beta to any order. The mean and variance come back for running averages; no gradient flows through
 * them.
 */
export function batchNormTraining(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): BatchNormResult {
  const c = x.shape[x.shape.length - 1];
  if (gamma.shape[0] !== c || beta.shape[0] !== c)
    throw new Error(`batchNormTraining: gamma and beta must have shape [${c}] (x's last axis), got [${gamma.shape}] and [${beta.shape}]`);
  if (!fused(x, gamma, beta)) return composite(x, gamma, beta, epsilon);
  const [y, mean, invstd, unbiasedVariance] = tf.engine().runKernel(FUSED_BATCH_NORM, { x, gamma, beta }, { epsilon }) as tf.Tensor[];
  invstd.dispose();
  return { y, mean: mean as tf.Tensor1D, unbiasedVariance: unbiasedVariance as tf.Tensor1D };
}

/**
 * The gradient of y = (x - mean) * invstd * gamma + beta with batch statistics, in TF.js ops (so itself
 * differentiable): with xhat the normalised input and g = dy * gamma,
 * dx = invstd * (g - mean(g) - xhat * mean(g * xhat)), dgamma = sum(dy * xhat), dbeta = sum(dy).
 */
export function batchNormTrainingGrad(dy: tf.Tensor, x: tf.Tensor, gamma: tf.Tensor1D, epsilon: number): { dx: tf.Tensor; dgamma: tf.Tensor1D; dbeta: tf.Tensor1D } {
  return tf.tidy(() => {
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const { mean, variance } = tf.moments(x, axes);
    const invstd = tf.rsqrt(variance.add(epsilon));
    const xhat = x.sub(mean).mul(invstd);
    const g = dy.mul(gamma);
    const dx = g.sub(g.mean(axes)).sub(xhat.mul(g.mul(xhat).mean(axes))).mul(invstd);
    return { dx, dgamma: dy.mul(xhat).sum(axes) as tf.Tensor1D, dbeta: dy.sum(axes) as tf.Tensor1D };
  });
}

/** The fused kernel's gradient (registered with the engine's other gradients; the kernels belong to backends). */
export const fusedBatchNormGradient: tf.GradConfig = {
  kernelName: FUSED_BATCH_NORM,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [false, true, true, false],
  gradFunc: (dys, saved, attrs) => {
    const [x, gamma, mean, invstd] = saved;
    const epsilon = (attrs as unknown as { epsilon: number }).epsilon;
    const dy = (dys as (tf.Tensor | null)[])[0] ?? tf.zerosLike(x);
    // Computed here rather than in the closures: the engine runs each closure in its own tidy, and the
    // three results come from one kernel call.
    let dx: tf.Tensor, dgamma: tf.Tensor, dbeta: tf.Tensor;
    if (tf.engine().isTapeOn()) {
      ({ dx, dgamma, dbeta } = batchNormTrainingGrad(dy, x, gamma as tf.Tensor1D, epsilon));
    } else {
      [dx, dgamma, dbeta] = tf.engine().runKernel(FUSED_BATCH_NORM_GRAD, { dy, x, gamma, mean, invstd }, { epsilon }) as tf.Tensor[];
    }
    return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
  },
};
