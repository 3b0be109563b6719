/**
 * Two-dimensional toy problems of the papers, as plain point sets, deterministic from a seed.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../engine/seed';
import { checkNonNegativeInt } from '../tensor/validate';

/** A labelled set of points in R^d (row-major `x`, n x d). */
export interface PointSet {
  /** Name for tables. */
  name: string;
  /** Coordinates, row-major n x d. */
  x: Float32Array;
  /** Labels in [0, numClasses). */
  y: Int32Array;
  /** Number of points. */
  n: number;
  /** Dimension. */
  dim: number;
  /** Number of classes. */
  numClasses: number;
}

/** The points as tensors {x: [n, d], y: [n] int32}; the caller disposes them. */
export function pointsToTensors(p: PointSet): { x: tf.Tensor2D; y: tf.Tensor1D } {
  return { x: tf.tensor2d(p.x, [p.n, p.dim]), y: tf.tensor1d(p.y, 'int32') };
}

/** Mode centres of the PAG toy: class 0 and class 1 (Ganz et al., appendix C.1). */
export const PAG_TOY_MODES = [
  [-50, -10, 30],
  [-30, 10, 50],
] as const;

/**
 * The PAG paper's toy set (appendix C.1): two classes of three modes each on the line x2 = 2 x1, with
 * x1 ~ N(c, 1) for the mode centre c; `perMode` points per mode (default 1000, so 6000 points), ordered
 * class 0 modes then class 1 modes.
 * @example const toy = pagToy({ seed: 0 });
 */
export function pagToy(opts: { perMode?: number; seed?: number } = {}): PointSet {
  const perMode = opts.perMode ?? 1000;
  checkNonNegativeInt(perMode, 'perMode');
  const rng = new Rng(opts.seed ?? 0);
  const n = 6 * perMode;
  const x = new Float32Array(2 * n);
  const y = new Int32Array(n);
  let i = 0;
  for (let k = 0; k < 2; k++)
    for (const c of PAG_TOY_MODES[k])
      for (let j = 0; j < perMode; j++, i++) {
        const x1 = c + rng.normal();
        x[2 * i] = x1;
        x[2 * i + 1] = 2 * x1;
        y[i] = k;
      }
  return { name: 'pag-toy', x, y, n, dim: 2, numClasses: 2 };
}

/**
 * The 2-D toy of the 1NN paper's Figure 2: Gaussian blobs centred at (+-4, +-4) with covariance 2I, XOR
 * labels (1 where exactly one coordinate of the centre is negative), and a `flip` fraction of the labels
 * flipped (round(flip * n) points chosen at random). Defaults: 40 points (10 per blob), flip 0.1.
 * @example const toy = xorBlobs({ seed: 0 });
 */
export function xorBlobs(opts: { n?: number; flip?: number; seed?: number } = {}): PointSet {
  const n = opts.n ?? 40;
  checkNonNegativeInt(n, 'n');
  const rng = new Rng(opts.seed ?? 0);
  const x = new Float32Array(2 * n);
  const y = new Int32Array(n);
  const sd = Math.SQRT2;
  for (let i = 0; i < n; i++) {
    const sx = i % 2 === 0 ? 1 : -1;
    const sy = i % 4 < 2 ? 1 : -1;
    x[2 * i] = 4 * sx + sd * rng.normal();
    x[2 * i + 1] = 4 * sy + sd * rng.normal();
    y[i] = sx * sy < 0 ? 1 : 0;
  }
  const nFlip = Math.round((opts.flip ?? 0.1) * n);
  const perm = rng.permutation(n);
  for (let j = 0; j < nFlip; j++) y[perm[j]] = 1 - y[perm[j]];
  return { name: 'xor-blobs', x, y, n, dim: 2, numClasses: 2 };
}
