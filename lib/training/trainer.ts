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
import { msg } from '../messages';
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
  /** Mean outer loss over the batches the epoch ran. */
  loss: number;
  /** Learning rate at the epoch's start. */
  lr: number;
  /** Wall seconds of the epoch (summed over the runs of a resumed epoch). */
  seconds: number;
  /** Batches run: ceil(N / batchSize), fewer only in the last record when `maxBatches` stopped mid-epoch. */
  batches: number;
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
  /**
   * Stop after this many batches in this call (smoke runs; an integer >= 1); default no limit. A stop
   * mid-epoch leaves that epoch incomplete: its record (with `batches` below the epoch's count) ends the
   * history, `onEpoch` is not called for it, and the checkpoint lets a later call finish it exactly.
   */
  maxBatches?: number;
}

/** Result of {@link train}. */
export interface TrainResult {
  /** One record per epoch, resumed epochs included. */
  history: EpochRecord[];
  /** The optimiser (its buffers belong to the caller now). */
  optimizer: Sgd;
  /** True when every epoch ran to its end (false when `maxBatches` stopped the run early). */
  complete: boolean;
}

/** The trainer's position inside an epoch, kept in the checkpoint when a run stops mid-epoch. */
interface PartialEpoch {
  batchesPerEpoch: number;
  lossSum: number;
  lr: number;
  seconds: number;
}

interface TrainerExtra {
  history?: EpochRecord[];
  partial?: PartialEpoch;
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
  if (opts.maxBatches !== undefined) checkPositiveInt(opts.maxBatches, 'maxBatches');
  checkInputs(data.x, model.inputShape, [0, 1], 'data.x');
  checkLabels(data.y, data.x.shape[0], model.numClasses, 'data.y', 'data.x');
  const optimizer = opts.optimizer instanceof Sgd ? opts.optimizer : new Sgd(opts.optimizer);
  const schedule = opts.schedule ?? constant(optimizer.lr);
  const seed = opts.seed ?? 0;
  const n = data.x.shape[0];
  const batches = Math.ceil(n / batchSize);
  const vars = model.trainableVariables();
  let history: EpochRecord[] = [];
  let start = 0;
  let startBatch = 0;
  let partial: PartialEpoch | undefined;
  if (opts.checkpoint && (opts.resume ?? true) && fs.existsSync(opts.checkpoint)) {
    const meta = loadCheckpoint(opts.checkpoint, model, optimizer);
    const extra = (meta.extra ?? {}) as TrainerExtra;
    start = meta.epoch;
    history = (extra.history ?? []).slice(0, start);
    startBatch = meta.batch ?? 0;
    if (startBatch > 0) {
      partial = extra.partial;
      if (!partial || partial.batchesPerEpoch !== batches || !(startBatch < batches))
        throw new Error(msg.checkpointMismatch(opts.checkpoint, msg.resumeMismatch(start + 1, startBatch, partial?.batchesPerEpoch, batches)));
    }
  }
  let total = 0;
  const stopped = (): boolean => opts.maxBatches !== undefined && total >= opts.maxBatches;
  opts.progress?.start(Math.max(0, (epochs - start) * batches - startBatch), `${method.name} ${model.name}`);
  for (let epoch = start; epoch < epochs && !stopped(); epoch++) {
    const t0 = Date.now();
    // Seeds derive from (seed, epoch) so that a resumed run repeats the uninterrupted one.
    const rng = new Rng(seed * 1000003 + epoch);
    const first = epoch === start ? startBatch : 0;
    const lr0 = first > 0 ? partial!.lr : checkedLr(schedule, epoch, 0, batches);
    const order = tf.tensor1d(rng.permutation(n), 'int32');
    // A resumed epoch skips the batch seeds its first run drew.
    for (let b = 0; b < first; b++) rng.seed();
    let lossSum = first > 0 ? partial!.lossSum : 0;
    const before = first > 0 ? partial!.seconds : 0;
    let b = first;
    for (; b < batches && !stopped(); b++, total++) {
      try {
        optimizer.lr = checkedLr(schedule, epoch, b, batches);
      } catch (e) {
        order.dispose();
        throw e;
      }
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
    const seconds = before + (Date.now() - t0) / 1000;
    const rec: EpochRecord = { epoch: epoch + 1, loss: lossSum / b, lr: lr0, seconds, batches: b };
    if (b < batches) {
      // Stopped mid-epoch by maxBatches: the epoch is not complete, and the checkpoint says where it stopped.
      if (opts.checkpoint) {
        const extra: TrainerExtra = { history, partial: { batchesPerEpoch: batches, lossSum, lr: lr0, seconds } };
        await saveCheckpoint(opts.checkpoint, model, optimizer, { epoch, batch: b, extra });
      }
      history.push(rec);
      break;
    }
    const extra = await opts.onEpoch?.(epoch + 1, model);
    if (extra) Object.assign(rec, extra);
    history.push(rec);
    if (opts.checkpoint) await saveCheckpoint(opts.checkpoint, model, optimizer, { epoch: epoch + 1, extra: { history } satisfies TrainerExtra });
  }
  opts.progress?.done();
  const last = history[history.length - 1];
  // Records from checkpoints written before `batches` existed are complete epochs.
  const complete = history.length >= epochs && (last === undefined || (last.batches ?? batches) === batches);
  return { history, optimizer, complete };
}

/** The schedule's learning rate at batch `b` of `epoch` (0-based), refused unless finite and >= 0. */
function checkedLr(schedule: Schedule, epoch: number, b: number, batches: number): number {
  const lr = schedule(epoch + b / batches);
  if (!(typeof lr === 'number' && Number.isFinite(lr) && lr >= 0)) throw new Error(msg.scheduleLr(epoch + 1, b + 1, lr));
  return lr;
}
