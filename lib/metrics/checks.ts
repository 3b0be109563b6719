/**
 * Gradient-masking and set-up checks of a robust evaluation, each its own function returning a flag with a
 * code and a message or nothing (AutoAttack's `autoattack/checks.py`; Athalye et al., 2018, Sec. 3.1).
 * `evaluate()` runs them; they can also be run alone.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../models/classifier';
import { ce } from '../losses/crossEntropy';
import { lossAndGrad, rows } from '../attacks/util';
import { msg } from '../messages';

/** What a flag says. */
export type FlagCode =
  | 'zero-gradients'
  | 'randomness'
  | 'eps-not-monotone'
  | 'black-box-stronger'
  | 'probabilities-not-logits'
  | 'fast-ensemble'
  | 'left-threat-model';

/** A raised flag: a stable code for programs and a message (from messages.ts) for people. */
export interface Flag {
  code: FlagCode;
  message: string;
}

/**
 * Fraction of the examples `idx` whose cross-entropy input gradient is exactly zero, in batches of `batchSize`
 * (AutoAttack's `check_zero_gradients`); flagged when above 0.
 */
export async function zeroGradients(model: Classifier, x: tf.Tensor, y: tf.Tensor1D, idx: readonly number[], batchSize: number): Promise<{ fraction: number; flag?: Flag }> {
  let zero = 0;
  for (let s = 0; s < idx.length; s += batchSize) {
    const part = idx.slice(s, s + batchSize);
    const xb = rows(x, part);
    const yb = rows(y, part) as tf.Tensor1D;
    const lg = lossAndGrad(model, ce, xb, yb);
    const m = tf.tidy(() => lg.grad.reshape([part.length, -1]).abs().max(1));
    zero += Array.from(await m.data()).filter((v) => v === 0).length;
    tf.dispose([xb, yb, lg.loss, lg.grad, lg.pred, m]);
  }
  const fraction = idx.length ? zero / idx.length : 0;
  return fraction > 0 ? { fraction, flag: { code: 'zero-gradients', message: msg.maskingZeroGradients(fraction) } } : { fraction };
}

/** Max |difference| of the logits of two identical forward passes on `x` (AutoAttack's `check_randomized`). */
export async function randomness(model: Classifier, x: tf.Tensor): Promise<{ difference: number; flag?: Flag }> {
  const diff = tf.tidy(() => model.apply(x, { training: false }).logits.sub(model.apply(x, { training: false }).logits).abs().max());
  const difference = (await diff.data())[0];
  diff.dispose();
  return difference > 0 ? { difference, flag: { code: 'randomness', message: msg.maskingRandom(difference) } } : { difference };
}

/**
 * The model's outputs look like probabilities, not logits: every row in [0, 1] summing to 1 within `tol`
 * (AutoAttack's `check_range_output`). Attacks on the cross-entropy of probabilities see flat losses.
 */
export async function probabilityOutputs(model: Classifier, x: tf.Tensor, tol = 1e-5): Promise<Flag | undefined> {
  const [lo, hi, sumErr] = tf.tidy(() => {
    const z = model.apply(x, { training: false }).logits;
    return [z.min(), z.max(), z.sum(1).sub(1).abs().max()];
  });
  const v = [(await lo.data())[0], (await hi.data())[0], (await sumErr.data())[0]];
  tf.dispose([lo, hi, sumErr]);
  return v[0] > -tol && v[1] < 1 + tol && v[2] < tol ? { code: 'probabilities-not-logits', message: msg.probabilityOutputs() } : undefined;
}

/**
 * Robust accuracy must fall as eps grows (an attack at a larger radius is at least as strong): flagged when
 * the largest radius's accuracy is not below the first one's (unbounded attacks reach 0; Athalye et al.).
 */
export function epsNotMonotone(accuracyByEps: readonly { eps: number; accuracy: number }[]): Flag | undefined {
  if (accuracyByEps.length < 2) return undefined;
  const base = accuracyByEps[0];
  const last = accuracyByEps[accuracyByEps.length - 1];
  return base.accuracy > 0 && last.accuracy >= base.accuracy ? { code: 'eps-not-monotone', message: msg.maskingEps(base.eps, base.accuracy, last.eps, last.accuracy) } : undefined;
}

/** A score-based attack fooled points the white-box attacks before it had missed (AutoAttack's `check_square_sr`). */
export function blackBoxStronger(attacks: string, flipped: number): Flag | undefined {
  return flipped > 0 ? { code: 'black-box-stronger', message: msg.maskingBlackBox(attacks, flipped) } : undefined;
}
