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
import { checkInputs, checkLabels, checkNonNegative, checkOneOf, checkPositiveInt } from '../tensor/validate';
import { assert } from '../engine/assert';
import { msg } from '../messages';
import { lossAndGrad, mergeRows, predictSync, rows } from './util';

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
  /** Input bounds (default [0, 1]). */
  bounds: Bounds;
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
  bounds: [0, 1],
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

function resolve(opts: Partial<ApgdOptions>): ApgdOptions {
  const o = { ...APGD_DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) } as ApgdOptions;
  checkOneOf(o.norm, ['linf', 'l2'] as const, 'norm');
  checkNonNegative(o.eps, 'eps');
  checkPositiveInt(o.steps, 'steps');
  checkPositiveInt(o.restarts, 'restarts');
  checkNonNegative(o.rho, 'rho');
  checkNonNegative(o.momentum, 'momentum');
  assert(o.momentum <= 1, () => msg.atMost('momentum', 1, o.momentum));
  return o;
}

const lossFn = (l: ApgdOptions['loss']): ExampleLoss => (l === 'ce' ? ce : l === 'dlr' ? dlrLoss : l);

/** One APGD run from a random start. Returns per example the first misclassified point found, else the highest-loss point. */
function descend(model: Classifier, x: tf.Tensor, y: tf.Tensor1D, loss: ExampleLoss, o: ApgdOptions, seed: number): { adv: tf.Tensor; success: Uint8Array } {
  const n = x.shape[0];
  const hooks = NORM_HOOKS[o.norm];
  const [lo, hi] = o.bounds;
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
  return { adv, success };
}

/** Runs `run(xSub, ySub, r)` for each restart on the still-robust examples and merges successes. */
function withRestarts(
  model: Classifier,
  x: tf.Tensor,
  y: tf.Tensor1D,
  runs: number,
  run: (xs: tf.Tensor, ys: tf.Tensor1D, r: number) => { adv: tf.Tensor; success: Uint8Array },
): tf.Tensor {
  const labels = y.dataSync();
  let best: tf.Tensor | undefined;
  let robust = Array.from(predictSync(model, x), (p, i) => (p === labels[i] ? i : -1)).filter((i) => i >= 0);
  for (let r = 0; r < runs && robust.length > 0; r++) {
    const xs = rows(x, robust);
    const ys = rows(y, robust) as tf.Tensor1D;
    const res = run(xs, ys, r);
    const pos = new Map(robust.map((g, k) => [g, k]));
    // The first run's result is kept for every robust example (highest loss if not adversarial); later runs replace only successes.
    const take = Array.from({ length: x.shape[0] }, (_, g) => {
      const k = pos.get(g);
      return k === undefined ? -1 : r === 0 || res.success[k] ? k : -1;
    });
    const next = mergeRows(best ?? x, res.adv, take);
    best?.dispose();
    best = next;
    robust = robust.filter((_, k) => !res.success[k]);
    tf.dispose([xs, ys, res.adv]);
  }
  return best ?? x.clone();
}

/**
 * APGD (Croce & Hein, 2020, Algorithm 1) with cross-entropy (default) or DLR loss, restarts on the examples
 * still robust. Examples misclassified clean are returned unchanged.
 * @example const xAdv = apgd(model, x, y, { eps: 8 / 255, loss: 'dlr' });
 */
export function apgd(model: Classifier, x: tf.Tensor, y: tf.Tensor1D, opts: Partial<ApgdOptions> = {}): tf.Tensor {
  const o = resolve(opts);
  checkInputs(x, model.inputShape, o.bounds, 'x');
  checkLabels(y, x.shape[0], model.numClasses, 'y');
  const rng = new Rng(o.seed);
  const seeds = Array.from({ length: o.restarts }, () => rng.seed());
  return withRestarts(model, x, y, o.restarts, (xs, ys, r) => descend(model, xs, ys, lossFn(o.loss), o, seeds[r]));
}

/** APGD-CE: {@link apgd} with cross-entropy. */
export function apgdCe(model: Classifier, x: tf.Tensor, y: tf.Tensor1D, opts: Partial<Omit<ApgdOptions, 'loss'>> = {}): tf.Tensor {
  return apgd(model, x, y, { ...opts, loss: 'ce' });
}

/** APGD-DLR: {@link apgd} with the DLR loss (needs >= 3 classes). */
export function apgdDlr(model: Classifier, x: tf.Tensor, y: tf.Tensor1D, opts: Partial<Omit<ApgdOptions, 'loss'>> = {}): tf.Tensor {
  assert(model.numClasses >= 3, () => msg.tooFewClasses('APGD-DLR', 3, model.numClasses));
  return apgd(model, x, y, { ...opts, loss: 'dlr' });
}

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
export function apgdT(model: Classifier, x: tf.Tensor, y: tf.Tensor1D, opts: Partial<ApgdTOptions> = {}): tf.Tensor {
  const o = resolve(opts);
  const k = model.numClasses;
  assert(k >= 4, () => msg.tooFewClasses('APGD-T', 4, k));
  const nt = opts.targetClasses ?? Math.min(9, k - 1);
  checkPositiveInt(nt, 'targetClasses');
  assert(nt <= k - 1, () => msg.atMost('targetClasses', k - 1, nt));
  checkInputs(x, model.inputShape, o.bounds, 'x');
  checkLabels(y, x.shape[0], k, 'y');
  const rng = new Rng(o.seed);
  const seeds = Array.from({ length: nt * o.restarts }, () => rng.seed());
  return withRestarts(model, x, y, nt * o.restarts, (xs, ys, r) => {
    const rank = Math.floor(r / o.restarts) + 1;
    // The target of rank `rank` among the clean logits sorted in decreasing order (rank 0 is the label when correct).
    const target = tf.tidy(() => tf.topk(model.apply(xs, { training: false }).logits, rank + 1).indices.slice([0, rank], [-1, 1]).squeeze([1]) as tf.Tensor1D);
    try {
      return descend(model, xs, ys, dlrTargetedLoss(target), o, seeds[r]);
    } finally {
      target.dispose();
    }
  });
}
