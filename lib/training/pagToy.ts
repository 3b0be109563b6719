/**
 * The 2-D toy of the PAG paper (Ganz et al., Sec. 5.1 and appendix C.1) on the library's [0, 1] input
 * convention, and the paper's Adam training for it (the shared trainer is SGD-only).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { pagToy } from '../data/toys';
import { mlp } from '../models/mlp';
import type { ComposedClassifier } from '../models/compose';
import type { TrainingMethod } from './method';
import { outerContext } from './method';
import { Rng } from '../engine/seed';
import { checkPositiveInt } from '../tensor/validate';

/**
 * Raw toy coordinates per unit of the [0, 1] box: u = 0.5 + x / 240 in both axes (one scale keeps l2
 * geometry: an l2 radius r in the paper's units is r / 240 here). The data (|x1| <= ~54, x2 = 2 x1) fill
 * [0.05, 0.95].
 */
export const PAG_TOY_SCALE = 240;

/**
 * The toy as tensors in [0, 1]: 3 modes per class, `perMode` points each (1000 for training, 100 for the
 * paper's 600 test points).
 * @param opts perMode (default 1000) and seed (default 0)
 */
export function pagToyTensors(opts: { perMode?: number; seed?: number } = {}): { x: tf.Tensor2D; y: tf.Tensor1D } {
  const p = pagToy(opts);
  const u = Float32Array.from(p.x, (v) => 0.5 + v / PAG_TOY_SCALE);
  return { x: tf.tensor2d(u, [p.n, 2]), y: tf.tensor1d(p.y, 'int32') };
}

/**
 * The toy's 2-32-2 ReLU MLP; its input normalisation maps the [0, 1] box back to the paper's coordinates, so
 * the network sees the same numbers as the paper's.
 * @param seed initial weights
 */
export function pagToyModel(seed: number): ComposedClassifier {
  const c = 0.5;
  const s = 1 / PAG_TOY_SCALE;
  return mlp({ inputShape: [2], hidden: [32], numClasses: 2, seed, normalize: { mean: [c, c], std: [s, s] } });
}

/** Options of {@link trainAdam}. */
export interface AdamTrainOptions {
  /** Epochs (default 100, appendix C.1). */
  epochs?: number;
  /** Batch size (default 128). */
  batchSize?: number;
  /** Adam learning rate (default 0.01). */
  lr?: number;
  /** Seed of the shuffling and of the method's inner step (default 0). */
  seed?: number;
}

/**
 * Trains `model` in place with Adam (betas 0.9, 0.999 and eps 1e-8: PyTorch's defaults, as the paper's code
 * would use) on shuffled minibatches with `method`'s inner and outer steps, as the shared trainer does with
 * SGD. Returns the mean loss per epoch.
 * @example const losses = await trainAdam(pagToyModel(0), toy, pag(nearestNeighbour(toy)), { epochs: 100 });
 */
export async function trainAdam(model: ComposedClassifier, data: { x: tf.Tensor; y: tf.Tensor1D }, method: TrainingMethod, opts: AdamTrainOptions = {}): Promise<number[]> {
  const epochs = opts.epochs ?? 100;
  const batchSize = opts.batchSize ?? 128;
  checkPositiveInt(epochs, 'epochs');
  checkPositiveInt(batchSize, 'batchSize');
  const opt = tf.train.adam(opts.lr ?? 0.01, 0.9, 0.999, 1e-8);
  const vars = model.trainableVariables();
  const n = data.x.shape[0];
  const losses: number[] = [];
  try {
    for (let e = 0; e < epochs; e++) {
      const rng = new Rng((opts.seed ?? 0) * 1000003 + e);
      const order = tf.tensor1d(rng.permutation(n), 'int32');
      let sum = 0;
      let batches = 0;
      for (let s = 0; s < n; s += batchSize) {
        const idx = order.slice(s, Math.min(batchSize, n - s));
        const x = tf.gather(data.x, idx);
        const y = tf.gather(data.y, idx) as tf.Tensor1D;
        const xAdv = method.inner?.(model, x, y, { seed: rng.seed(), epoch: e });
        const { value, grads } = tf.variableGrads(() => method.outer(outerContext(model, x, y, xAdv)), vars);
        opt.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
        sum += (await value.data())[0];
        batches++;
        tf.dispose([idx, x, y, value, ...Object.values(grads)]);
        xAdv?.dispose();
      }
      order.dispose();
      losses.push(sum / batches);
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    opt.dispose();
  }
  return losses;
}

/** Rows of {@link pagToyField}, in the paper's coordinates. */
export interface ToyFieldRows {
  /** A grid of predicted classes: {x1, x2, class}. */
  regions: { x1: number; x2: number; class: string }[];
  /** Arrows of the normalised input gradient of log softmax_1 on a coarser grid: {x1, x2, x1end, x2end}. */
  arrows: { x1: number; x2: number; x1end: number; x2end: number }[];
}

/**
 * Decision regions and gradient field of a toy model for Fig. 3, in the paper's coordinates: predictions on
 * a `steps` x `steps` grid over x1 in [-60, 60], x2 in [-120, 120], and on an `arrowSteps` grid the direction of
 * grad_x log p(class 1 | x) (where an attack toward class 1 moves) as arrows of length `arrowLength`.
 * @param model a {@link pagToyModel}
 * @param opts grid sizes (default 41 and 13) and arrow length (default 6)
 */
export function pagToyField(model: ComposedClassifier, opts: { steps?: number; arrowSteps?: number; arrowLength?: number } = {}): ToyFieldRows {
  const grid = (k: number) => {
    const pts: number[][] = [];
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) pts.push([-60 + (120 * i) / (k - 1), -120 + (240 * j) / (k - 1)]);
    return pts;
  };
  const toUnit = (pts: number[][]) => tf.tensor2d(pts.map(([a, b]) => [0.5 + a / PAG_TOY_SCALE, 0.5 + b / PAG_TOY_SCALE]));
  const g = grid(opts.steps ?? 41);
  const pred = tf.tidy(() => model.apply(toUnit(g)).logits.argMax(1).dataSync());
  const regions = g.map(([x1, x2], i) => ({ x1, x2, class: `class ${pred[i]}` }));
  const a = grid(opts.arrowSteps ?? 13);
  const len = opts.arrowLength ?? 6;
  const d = tf.tidy(() => {
    const u = toUnit(a);
    const gr = tf.grad((v: tf.Tensor) => tf.logSoftmax(model.apply(v).logits).slice([0, 1], [-1, 1]).sum())(u);
    return gr.div(gr.norm('euclidean', 1, true).add(1e-12)).dataSync();
  });
  const arrows = a.map(([x1, x2], i) => ({ x1, x2, x1end: x1 + len * d[2 * i], x2end: x2 + len * d[2 * i + 1] }));
  return { regions, arrows };
}
