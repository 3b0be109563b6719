/**
 * Gradients that make double backprop (the gradient of an input gradient) right in TF.js 4.22:
 *
 * - Pooling: TF.js has no gradient for MaxPoolGrad and AvgPoolGrad. They are linear in dy, and their own
 *   gradients are pooling operations again.
 * - Comparisons (zero almost everywhere), which the gradients of max and min use for their masks.
 * - Gradients written with a kernel's saved output (exp, sigmoid, tanh, pow, softmax, log-softmax): the
 *   engine saves a clone of the output, and records that clone on the tape before the kernel that made the
 *   output, so the tape never connects the clone to the kernel's inputs. First-order gradients are right, but
 *   a gradient of such a gradient silently misses every term through the output (log-softmax's is most of
 *   cross-entropy's curvature). Here, when a tape records the backward pass, these gradients recompute the
 *   output from the saved inputs (which are connected) and hand it to TF.js's own formula; otherwise they
 *   use the saved output as before, at no extra cost.
 *
 * And gradients that take fewer passes over the data, for every backend: ReLU's through one fused kernel where
 * the backend has it, Mean's and Sum's as a broadcast.
 *
 * Registered for every backend when the engine loads.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { fusedBatchNormGradient } from './batchNorm';
import { conv2DBiasGradient } from './convBias';

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

/**
 * Comparisons are piecewise constant, so their gradient is zero; TF.js registers none, and the gradient of a
 * max or min (an arg-max mask built with Equal) cannot be differentiated again without one.
 */
const COMPARISONS = ['Equal', 'NotEqual', 'Greater', 'GreaterEqual', 'Less', 'LessEqual'];
const zeroGradient = (kernelName: string): tf.GradConfig => ({
  kernelName,
  inputsToSave: ['a', 'b'],
  gradFunc: (_dy, saved) => {
    const [a, b] = saved;
    return { a: () => tf.zerosLike(a), b: () => tf.zerosLike(b) };
  },
});

/** Kernels whose TF.js gradient reads the saved output, with the inputs that recompute it. */
export const SAVED_OUTPUT_KERNELS: Readonly<Record<string, readonly string[]>> = {
  Exp: ['x'], Sigmoid: ['x'], Tanh: ['x'], Pow: ['a', 'b'], Softmax: ['logits'], LogSoftmax: ['logits'],
};

/** Wraps the registered gradient of `kernelName` so that a recording tape sees outputs recomputed from inputs. */
function relinkSavedOutputs(kernelName: string, inputNames: readonly string[]): void {
  const prior = tf.getGradient(kernelName);
  if (!prior) return;
  const priorInputs = prior.inputsToSave ?? [];
  const inputsToSave = [...priorInputs, ...inputNames.filter((n) => !priorInputs.includes(n))];
  const outputMask = prior.outputsToSave ?? [];
  tf.registerGradient({
    kernelName,
    inputsToSave,
    outputsToSave: outputMask,
    gradFunc: (dy, saved, attrs) => {
      const ins = saved.slice(0, inputsToSave.length);
      let outs = saved.slice(inputsToSave.length);
      if (tf.engine().isTapeOn()) {
        const named = Object.fromEntries(inputNames.map((n) => [n, ins[inputsToSave.indexOf(n)]]));
        const fresh = tf.engine().runKernel(kernelName, named, attrs);
        outs = (Array.isArray(fresh) ? fresh : [fresh]).filter((_, i) => outputMask[i]);
      }
      return prior.gradFunc(dy, [...ins.slice(0, priorInputs.length), ...outs], attrs);
    },
  });
}

/**
 * Kernel name of the fused ReLU gradient dy * step(x), which TF.js runs as Step, Cast and Multiply (three
 * passes over every activation). Backends with a fast path register a kernel under this name (aten, wasm).
 */
export const FUSED_RELU_GRAD = 'FusedReluGrad';

/** dy * step(x): the fused kernel where the active backend has one (float32, equal shapes), TF.js's formula elsewhere. */
export function reluGrad(dy: tf.Tensor, x: tf.Tensor): tf.Tensor {
  if (dy.dtype === 'float32' && x.dtype === 'float32' && tf.util.arraysEqual(dy.shape, x.shape) && tf.getKernel(FUSED_RELU_GRAD, tf.getBackend()))
    return tf.engine().runKernel(FUSED_RELU_GRAD, { dy, x } as unknown as tf.NamedTensorMap) as tf.Tensor;
  return tf.mul(dy, tf.cast(tf.step(x), 'float32'));
}

/** ReLU's gradient through {@link reluGrad}: the same values as TF.js's (NaN where x is NaN). */
const reluGradient: tf.GradConfig = {
  kernelName: 'Relu',
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved;
    return { x: () => reluGrad(dy as tf.Tensor, x) };
  },
};

/** The fused kernel is linear in dy: its gradient there is itself, in x zero (as for TF.js's formula). */
const fusedReluGradGradient: tf.GradConfig = {
  kernelName: FUSED_RELU_GRAD,
  inputsToSave: ['x'],
  gradFunc: (g, saved) => {
    const [x] = saved;
    return { dy: () => reluGrad(g as tf.Tensor, x), x: () => tf.zerosLike(x) };
  },
};

/**
 * Mean's and Sum's gradients as a broadcast of dy (/ n): TF.js multiplies dy by `ones(x.shape)`, an array of x's
 * size filled in JavaScript and copied into the backend (batch norm takes two means per layer), and Mean then
 * divides at full size. The broadcast is a view on aten and a SIMD block copy on wasm; its gradient is a sum.
 */
const broadcastReductionGradient = (kernelName: 'Mean' | 'Sum'): tf.GradConfig => ({
  kernelName,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    const axes = tf.util.parseAxisParam((attrs as unknown as { axis: number | number[] }).axis, x.shape);
    const expanded = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const n = axes.reduce((p, a) => p * x.shape[a], 1);
    return {
      x: () => {
        const d = tf.reshape(dy as tf.Tensor, expanded);
        return tf.broadcastTo(kernelName === 'Mean' && n !== 1 ? tf.div(d, n) : d, x.shape);
      },
    };
  },
});

let done = false;

/** Registers the gradients above once. */
export function registerExtraGradients(): void {
  if (done) return;
  done = true;
  for (const cfg of [avgPoolGradGrad, maxPoolGradGrad, ...COMPARISONS.map(zeroGradient)]) {
    if (!tf.getGradient(cfg.kernelName)) tf.registerGradient(cfg);
  }
  for (const [name, inputs] of Object.entries(SAVED_OUTPUT_KERNELS)) relinkSavedOutputs(name, inputs);
  for (const cfg of [reluGradient, fusedReluGradGradient, broadcastReductionGradient('Mean'), broadcastReductionGradient('Sum'), fusedBatchNormGradient, conv2DBiasGradient]) tf.registerGradient(cfg);
}
