/**
 * The experiment kit a paper notebook calls: train a named model with a method and a seed (the progress bar
 * says which), run over seeds, aggregate evaluations into table rows (mean and spread), and lay our rows
 * beside the paper's in one aligned table with a difference column.
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../models/classifier';
import type { TrainingMethod } from '../training/method';
import type { Schedule } from '../training/schedules';
import type { SgdOptions } from '../training/sgd';
import type { ProgressSink } from '../training/progress';
import { train, type EpochRecord, type TrainData, type TrainOptions } from '../training/trainer';
import { accuracyOf, type Evaluation } from './evaluation';
import { meanSd } from './stats';
import { progressBar } from './progress';
import type { ReportedPaper } from './reported';
import { msg } from '../messages';

/** What {@link trainNamed} trains. */
export interface TrainSpec {
  /** The model's name in tables and on its progress bar, e.g. `PGD-AT+HE`. */
  name: string;
  /** Builds a fresh model from a seed. */
  model: (seed: number) => Classifier;
  /** The training method (inner maximisation + outer loss); a function builds a fresh one per call. */
  method: TrainingMethod | (() => TrainingMethod);
  /** Training data as tensors (not disposed). */
  data: TrainData;
  /** Epochs. */
  epochs: number;
  /** Minibatch size. */
  batchSize: number;
  /** SGD options (lr, momentum, weight decay). */
  optimizer: SgdOptions;
  /** Learning-rate schedule (default constant). */
  schedule?: Schedule;
  /** Seed of the model's initialisation, shuffling and inner maximisation (default 0). */
  seed?: number;
  /** Per-batch augmentation. */
  augment?: (x: tf.Tensor, seed: number) => tf.Tensor;
  /** Progress sink (default a progress bar labelled with the name and seed). */
  progress?: ProgressSink;
  /** Called after each epoch (e.g. to evaluate); numbers it returns join that epoch's record. */
  onEpoch?: TrainOptions['onEpoch'];
}

/** A trained model with its name, seed, wall time and history. */
export interface Trained {
  /** Name from the spec. */
  name: string;
  /** Seed it was trained with. */
  seed: number;
  /** The model (the caller disposes it). */
  model: Classifier;
  /** Training wall seconds. */
  seconds: number;
  /** Per-epoch records. */
  history: EpochRecord[];
}

/** A sink that shows `label` instead of the label the trainer passes. */
export function labelled(sink: ProgressSink, label: string): ProgressSink {
  return { start: (n) => sink.start(n, label), tick: (n, i) => sink.tick(n, i), done: () => sink.done() };
}

/**
 * Trains a fresh model `spec.model(seed)` with `spec.method`; the progress bar reads "train NAME (seed S)".
 * @example const t = await trainNamed({ name: 'PGD-AT', model: (s) => smallCnn({ ...arch, seed: s }), method: pgdAT(atk), data, epochs: 5, batchSize: 128, optimizer: { lr: 0.02 } });
 */
export async function trainNamed(spec: TrainSpec): Promise<Trained> {
  const seed = spec.seed ?? 0;
  const model = spec.model(seed);
  const method = typeof spec.method === 'function' ? spec.method() : spec.method;
  const t0 = Date.now();
  const { history, optimizer } = await train(model, spec.data, {
    method,
    epochs: spec.epochs,
    batchSize: spec.batchSize,
    optimizer: spec.optimizer,
    ...(spec.schedule ? { schedule: spec.schedule } : {}),
    ...(spec.augment ? { augment: spec.augment } : {}),
    ...(spec.onEpoch ? { onEpoch: spec.onEpoch } : {}),
    seed,
    progress: labelled(spec.progress ?? progressBar(), `train ${spec.name} (seed ${seed})`),
  });
  optimizer.dispose();
  (method as { dispose?: () => void }).dispose?.();
  return { name: spec.name, seed, model, seconds: (Date.now() - t0) / 1000, history };
}

/** Runs `fn` once per seed, in order, and collects the results. */
export async function runSeeds<T>(seeds: readonly number[], fn: (seed: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (const s of seeds) out.push(await fn(s));
  return out;
}

/** A measured value: mean over seeds (%), its spread and what the spread is. */
export interface Measured {
  /** Mean accuracy over seeds, in percent. */
  mean: number;
  /** sd over seeds (several seeds) or the 95% Wilson half-width (one seed), in points. */
  spread: number;
  /** Seeds averaged. */
  seeds: number;
}

/** Our row of a table: a name and measured values per measure. */
export interface OurRow {
  /** Row name (defence). */
  name: string;
  /** Measure (clean or attack) to value. */
  values: Record<string, Measured>;
}

const r2 = (v: number) => +v.toFixed(2);

/**
 * Aggregates one model's evaluations over seeds into a row: per measure the mean accuracy (%) and the sd
 * over seeds, or with one seed the 95% Wilson half-width.
 * @param measures default `clean` and every attack of the first evaluation
 */
export function aggregate(evals: readonly Evaluation[], measures?: readonly string[]): OurRow {
  if (evals.length === 0) throw new Error(msg.emptyRecord('aggregate(evals)'));
  const ms = measures ?? ['clean', ...Object.keys(evals[0].correct)];
  const values: Record<string, Measured> = {};
  for (const m of ms) {
    const recs = evals.map((e) => accuracyOf(e, m));
    const { mean, sd } = meanSd(recs.map((r) => r.accuracy));
    const spread = evals.length > 1 ? sd : (recs[0].ci95[1] - recs[0].ci95[0]) / 2;
    values[m] = { mean: r2(100 * mean), spread: r2(100 * spread), seeds: evals.length };
  }
  return { name: evals[0].name, values };
}

/** A row of plain numbers (means in %) for tables and plots: `{ [key]: name, measure: mean, ... }`. */
export function plainRow(row: OurRow, key = 'defense'): Record<string, string | number> {
  return { [key]: row.name, ...Object.fromEntries(Object.entries(row.values).map(([m, v]) => [m, v.mean])) };
}

/** One line of an aligned comparison table. */
export interface ComparisonRow extends Record<string, string | number> {
  /** The row's name (defence). */
  defense: string;
  /** The measure (clean, PGD-20 ...). */
  measure: string;
  /** The paper's number, or "–" where the paper has none. */
  paper: number | string;
  /** Ours (mean over seeds). */
  ours: number;
  /** Spread of ours (sd over seeds, or the 95% half-width with one seed). */
  '±': number;
  /** Ours minus the paper's, or "–". */
  'ours − paper': number | string;
}

/**
 * Our rows beside the paper's table, one line per (row, measure): paper, ours, ± and the difference; every
 * cell filled ("–" where the paper gives no number).
 * @param key the paper table's name column (default `defense`)
 */
export function compareRows(paper: ReportedPaper, table: string, ours: readonly OurRow[], measures: readonly string[], key = 'defense'): ComparisonRow[] {
  const rows = paper.tables[table] ?? [];
  const out: ComparisonRow[] = [];
  for (const r of ours) {
    const p = rows.find((x) => x[key] === r.name);
    for (const m of measures) {
      const v = r.values[m];
      if (!v) throw new Error(msg.unknownMeasure(`compareRows(${table}) row ${r.name}`, m, Object.keys(r.values)));
      const pv = p?.[m];
      const num = typeof pv === 'number' ? pv : undefined;
      out.push({ defense: r.name, measure: m, paper: num ?? '–', ours: v.mean, '±': v.spread, 'ours − paper': num === undefined ? '–' : r2(v.mean - num) });
    }
  }
  return out;
}

/** What the ± column of {@link compareRows} means for these rows, in one line. */
export function spreadNote(ours: readonly OurRow[]): string {
  const seeds = new Set(ours.flatMap((r) => Object.values(r.values).map((v) => v.seeds)));
  const s = [...seeds];
  return s.length === 1 && s[0] === 1 ? '± is the 95% Wilson half-width of one seed' : `± is the sd over seeds (${s.join(' or ')} seeds; 95% Wilson half-width where one)`;
}
