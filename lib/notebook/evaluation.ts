/**
 * A trained model's per-example record: clean correctness and correctness under each named attack on the same
 * test images, the form every claim test takes (paired tests need the examples, not only the accuracies).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Attack } from '../attacks/types';
import type { Classifier } from '../models/classifier';
import { accuracyRecord, type AccuracyRecord } from '../metrics/accuracy';
import type { ProgressSink } from '../training/progress';
import { msg } from '../messages';

/** What an evaluation needs of a model: its name (the table row), the seed it was trained with, the model. */
export interface NamedModel {
  /** Row name, e.g. `PGD-AT+HE`. */
  name: string;
  /** Training seed (default 0). */
  seed?: number;
  /** The classifier. */
  model: Classifier;
}

/** An attack by name: the attack, or the attack with the number of leading test images it runs on. */
export type NamedAttack = Attack<undefined> | { attack: Attack<undefined>; n: number };

/** Per-example correctness of one model (`1` right, `0` wrong) on one test set, clean and per attack. */
export interface Evaluation {
  /** Row name. */
  name: string;
  /** Training seed. */
  seed: number;
  /** Number of classes (chance is 1 / numClasses). */
  numClasses: number;
  /** Clean correctness on every test image. */
  clean: Uint8Array;
  /**
   * Robust correctness per attack on the first `correct[a].length` test images: right clean and right on the
   * attack's output (the RobustBench convention).
   */
  correct: Record<string, Uint8Array>;
  /** Wall seconds of the evaluation. */
  seconds: number;
}

/**
 * Correctness of `ev` under `measure` (`clean` or an attack's name); throws naming the measured ones.
 */
export function measureOf(ev: Evaluation, measure: string): Uint8Array {
  if (measure === 'clean') return ev.clean;
  if (!Object.hasOwn(ev.correct, measure)) throw new Error(msg.unknownMeasure(`evaluation of ${ev.name}`, measure, ['clean', ...Object.keys(ev.correct)]));
  return ev.correct[measure];
}

/** Accuracy (fraction) with its 95% Wilson interval under `measure`. */
export function accuracyOf(ev: Evaluation, measure: string): AccuracyRecord {
  return accuracyRecord(measureOf(ev, measure));
}

/**
 * Evaluates `m` clean and under each named attack, batched, keeping per-example correctness.
 * @param test the test set as tensors (not disposed)
 * @param attacks name to attack (or `{ attack, n }` to run it on the first n images only)
 * @param opts batchSize default 100; progress: a sink labelled with the model's name
 * @example const ev = await evaluateModel(trained, testT, { 'PGD-20': (m, x, y) => pgd(m, x, y, { eps, steps: 20 }) });
 */
export async function evaluateModel(m: NamedModel, test: { x: tf.Tensor; y: tf.Tensor1D }, attacks: Record<string, NamedAttack>, opts: { batchSize?: number; progress?: ProgressSink } = {}): Promise<Evaluation> {
  const t0 = Date.now();
  const n = test.x.shape[0];
  const bs = opts.batchSize ?? 100;
  if (!Number.isInteger(bs) || bs < 1) throw new Error(msg.positiveInt('batchSize', bs));
  const labels = await test.y.data();
  const clean = new Uint8Array(n);
  const plan = Object.entries(attacks).map(([name, a]) => (typeof a === 'function' ? { name, attack: a, n } : { name, attack: a.attack, n: Math.min(n, a.n) }));
  const correct: Record<string, Uint8Array> = Object.fromEntries(plan.map((p) => [p.name, new Uint8Array(p.n)]));
  const units = plan.reduce((s, p) => s + p.n, n);
  opts.progress?.start(units, `evaluating ${m.name}`);
  for (let i = 0; i < n; i += bs) {
    const k = Math.min(bs, n - i);
    const p = tf.tidy(() => m.model.apply(test.x.slice(i, k), { training: false }).logits.argMax(1));
    const v = await p.data();
    p.dispose();
    for (let j = 0; j < k; j++) clean[i + j] = v[j] === labels[i + j] ? 1 : 0;
  }
  opts.progress?.tick(n);
  for (const a of plan) {
    for (let i = 0; i < a.n; i += bs) {
      const k = Math.min(bs, a.n - i);
      const xb = test.x.slice(i, k);
      const yb = test.y.slice(i, k);
      const adv = a.attack(m.model, xb, yb);
      const p = tf.tidy(() => m.model.apply(adv, { training: false }).logits.argMax(1));
      const v = await p.data();
      tf.dispose([xb, yb, adv, p]);
      for (let j = 0; j < k; j++) correct[a.name][i + j] = clean[i + j] && v[j] === labels[i + j] ? 1 : 0;
      opts.progress?.tick(k);
      // Lets the kernel flush progress displays between batches.
      await new Promise((r) => setImmediate(r));
    }
  }
  opts.progress?.done();
  return { name: m.name, seed: m.seed ?? 0, numClasses: m.model.numClasses, clean, correct, seconds: (Date.now() - t0) / 1000 };
}

/**
 * Per-example correctness (`1` right) of `model` on inputs `x` with labels `y`, batched, without an attack
 * (transfer examples, corrupted copies).
 */
export async function correctOn(model: Classifier, x: tf.Tensor, y: tf.Tensor1D, batchSize = 200): Promise<Uint8Array> {
  const n = x.shape[0];
  const labels = await y.data();
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += batchSize) {
    const k = Math.min(batchSize, n - i);
    const p = tf.tidy(() => model.apply(x.slice(i, k), { training: false }).logits.argMax(1));
    const v = await p.data();
    p.dispose();
    for (let j = 0; j < k; j++) out[i + j] = v[j] === labels[i + j] ? 1 : 0;
  }
  return out;
}

/**
 * The same evaluation with measure `from` also available as `as` (and an optional new name), so that two
 * different attacks can be compared on the same images, e.g. the adaptive attack against plain PGD-20.
 */
export function viewAs(ev: Evaluation, from: string, as: string, name = ev.name): Evaluation {
  return { ...ev, name, correct: { ...ev.correct, [as]: measureOf(ev, from) } };
}

/**
 * The measures `names` joined end to end as one measure `as` (examples from several sources stacked, each
 * pair still on the same input), for one paired test over all of them.
 */
export function joinMeasures(ev: Evaluation, names: readonly string[], as: string): Evaluation {
  const parts = names.map((n) => measureOf(ev, n));
  const joined = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    joined.set(p, o);
    o += p.length;
  }
  return { ...ev, correct: { ...ev.correct, [as]: joined } };
}
