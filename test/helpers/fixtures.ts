/** Small deterministic datasets and models for tests. */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../lib/engine/seed';

/**
 * Two-class 8x8x1 images: class 0 is brighter on the left half, class 1 on the right, plus noise, in [0, 1].
 * Easy to learn, not trivially robust.
 */
export function halves(n: number, seed = 0, contrast = 0.3): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const r = new Rng(seed);
  const x = new Float32Array(n * 64);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 2;
    for (let h = 0; h < 8; h++)
      for (let w = 0; w < 8; w++) {
        const left = w < 4;
        const base = 0.5 + ((left ? 1 : -1) * (y[i] === 0 ? 1 : -1) * contrast) / 2;
        x[i * 64 + h * 8 + w] = Math.min(1, Math.max(0, base + 0.15 * r.normal()));
      }
  }
  return { x: tf.tensor4d(x, [n, 8, 8, 1]), y: tf.tensor1d(y, 'int32') };
}

/**
 * Four-class 8x8x1 images: class c is brighter in quadrant c (top-left, top-right, bottom-left,
 * bottom-right), plus noise, in [0, 1]. DLR and APGD-T need more than two classes.
 */
export function quadrants(n: number, seed = 0, contrast = 0.3): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const r = new Rng(seed);
  const x = new Float32Array(n * 64);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 4;
    for (let h = 0; h < 8; h++)
      for (let w = 0; w < 8; w++) {
        const q = (h < 4 ? 0 : 2) + (w < 4 ? 0 : 1);
        const base = 0.5 + (q === y[i] ? contrast : -contrast / 3) / 2;
        x[i * 64 + h * 8 + w] = Math.min(1, Math.max(0, base + 0.15 * r.normal()));
      }
  }
  return { x: tf.tensor4d(x, [n, 8, 8, 1]), y: tf.tensor1d(y, 'int32') };
}

/** Vectors in [0.3, 0.7]^d with labels from a fixed linear rule over `classes` classes. */
export function boxVectors(n: number, d: number, classes: number, seed = 0): { x: tf.Tensor2D; y: tf.Tensor1D } {
  const r = new Rng(seed);
  const x = new Float32Array(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) x[i * d + j] = 0.3 + 0.4 * r.next();
    y[i] = i % classes;
  }
  return { x: tf.tensor2d(x, [n, d]), y: tf.tensor1d(y, 'int32') };
}
