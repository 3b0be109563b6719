/**
 * The one gradient loop behind FGSM, BIM, PGD (l-inf, l2, l1), MIM and loss-specific variants: per-norm
 * hooks for the random start, the step direction and the projection (foolbox's gradient_descent_base). The
 * frame (`frame.ts`) does validation, bounds and the record; this file is only the loop.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../models/classifier';
import type { GradientAttackOptions } from './types';
import type { ExampleLoss } from '../losses/types';
import type { Bounds, Norm } from '../types';
import { ce } from '../losses/crossEntropy';
import { lpNorm, perExample, projectBall } from '../tensor/norms';
import { Rng, normal, uniform } from '../engine/seed';
import { is, resolveOptions, stepSizeOf, type OptionFamily } from './options';
import { momentumUpdate } from './optimizers';
import { bestOfRuns, defineAttack, type DefinedAttack, type LoopInput, type LoopOutput } from './frame';

/** Per-norm behaviour of the loop. */
export interface NormHooks {
  /** A random point of the ball of radius eps (a perturbation), shape `shape`. */
  randomStart(shape: number[], eps: number, seed: number): tf.Tensor;
  /**
   * The steepest-ascent direction of unit norm for a gradient; `at` (the iterate and the bounds) lets the
   * sparse l1 step skip coordinates the box would clip.
   */
  normalize(grad: tf.Tensor, at?: { x: tf.Tensor; bounds: Bounds }): tf.Tensor;
  /** Projection of a perturbation onto the ball. */
  project(delta: tf.Tensor, eps: number): tf.Tensor;
}

const size = (shape: number[]) => shape.slice(1).reduce((a, b) => a * b, 1);

/** Fraction of coordinates an l1 step moves (foolbox's SparseL1 quantile 0.99: the top 1%). */
const L1_SPARSITY = 0.01;

/**
 * The sparse l1 step (foolbox's SparseL1DescentAttack): coordinates already at a bound whose gradient points
 * out of the box are zeroed first (their mass would be clipped away), then the sign of the top 1% of |g| per
 * example, normalised to unit l1 norm.
 */
function sparseL1Step(grad: tf.Tensor, at?: { x: tf.Tensor; bounds: Bounds }): tf.Tensor {
  return tf.tidy(() => {
    const n = grad.shape[0];
    const d = size(grad.shape);
    const k = Math.max(1, Math.round(L1_SPARSITY * d));
    let g = grad;
    if (at) {
      const [lo, hi] = at.bounds;
      const outward = tf.logicalOr(tf.logicalAnd(at.x.lessEqual(lo), grad.less(0)), tf.logicalAnd(at.x.greaterEqual(hi), grad.greater(0)));
      g = tf.where(outward, tf.zerosLike(grad), grad);
    }
    const flat = g.reshape([n, d]);
    const kth = tf.topk(flat.abs(), k).values.slice([0, k - 1], [n, 1]);
    const mask = flat.abs().greaterEqual(kth).toFloat();
    const step = flat.sign().mul(mask);
    return step.div(step.abs().sum(1, true).maximum(1)).reshape(grad.shape);
  });
}

/** The hooks for each norm. */
export const NORM_HOOKS: Record<Norm, NormHooks> = {
  linf: {
    randomStart: (shape, eps, seed) => uniform(shape, -eps, eps, seed),
    normalize: (g) => tf.sign(g),
    project: (d, eps) => projectBall(d, 'linf', eps),
  },
  l2: {
    randomStart: (shape, eps, seed) =>
      tf.tidy(() => {
        // Uniform in the l2 ball: a Gaussian direction and radius eps * u^(1/d).
        const dir = normal(shape, 1, seed);
        const rng = new Rng(seed + 1);
        const r = tf.tensor1d(Array.from({ length: shape[0] }, () => eps * rng.next() ** (1 / size(shape))));
        return dir.div(perExample(lpNorm(dir, 'l2'), shape)).mul(perExample(r, shape));
      }),
    normalize: (g) => tf.tidy(() => g.div(perExample(lpNorm(g, 'l2').add(1e-12) as tf.Tensor1D, g.shape))),
    project: (d, eps) => projectBall(d, 'l2', eps),
  },
  l1: {
    randomStart: (shape, eps, seed) =>
      tf.tidy(() => {
        // Laplace direction normalised to the l1 sphere, radius eps * u^(1/d): a point inside the ball.
        const u = uniform(shape, -0.5, 0.5, seed);
        const lap = u.sign().neg().mul(tf.log1p(u.abs().mul(-2)));
        const rng = new Rng(seed + 1);
        const r = tf.tensor1d(Array.from({ length: shape[0] }, () => eps * rng.next() ** (1 / size(shape))));
        return lap.div(perExample(lpNorm(lap, 'l1').add(1e-12) as tf.Tensor1D, shape)).mul(perExample(r, shape));
      }),
    normalize: sparseL1Step,
    project: (d, eps) => projectBall(d, 'l1', eps),
  },
};

/** The checks of every gradient attack's options. */
export const GRADIENT_CHECKS: OptionFamily<GradientAttackOptions>['checks'] = {
  norm: is.oneOf(['linf', 'l2', 'l1'] as const),
  eps: is.nonNegative,
  steps: is.nonNegativeInt,
  restarts: is.positiveInt,
  randomStart: is.oneOf([false, 'uniform', 'normal'] as const),
  decay: is.nonNegative,
  stepSize: is.optional(is.nonNegative),
  relStepsize: is.nonNegative,
  startStd: is.positive,
};

/** The option family of a gradient attack with these defaults. */
export const gradientFamily = (defaults: GradientAttackOptions): OptionFamily<GradientAttackOptions> => ({ defaults, checks: GRADIENT_CHECKS });

/** Options with every field resolved. */
export type ResolvedGradientOptions = GradientAttackOptions & { stepSize: number; loss: ExampleLoss; bounds: Bounds; trainMode: boolean };

/** The step and the loss filled in (`stepSize ?? relStepsize * eps`, cross-entropy). */
function complete(o: GradientAttackOptions, bounds: Bounds): ResolvedGradientOptions {
  return { ...o, stepSize: stepSizeOf(o), loss: o.loss ?? ce, bounds, trainMode: o.trainMode ?? false };
}

/** Per-example loss and success (misclassified, or hitting the target) of `xAdv`. */
function lossAndSuccess(model: Classifier, xAdv: tf.Tensor, y: tf.Tensor1D, o: ResolvedGradientOptions): { loss: tf.Tensor1D; success: tf.Tensor1D } {
  return tf.tidy(() => {
    const f = model.apply(xAdv, { training: o.trainMode });
    const loss = o.loss({ model, x: xAdv, y, logits: f.logits, features: f.features });
    const pred = f.logits.argMax(1);
    const success = (o.targeted ? pred.equal(y) : pred.notEqual(y)) as tf.Tensor1D;
    return { loss: (o.targeted ? loss.neg() : loss) as tf.Tensor1D, success };
  });
}

/** One run of the loop from one start; returns adversarial inputs. */
function descend(model: Classifier, x: tf.Tensor, y: tf.Tensor1D, o: ResolvedGradientOptions, seed: number): tf.Tensor {
  const hooks = NORM_HOOKS[o.norm];
  const [lo, hi] = o.bounds;
  let xAdv = tf.tidy(() => {
    if (o.randomStart === 'uniform') return x.add(hooks.randomStart(x.shape, o.eps, seed)).clipByValue(lo, hi);
    if (o.randomStart === 'normal') return x.add(normal(x.shape, o.startStd, seed)).clipByValue(lo, hi);
    return x.clone();
  });
  let momentum: tf.Tensor | undefined;
  const objective = (xa: tf.Tensor): tf.Scalar => {
    const f = model.apply(xa, { training: o.trainMode });
    return o.loss({ model, x: xa, y, logits: f.logits, features: f.features }).sum() as tf.Scalar;
  };
  const gradOf = tf.grad(objective);
  for (let t = 0; t < o.steps; t++) {
    const [next, nextMomentum]: tf.Tensor[] = tf.tidy(() => {
      let g = gradOf(xAdv);
      if (o.targeted) g = g.neg();
      let m: tf.Tensor | undefined;
      if (o.decay > 0) {
        // MIM: accumulate l1-normalised gradients.
        const gn = g.div(perExample(lpNorm(g, 'l1').div(size(g.shape)).add(1e-12) as tf.Tensor1D, g.shape));
        m = momentumUpdate(gn, momentum, o.decay);
        g = m;
      }
      let step = hooks.normalize(g, { x: xAdv, bounds: o.bounds }).mul(o.stepSize);
      if (o.earlyStop) {
        const active = tf.logicalNot(lossAndSuccess(model, xAdv, y, o).success).toFloat();
        step = step.mul(perExample(active as tf.Tensor1D, step.shape));
      }
      const delta = hooks.project(xAdv.add(step).sub(x), o.eps);
      return m ? [x.add(delta).clipByValue(lo, hi), m] : [x.add(delta).clipByValue(lo, hi)];
    });
    xAdv.dispose();
    momentum?.dispose();
    xAdv = next;
    momentum = nextMomentum;
  }
  momentum?.dispose();
  return xAdv;
}

/**
 * The gradient loop with its restarts, keeping per example the restart that succeeds, else the one of
 * highest loss (all examples run every restart, as the TRADES / AT_HE evaluation code).
 */
export function gradientLoop({ model, x, y, o: opts, bounds }: LoopInput<GradientAttackOptions>): LoopOutput {
  const o = complete(opts, bounds);
  const rng = new Rng(o.seed);
  const adversarial = bestOfRuns(o.restarts, () => {
    const adv = descend(model, x, y, o, rng.seed());
    return o.restarts === 1 ? { adversarial: adv } : { adversarial: adv, ...lossAndSuccess(model, adv, y, o) };
  });
  return { adversarial };
}

/** A gradient attack in the frame, with these defaults. */
export function gradientDescentAttack(name: string, defaults: GradientAttackOptions): DefinedAttack<GradientAttackOptions> {
  return defineAttack({ name, family: gradientFamily(defaults), norm: (o) => o.norm, eps: (o) => o.eps, targeted: (o) => o.targeted, loop: gradientLoop });
}

/**
 * Runs the gradient loop over `defaults` (kept for callers of the earlier API: `pgd` is this with
 * `PGD_DEFAULTS`). `x` must be a batch in the bounds, `y` int labels (targets when `targeted`).
 * @example const xAdv = gradientAttack(model, x, y, PGD_DEFAULTS, { eps: 0.3 });
 */
export function gradientAttack(model: Classifier, x: tf.Tensor, y: tf.Tensor1D, defaults: GradientAttackOptions, opts?: Partial<GradientAttackOptions>): tf.Tensor {
  return gradientDescentAttack('gradient attack', defaults)(model, x, y, opts);
}

/** Resolves gradient-attack options against `defaults` with every check (the training methods' resolver). */
export function resolveGradientOptions(defaults: GradientAttackOptions, opts: Partial<GradientAttackOptions> = {}): GradientAttackOptions {
  return resolveOptions(gradientFamily(defaults), opts);
}
