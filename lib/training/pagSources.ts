/**
 * "Ground-truth" perceptually aligned gradients g(x, t) for the PAG loss (Ganz et al., Sec. 4 and appendix
 * C.2): target-class representatives r_t with g = r_t - x (One Image, Class Mean, Nearest Neighbour, Eq. 3)
 * and robust input-gradient distillation (RIGD, g = grad_x f*(x)_t of a robust model f*).
 *
 * Every source is fixed when it is built (the representatives, the nearest-neighbour sample sets and the
 * teacher are chosen once from a seed), and g is a deterministic function of the image and the target: the
 * same training image gets the same g every epoch, which is what the paper's precomputed table gives, without
 * storing N x C images (6 GB for CIFAR-10). With augmentation, g follows the augmented image.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../models/classifier';
import { Rng } from '../engine/seed';
import { assert } from '../engine/assert';
import { msg } from '../messages';
import { checkPositiveInt } from '../tensor/validate';
import { targetedInputGradients, type GradientOf } from '../losses/pag';

/** A source of ground-truth gradients. Owns its tensors: `dispose()` frees them. */
export interface GradientSource {
  /** Short name for tables (OI, CM, NN, RIGD-linf ...). */
  readonly name: string;
  /**
   * g(x, t) for each image and each of its targets.
   * @param x images [N, ...inputShape]
   * @param targets target classes [N, k] int32
   * @returns [N, k, ...inputShape]
   */
  gradients(x: tf.Tensor, targets: tf.Tensor2D): tf.Tensor;
  /** Frees the source's tensors. */
  dispose(): void;
}

/** Labelled training images held as tensors (as the trainer's TrainData). */
export interface SourceData {
  /** Images [N, ...] in [0, 1]. */
  x: tf.Tensor;
  /** Int labels [N]. */
  y: tf.Tensor1D;
}

function labelsOf(data: SourceData): { labels: Int32Array; classes: number } {
  const labels = Int32Array.from(data.y.dataSync());
  let classes = 0;
  for (const v of labels) classes = Math.max(classes, v + 1);
  return { labels, classes };
}

function indicesByClass(labels: Int32Array, classes: number): number[][] {
  const by: number[][] = Array.from({ length: classes }, () => []);
  labels.forEach((c, i) => by[c].push(i));
  by.forEach((ix, c) => assert(ix.length > 0, () => msg.pagEmptyClass(c)));
  return by;
}

/** g = r[t] - x for fixed representatives r [C, ...inputShape]. */
function representativeSource(name: string, reps: tf.Tensor): GradientSource {
  return {
    name,
    gradients: (x, targets) =>
      tf.tidy(() => {
        const [n, k] = targets.shape;
        const r = tf.gather(reps, targets.reshape([n * k]).toInt()).reshape([n, k, ...x.shape.slice(1)]);
        return r.sub(x.expandDims(1));
      }),
    dispose: () => reps.dispose(),
  };
}

/**
 * One Image: r_t is one training image of class t, drawn with `seed`, the same for every x.
 * @param data training images and labels
 * @param opts `seed` of the draw (default 0)
 * @example const src = oneImage(train, { seed: 1 });
 */
export function oneImage(data: SourceData, opts: { seed?: number } = {}): GradientSource {
  const { labels, classes } = labelsOf(data);
  const rng = new Rng(opts.seed ?? 0);
  const pick = indicesByClass(labels, classes).map((ix) => ix[rng.int(ix.length)]);
  const reps = tf.tidy(() => tf.gather(data.x, tf.tensor1d(pick, 'int32')));
  return representativeSource('OI', reps);
}

/**
 * Class Mean: r_t is the mean training image of class t, times one constant that gives the means the average
 * l2 norm of the training images (the paper's "image-like norm"; it does not give the constant).
 * @param data training images and labels
 * @example const src = classMean(train);
 */
export function classMean(data: SourceData): GradientSource {
  const { labels, classes } = labelsOf(data);
  indicesByClass(labels, classes); // every class needs an image: an empty one has no mean
  const reps = tf.tidy(() => {
    const oh = tf.oneHot(tf.tensor1d(labels, 'int32'), classes).toFloat(); // [N, C]
    const flat = data.x.reshape([data.x.shape[0], -1]);
    const means = oh.transpose().matMul(flat).div(oh.sum(0).expandDims(1)); // [C, D]
    const imageNorm = flat.square().sum(1).sqrt().mean();
    const meanNorm = means.square().sum(1).sqrt().mean();
    return means.mul(imageNorm.div(meanNorm)).reshape([classes, ...data.x.shape.slice(1)]);
  });
  return representativeSource('CM', reps);
}

/** Options of {@link nearestNeighbour}. */
export interface NearestNeighbourOptions {
  /** Size of the i.i.d. sample of each class (the paper's "small number"; default 20). */
  perClass?: number;
  /** Seed of the samples (default 0). */
  seed?: number;
  /** Candidate rows per distance chunk (memory bound; default 32). */
  chunk?: number;
}

/**
 * Nearest Neighbour, Eq. (3): r(x, t) is x's nearest neighbour in pixel-space l2 among `perClass` training
 * images of class t drawn i.i.d. (with replacement) with `seed`, x itself excluded (exactly equal images are
 * skipped). Distances are exact sums of squared differences, not the |a|^2 - 2ab + |b|^2 expansion, so that
 * x's own copy is recognised exactly.
 * @param data training images and labels
 * @param opts see {@link NearestNeighbourOptions}
 * @example const src = nearestNeighbour(train, { perClass: 20, seed: 0 });
 */
export function nearestNeighbour(data: SourceData, opts: NearestNeighbourOptions = {}): GradientSource {
  const perClass = opts.perClass ?? 20;
  const chunk = opts.chunk ?? 32;
  checkPositiveInt(perClass, 'perClass');
  checkPositiveInt(chunk, 'chunk');
  const { labels, classes } = labelsOf(data);
  const rng = new Rng(opts.seed ?? 0);
  const byClass = indicesByClass(labels, classes);
  const picks: number[] = [];
  for (const ix of byClass) for (let j = 0; j < perClass; j++) picks.push(ix[rng.int(ix.length)]);
  // [C * perClass, D]: class t's sample is rows t*perClass .. (t+1)*perClass - 1.
  const pool = tf.tidy(() => tf.gather(data.x, tf.tensor1d(picks, 'int32')).reshape([picks.length, -1]));
  const shape = data.x.shape.slice(1);
  return {
    name: 'NN',
    gradients: (x, targets) =>
      tf.tidy(() => {
        const [n, k] = targets.shape;
        const flat = x.reshape([n, -1]);
        const parts: tf.Tensor[] = [];
        for (let s = 0; s < pool.shape[0]; s += chunk) {
          const c = pool.slice([s, 0], [Math.min(chunk, pool.shape[0] - s), -1]);
          parts.push(flat.expandDims(1).sub(c.expandDims(0)).square().sum(2)); // [N, chunk]
        }
        const d = tf.concat(parts, 1).reshape([n, classes, perClass]);
        // x's own copy (distance exactly 0) never wins: Eq. (3)'s x_hat != x.
        const masked = tf.where(d.equal(0), tf.fill(d.shape, Infinity), d);
        const best = masked.argMin(2).toInt(); // [N, C]
        const rows = best.add(tf.range(0, classes, 1, 'int32').mul(perClass).expandDims(0)); // [N, C] pool rows
        // rows[i, targets[i, j]] as a one-hot product (exact: the row numbers are small integers).
        const chosen = tf.oneHot(targets.toInt(), classes).mul(rows.expandDims(1)).sum(2).toInt(); // [N, k]
        const r = tf.gather(pool, chosen.reshape([n * k])).reshape([n, k, ...shape]);
        return r.sub(x.expandDims(1));
      }),
    dispose: () => pool.dispose(),
  };
}

/** Options of {@link rigd}. */
export interface RigdOptions {
  /** Name for tables (default 'RIGD'). */
  name?: string;
  /** Which output of the teacher is differentiated (default 'logSoftmax', as the student's gradients). */
  gradientOf?: GradientOf;
}

/**
 * Robust input-gradient distillation (Sec. 4.1): g(x, t) = grad_x f*(x)_t of a robust teacher f*, batch-norm
 * in eval mode. The paper's CIFAR-10 teachers are the public ResNet-50s of Engstrom et al.; the notebook's are
 * trained by this library (PGD-AT), so say so beside any number. The teacher stays the caller's.
 * @param teacher robust classifier (not disposed by the source)
 * @param opts see {@link RigdOptions}
 * @example const src = rigd(robustModel, { name: 'RIGD-linf' });
 */
export function rigd(teacher: Classifier, opts: RigdOptions = {}): GradientSource {
  return {
    name: opts.name ?? 'RIGD',
    gradients: (x, targets) => targetedInputGradients(teacher, x, targets, { gradientOf: opts.gradientOf, training: false }),
    dispose: () => undefined,
  };
}
