/**
 * Datasets as plain records of typed arrays (NHWC images in [0, 1], int labels), with helpers to make tensors,
 * split by class and subsample.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../engine/seed';
import { msg } from '../messages';

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
  /**
   * The form the data was read from, for provenance in tables and results JSON: CIFAR-10's `binary`,
   * `pickle` or `jpeg-copy` (see `CIFAR10_SOURCE_LABELS`); absent where the loader does not say.
   */
  source?: string;
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

/**
 * The dataset (or the examples at `idx`) as tensors {x: [n, h, w, c], y: [n] int32}; the caller disposes them.
 * @example const { x, y } = toTensors(ds); ...; x.dispose(); y.dispose();
 */
export function toTensors(ds: Dataset, idx?: ArrayLike<number>): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const part = idx ? subset(ds, idx) : ds;
  return { x: tf.tensor4d(part.x, part.shape), y: tf.tensor1d(part.y, 'int32') };
}

/**
 * Mini-batches as tensors, in order or in a seeded shuffled order; the last batch may be smaller. Each
 * batch is made when it is asked for (so memory holds one batch), and the caller disposes it.
 * @param size batch size (integer >= 1).
 * @param opts.shuffle shuffle the order (default false); `opts.seed` picks the order (default 0).
 * @example for (const { x, y } of batches(train, 128, { shuffle: true, seed: epoch })) { ...; x.dispose(); y.dispose(); }
 */
export function* batches(ds: Dataset, size: number, opts: { shuffle?: boolean; seed?: number } = {}): Generator<{ x: tf.Tensor4D; y: tf.Tensor1D }> {
  if (!(Number.isInteger(size) && size >= 1)) throw new Error(msg.positiveInt('size', size));
  const n = ds.shape[0];
  const order = opts.shuffle ? new Rng(opts.seed ?? 0).permutation(n) : Int32Array.from({ length: n }, (_, i) => i);
  for (let s = 0; s < n; s += size) yield toTensors(ds, order.subarray(s, Math.min(n, s + size)));
}

/** Indices of the examples of each class, in order. */
export function classIndices(ds: Pick<Dataset, 'y' | 'numClasses'>): number[][] {
  const out: number[][] = Array.from({ length: ds.numClasses }, () => []);
  for (let i = 0; i < ds.y.length; i++) out[ds.y[i]].push(i);
  return out;
}

/**
 * The binary subproblem of classes `a` (label 0) and `b` (label 1), optionally class-balanced by
 * subsampling both classes to the smaller count (or to `perClass`), seeded.
 * @example const d = binaryPair(mnist, 3, 8, { balance: true, seed: 0 });
 */
export function binaryPair(ds: Dataset, a: number, b: number, opts: { balance?: boolean; perClass?: number; seed?: number } = {}): Dataset {
  for (const [arg, v] of [['a', a], ['b', b]] as const)
    if (!(Number.isInteger(v) && v >= 0 && v < ds.numClasses)) throw new Error(msg.labels(arg, ds.numClasses, v, v));
  if (a === b) throw new Error(`binaryPair: a and b must differ, got ${a} twice`);
  const byClass = classIndices(ds);
  const rng = new Rng(opts.seed ?? 0);
  let ia = byClass[a];
  let ib = byClass[b];
  if (opts.balance || opts.perClass !== undefined) {
    const m = Math.min(ia.length, ib.length, opts.perClass ?? Infinity);
    const pick = (idx: number[]) => Array.from(rng.permutation(idx.length).subarray(0, m), (p) => idx[p]);
    ia = pick(ia);
    ib = pick(ib);
  }
  const idx = [...ia, ...ib].sort((p, q) => p - q);
  const out = subset(ds, idx, `${ds.name}-${ds.classNames[a] ?? a}-vs-${ds.classNames[b] ?? b}`);
  out.y = Int32Array.from(out.y, (k) => (k === a ? 0 : 1));
  return { ...out, numClasses: 2, classNames: [ds.classNames[a] ?? String(a), ds.classNames[b] ?? String(b)] };
}

/**
 * All class pairs (a < b) of a dataset: 45 for 10 classes, in the order (0,1), (0,2), ..., (8,9).
 * @example for (const { a, b, data } of binaryPairs(ds, { balance: true })) ...
 */
export function* binaryPairs(ds: Dataset, opts: { balance?: boolean; perClass?: number; seed?: number } = {}): Generator<{ a: number; b: number; data: Dataset }> {
  for (let a = 0; a < ds.numClasses; a++)
    for (let b = a + 1; b < ds.numClasses; b++) yield { a, b, data: binaryPair(ds, a, b, { ...opts, seed: (opts.seed ?? 0) * 1000 + a * 10 + b }) };
}
