/**
 * The class-wise robustness gaps notebook's measurements, kept out of its cells: class-wise error from an
 * evaluation's per-example correctness, corruption errors of several models on one generated -C set (each
 * corrupted copy made once and shared), and rows of error means over seeds for the paper-beside-ours tables.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Dataset } from '../data/dataset';
import { toTensors } from '../data/dataset';
import { corrupt, BENCHMARK_CORRUPTIONS } from '../data/corruptions/index';
import { classWiseError, corruptionError, type ClassWiseErrorRecord, type CorruptionErrors, type CorruptionRecord } from '../metrics/classWise';
import type { ProgressSink } from '../training/progress';
import { measureOf, type Evaluation, type NamedModel } from './evaluation';
import type { Measured, OurRow } from './experiment';
import { meanSd } from './stats';
import { learned, type ClaimVerdict } from './claims';
import { msgImageFolder } from '../messages';

/**
 * Class-wise error of one evaluation under `measure` (`clean` or an attack's name) on test labels `labels`
 * (the first `n` labels, where the attack ran on the first n images): per-class error, mean and SD over
 * classes (ddof 0, the paper's Table 2), gap.
 */
export function classWiseOf(ev: Evaluation, measure: string, labels: ArrayLike<number>): ClassWiseErrorRecord {
  const c = measureOf(ev, measure);
  const y = Array.from({ length: c.length }, (_, i) => labels[i]);
  // A wrong example is given any other label: class-wise error needs only right / wrong per example.
  const pred = y.map((v, i) => (c[i] ? v : (v + 1) % ev.numClasses));
  return classWiseError(pred, y, ev.numClasses);
}

/** Options of {@link corruptionErrors}. */
export interface CorruptionEvalOptions {
  /** Corruptions (default the 15 of the mCE benchmark). */
  corruptions?: readonly string[];
  /** Severities (default 1..5). */
  severities?: readonly number[];
  /** Seed of the corruptions' randomness (default 0). */
  seed?: number;
  /** Batch size of the forward passes (default 250). */
  batchSize?: number;
  /** Progress over (corruption, severity) sets. */
  progress?: ProgressSink;
  /**
   * Corrupted copies read from elsewhere instead of generated from `test`, e.g. ImageNet-C's
   * (`loadData(...).imagenetC.load`): each must hold the test images in the test set's order (its labels
   * are checked against the test labels).
   */
  sets?: (corruption: string, severity: number) => Dataset;
}

/** Predictions of every model on every (corruption, severity) copy of a test set. */
export interface CorruptionPredictions {
  /** Corruptions, in order. */
  corruptions: readonly string[];
  /** Severities, in order. */
  severities: readonly number[];
  /** The test labels. */
  labels: Int32Array;
  /** preds[model][corruption][severity index]: predicted class per test image. */
  preds: Record<string, Int32Array[]>[];
}

/**
 * Predictions of every model on `test` under each corruption and severity, the corrupted copies generated from
 * it once (CIFAR-10-C's recipe, lib/data/corruptions), or read by `opts.sets` (ImageNet-C), and shared by
 * the models. Models predict with their own `apply` (pass a `firstLogits` view for label-augmented ones).
 */
export async function corruptionPredictions(models: readonly NamedModel[], test: Dataset, opts: CorruptionEvalOptions = {}): Promise<CorruptionPredictions> {
  const corruptions = opts.corruptions ?? BENCHMARK_CORRUPTIONS;
  const severities = opts.severities ?? [1, 2, 3, 4, 5];
  const bs = opts.batchSize ?? 250;
  const preds: Record<string, Int32Array[]>[] = models.map(() => ({}));
  const labels = Int32Array.from(test.y);
  opts.progress?.start(corruptions.length * severities.length, 'corruptions');
  for (const name of corruptions) {
    for (const m of preds) m[name] = [];
    for (const s of severities) {
      const { x, y } = toTensors(opts.sets ? readSet(opts.sets, name, s, labels) : corrupt(test, name, s, opts.seed ?? 0));
      y.dispose();
      for (let j = 0; j < models.length; j++) {
        const out = new Int32Array(labels.length);
        for (let i = 0; i < labels.length; i += bs) {
          const k = Math.min(bs, labels.length - i);
          const p = tf.tidy(() => models[j].model.apply(x.slice(i, k)).logits.argMax(1));
          out.set(await p.data(), i);
          p.dispose();
        }
        preds[j][name].push(out);
      }
      x.dispose();
      opts.progress?.tick(1);
      await new Promise((r) => setImmediate(r));
    }
  }
  opts.progress?.done();
  return { corruptions, severities, labels, preds };
}

/** A corrupted copy from `sets`, refused unless it holds the test labels in their order. */
function readSet(sets: NonNullable<CorruptionEvalOptions['sets']>, name: string, s: number, labels: Int32Array): Dataset {
  const d = sets(name, s);
  if (d.y.length !== labels.length || d.y.some((v, i) => v !== labels[i])) throw new Error(msgImageFolder.setLabels(name, s));
  return d;
}

/**
 * Error per corruption and severity of every model on `test` (see {@link corruptionPredictions}), plus each
 * model's unnormalised CE / mCE (the class-wise gaps paper's: mean error over severities, mean over
 * corruptions).
 * @returns per model (in order) its errors and its {@link CorruptionRecord}
 */
export async function corruptionErrors(models: readonly NamedModel[], test: Dataset, opts: CorruptionEvalOptions = {}): Promise<{ errors: CorruptionErrors; record: CorruptionRecord }[]> {
  return errorsOf(await corruptionPredictions(models, test, opts));
}

/** Errors and CE / mCE per model from {@link corruptionPredictions}. */
export function errorsOf(p: CorruptionPredictions): { errors: CorruptionErrors; record: CorruptionRecord }[] {
  const rate = (pred: Int32Array) => pred.reduce((a, v, i) => a + (v !== p.labels[i] ? 1 : 0), 0) / p.labels.length;
  return p.preds.map((m) => {
    const errors: CorruptionErrors = Object.fromEntries(p.corruptions.map((c) => [c, m[c].map(rate)]));
    return { errors, record: corruptionError(errors) };
  });
}

/** Mean and sd over seeds of values given as fractions, in percent. */
export function measuredPercent(values: readonly number[]): Measured {
  const { mean, sd } = meanSd(values);
  return { mean: +(100 * mean).toFixed(2), spread: +(100 * sd).toFixed(2), seeds: values.length };
}

/** A table row of errors (fractions per seed) by measure: mean and sd over seeds in percent. */
export function errorRow(name: string, values: Record<string, readonly number[]>): OurRow {
  return { name, values: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, measuredPercent(v)])) };
}

/**
 * A verdict on numbers that are not accuracies (class-wise SDs, mCE) made inconclusive when any model behind
 * them did not learn (the claims kit's gate, applied to these claims too).
 */
export function gateLearned(v: ClaimVerdict, evals: readonly Evaluation[]): ClaimVerdict {
  const failed = evals.map((e) => ({ e, l: learned(e) })).filter(({ l }) => !l.learned);
  if (!failed.length) return v;
  const who = failed.map(({ e, l }) => `${e.name} (seed ${e.seed}) clean ${(100 * l.accuracy).toFixed(1)}%`).join('; ');
  return { ...v, verdict: 'inconclusive', p: null, reason: `model did not learn: ${who}`, test: `${v.test}; gate: clean accuracy above chance` };
}
