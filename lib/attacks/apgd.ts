/**
 * Auto-PGD (Croce & Hein, 2020, "Reliable evaluation of adversarial robustness with an ensemble of diverse
 * parameter-free attacks", Algorithm 1): PGD with momentum 0.75 and a step size that starts at 2 eps and is
 * halved at checkpoints when the loss stalls; APGD-CE, APGD-DLR and the targeted APGD-T.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../models/classifier';
import type { ExampleLoss } from '../losses/types';
import type { Bounds } from '../types';
import { ce } from '../losses/crossEntropy';
import { dlrLoss, dlrTargetedLoss } from '../losses/margin';
import { NORM_HOOKS } from './gradientDescent';
import { perExample, projectThreat } from '../tensor/norms';
import { Rng } from '../engine/seed';
import { assert } from '../engine/assert';
import { msg } from '../messages';
import { lossAndGrad, mergeRows } from './util';
import { is, type OptionFamily } from './options';
import { defineAttack, targetCount, untilFooled, type DefinedAttack, type Run } from './frame';

/** Options of {@link apgd}. */
export interface ApgdOptions {
  /** Threat model norm (AutoAttack's 'Linf' and 'L2'). Default 'linf'. */
  norm: 'linf' | 'l2';
  /** Radius (default 8/255). */
  eps: number;
  /** Iterations per restart (default 100, the AutoAttack standard version). */
  steps: number;
  /** Restarts, each on the examples still robust (default 1). */
  restarts: number;
  /** Loss maximised: 'ce', 'dlr' or any per-example loss (default 'ce'). */
  loss: 'ce' | 'dlr' | ExampleLoss;
  /** Checkpoint threshold rho: halve the step when fewer than rho of the steps since the last checkpoint raised the loss (0.75). */
  rho: number;
  /** Momentum alpha of the update (0.75). */
  momentum: number;
  /** Seed of the random starts (default 0). */
  seed: number;
  /** Input bounds (default: the model's, else [0, 1]). */
  bounds?: Bounds;
}

/** APGD defaults as in AutoAttack's standard version: 100 iterations, rho 0.75, alpha 0.75, l-inf 8/255. */
export const APGD_DEFAULTS: ApgdOptions = {
  norm: 'linf',
  eps: 8 / 255,
  steps: 100,
  restarts: 1,
  loss: 'ce',
  rho: 0.75,
  momentum: 0.75,
  seed: 0,
};

/**
 * Checkpoints of the step-size schedule as iteration counts: w_j = ceil(p_j N) with p_0 = 0, p_1 = 0.22,
 * p_{j+1} = p_j + max(p_j - p_{j-1} - 0.03, 0.06) (paper, Sec. 3.2), in the integer form of the reference
 * code (first interval floor(0.22 N), shrinking by floor(0.03 N), at least floor(0.06 N); each at least 1),
 * which avoids floating drift in the sums.
 */
export function apgdCheckpoints(steps: number): number[] {
  const w = [0];
  let k = Math.max(Math.floor(0.22 * steps), 1);
  const decr = Math.max(Math.floor(0.03 * steps), 1);
  const min = Math.max(Math.floor(0.06 * steps), 1);
  while (w[w.length - 1] + k < steps) {
    w.push(w[w.length - 1] + k);
    k = Math.max(k - decr, min);
  }
  return w;
}

/** APGD's option family: {@link APGD_DEFAULTS} and a check per option. */
export const APGD: OptionFamily<ApgdOptions> = {
  defaults: APGD_DEFAULTS,
  checks: { norm: is.oneOf(['linf', 'l2'] as const), eps: is.nonNegative, steps: is.positiveInt, restarts: is.positiveInt, rho: is.nonNegative, momentum: is.inRange(1) },
};

const lossFn = (l: ApgdOptions['loss']): ExampleLoss => (l === 'ce' ? ce : l === 'dlr' ? dlrLoss : l);

/** One APGD run from a random start. Returns per example the first misclassified point found, else the highest-loss point. */
function descend(model: Classifier, x: tf.Tensor, y: tf.Tensor1D, loss: ExampleLoss, o: ApgdOptions, bounds: Bounds, seed: number): Run {
  const n = x.shape[0];
  const hooks = NORM_HOOKS[o.norm];
  const [lo, hi] = bounds;
  const labels = y.dataSync();
  const project = (v: tf.Tensor) => projectThreat(v, x, o.norm, o.eps, lo, hi);
  let xAdv = tf.tidy(() => project(x.add(hooks.randomStart(x.shape, o.eps, seed))));
  let cur = lossAndGrad(model, loss, xAdv, y);
  let xPrev = xAdv.clone();
  let xBest = xAdv.clone();
  let gradBest = cur.grad.clone();
  let xBestAdv = xAdv.clone();
  const success = new Uint8Array(n);
  const markSuccess = (pred: tf.Tensor1D, at: tf.Tensor) => {
    const p = pred.dataSync();
    const take = Array.from(p, (v, i) => (v !== labels[i] && !success[i] ? i : -1));
    if (take.some((t) => t >= 0)) {
      const next = mergeRows(xBestAdv, at, take);
      xBestAdv.dispose();
      xBestAdv = next;
      take.forEach((t, i) => t >= 0 && (success[i] = 1));
    }
  };
  markSuccess(cur.pred, xAdv);
  let lossCur = Float32Array.from(cur.loss.dataSync());
  const lossBest = Float32Array.from(lossCur);
  let lossBestLastCheck = Float32Array.from(lossBest);
  const reducedLast = new Uint8Array(n).fill(1);
  const increases = new Int32Array(n);
  const step = new Float32Array(n).fill(2 * o.eps);
  const checkpoints = new Set(apgdCheckpoints(o.steps).slice(1));
  let sinceCheck = 0;
  for (let i = 0; i < o.steps; i++) {
    const a = i === 0 ? 1 : o.momentum;
    const next = tf.tidy(() => {
      const eta = perExample(tf.tensor1d(step), x.shape);
      const z = project(xAdv.add(hooks.normalize(cur.grad).mul(eta)));
      return project(xAdv.add(z.sub(xAdv).mul(a)).add(xAdv.sub(xPrev).mul(1 - a)));
    });
    xPrev.dispose();
    xPrev = xAdv;
    xAdv = next;
    const prev = cur;
    cur = lossAndGrad(model, loss, xAdv, y);
    tf.dispose([prev.loss, prev.grad, prev.pred]);
    markSuccess(cur.pred, xAdv);
    const l = cur.loss.dataSync();
    const improved = Array.from(l, (v, j) => (v > lossBest[j] ? j : -1));
    for (let j = 0; j < n; j++) {
      if (l[j] > lossCur[j]) increases[j]++;
      if (l[j] > lossBest[j]) lossBest[j] = l[j];
    }
    lossCur = Float32Array.from(l);
    if (improved.some((t) => t >= 0)) {
      const nb = mergeRows(xBest, xAdv, improved);
      const ng = mergeRows(gradBest, cur.grad, improved);
      tf.dispose([xBest, gradBest]);
      xBest = nb;
      gradBest = ng;
    }
    sinceCheck++;
    if (checkpoints.has(i + 1) && i + 1 < o.steps) {
      // Condition 1: too few loss increases since the last checkpoint; condition 2: the step was not reduced
      // last time and the best loss did not improve. Either halves the step and restarts from the best point.
      const reduce = Array.from({ length: n }, (_, j) => {
        const c1 = increases[j] < o.rho * sinceCheck;
        const c2 = !reducedLast[j] && lossBestLastCheck[j] >= lossBest[j];
        return c1 || c2;
      });
      const take = reduce.map((r, j) => (r ? j : -1));
      if (reduce.some(Boolean)) {
        const nx = mergeRows(xAdv, xBest, take);
        const ng = mergeRows(cur.grad, gradBest, take);
        tf.dispose([xAdv, cur.grad]);
        xAdv = nx;
        cur.grad = ng;
        for (let j = 0; j < n; j++) if (reduce[j]) step[j] /= 2;
      }
      for (let j = 0; j < n; j++) reducedLast[j] = reduce[j] ? 1 : 0;
      lossBestLastCheck = Float32Array.from(lossBest);
      increases.fill(0);
      sinceCheck = 0;
    }
  }
  const adv = mergeRows(xBest, xBestAdv, Array.from(success, (s, j) => (s ? j : -1)));
  tf.dispose([xAdv, xPrev, xBest, gradBest, xBestAdv, cur.loss, cur.grad, cur.pred]);
  return { adversarial: adv, success };
}

const apgdSpec = (name: string, force?: Partial<ApgdOptions>, checkModel?: (model: Classifier) => void) =>
  defineAttack<ApgdOptions>({
    name,
    family: APGD,
    norm: (o) => o.norm,
    eps: (o) => o.eps,
    checkModel: checkModel && ((m) => checkModel(m)),
    loop: ({ model, x, y, o: given, bounds }) => {
      const o = { ...given, ...force };
      const rng = new Rng(o.seed);
      const seeds = Array.from({ length: o.restarts }, () => rng.seed());
      return { adversarial: untilFooled(model, x, y, o.restarts, (xs, ys, r) => descend(model, xs, ys, lossFn(o.loss), o, bounds, seeds[r])) };
    },
  });

/**
 * APGD (Croce & Hein, 2020, Algorithm 1) with cross-entropy (default) or DLR loss, restarts on the examples
 * still robust. Examples misclassified clean are returned unchanged. `apgd.record(...)` for the record.
 * @example const xAdv = apgd(model, x, y, { eps: 8 / 255, loss: 'dlr' });
 */
export const apgd = apgdSpec('apgd');

/** APGD-CE: {@link apgd} with cross-entropy (a `loss` option is overridden). */
export const apgdCe: DefinedAttack<ApgdOptions> = apgdSpec('apgd-ce', { loss: 'ce' });

/** APGD-DLR: {@link apgd} with the DLR loss (needs >= 3 classes; a `loss` option is overridden). */
export const apgdDlr: DefinedAttack<ApgdOptions> = apgdSpec('apgd-dlr', { loss: 'dlr' }, (m) => assert(m.numClasses >= 3, () => msg.tooFewClasses('APGD-DLR', 3, m.numClasses)));

/** Options of {@link apgdT}: {@link ApgdOptions} plus the number of target classes (9 in AutoAttack for 10 classes). */
export interface ApgdTOptions extends Omit<ApgdOptions, 'loss'> {
  /** Targets tried in turn: the 2nd, 3rd, ... most likely classes on the clean input (default min(9, K - 1)). */
  targetClasses?: number;
}

/**
 * APGD-T (Croce & Hein, 2020): APGD with the targeted DLR loss towards each of the `targetClasses` most
 * likely wrong classes in turn, `restarts` runs per target, each on the examples still robust. Needs >= 4 classes.
 * @example const xAdv = apgdT(model, x, y, { eps: 8 / 255, targetClasses: 9 });
 */
export const apgdT = defineAttack<ApgdTOptions>({
  name: 'apgd-t',
  family: APGD as OptionFamily<ApgdTOptions>,
  norm: (o) => o.norm,
  eps: (o) => o.eps,
  checkModel: (model, o) => {
    assert(model.numClasses >= 4, () => msg.tooFewClasses('APGD-T', 4, model.numClasses));
    targetCount(model, o.targetClasses);
  },
  loop: ({ model, x, y, o, bounds }) => {
    const nt = targetCount(model, o.targetClasses);
    const rng = new Rng(o.seed);
    const seeds = Array.from({ length: nt * o.restarts }, () => rng.seed());
    const adversarial = untilFooled(model, x, y, nt * o.restarts, (xs, ys, r) => {
      const rank = Math.floor(r / o.restarts) + 1;
      // The target of rank `rank` among the clean logits sorted in decreasing order (rank 0 is the label when correct).
      const target = tf.tidy(() => tf.topk(model.apply(xs, { training: false }).logits, rank + 1).indices.slice([0, rank], [-1, 1]).squeeze([1]) as tf.Tensor1D);
      try {
        return descend(model, xs, ys, dlrTargetedLoss(target), { ...o, loss: 'dlr' }, bounds, seeds[r]);
      } finally {
        target.dispose();
      }
    });
    return { adversarial };
  },
});
