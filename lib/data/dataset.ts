/**
 * Datasets as plain records of typed arrays (NHWC images in [0, 1], int labels), with helpers to make tensors,
 * split by class and subsample.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../engine/seed';

/** A labelled image set in memory. */
export interface Dataset {
  /** Name for tables. */
  name: string;
  /** Pixels, NHWC, in [0, 1]. */
  x: Float32Array;
  /** Labels in [0, numClasses). */
  y: Int32Array;
  /** [n, h, w, c]. */
  shape: [number, number, number, number];
  /** Number of classes. */
  numClasses: number;
  /** Class names. */
  classNames: string[];
}

/** The examples at `idx`, as a new dataset. */
export function subset(ds: Dataset, idx: ArrayLike<number>, name = ds.name): Dataset {
  const [, h, w, c] = ds.shape;
  const d = h * w * c;
  const x = new Float32Array(idx.length * d);
  const y = new Int32Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    x.set(ds.x.subarray(idx[i] * d, idx[i] * d + d), i * d);
    y[i] = ds.y[idx[i]];
  }
  return { ...ds, name, x, y, shape: [idx.length, h, w, c] };
}

/**
 * Deterministic class-stratified split: per class, a seeded shuffle, the first `trainFraction` to train.
 * @example const { train, test } = stratifiedSplit(mnistTest, 0.8, 0);
 */
export function stratifiedSplit(ds: Dataset, trainFraction: number, seed = 0): { train: Dataset; test: Dataset } {
  if (!(trainFraction > 0 && trainFraction < 1)) throw new Error(`trainFraction: must be in (0, 1), got ${trainFraction}`);
  const rng = new Rng(seed);
  const train: number[] = [];
  const test: number[] = [];
  for (let k = 0; k < ds.numClasses; k++) {
    const idx = Array.from(ds.y.keys()).filter((i) => ds.y[i] === k);
    const perm = rng.permutation(idx.length);
    const nTrain = Math.round(idx.length * trainFraction);
    perm.forEach((p, j) => (j < nTrain ? train : test).push(idx[p]));
  }
  train.sort((a, b) => a - b);
  test.sort((a, b) => a - b);
  return { train: subset(ds, train, `${ds.name}-train`), test: subset(ds, test, `${ds.name}-test`) };
}

/** A class-balanced subsample of `perClass` examples per class (seeded). */
export function balancedSubset(ds: Dataset, perClass: number, seed = 0): Dataset {
  const rng = new Rng(seed);
  const picked: number[] = [];
  for (let k = 0; k < ds.numClasses; k++) {
    const idx = Array.from(ds.y.keys()).filter((i) => ds.y[i] === k);
    const perm = rng.permutation(idx.length);
    for (let j = 0; j < Math.min(perClass, idx.length); j++) picked.push(idx[perm[j]]);
  }
  picked.sort((a, b) => a - b);
  return subset(ds, picked);
}

/** The dataset as tensors {x: [n, h, w, c], y: [n] int32} for `train` and the metrics. */
export function toTensors(ds: Dataset): { x: tf.Tensor4D; y: tf.Tensor1D } {
  return { x: tf.tensor4d(ds.x, ds.shape), y: tf.tensor1d(ds.y, 'int32') };
}
