/**
 * The shared trainer: epochs of shuffled minibatches, a {@link TrainingMethod} per batch, SGD with momentum
 * and weight decay, a learning-rate schedule, progress events, and checkpoint/resume.
 * @module
 */
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../models/classifier';
import type { TrainingMethod } from './method';
import { outerContext } from './method';
import { Sgd, type SgdOptions } from './sgd';
import { constant, type Schedule } from './schedules';
import type { ProgressSink } from './progress';
import { standard } from './standard';
import { Rng } from '../engine/seed';
import { saveCheckpoint, loadCheckpoint } from './checkpoint';
import { checkInputs, checkLabels, checkPositiveInt, checkNonNegativeInt } from '../tensor/validate';

/** Training data held as tensors: inputs [N, ...] in [0, 1] and int labels [N]. */
export interface TrainData {
  x: tf.Tensor;
  y: tf.Tensor1D;
}

/** One epoch of the history. */
export interface EpochRecord {
  /** 1-based epoch. */
  epoch: number;
  /** Mean outer loss over the epoch. */
  loss: number;
  /** Learning rate at the epoch's start. */
  lr: number;
  /** Wall seconds of the epoch. */
  seconds: number;
  /** Anything `onEpoch` returned (e.g. validation accuracies). */
  [extra: string]: number;
}

/** Options of {@link train}. */
export interface TrainOptions {
  /** Training method (default standard training). */
  method?: TrainingMethod;
  /** Epochs (default 1). */
  epochs?: number;
  /** Minibatch size (default 128). */
  batchSize?: number;
  /** An optimiser or its options (default SGD lr 0.1, momentum 0.9, wd 2e-4). */
  optimizer?: Sgd | SgdOptions;
  /** Learning-rate schedule over fractional epochs (default: constant at the optimiser's lr). */
  schedule?: Schedule;
  /** Seed of shuffling and of the inner maximisation (default 0). */
  seed?: number;
  /** Per-batch augmentation of the clean inputs (random crop + flip), given a seed. */
  augment?: (x: tf.Tensor, seed: number) => tf.Tensor;
  /** Progress receiver (a notebook or terminal bar). */
  progress?: ProgressSink;
  /** Called after each epoch; numbers it returns are added to that epoch's record. */
  onEpoch?: (epoch: number, model: Classifier) => Record<string, number> | void | Promise<Record<string, number> | void>;
  /** Checkpoint file written after every epoch; with `resume`, training continues from it when it exists. */
  checkpoint?: string;
  /** Resume from `checkpoint` if present (default true when `checkpoint` is set). */
  resume?: boolean;
  /** Stop after this many batches in total (smoke runs); default no limit. */
  maxBatches?: number;
}

/** Result of {@link train}. */
export interface TrainResult {
  /** One record per epoch, resumed epochs included. */
  history: EpochRecord[];
  /** The optimiser (its buffers belong to the caller now). */
  optimizer: Sgd;
}

/**
 * Trains `model` in place.
 * @example
 * const { history } = await train(model, { x, y }, { method: pgdAT({ eps: 0.3 }), epochs: 5, optimizer: { lr: 0.05 } });
 */
export async function train(model: Classifier, data: TrainData, opts: TrainOptions = {}): Promise<TrainResult> {
  const method = opts.method ?? standard();
  const epochs = opts.epochs ?? 1;
  const batchSize = opts.batchSize ?? 128;
  checkNonNegativeInt(epochs, 'epochs');
  checkPositiveInt(batchSize, 'batchSize');
  checkInputs(data.x, model.inputShape, [0, 1], 'data.x');
  checkLabels(data.y, data.x.shape[0], model.numClasses, 'data.y');
  const optimizer = opts.optimizer instanceof Sgd ? opts.optimizer : new Sgd(opts.optimizer);
  const schedule = opts.schedule ?? constant(optimizer.lr);
  const seed = opts.seed ?? 0;
  const n = data.x.shape[0];
  const batches = Math.ceil(n / batchSize);
  const vars = model.trainableVariables();
  let history: EpochRecord[] = [];
  let start = 0;
  if (opts.checkpoint && (opts.resume ?? true) && fs.existsSync(opts.checkpoint)) {
    const meta = loadCheckpoint(opts.checkpoint, model, optimizer);
    start = meta.epoch;
    history = ((meta.extra as { history?: EpochRecord[] })?.history ?? []).slice(0, start);
  }
  let total = 0;
  opts.progress?.start((epochs - start) * batches, `${method.name} ${model.name}`);
  for (let epoch = start; epoch < epochs; epoch++) {
    const t0 = Date.now();
    // Seeds derive from (seed, epoch) so that a resumed run repeats the uninterrupted one.
    const rng = new Rng(seed * 1000003 + epoch);
    const order = tf.tensor1d(rng.permutation(n), 'int32');
    let lossSum = 0;
    const lr0 = schedule(epoch);
    for (let b = 0; b < batches && (opts.maxBatches === undefined || total < opts.maxBatches); b++, total++) {
      optimizer.lr = schedule(epoch + b / batches);
      const idx = order.slice(b * batchSize, Math.min(batchSize, n - b * batchSize));
      let x = tf.gather(data.x, idx);
      const y = tf.gather(data.y, idx) as tf.Tensor1D;
      idx.dispose();
      const batchSeed = rng.seed();
      if (opts.augment) {
        const xa = opts.augment(x, batchSeed);
        x.dispose();
        x = xa;
      }
      let batchLoss = 0;
      const replays = method.replays ?? 1;
      for (let r = 0; r < replays; r++) {
        const xAdv = method.inner?.(model, x, y, { seed: batchSeed + r, epoch });
        const { value, grads } = tf.variableGrads(() => method.outer(outerContext(model, x, y, xAdv)), vars);
        optimizer.apply(vars, grads);
        batchLoss += (await value.data())[0];
        value.dispose();
        tf.dispose(grads);
        xAdv?.dispose();
      }
      x.dispose();
      y.dispose();
      lossSum += batchLoss / replays;
      opts.progress?.tick(1, { epoch: epoch + 1, loss: +(batchLoss / replays).toFixed(4), lr: +optimizer.lr.toPrecision(3) });
      // Let display and I/O messages out between batches (notebook progress bars).
      await new Promise((r) => setImmediate(r));
    }
    order.dispose();
    const rec: EpochRecord = { epoch: epoch + 1, loss: lossSum / batches, lr: lr0, seconds: (Date.now() - t0) / 1000 };
    const extra = await opts.onEpoch?.(epoch + 1, model);
    if (extra) Object.assign(rec, extra);
    history.push(rec);
    if (opts.checkpoint) await saveCheckpoint(opts.checkpoint, model, optimizer, { epoch: epoch + 1, extra: { history } });
    if (opts.maxBatches !== undefined && total >= opts.maxBatches) break;
  }
  opts.progress?.done();
  return { history, optimizer };
}
