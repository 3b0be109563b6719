/**
 * Gradients the `aten` backend runs with fewer passes over the data. Gradient registrations are global, so
 * each override hands every other backend to the gradient registered before it (TF.js's, or another
 * backend's override), and each stays differentiable (double backprop).
 *
 * - ReLU: TF.js's gradient is dy * step(x), a Step kernel, a Cast and a Multiply, three passes over every
 *   activation. On aten it is one kernel, `AtenReluGrad(dy, x)`, with the same values (NaN where x is NaN,
 *   dy * 0 elsewhere below zero); its gradient in dy is AtenReluGrad again, in x zero, as for TF.js's formula.
 * - Mean and Sum: TF.js multiplies dy by `ones(x.shape)`, an array of x's size filled in JavaScript and copied
 *   into the addon (batch norm takes two means per layer), and Mean then divides at full size. Here dy (/ n) is
 *   broadcast with BroadcastTo, which aten runs as a view (no copy); its gradient is a sum.
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

/** dy reshaped to x's rank (reduced axes kept as 1) and broadcast to x's shape, divided by n first if n > 1. */
function spread(dy: tf.Tensor, x: tf.Tensor, axis: unknown, mean: boolean): tf.Tensor {
  const axes = tf.util.parseAxisParam(axis as number | number[], x.shape);
  const expanded = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const n = axes.reduce((p, a) => p * x.shape[a], 1);
  return tf.tidy(() => {
    const d = tf.reshape(dy, expanded);
    return tf.broadcastTo(mean && n !== 1 ? tf.div(d, n) : d, x.shape);
  });
}

let done = false;

/** Registers the ReLU, Mean and Sum gradient overrides and the fused kernel's own gradient, once. */
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
  for (const [kernelName, mean] of [['Mean', true], ['Sum', false]] as const) {
    const prior = tf.getGradient(kernelName);
    tf.registerGradient({
      kernelName,
      inputsToSave: ['x'],
      gradFunc: (dy, saved, attrs) => {
        const [x] = saved;
        const d = dy as tf.Tensor;
        if ((tf.getBackend() !== 'aten' || d.dtype !== 'float32') && prior) return prior.gradFunc(dy, saved, attrs);
        return { x: () => spread(d, x, (attrs as unknown as { axis: unknown }).axis, mean) };
      },
    });
  }
  tf.registerGradient({
    kernelName: ATEN_RELU_GRAD,
    inputsToSave: ['x'],
    gradFunc: (g, saved) => {
      const [x] = saved;
      return { dy: () => reluGrad(g as tf.Tensor, x), x: () => tf.zerosLike(x) };
    },
  });
}
