/**
 * Minimum-norm attacks: DeepFool (Moosavi-Dezfooli et al., 2016) in l2 and l-inf, and the Carlini-Wagner l2
 * attack (Carlini & Wagner, 2017). They look for the smallest perturbation that changes the prediction
 * instead of the worst case inside a ball, so they return a record with the norm they needed.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../models/classifier';
import type { Bounds } from '../types';
import { lpNorm } from '../tensor/norms';
import { checkInputs, checkLabels, checkNonNegative, checkNonNegativeInt, checkOneOf, checkPositive, checkPositiveInt } from '../tensor/validate';
import { margin } from '../losses/margin';
import { logitJacobian, mergeRows, withDefaults } from './util';

/** Result of a minimum-norm attack (foolbox's named record). */
export interface MinNormResult {
  /** Adversarial inputs; where the attack failed, the last iterate (DeepFool) or the clean input (C&W). */
  adversarial: tf.Tensor;
  /** Per example: misclassified at `adversarial`. */
  success: boolean[];
  /** Per example: the norm of `adversarial - x` in the attack's norm. */
  perturbationNorm: number[];
}

/** Options of {@link deepfool}. */
export interface DeepFoolOptions {
  /** 'l2' or 'linf' (default 'l2'). */
  norm: 'l2' | 'linf';
  /** Maximum iterations (default 100, as the paper). */
  steps: number;
  /** Overshoot: the final step is scaled by 1 + overshoot (default 0.02, as the paper). */
  overshoot: number;
  /** Input bounds (default [0, 1]). */
  bounds: Bounds;
}

/** DeepFool defaults from the paper: 100 iterations, overshoot 0.02, l2. */
export const DEEPFOOL_DEFAULTS: DeepFoolOptions = { norm: 'l2', steps: 100, overshoot: 0.02, bounds: [0, 1] };

/**
 * DeepFool (Moosavi-Dezfooli et al., 2016, Algorithm 2, multi-class; eq. 7 for l2 and its l-inf analogue with
 * the dual l1 norm): linearise the classifier, step to the nearest linearised boundary, repeat until the
 * prediction changes (each example stops on its own). On an affine binary classifier one step lands exactly
 * on the hyperplane (times 1 + overshoot).
 * @example const { adversarial, perturbationNorm } = deepfoolRecord(model, x, y, { norm: 'l2' });
 */
export function deepfoolRecord(model: Classifier, x: tf.Tensor, y: tf.Tensor1D, opts: Partial<DeepFoolOptions> = {}): MinNormResult {
  const o = withDefaults(DEEPFOOL_DEFAULTS, opts);
  checkOneOf(o.norm, ['l2', 'linf'] as const, 'norm');
  checkNonNegativeInt(o.steps, 'steps');
  checkNonNegative(o.overshoot, 'overshoot');
  checkInputs(x, model.inputShape, o.bounds, 'x');
  checkLabels(y, x.shape[0], model.numClasses, 'y');
  const K = model.numClasses;
  const [lo, hi] = o.bounds;
  const labels = y.dataSync();
  let rTot = tf.zerosLike(x);
  const current = () => tf.tidy(() => x.add(rTot.mul(1 + o.overshoot)).clipByValue(lo, hi));
  for (let t = 0; t < o.steps; t++) {
    const xAdv = current();
    const logits = tf.tidy(() => model.apply(xAdv, { training: false }).logits);
    const predT = tf.tidy(() => logits.argMax(1));
    const pred = predT.dataSync();
    predT.dispose();
    const active = Array.from(pred, (p, i) => p === labels[i]);
    if (!active.some(Boolean)) {
      tf.dispose([xAdv, logits]);
      break;
    }
    const next = tf.tidy(() => {
      // Per-class input gradients of the logits: K backward passes (the Jacobian rows).
      const J = logitJacobian(model, xAdv);
      J.logits.dispose();
      const jac = J.jacobian; // [n, K, d]
      const n = x.shape[0];
      const flat = (g: tf.Tensor) => g.reshape([n, -1]);
      const oh = tf.oneHot(y.toInt(), K).toFloat();
      const zy = logits.mul(oh).sum(1);
      const gy = jac.mul(oh.expandDims(2)).sum(1); // [n, d]
      const dual = o.norm === 'l2' ? 'l2' : 'l1';
      let best = tf.fill([n], Infinity);
      let step = tf.zerosLike(flat(x));
      for (let k = 0; k < K; k++) {
        const w = jac.slice([0, k, 0], [-1, 1, -1]).squeeze([1]).sub(gy) as tf.Tensor2D;
        const f = logits.slice([0, k], [-1, 1]).squeeze([1]).sub(zy).abs();
        const wn = lpNorm(w, dual).add(1e-12);
        // The label's own row has f = 0 and w = 0: exclude it.
        const isLabel = tf.equal(y.toInt(), k);
        const dist = tf.where(isLabel, tf.fill([n], Infinity), f.div(wn));
        const closer = dist.less(best);
        // Step onto the linearised boundary of class k; the 1e-4 pushes just across (as the reference code).
        const r = o.norm === 'l2' ? w.mul(f.add(1e-4).div(wn.square()).expandDims(1)) : w.sign().mul(f.add(1e-4).div(wn).expandDims(1));
        step = tf.where(closer.expandDims(1).tile([1, w.shape[1] as number]), r, step);
        best = tf.where(closer, dist, best);
      }
      const mask = tf.tensor1d(active.map((a) => (a ? 1 : 0)));
      return rTot.add(step.mul(mask.expandDims(1)).reshape(x.shape));
    });
    tf.dispose([xAdv, logits, rTot]);
    rTot = next;
  }
  const adversarial = current();
  rTot.dispose();
  return minNormResult(model, x, y, adversarial, o.norm);
}

/** Builds a minimum-norm attack's record: success and norms of `adversarial` (which it keeps) against `x`. */
export function minNormResult(model: Classifier, x: tf.Tensor, y: tf.Tensor1D, adversarial: tf.Tensor, norm: 'l2' | 'linf'): MinNormResult {
  const [pred, dist] = tf.tidy(() => [model.apply(adversarial, { training: false }).logits.argMax(1), lpNorm(adversarial.sub(x), norm)]);
  const labels = y.dataSync();
  const success = Array.from(pred.dataSync(), (p, i) => p !== labels[i]);
  const perturbationNorm = Array.from(dist.dataSync());
  tf.dispose([pred, dist]);
  return { adversarial, success, perturbationNorm };
}

/**
 * DeepFool returning only the adversarial inputs (the common attack call shape).
 * @example const xAdv = deepfool(model, x, y, { norm: 'linf' });
 */
export function deepfool(model: Classifier, x: tf.Tensor, y: tf.Tensor1D, opts: Partial<DeepFoolOptions> = {}): tf.Tensor {
  return deepfoolRecord(model, x, y, opts).adversarial;
}

/** Options of {@link cwL2}. */
export interface CwL2Options {
  /** Adam steps per value of c (paper: up to 10,000; default 100). */
  steps: number;
  /** Binary-search steps over the constant c (default 9, as the paper). */
  binarySteps: number;
  /** Initial c (default 1e-3, as the paper). */
  initialConst: number;
  /** Adam learning rate (default 0.01, as the paper). */
  lr: number;
  /** Confidence kappa of the margin term (default 0). */
  confidence: number;
  /** Input bounds (default [0, 1]). */
  bounds: Bounds;
}

/** C&W l2 defaults: 9 binary-search steps from c = 1e-3, Adam lr 0.01, kappa 0; 100 steps (the paper runs up to 10,000). */
export const CW_L2_DEFAULTS: CwL2Options = { steps: 100, binarySteps: 9, initialConst: 1e-3, lr: 0.01, confidence: 0, bounds: [0, 1] };

/**
 * Carlini-Wagner l2 attack (Carlini & Wagner, 2017, Sec. V.A): minimise `||x' - x||_2^2 + c max(Z_y - max_{i!=y} Z_i, -kappa)`
 * over `x' = (tanh(w) + 1) / 2` (scaled to the bounds) with Adam, and binary-search c per example: halve towards
 * the last failure after a success, multiply by 10 until the first success. Keeps the smallest successful perturbation.
 * @example const { perturbationNorm } = cwL2Record(model, x, y, { steps: 200 });
 */
export function cwL2Record(model: Classifier, x: tf.Tensor, y: tf.Tensor1D, opts: Partial<CwL2Options> = {}): MinNormResult {
  const o = withDefaults(CW_L2_DEFAULTS, opts);
  checkNonNegativeInt(o.steps, 'steps');
  checkPositiveInt(o.binarySteps, 'binarySteps');
  checkPositive(o.initialConst, 'initialConst');
  checkPositive(o.lr, 'lr');
  checkNonNegative(o.confidence, 'confidence');
  checkInputs(x, model.inputShape, o.bounds, 'x');
  checkLabels(y, x.shape[0], model.numClasses, 'y');
  const n = x.shape[0];
  const [lo, hi] = o.bounds;
  const toBox = (w: tf.Tensor) => w.tanh().add(1).div(2).mul(hi - lo).add(lo);
  // atanh of the clean input, shrunk slightly so that inputs on the bounds stay finite.
  const w0 = tf.tidy(() => tf.atanh(x.sub(lo).div(hi - lo).mul(2).sub(1).mul(0.999999)));
  const c = new Float32Array(n).fill(o.initialConst);
  const lower = new Float32Array(n);
  const upper = new Float32Array(n).fill(Infinity);
  const bestL2 = new Float32Array(n).fill(Infinity);
  let best = x.clone();
  const objective = (cT: tf.Tensor1D) =>
    tf.grad((delta: tf.Tensor) => {
      const xa = toBox(w0.add(delta));
      const l2sq = xa.sub(x).reshape([n, -1]).square().sum(1);
      const m = margin(model.apply(xa, { training: false }).logits, y).maximum(-o.confidence);
      return l2sq.add(cT.mul(m)).sum();
    });
  for (let b = 0; b < o.binarySteps; b++) {
    const cT = tf.tensor1d(c);
    const gradOf = objective(cT);
    let delta = tf.zerosLike(x);
    let m1 = tf.zerosLike(x);
    let m2 = tf.zerosLike(x);
    const found = new Uint8Array(n);
    for (let t = 1; t <= o.steps; t++) {
      const [d, a, v] = tf.tidy(() => {
        // Adam (Kingma & Ba, 2015) with beta1 0.9, beta2 0.999, as the reference implementation.
        const g = gradOf(delta);
        const na = m1.mul(0.9).add(g.mul(0.1));
        const nv = m2.mul(0.999).add(g.square().mul(0.001));
        const mh = na.div(1 - 0.9 ** t);
        const vh = nv.div(1 - 0.999 ** t);
        return [delta.sub(mh.div(vh.sqrt().add(1e-8)).mul(o.lr)), na, nv];
      });
      tf.dispose([delta, m1, m2]);
      delta = d;
      m1 = a;
      m2 = v;
      const xa = tf.tidy(() => toBox(w0.add(delta)));
      const [mg, l2] = tf.tidy(() => [margin(model.apply(xa, { training: false }).logits, y), lpNorm(xa.sub(x), 'l2')]);
      const mv = mg.dataSync();
      const lv = l2.dataSync();
      const take = Array.from(mv, (v2, i) => {
        // Success with confidence: the best wrong logit leads by at least kappa (and at all when kappa = 0).
        const ok = v2 < 0 && v2 <= -o.confidence;
        if (ok) found[i] = 1;
        return ok && lv[i] < bestL2[i] ? i : -1;
      });
      if (take.some((i) => i >= 0)) {
        const nb = mergeRows(best, xa, take);
        best.dispose();
        best = nb;
        take.forEach((i) => i >= 0 && (bestL2[i] = lv[i]));
      }
      tf.dispose([xa, mg, l2]);
    }
    tf.dispose([delta, m1, m2, cT]);
    for (let i = 0; i < n; i++) {
      if (found[i]) {
        upper[i] = Math.min(upper[i], c[i]);
        c[i] = (lower[i] + upper[i]) / 2;
      } else {
        lower[i] = Math.max(lower[i], c[i]);
        c[i] = Number.isFinite(upper[i]) ? (lower[i] + upper[i]) / 2 : c[i] * 10;
      }
    }
  }
  w0.dispose();
  return minNormResult(model, x, y, best, 'l2');
}

/**
 * C&W l2 returning only the adversarial inputs (clean inputs where it failed).
 * @example const xAdv = cwL2(model, x, y, { binarySteps: 5 });
 */
export function cwL2(model: Classifier, x: tf.Tensor, y: tf.Tensor1D, opts: Partial<CwL2Options> = {}): tf.Tensor {
  return cwL2Record(model, x, y, opts).adversarial;
}
