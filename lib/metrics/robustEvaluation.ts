/**
 * AutoAttack-style robust evaluation (Croce & Hein, 2020): an ensemble of attacks run in order, each on the
 * points still robust, with per-attack and final robust accuracy, plus the gradient-masking checks of
 * Athalye et al. (2018) and AutoAttack's flags, returned as a plain record and printed.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../models/classifier';
import type { Norm } from '../types';
import { accuracyRecord, type AccuracyRecord } from './accuracy';
import { apgd, apgdT } from '../attacks/apgd';
import { fab, fabT } from '../attacks/fab';
import { square } from '../attacks/square';
import { cwLoss } from '../losses/margin';
import { ce } from '../losses/crossEntropy';
import { lossAndGrad, predictSync, rows } from '../attacks/util';
import { checkInputs, checkLabels, checkNonNegative, checkOneOf, checkPositiveInt } from '../tensor/validate';
import { msg } from '../messages';

/** One member of the ensemble. */
export interface EvaluationAttack {
  /** Name in the report. */
  name: string;
  /** Runs the attack at the evaluation's threat model; returns adversarial inputs. */
  run: (model: Classifier, x: tf.Tensor, y: tf.Tensor1D, threat: { norm: Norm; eps: number; seed: number }) => tf.Tensor;
  /** Score-based attack: if it fools points the white-box attacks before it missed, gradient masking is flagged. */
  blackBox?: boolean;
}

/** Options of {@link defaultAttacks}. */
export interface EnsembleOptions {
  /**
   * 'fast' (default): the two APGD attacks only, cheap enough for tests and notebooks. 'standard': AutoAttack's
   * standard version, APGD-CE, APGD-T, FAB-T and Square (l-inf), in that order.
   */
  version: 'fast' | 'standard';
  /** Norm the ensemble will be run at: Square (l-inf only) joins the standard version for 'linf' (default 'linf'). */
  norm: 'linf' | 'l2';
  /** Square's query budget per example (default 5000, as AutoAttack). */
  queries: number;
}

/**
 * The default ensemble for `numClasses` classes, after AutoAttack's standard version: APGD-CE, then APGD-T
 * (>= 4 classes) or APGD-DLR (3 classes) or APGD with the C&W margin (2 classes, where DLR is undefined),
 * `steps` iterations each. With `version: 'standard'` FAB follows (FAB-T over min(9, K - 1) targets for >= 4
 * classes, untargeted FAB below), `steps` iterations, then for 'linf' the Square Attack with `queries` queries,
 * flagged as black-box (a point it fools after the white-box attacks missed it raises the masking flag).
 * @example const attacks = defaultAttacks(10, 100, { version: 'standard', norm: 'linf' });
 */
export function defaultAttacks(numClasses: number, steps = 100, opts: Partial<EnsembleOptions> = {}): EvaluationAttack[] {
  const version = opts.version ?? 'fast';
  const norm = opts.norm ?? 'linf';
  const queries = opts.queries ?? 5000;
  checkOneOf(version, ['fast', 'standard'] as const, 'version');
  checkOneOf(norm, ['linf', 'l2'] as const, 'norm');
  checkPositiveInt(queries, 'queries');
  // The evaluation's threat model with this ensemble's iterations, for the gradient attacks (l-inf or l2).
  const at = (t: Parameters<EvaluationAttack['run']>[3]) => ({ ...t, norm: t.norm as 'linf' | 'l2', steps });
  const ceAttack: EvaluationAttack = { name: 'apgd-ce', run: (m, x, y, t) => apgd(m, x, y, { ...at(t), loss: 'ce' }) };
  const second: EvaluationAttack =
    numClasses >= 4
      ? { name: 'apgd-t', run: (m, x, y, t) => apgdT(m, x, y, at(t)) }
      : numClasses === 3
        ? { name: 'apgd-dlr', run: (m, x, y, t) => apgd(m, x, y, { ...at(t), loss: 'dlr' }) }
        : { name: 'apgd-cw', run: (m, x, y, t) => apgd(m, x, y, { ...at(t), loss: cwLoss }) };
  if (version === 'fast') return [ceAttack, second];
  // AutoAttack runs FAB-T only where APGD-T runs; with fewer classes the untargeted FAB covers every boundary.
  const fabAttack: EvaluationAttack =
    numClasses >= 4 ? { name: 'fab-t', run: (m, x, y, t) => fabT(m, x, y, at(t)) } : { name: 'fab', run: (m, x, y, t) => fab(m, x, y, at(t)) };
  // Square is given the evaluation's norm so that running a 'linf' list at 'l2' fails with a named error.
  const squareAttack: EvaluationAttack = { name: 'square', blackBox: true, run: (m, x, y, t) => square(m, x, y, { ...t, norm: t.norm as 'linf', queries }) };
  return norm === 'linf' ? [ceAttack, second, fabAttack, squareAttack] : [ceAttack, second, fabAttack];
}

/**
 * AutoAttack's standard ensemble (Croce & Hein, 2020): APGD-CE, APGD-T, FAB-T, Square (the last for 'linf'
 * only), 100 iterations and 5000 queries by default; {@link defaultAttacks} with `version: 'standard'`.
 * @example const r = await evaluate(model, x, y, { norm: 'linf', eps: 8 / 255, attacks: autoAttackStandard(10) });
 */
export function autoAttackStandard(numClasses: number, opts: Partial<Omit<EnsembleOptions, 'version'> & { steps: number }> = {}): EvaluationAttack[] {
  return defaultAttacks(numClasses, opts.steps ?? 100, { ...opts, version: 'standard' });
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Threat-model norm (AutoAttack: 'linf' or 'l2'). */
  norm: 'linf' | 'l2';
  /** Radius. */
  eps: number;
  /** Attacks in order (default {@link defaultAttacks}). */
  attacks?: EvaluationAttack[];
  /** Seed passed to every attack (default 0). */
  seed?: number;
  /** Examples per attack call (default 256). */
  batchSize?: number;
  /** Run the gradient-masking checks (default true). */
  checks?: boolean;
  /** Radii, as multiples of eps, at which the first attack is rerun for the eps check (default [2, 4]). */
  epsMultipliers?: number[];
  /** Where flags are printed (default console.warn); pass `() => {}` to silence. */
  log?: (line: string) => void;
}

/** One row of the per-attack table. */
export interface AttackRow {
  attack: string;
  /** Robust accuracy after this attack and all before it. */
  robust: AccuracyRecord;
  /** Points this attack fooled that the earlier ones had not. */
  flipped: number;
}

/** Result of {@link evaluate}: plain data for tables. */
export interface EvaluationRecord {
  norm: Norm;
  eps: number;
  clean: AccuracyRecord;
  perAttack: AttackRow[];
  /** Final robust accuracy (the ensemble's worst case per point). */
  robust: AccuracyRecord;
  /** The checks' measurements. */
  checks?: {
    /** Fraction of clean-correct points whose cross-entropy input gradient is exactly zero. */
    zeroGradientFraction: number;
    /** Max |difference| of the logits of two identical forward passes (randomness in the model). */
    forwardPassDifference: number;
    /** Robust accuracy of the first attack at eps and at the larger radii. */
    accuracyByEps: { eps: number; accuracy: number }[];
    /** Points fooled by a black-box attack after all white-box attacks before it had failed. */
    blackBoxFlipped: number;
  };
  /** The masking flags raised (texts from messages.ts); empty when none. */
  flags: string[];
}

/**
 * Runs the attacks in order on the still-robust points and reports clean, per-attack and final robust
 * accuracy with 95% intervals, and the gradient-masking flags.
 * @example const r = await evaluate(model, x, y, { norm: 'linf', eps: 8 / 255 }); r.robust.accuracy
 */
export async function evaluate(model: Classifier, x: tf.Tensor, y: tf.Tensor1D, opts: EvaluateOptions): Promise<EvaluationRecord> {
  checkOneOf(opts.norm, ['linf', 'l2'] as const, 'norm');
  checkNonNegative(opts.eps, 'eps');
  checkInputs(x, model.inputShape, [0, 1], 'x');
  checkLabels(y, x.shape[0], model.numClasses, 'y');
  const bs = opts.batchSize ?? 256;
  checkPositiveInt(bs, 'batchSize');
  const attacks = opts.attacks ?? defaultAttacks(model.numClasses);
  const seed = opts.seed ?? 0;
  const log = opts.log ?? ((l: string) => console.warn(l));
  const n = x.shape[0];
  const labels = Int32Array.from(await y.data());
  const clean = predictSync(model, x);
  const robust = Array.from(clean, (p, i) => p === labels[i]);
  const cleanRecord = accuracyRecord(robust);

  /** Indices among `idx` that `run` fools, in batches. */
  const fooled = (idx: number[], run: (xb: tf.Tensor, yb: tf.Tensor1D) => tf.Tensor): number[] => {
    const out: number[] = [];
    for (let s = 0; s < idx.length; s += bs) {
      const part = idx.slice(s, s + bs);
      const xb = rows(x, part);
      const yb = rows(y, part) as tf.Tensor1D;
      const xa = run(xb, yb);
      const p = predictSync(model, xa);
      part.forEach((g, k) => p[k] !== labels[g] && out.push(g));
      tf.dispose([xb, yb, xa]);
    }
    return out;
  };

  const perAttack: AttackRow[] = [];
  let whiteBoxSeen = false;
  let blackBoxFlipped = 0;
  for (const a of attacks) {
    const idx = robust.flatMap((r, i) => (r ? [i] : []));
    const f = idx.length ? fooled(idx, (xb, yb) => a.run(model, xb, yb, { norm: opts.norm, eps: opts.eps, seed })) : [];
    for (const i of f) robust[i] = false;
    if (a.blackBox && whiteBoxSeen) blackBoxFlipped += f.length;
    if (!a.blackBox) whiteBoxSeen = true;
    if (a.blackBox && whiteBoxSeen && f.length > 0) log(msg.maskingBlackBox(a.name, f.length));
    perAttack.push({ attack: a.name, robust: accuracyRecord(robust), flipped: f.length });
  }
  const record: EvaluationRecord = { norm: opts.norm, eps: opts.eps, clean: cleanRecord, perAttack, robust: accuracyRecord(robust), flags: [] };
  if (blackBoxFlipped > 0) record.flags.push(msg.maskingBlackBox(attacks.filter((a) => a.blackBox).map((a) => a.name).join(', '), blackBoxFlipped));
  if (opts.checks === false || attacks.length === 0) return record;

  // Check 1: exactly-zero input gradients on clean-correct points (shattered or saturated gradients).
  const correctIdx = Array.from(clean, (p, i) => (p === labels[i] ? i : -1)).filter((i) => i >= 0);
  let zero = 0;
  for (let s = 0; s < correctIdx.length; s += bs) {
    const part = correctIdx.slice(s, s + bs);
    const xb = rows(x, part);
    const yb = rows(y, part) as tf.Tensor1D;
    const lg = lossAndGrad(model, ce, xb, yb);
    const m = tf.tidy(() => lg.grad.reshape([part.length, -1]).abs().max(1));
    zero += Array.from(await m.data()).filter((v) => v === 0).length;
    tf.dispose([xb, yb, lg.loss, lg.grad, lg.pred, m]);
  }
  const zeroGradientFraction = correctIdx.length ? zero / correctIdx.length : 0;
  if (zeroGradientFraction > 0) record.flags.push(msg.maskingZeroGradients(zeroGradientFraction));

  // Check 2: randomness (two forward passes on the same inputs differ).
  const diff = tf.tidy(() => {
    const xb = x.slice(0, Math.min(n, bs));
    return model.apply(xb, { training: false }).logits.sub(model.apply(xb, { training: false }).logits).abs().max();
  });
  const forwardPassDifference = (await diff.data())[0];
  diff.dispose();
  if (forwardPassDifference > 0) record.flags.push(msg.maskingRandom(forwardPassDifference));

  // Check 3: robust accuracy of the first attack must fall as eps grows (AutoAttack's check: unbounded attacks reach 0).
  const first = attacks[0];
  const accuracyByEps = [{ eps: opts.eps, accuracy: 0 }, ...(opts.epsMultipliers ?? [2, 4]).map((mult) => ({ eps: opts.eps * mult, accuracy: 0 }))];
  for (const row of accuracyByEps) {
    const f = new Set(correctIdx.length ? fooled(correctIdx, (xb, yb) => first.run(model, xb, yb, { norm: opts.norm, eps: row.eps, seed })) : []);
    row.accuracy = correctIdx.filter((i) => !f.has(i)).length / n;
  }
  const base = accuracyByEps[0];
  const last = accuracyByEps[accuracyByEps.length - 1];
  if (accuracyByEps.length > 1 && base.accuracy > 0 && last.accuracy >= base.accuracy) record.flags.push(msg.maskingEps(base.eps, base.accuracy, last.eps, last.accuracy));

  record.checks = { zeroGradientFraction, forwardPassDifference, accuracyByEps, blackBoxFlipped };
  for (const f of record.flags) if (!f.startsWith('gradient masking? the black-box')) log(f);
  return record;
}
