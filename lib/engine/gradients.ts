/**
 * Gradients TF.js lacks, so that double backprop (the gradient of an input gradient) runs through pooling:
 * MaxPoolGrad and AvgPoolGrad are linear in dy, and their own gradients are pooling operations again.
 * Registered for every backend when the engine loads.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';

type PoolAttrs = { filterSize: number | [number, number]; strides: number | [number, number]; pad: 'valid' | 'same' | number };
const pair = (v: number | [number, number]): [number, number] => (Array.isArray(v) ? v : [v, v]);

/** d/d(dy) of AvgPoolGrad(dy) applied to g is avgPool(g) with the same window. */
const avgPoolGradGrad: tf.GradConfig = {
  kernelName: 'AvgPoolGrad',
  inputsToSave: ['input'],
  gradFunc: (g, saved, attrs) => {
    const [input] = saved;
    const a = attrs as unknown as PoolAttrs;
    const gg = g as tf.Tensor4D;
    return {
      dy: () => tf.avgPool(gg, a.filterSize, a.strides, a.pad as 'valid'),
      input: () => tf.zerosLike(input),
    };
  },
};

/**
 * d/d(dy) of MaxPoolGrad(dy) applied to g picks g at each window's arg-max. With non-overlapping windows that
 * is a sum-pool of g masked where the input equals the (upsampled) pooled output.
 */
const maxPoolGradGrad: tf.GradConfig = {
  kernelName: 'MaxPoolGrad',
  inputsToSave: ['input', 'output'],
  gradFunc: (g, saved, attrs) => {
    const [input, output] = saved as tf.Tensor4D[];
    const a = attrs as unknown as PoolAttrs;
    const [fh, fw] = pair(a.filterSize);
    const [sh, sw] = pair(a.strides);
    const [n, oh, ow, c] = output.shape;
    const [, h, w] = input.shape;
    const fits = fh === sh && fw === sw && (a.pad === 'valid' || (h % sh === 0 && w % sw === 0));
    if (!fits) throw new Error(`MaxPoolGrad gradient (robustlab): supported for non-overlapping windows (filterSize == strides); got filterSize ${a.filterSize}, strides ${a.strides}, pad ${a.pad}`);
    return {
      dy: () =>
        tf.tidy(() => {
          const x = input.slice([0, 0, 0, 0], [n, oh * fh, ow * fw, c]);
          const up = output.reshape([n, oh, 1, ow, 1, c]).tile([1, 1, fh, 1, fw, 1]).reshape([n, oh * fh, ow * fw, c]);
          const gx = (g as tf.Tensor4D).slice([0, 0, 0, 0], [n, oh * fh, ow * fw, c]);
          const masked = gx.mul(x.equal(up).toFloat());
          return masked.reshape([n, oh, fh, ow, fw, c]).sum([2, 4]);
        }),
      input: () => tf.zerosLike(input),
      output: () => tf.zerosLike(output),
    };
  },
};

let done = false;

/** Registers the gradients above once. */
export function registerExtraGradients(): void {
  if (done) return;
  done = true;
  for (const cfg of [avgPoolGradGrad, maxPoolGradGrad]) {
    if (!tf.getGradient(cfg.kernelName)) tf.registerGradient(cfg);
  }
}
