/**
 * The one gradient loop behind FGSM, BIM, PGD (l-inf, l2, l1), MIM and loss-specific variants: per-norm
 * hooks for the random start, the step direction and the projection (foolbox's gradient_descent_base).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../models/classifier';
import type { GradientAttackOptions } from './types';
import type { ExampleLoss } from '../losses/types';
import type { Norm } from '../types';
import { ce } from '../losses/crossEntropy';
import { lpNorm, perExample, projectBall } from '../tensor/norms';
import { Rng, normal, uniform } from '../engine/seed';
import { checkInputs, checkLabels, checkNonNegative, checkNonNegativeInt, checkOneOf, checkPositiveInt, checkPositive } from '../tensor/validate';

/** Per-norm behaviour of the loop. */
export interface NormHooks {
  /** A random point of the ball of radius eps (a perturbation), shape `shape`. */
  randomStart(shape: number[], eps: number, seed: number): tf.Tensor;
  /** The steepest-ascent direction of unit norm for a gradient. */
  normalize(grad: tf.Tensor): tf.Tensor;
  /** Projection of a perturbation onto the ball. */
  project(delta: tf.Tensor, eps: number): tf.Tensor;
}

const size = (shape: number[]) => shape.slice(1).reduce((a, b) => a * b, 1);

/** Fraction of coordinates an l1 step moves (foolbox's SparseL1 quantile 0.99: the top 1%). */
const L1_SPARSITY = 0.01;

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
    normalize: (g) =>
      tf.tidy(() => {
        const n = g.shape[0];
        const d = size(g.shape);
        const k = Math.max(1, Math.round(L1_SPARSITY * d));
        const flat = g.reshape([n, d]);
        const kth = tf.topk(flat.abs(), k).values.slice([0, k - 1], [n, 1]);
        const mask = flat.abs().greaterEqual(kth).toFloat();
        const step = flat.sign().mul(mask);
        return step.div(step.abs().sum(1, true).maximum(1)).reshape(g.shape);
      }),
    project: (d, eps) => projectBall(d, 'l1', eps),
  },
};

/** Options with every field resolved. */
export type ResolvedGradientOptions = GradientAttackOptions & { stepSize: number; loss: ExampleLoss };

/** Fills defaults and checks every option; throws naming the option on bad input. */
export function resolveOptions(defaults: GradientAttackOptions, opts: Partial<GradientAttackOptions> = {}): ResolvedGradientOptions {
  const o = { ...defaults, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) } as GradientAttackOptions;
  checkOneOf(o.norm, ['linf', 'l2', 'l1'] as const, 'norm');
  checkNonNegative(o.eps, 'eps');
  checkNonNegativeInt(o.steps, 'steps');
  checkPositiveInt(o.restarts, 'restarts');
  checkOneOf(o.randomStart, [false, 'uniform', 'normal'] as const, 'randomStart');
  checkNonNegative(o.decay, 'decay');
  const stepSize = o.stepSize ?? o.relStepsize * o.eps;
  checkNonNegative(stepSize, 'stepSize');
  if (o.randomStart === 'normal') checkPositive(o.startStd, 'startStd');
  return { ...o, stepSize, loss: o.loss ?? ce };
}

/** Per-example loss and success (misclassified, or hitting the target) of `xAdv`. */
function evaluate(model: Classifier, xAdv: tf.Tensor, y: tf.Tensor1D, o: ResolvedGradientOptions): { loss: tf.Tensor1D; success: tf.Tensor1D } {
  return tf.tidy(() => {
    const f = model.apply(xAdv, { training: false });
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
    const f = model.apply(xa, { training: false });
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
        m = momentum ? momentum.mul(o.decay).add(gn) : gn;
        g = m;
      }
      let step = hooks.normalize(g).mul(o.stepSize);
      if (o.earlyStop) {
        const active = tf.logicalNot(evaluate(model, xAdv, y, o).success).toFloat();
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
 * Runs the gradient loop with restarts, keeping per example the restart that succeeds, else the one of
 * highest loss. `x` must be a batch in `bounds`, `y` int labels (targets when `targeted`).
 */
export function gradientAttack(model: Classifier, x: tf.Tensor, y: tf.Tensor1D, defaults: GradientAttackOptions, opts?: Partial<GradientAttackOptions>): tf.Tensor {
  const o = resolveOptions(defaults, opts);
  checkInputs(x, model.inputShape, o.bounds, 'x');
  checkLabels(y, x.shape[0], model.numClasses, 'y');
  const rng = new Rng(o.seed);
  let best = descend(model, x, y, o, rng.seed());
  if (o.restarts === 1) return best;
  let bestEval = evaluate(model, best, y, o);
  for (let r = 1; r < o.restarts; r++) {
    const cand = descend(model, x, y, o, rng.seed());
    const candEval = evaluate(model, cand, y, o);
    const [nextBest, nextLoss, nextSuccess] = tf.tidy(() => {
      // Success beats failure; among equals, the higher loss wins.
      const better = tf.logicalOr(
        tf.logicalAnd(candEval.success, tf.logicalNot(bestEval.success)),
        tf.logicalAnd(candEval.success.equal(bestEval.success), candEval.loss.greater(bestEval.loss)),
      );
      const mask = perExample(better as tf.Tensor1D, x.shape).tile([1, ...x.shape.slice(1)]);
      return [tf.where(mask, cand, best), tf.where(better, candEval.loss, bestEval.loss), tf.logicalOr(candEval.success, bestEval.success)];
    });
    for (const t of [best, cand, bestEval.loss, bestEval.success, candEval.loss, candEval.success]) t.dispose();
    best = nextBest;
    bestEval = { loss: nextLoss as tf.Tensor1D, success: nextSuccess as tf.Tensor1D };
  }
  bestEval.loss.dispose();
  bestEval.success.dispose();
  return best;
}
