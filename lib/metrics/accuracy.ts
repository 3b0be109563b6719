/**
 * Clean and robust accuracy, batched, with 95% Wilson intervals.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { msg } from '../messages';
import type { Classifier } from '../models/classifier';
import type { Attack } from '../attacks/types';
import { checkInputs, checkLabels, checkPositiveInt, checkSameShape } from '../tensor/validate';
import type { ProgressSink } from '../training/progress';

/** An accuracy with its 95% interval. */
export interface AccuracyRecord {
  /** Fraction correct in [0, 1]. */
  accuracy: number;
  /** Examples counted. */
  n: number;
  /** 95% Wilson score interval [lo, hi]. */
  ci95: [number, number];
}

/** Wilson score interval for `k` successes out of `n` at 95%. */
export function wilson(k: number, n: number, z = 1.959964): [number, number] {
  if (!(Number.isInteger(k) && Number.isInteger(n) && k >= 0 && k <= n)) throw new Error(msg.wilsonCounts(k, n));
  if (n === 0) return [0, 1];
  const p = k / n;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [Math.max(0, c - h), Math.min(1, c + h)];
}

/** Predicted classes of `model` on `x`, batched. */
export async function predict(model: Classifier, x: tf.Tensor, batchSize = 256): Promise<Int32Array> {
  checkPositiveInt(batchSize, 'batchSize');
  checkInputs(x, model.inputShape, null, 'x');
  const n = x.shape[0];
  const out = new Int32Array(n);
  for (let i = 0; i < n; i += batchSize) {
    const p = tf.tidy(() => model.apply(x.slice(i, Math.min(batchSize, n - i)), { training: false }).logits.argMax(1));
    out.set(await p.data(), i);
    p.dispose();
  }
  return out;
}

/** Builds an accuracy record from per-example correctness. */
export function accuracyRecord(correct: ArrayLike<boolean | number>): AccuracyRecord {
  let k = 0;
  for (let i = 0; i < correct.length; i++) if (correct[i]) k++;
  return { accuracy: correct.length ? k / correct.length : 0, n: correct.length, ci95: wilson(k, correct.length) };
}

/**
 * Clean accuracy.
 * @example const { accuracy } = await accuracy(model, xTest, yTest);
 */
export async function accuracy(model: Classifier, x: tf.Tensor, y: tf.Tensor1D, opts: { batchSize?: number } = {}): Promise<AccuracyRecord> {
  checkInputs(x, model.inputShape, null, 'x');
  checkLabels(y, x.shape[0], model.numClasses, 'y');
  const pred = await predict(model, x, opts.batchSize);
  const labels = await y.data();
  return accuracyRecord(Array.from(pred, (p, i) => p === labels[i]));
}

/** Result of {@link robustAccuracy}. */
export interface RobustAccuracyRecord {
  /** Clean accuracy. */
  clean: AccuracyRecord;
  /** Accuracy on the attack's outputs (an example counts as robust only if it is also correct clean). */
  robust: AccuracyRecord;
}

/**
 * Clean and robust accuracy under `attack`, batched. An example is robust when both the clean input and the
 * adversarial one are classified correctly.
 * @example const r = await robustAccuracy(model, x, y, (m, xb, yb) => pgd(m, xb, yb, { eps: 0.3, steps: 20 }));
 */
export async function robustAccuracy(
  model: Classifier,
  x: tf.Tensor,
  y: tf.Tensor1D,
  attack: Attack<undefined>,
  opts: { batchSize?: number; progress?: ProgressSink } = {},
): Promise<RobustAccuracyRecord> {
  const bs = opts.batchSize ?? 128;
  checkPositiveInt(bs, 'batchSize');
  checkInputs(x, model.inputShape, null, 'x');
  checkLabels(y, x.shape[0], model.numClasses, 'y');
  const n = x.shape[0];
  const cleanOk: boolean[] = [];
  const robustOk: boolean[] = [];
  opts.progress?.start(n, 'robust accuracy');
  for (let i = 0; i < n; i += bs) {
    const m = Math.min(bs, n - i);
    const xb = x.slice(i, m);
    const yb = y.slice(i, m);
    const xAdv = attack(model, xb, yb);
    try {
      checkSameShape(xb, xAdv, 'x', 'attack(model, x, y)');
    } catch (e) {
      tf.dispose([xb, yb, xAdv]);
      throw e;
    }
    const [pc, pa] = tf.tidy(() => [model.apply(xb, { training: false }).logits.argMax(1), model.apply(xAdv, { training: false }).logits.argMax(1)]);
    const [c, a, l] = await Promise.all([pc.data(), pa.data(), yb.data()]);
    for (let j = 0; j < m; j++) {
      cleanOk.push(c[j] === l[j]);
      robustOk.push(c[j] === l[j] && a[j] === l[j]);
    }
    tf.dispose([xb, yb, xAdv, pc, pa]);
    opts.progress?.tick(m);
    await new Promise((r) => setImmediate(r));
  }
  opts.progress?.done();
  return { clean: accuracyRecord(cleanOk), robust: accuracyRecord(robustOk) };
}
