/**
 * Input checks shared by models, attacks, losses and metrics. Each names the argument, the expectation and
 * what was seen. They read two numbers back from the backend, so they run once per call, not per step.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { msg } from '../messages';
import { assert } from '../engine/assert';
import type { Bounds } from '../types';

/** Checks `bounds` = [lo, hi] with finite lo < hi. */
export function checkBounds(bounds: unknown, arg = 'bounds'): asserts bounds is Bounds {
  const ok = Array.isArray(bounds) && bounds.length === 2 && bounds.every((b) => typeof b === 'number' && Number.isFinite(b)) && bounds[0] < bounds[1];
  assert(ok, () => msg.bounds(arg, bounds));
}

/** Checks that `t` is a tf.Tensor (not an array or a disposed tensor). */
export function checkTensor(t: unknown, arg: string): asserts t is tf.Tensor {
  assert(t instanceof tf.Tensor, () => msg.notATensor(arg, t));
  assert(!t.isDisposed, () => msg.disposedTensor(arg));
}

/**
 * Checks that `x` is a float32 batch of inputs of shape [N, ...inputShape] with N >= 1, finite and inside
 * `bounds` (itself checked to be [lo, hi] with finite lo < hi).
 */
export function checkInputs(x: tf.Tensor, inputShape: readonly number[], bounds: Bounds | null, arg = 'x'): void {
  if (bounds) checkBounds(bounds);
  checkTensor(x, arg);
  assert(x.dtype === 'float32', () => msg.dtype(arg, 'float32', x.dtype));
  const expected = [null, ...inputShape];
  assert(x.rank === expected.length, () => msg.rank(arg, `rank ${expected.length} [batch, ${inputShape.join(', ')}]`, x.shape));
  assert(
    x.shape.slice(1).every((d, i) => d === inputShape[i]),
    () => msg.shape(arg, expected, x.shape),
  );
  assert(x.shape[0] > 0, () => msg.shape(arg, expected, x.shape));
  const [lo, hi] = tf.tidy(() => [tf.min(x), tf.max(x)]).map((t) => {
    const v = t.dataSync()[0];
    t.dispose();
    return v;
  });
  assert(Number.isFinite(lo) && Number.isFinite(hi), () => msg.notFinite(arg));
  if (bounds) assert(lo >= bounds[0] && hi <= bounds[1], () => msg.range(arg, bounds[0], bounds[1], lo, hi));
}

/**
 * Checks that `y` is a rank-1 integer label vector of length `n` with values in [0, numClasses).
 * `xArg` names the inputs `n` comes from in the batch-size message (default `x`).
 */
export function checkLabels(y: tf.Tensor, n: number, numClasses: number, arg = 'y', xArg = 'x'): void {
  checkTensor(y, arg);
  assert(y.rank === 1, () => msg.rank(arg, 'a rank-1 label vector [batch]', y.shape));
  assert(y.shape[0] === n, () => msg.batchMismatch(xArg, n, arg, y.shape[0]));
  const v = y.dataSync();
  let lo = Infinity;
  let hi = -Infinity;
  let integral = true;
  for (let i = 0; i < v.length; i++) {
    lo = Math.min(lo, v[i]);
    hi = Math.max(hi, v[i]);
    if (!Number.isInteger(v[i])) integral = false;
  }
  assert(integral && lo >= 0 && hi < numClasses, () => msg.labels(arg, numClasses, lo, hi));
}

/** Checks a finite non-negative number. */
export function checkNonNegative(v: number, arg: string): void {
  assert(typeof v === 'number' && Number.isFinite(v) && v >= 0, () => msg.nonNegative(arg, v));
}

/** Checks a finite positive number. */
export function checkPositive(v: number, arg: string): void {
  assert(typeof v === 'number' && Number.isFinite(v) && v > 0, () => msg.positive(arg, v));
}

/** Checks an integer >= 1. */
export function checkPositiveInt(v: number, arg: string): void {
  assert(Number.isInteger(v) && v >= 1, () => msg.positiveInt(arg, v));
}

/** Checks an integer >= 0. */
export function checkNonNegativeInt(v: number, arg: string): void {
  assert(Number.isInteger(v) && v >= 0, () => msg.nonNegativeInt(arg, v));
}

/** Checks that `v` is one of `options`. */
export function checkOneOf<T>(v: T, options: readonly T[], arg: string): void {
  assert(options.includes(v), () => msg.oneOf(arg, options, v));
}

/**
 * The entry of `table` named by the user string `key`, looked up among its own keys only (so `'toString'`
 * or `'constructor'` never reach the prototype); throws naming `arg` and the known names otherwise.
 * @param known names listed in the message (default the table's keys)
 */
export function lookup<T>(table: Readonly<Record<string, T>> | ReadonlyMap<string, T>, key: unknown, arg: string, known?: readonly string[]): T {
  const names = known ?? (table instanceof Map ? [...table.keys()] : Object.keys(table));
  if (typeof key === 'string') {
    if (table instanceof Map) {
      if (table.has(key)) return table.get(key) as T;
    } else if (Object.hasOwn(table, key)) return (table as Record<string, T>)[key];
  }
  throw new Error(msg.oneOf(arg, names, key));
}

/** Checks a finite number (any sign), e.g. a seed. */
export function checkFinite(v: number, arg: string): void {
  assert(typeof v === 'number' && Number.isFinite(v), () => msg.finiteNumber(arg, v));
}

/** Checks that every value of a flat pixel array is finite and inside `[lo, hi]`. */
export function checkPixels(x: ArrayLike<number>, lo: number, hi: number, arg: string): void {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (!Number.isFinite(v)) throw new Error(msg.notFiniteAt(arg, i, v));
    if (v < min) min = v;
    if (v > max) max = v;
  }
  assert(min >= lo && max <= hi, () => msg.range(arg, lo, hi, min, max));
}

/** The norms of a threat model. */
export const NORMS = ['l1', 'l2', 'linf'] as const;

/**
 * Shape-only check of a batch of inputs (no values read back, so it is cheap enough for every forward pass):
 * a float32 tf.Tensor of rank 1 + inputShape.length with N >= 1. For images ([h, w, c]) only the channels
 * must match, since convolutional bodies with global pooling take any height and width; other inputs must
 * match exactly.
 */
export function checkInputShape(x: tf.Tensor, inputShape: readonly number[], arg = 'x'): void {
  checkTensor(x, arg);
  assert(x.dtype === 'float32', () => msg.dtype(arg, 'float32', x.dtype));
  const image = inputShape.length === 3;
  const expected = image ? [null, null, null, inputShape[2]] : [null, ...inputShape];
  assert(x.rank === expected.length, () => msg.rank(arg, `rank ${expected.length} [batch, ${inputShape.join(', ')}]`, x.shape));
  assert(x.shape[0] > 0 && x.shape.every((d, i) => expected[i] === null || d === expected[i]), () => msg.shape(arg, expected, x.shape));
}

/** Shape-only check of a loss's arguments: logits [N, K] and a label tensor [N]. */
export function checkLogitsLabels(logits: tf.Tensor, labels: tf.Tensor, logitsArg = 'logits', labelsArg = 'labels'): void {
  checkTensor(logits, logitsArg);
  checkTensor(labels, labelsArg);
  assert(logits.rank === 2, () => msg.rank(logitsArg, 'rank 2 [batch, classes]', logits.shape));
  assert(labels.rank === 1, () => msg.rank(labelsArg, 'a rank-1 label vector [batch]', labels.shape));
  assert(labels.shape[0] === logits.shape[0], () => msg.batchMismatch(logitsArg, logits.shape[0], labelsArg, labels.shape[0]));
}

/** Checks that `b` is a tf.Tensor of the same shape as `a` (e.g. adversarial inputs against clean ones). */
export function checkSameShape(a: tf.Tensor, b: tf.Tensor, aArg: string, bArg: string): void {
  checkTensor(a, aArg);
  checkTensor(b, bArg);
  assert(a.shape.join() === b.shape.join(), () => msg.shape(bArg, a.shape, b.shape));
}

/** Checks example indices: integers in [0, n). */
export function checkIndices(idx: ArrayLike<number>, n: number, arg = 'idx'): void {
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i];
    if (!(Number.isInteger(v) && v >= 0 && v < n)) throw new Error(msg.indexRange(arg, i, v, n));
  }
}

/** Checks a shape: `rank` (when given) positive integer dimensions. */
export function checkShapeDims(shape: readonly number[], arg: string, rank?: number): void {
  const ok = Array.isArray(shape) && (rank === undefined || shape.length === rank) && shape.length > 0 && shape.every((d) => Number.isInteger(d) && d >= 1);
  assert(ok, () => msg.shapeDims(arg, rank, shape));
}
