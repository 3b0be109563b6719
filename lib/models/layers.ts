/**
 * Functional layers over {@link ParamStore} variables. Each layer is a closure `(x, training) => y` so
 * that models compose plainly and every op stays differentiable twice (double backprop).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchNormTraining } from '../engine/batchNorm';
import { conv2dBias } from '../engine/convBias';
import type { ParamStore } from './params';

/** A layer: input and training flag to output. */
export type Layer = (x: tf.Tensor, training: boolean) => tf.Tensor;

/** 2-D convolution, NHWC, no bias (batch-norm follows) unless `bias` is set. */
export function conv2d(p: ParamStore, name: string, inC: number, outC: number, k: number, opts: { stride?: number; padding?: 'same' | 'valid'; bias?: boolean } = {}): Layer {
  const w = p.heNormal(`${name}.w`, [k, k, inC, outC], k * k * inC);
  const b = opts.bias ? p.fanInUniform(`${name}.b`, [outC], k * k * inC) : undefined;
  const stride = opts.stride ?? 1;
  const padding = opts.padding ?? 'same';
  return (x) => (b ? conv2dBias(x as tf.Tensor4D, w as tf.Tensor4D, b as tf.Tensor1D, stride, padding) : tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, padding));
}

/** Fully connected layer with bias. */
export function dense(p: ParamStore, name: string, inF: number, outF: number, opts: { bias?: boolean } = {}): Layer {
  const w = p.fanInUniform(`${name}.w`, [inF, outF], inF);
  const b = opts.bias === false ? undefined : p.fanInUniform(`${name}.b`, [outF], inF);
  return (x) => {
    const y = tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D);
    return b ? y.add(b) : y;
  };
}

/**
 * Batch normalisation over all axes but the last (PyTorch semantics: momentum 0.1, eps 1e-5, unbiased
 * running variance). Training mode uses batch statistics and updates the running averages.
 */
export function batchNorm(p: ParamStore, name: string, channels: number, opts: { momentum?: number; epsilon?: number } = {}): Layer {
  const gamma = p.constant(`${name}.gamma`, [channels], 1);
  const beta = p.constant(`${name}.beta`, [channels], 0);
  const runMean = p.constant(`${name}.runningMean`, [channels], 0, false);
  const runVar = p.constant(`${name}.runningVar`, [channels], 1, false);
  const momentum = opts.momentum ?? 0.1;
  const epsilon = opts.epsilon ?? 1e-5;
  return (x, training) => {
    if (!training) {
      // PyTorch's inference form x * a + b, a = gamma / sqrt(var + eps), b = beta - mean * a: per-channel
      // vectors, then two passes over x instead of three ((x - mean) * a + beta).
      const a = tf.rsqrt(runVar.add(epsilon)).mul(gamma);
      return x.mul(a).add(beta.sub(runMean.mul(a)));
    }
    const { y, mean, unbiasedVariance } = batchNormTraining(x, gamma as tf.Tensor1D, beta as tf.Tensor1D, epsilon);
    // Running statistics are bookkeeping: they never reach the output, so no gradient flows into them.
    tf.tidy(() => {
      runMean.assign(runMean.mul(1 - momentum).add(mean.mul(momentum)));
      runVar.assign(runVar.mul(1 - momentum).add(unbiasedVariance.mul(momentum)));
    });
    tf.dispose([mean, unbiasedVariance]);
    return y;
  };
}

/** ReLU. */
export const relu: Layer = (x) => tf.relu(x);

/** Max pooling, NHWC. */
export function maxPool(size: number, stride = size): Layer {
  return (x) => tf.maxPool(x as tf.Tensor4D, size, stride, 'valid');
}

/** Global average pooling over H and W: [N, H, W, C] -> [N, C]. */
export const globalAvgPool: Layer = (x) => x.mean([1, 2]);

/** Flattens all axes but the first. */
export const flatten: Layer = (x) => x.reshape([x.shape[0], -1]);

/** Runs layers in order. */
export function sequence(...layers: Layer[]): Layer {
  return (x, training) => layers.reduce((h, l) => l(h, training), x);
}
