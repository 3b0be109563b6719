/**
 * Gradients the `aten` backend runs as fused native kernels. TF.js's ReLU gradient is dy * step(x): a Step
 * kernel, a Cast and a Multiply, three passes over every activation of a network. On aten it is one kernel,
 * `AtenReluGrad(dy, x)`, with the same values (NaN where x is NaN, dy * 0 elsewhere below zero). Gradient
 * registrations are global, so the override keeps TF.js's own formula on every other backend; AtenReluGrad is
 * itself differentiable (double backprop: its gradient in dy is AtenReluGrad again, in x zero, as for TF.js's
 * formula).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';

/** Kernel name of the fused ReLU gradient (registered for the aten backend only). */
export const ATEN_RELU_GRAD = 'AtenReluGrad';

/** dy * step(x): the fused kernel on aten for float32 data, TF.js's formula elsewhere. */
export function reluGrad(dy: tf.Tensor, x: tf.Tensor): tf.Tensor {
  if (tf.getBackend() === 'aten' && dy.dtype === 'float32' && x.dtype === 'float32' && tf.util.arraysEqual(dy.shape, x.shape))
    return tf.engine().runKernel(ATEN_RELU_GRAD, { dy, x } as unknown as tf.NamedTensorMap) as tf.Tensor;
  return tf.mul(dy, tf.cast(tf.step(x), 'float32'));
}

let done = false;

/** Registers the ReLU gradient override and the fused kernel's own gradient, once. */
export function registerAtenGradients(): void {
  if (done) return;
  done = true;
  const base = tf.getGradient('Relu');
  tf.registerGradient({
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      if (tf.getBackend() !== 'aten' && base) return base.gradFunc(dy, saved, attrs);
      const [x] = saved;
      return { x: () => reluGrad(dy as tf.Tensor, x) };
    },
  });
  tf.registerGradient({
    kernelName: ATEN_RELU_GRAD,
    inputsToSave: ['x'],
    gradFunc: (g, saved) => {
      const [x] = saved;
      return { dy: () => reluGrad(g as tf.Tensor, x), x: () => tf.zerosLike(x) };
    },
  });
}
