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
import { margin } from '../losses/margin';
import { logitJacobian, mergeRows } from './util';
import { is, type OptionFamily } from './options';
import { defineAttack, type AttackResult, type LoopInput, type LoopOutput } from './frame';
import { adamDispose, adamInit, adamUpdate } from './optimizers';
import { msg } from '../messages';

/**
 * Result of a minimum-norm attack: the frame's {@link AttackResult} with `eps: null`. `adversarial` is, where
 * the attack failed, the last iterate (DeepFool) or the clean input (C&W).
 */
export type MinNormResult = AttackResult;

/** Options of {@link deepfool}. */
export interface DeepFoolOptions {
  /** 'l2' or 'linf' (default 'l2'). */
  norm: 'l2' | 'linf';
  /** Maximum iterations (default 100, as the paper). */
  steps: number;
  /** Overshoot: the final step is scaled by 1 + overshoot (default 0.02, as the paper). */
  overshoot: number;
  /** Input bounds (default: the model's, else [0, 1]). */
  bounds?: Bounds;
}

/** DeepFool defaults from the paper: 100 iterations, overshoot 0.02, l2. */
export const DEEPFOOL_DEFAULTS: DeepFoolOptions = { norm: 'l2', steps: 100, overshoot: 0.02 };

const DEEPFOOL: OptionFamily<DeepFoolOptions> = {
  defaults: DEEPFOOL_DEFAULTS,
  checks: { norm: is.oneOf(['l2', 'linf'] as const), steps: is.nonNegativeInt, overshoot: is.nonNegative },
};

/**
 * DeepFool (Moosavi-Dezfooli et al., 2016, Algorithm 2, multi-class; eq. 7 for l2 and its l-inf analogue with
 * the dual l1 norm): linearise the classifier, step to the nearest linearised boundary, repeat until the
 * prediction changes (each example stops on its own). On an affine binary classifier one step lands exactly
 * on the hyperplane (times 1 + overshoot).
 * Called, the adversarial inputs; `deepfool.record(...)` (= {@link deepfoolRecord}) the record with the norms.
 * @example const { adversarial, perturbationNorm } = deepfool.record(model, x, y, { norm: 'l2' });
 */
export const deepfool = defineAttack<DeepFoolOptions>({ name: 'deepfool', family: DEEPFOOL, norm: (o) => o.norm, eps: () => null, loop: deepfoolLoop });

/** DeepFool's record form: `deepfool.record`. */
export const deepfoolRecord = deepfool.record;

function deepfoolLoop({ model, x, y, o, bounds }: LoopInput<DeepFoolOptions>): LoopOutput {
  const K = model.numClasses;
  const [lo, hi] = bounds;
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
  return { adversarial };
}

/** Options of {@link cwL2}. */
export interface CwL2Options {
  /**
   * Adam steps per value of c (default 100; the reference code runs 10,000, so with the default the norms
   * are larger than the paper's: state it where a table reports C&W norms, as the record's `note` does).
   */
  steps: number;
  /** Binary-search steps over the constant c (default 9, as the paper). */
  binarySteps: number;
  /** Initial c (default 1e-3, as the paper). */
  initialConst: number;
  /** Adam learning rate (default 0.01, as the paper). */
  lr: number;
  /** Confidence kappa of the margin term (default 0). */
  confidence: number;
  /** Input bounds (default: the model's, else [0, 1]). */
  bounds?: Bounds;
}

/** C&W l2 defaults: 9 binary-search steps from c = 1e-3, Adam lr 0.01, kappa 0; 100 steps (the reference code: 10,000). */
export const CW_L2_DEFAULTS: CwL2Options = { steps: 100, binarySteps: 9, initialConst: 1e-3, lr: 0.01, confidence: 0 };

/** The step budget of the reference C&W l2 code (Carlini's `l2_attack.py`, MAX_ITERATIONS). */
export const CW_L2_REFERENCE_STEPS = 10000;

const CW_L2: OptionFamily<CwL2Options> = {
  defaults: CW_L2_DEFAULTS,
  checks: { steps: is.nonNegativeInt, binarySteps: is.positiveInt, initialConst: is.positive, lr: is.positive, confidence: is.nonNegative },
};

/**
 * Carlini-Wagner l2 attack (Carlini & Wagner, 2017, Sec. V.A): minimise `||x' - x||_2^2 + c max(Z_y - max_{i!=y} Z_i, -kappa)`
 * over `x' = (tanh(w) + 1) / 2` (scaled to the bounds) with Adam, and binary-search c per example: halve towards
 * the last failure after a success, multiply by 10 until the first success. Keeps the smallest successful perturbation.
 * Called, the adversarial inputs (clean inputs where it failed); `cwL2.record(...)` the record, whose `note`
 * states the step budget against the reference's 10,000.
 * @example const { perturbationNorm, note } = cwL2.record(model, x, y, { steps: 200 });
 */
export const cwL2 = defineAttack<CwL2Options>({
  name: 'cw-l2',
  family: CW_L2,
  norm: () => 'l2',
  eps: () => null,
  note: (o) => (o.steps < CW_L2_REFERENCE_STEPS ? msg.cwSteps(o.steps, CW_L2_REFERENCE_STEPS) : undefined),
  loop: cwL2Loop,
});

/** C&W l2's record form: `cwL2.record`. */
export const cwL2Record = cwL2.record;

function cwL2Loop({ model, x, y, o, bounds }: LoopInput<CwL2Options>): LoopOutput {
  const n = x.shape[0];
  const [lo, hi] = bounds;
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
    let adam = adamInit(x.shape);
    const found = new Uint8Array(n);
    for (let t = 1; t <= o.steps; t++) {
      // Adam (Kingma & Ba, 2015) with beta1 0.9, beta2 0.999, as the reference implementation.
      const g = gradOf(delta);
      const step = adamUpdate(g, adam, { lr: o.lr });
      const d = delta.add(step.update);
      tf.dispose([g, delta, step.update]);
      adamDispose(adam);
      delta = d;
      adam = step.state;
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
    tf.dispose([delta, cT]);
    adamDispose(adam);
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
  return { adversarial: best };
}
