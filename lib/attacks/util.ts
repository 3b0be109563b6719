/**
 * Helpers shared by the attacks: per-example loss with its input gradient in one pass,
 * the logits' Jacobian, margins and predictions read back, and rows of batches (restarts that run on the
 * still-robust examples only).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../models/classifier';
import type { ExampleLoss } from '../losses/types';
import { margin } from '../losses/margin';

/** Per-example loss [N], its gradient w.r.t. the input, and the predicted classes [N], from one forward-backward pass. */
export interface LossGrad {
  loss: tf.Tensor1D;
  grad: tf.Tensor;
  pred: tf.Tensor1D;
}

/**
 * One forward and one backward pass. The per-example loss and predictions are kept out of the gradient's
 * tidy scope so that the attack need not run a second forward pass to read them. The caller disposes all three.
 */
export function lossAndGrad(model: Classifier, loss: ExampleLoss, xa: tf.Tensor, y: tf.Tensor1D): LossGrad {
  let perEx: tf.Tensor1D | undefined;
  let pred: tf.Tensor1D | undefined;
  const g = tf.grad((v: tf.Tensor) => {
    const f = model.apply(v, { training: false });
    const l = loss({ model, x: v, y, logits: f.logits, features: f.features });
    perEx = tf.keep(l.clone());
    pred = tf.keep(f.logits.argMax(1) as tf.Tensor1D);
    return l.sum();
  })(xa);
  return { loss: perEx as tf.Tensor1D, grad: g, pred: pred as tf.Tensor1D };
}

/**
 * The logits [N, K] and their input gradients per class, [N, K, d] with d the flattened input size: K backward
 * passes (the Jacobian rows, as DeepFool and FAB need); the first pass also hands out the logits. Eval mode.
 * The caller disposes both.
 */
export function logitJacobian(model: Classifier, x: tf.Tensor): { logits: tf.Tensor2D; jacobian: tf.Tensor3D } {
  const n = x.shape[0];
  let logits: tf.Tensor2D | undefined;
  const jacobian = tf.tidy(() => {
    const rowsK = Array.from({ length: model.numClasses }, (_, k) =>
      tf.grad((v: tf.Tensor) => {
        const z = model.apply(v, { training: false }).logits;
        if (k === 0) logits = tf.keep(z.clone());
        return z.slice([0, k], [-1, 1]).sum();
      })(x).reshape([n, -1]),
    );
    return tf.stack(rowsK, 1) as tf.Tensor3D;
  });
  return { logits: logits as tf.Tensor2D, jacobian };
}

/** Margins `Z_y - max_{i != y} Z_i` of `model` on `x` against `y` (eval mode), read back. */
export function marginsSync(model: Classifier, x: tf.Tensor, y: tf.Tensor1D): Float32Array {
  const m = tf.tidy(() => margin(model.apply(x, { training: false }).logits, y));
  const v = Float32Array.from(m.dataSync());
  m.dispose();
  return v;
}

/** Rows `idx` of a flat row-major array with rows of `d` values, as a new array. */
export function takeFlatRows(src: Float32Array, idx: readonly number[], d: number): Float32Array {
  const out = new Float32Array(idx.length * d);
  idx.forEach((g, k) => out.set(src.subarray(g * d, (g + 1) * d), k * d));
  return out;
}

/**
 * Rows of `a` except where `take[i]` gives a row index into `b`: `out[i] = take[i] < 0 ? a[i] : b[take[i]]`.
 * Returns a new tensor; inputs are not disposed.
 */
export function mergeRows(a: tf.Tensor, b: tf.Tensor, take: ArrayLike<number>): tf.Tensor {
  return tf.tidy(() => {
    const n = a.shape[0];
    const idx = Array.from({ length: n }, (_, i) => (take[i] < 0 ? i : n + take[i]));
    return tf.gather(tf.concat([a, b], 0), tf.tensor1d(idx, 'int32'));
  });
}

/** Gathers the rows `idx` of `t`. */
export function rows(t: tf.Tensor, idx: readonly number[]): tf.Tensor {
  return tf.tidy(() => tf.gather(t, tf.tensor1d(idx as number[], 'int32')));
}

/** Per-example predictions of `model` on `x` (eval mode), read back. */
export function predictSync(model: Classifier, x: tf.Tensor): Int32Array {
  const p = tf.tidy(() => model.apply(x, { training: false }).logits.argMax(1));
  const v = p.dataSync() as Int32Array;
  p.dispose();
  return Int32Array.from(v);
}
