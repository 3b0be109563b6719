/**
 * Seeds. One seed makes a run repeat exactly on the same backend: every random draw in the library takes
 * its seed from a {@link Rng} or an explicit `seed` option, never from `Math.random`.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { msg } from '../messages';

/** A small deterministic PRNG (mulberry32) with helpers for derived seeds. */
export class Rng {
  private s: number;
  /** @param seed any integer; equal seeds give equal streams. NaN or Infinity is refused (it would act as 0). */
  constructor(seed: number) {
    if (typeof seed !== 'number' || !Number.isFinite(seed)) throw new Error(msg.finiteNumber('seed', seed));
    this.s = (Math.floor(seed) ^ 0x9e3779b9) >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  /** A fresh integer seed for a sub-stream (a tf.random op, a child Rng). */
  seed(): number {
    return Math.floor(this.next() * 2147483647);
  }
  /** A Fisher-Yates permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}

// seed.ts sits below lib/tensor/validate.ts in the import graph, so it checks shapes itself.
function checkShape(shape: number[]): void {
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw new Error(msg.shapeDims('shape', undefined, shape));
}

/** Uniform noise in [lo, hi) of the given shape, drawn in JS from `seed` so that every backend sees the same values. */
export function uniform(shape: number[], lo: number, hi: number, seed: number): tf.Tensor {
  const r = new Rng(seed);
  checkShape(shape);
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = lo + (hi - lo) * r.next();
  return tf.tensor(v, shape, 'float32');
}

/** Gaussian noise N(0, std^2) of the given shape, drawn in JS from `seed` (same values on every backend). */
export function normal(shape: number[], std: number, seed: number): tf.Tensor {
  const r = new Rng(seed);
  checkShape(shape);
  if (!(Number.isFinite(std) && std >= 0)) throw new Error(msg.nonNegative('std', std));
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = std * r.normal();
  return tf.tensor(v, shape, 'float32');
}
