/**
 * A convolution plus a per-channel bias as one op. Written as `conv2d(x, w).add(b)` the bias is a second pass
 * over the convolution's output (on aten 0.4 ms of a 1.2 ms first layer of a CIFAR small CNN, batch 128);
 * oneDNN adds it as it writes the output. Where the active backend registers {@link CONV2D_BIAS} (aten: the bias
 * goes into ATen's convolution, which gives the same values as the separate add) the op runs it; elsewhere the
 * two ops, unchanged. TF.js's `fused.conv2d` would do the same forward, but its gradient computes the filter's
 * gradient even when only the input's is wanted (every attack step); this op's gradient is one closure per
 * input, and the engine calls only those the tape needs. The gradient is Conv2D's own (whichever is
 * registered) plus the bias's sum of dy, so it stays differentiable to any order.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';

/** Kernel name of conv2d + bias: inputs x, filter, bias; Conv2D's attributes. */
export const CONV2D_BIAS = 'Conv2DBias';

/**
 * The gradient: Conv2D's for x and the filter, the sum of dy over all axes but the last for the bias
 * (registered with the engine's other gradients, lib/engine/gradients.ts; the kernels belong to backends).
 */
export const conv2DBiasGradient: tf.GradConfig = {
  kernelName: CONV2D_BIAS,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, saved, attrs) => {
    const conv = tf.getGradient('Conv2D');
    if (!conv) throw new Error(`${CONV2D_BIAS}: no gradient registered for Conv2D`);
    const g = conv.gradFunc(dy, saved, attrs) as Record<string, () => tf.Tensor>;
    const d = dy as tf.Tensor;
    return { x: g.x, filter: g.filter, bias: () => d.sum([0, 1, 2]) };
  },
};

/**
 * conv2d(x, filter, strides, pad) + bias (NHWC, dilation 1), one kernel where the backend has one.
 * @example const y = conv2dBias(x, w, b, 1, 'same'); // = tf.conv2d(x, w, 1, 'same').add(b)
 */
export function conv2dBias(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D, strides: number | [number, number], pad: 'same' | 'valid'): tf.Tensor4D {
  const outC = filter.shape[3];
  if (bias.rank !== 1 || bias.shape[0] !== outC)
    throw new Error(`conv2dBias: bias must have shape [${outC}] (the filter's output channels), got [${bias.shape}]`);
  const fused = tf.getKernel(CONV2D_BIAS, tf.getBackend()) && x.dtype === 'float32' && filter.dtype === 'float32' && bias.dtype === 'float32';
  if (!fused) return tf.tidy(() => tf.conv2d(x, filter, strides, pad).add(bias));
  const attrs = { strides, pad, dataFormat: 'NHWC', dilations: 1, dimRoundingMode: undefined };
  return tf.engine().runKernel(CONV2D_BIAS, { x, filter, bias } as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}
