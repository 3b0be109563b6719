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
import type { AttackResult } from '../attacks/frame';
import { cwLoss } from '../losses/margin';
import { predictSync, rows } from '../attacks/util';
import { checkInputs, checkLabels, checkNonNegative, checkOneOf, checkPositiveInt } from '../tensor/validate';
import { boundsOf } from '../attacks/frame';
import { msg } from '../messages';
import { blackBoxStronger, epsNotMonotone, probabilityOutputs, randomness, zeroGradients, type Flag } from './checks';

/** The threat model an ensemble member is run at. */
export interface EvaluationThreat {
  norm: 'linf' | 'l2';
  eps: number;
  seed: number;
}

/** One member of the ensemble. */
export interface EvaluationAttack {
  /** Name in the report. */
  name: string;
  /** Runs the attack at the evaluation's threat model; returns its record (the frame's `attack.record`). */
  run: (model: Classifier, x: tf.Tensor, y: tf.Tensor1D, threat: EvaluationThreat) => AttackResult;
  /** Score-based attack: if it fools points the white-box attacks before it missed, gradient masking is flagged. */
  blackBox?: boolean;
}

/** Options of {@link defaultAttacks}. */
export interface EnsembleOptions {
  /**
   * 'standard' (default): AutoAttack's standard version, APGD-CE, APGD-T, FAB-T and Square, in that
   * order. 'fast': the two APGD attacks only, cheap enough for tests, and NOT a robustness evaluation
   * (evaluate() flags it): no FAB and no black-box attack, so masking goes unnoticed.
   */
  version: 'fast' | 'standard';
  /** Norm the ensemble will be run at (default 'linf'): Square runs with this norm's proposal. */
  norm: 'linf' | 'l2';
  /** Square's query budget per example (default 5000, as AutoAttack). */
  queries: number;
}

/**
 * The default ensemble for `numClasses` classes, after AutoAttack's standard version: APGD-CE, then APGD-T
 * (>= 4 classes) or APGD-DLR (3 classes) or APGD with the C&W margin (2 classes, where DLR is undefined),
 * `steps` iterations each; then FAB (FAB-T over min(9, K - 1) targets for >= 4 classes, untargeted FAB below),
 * `steps` iterations, then the Square Attack (l-inf or l2 proposal, as the reference) with `queries` queries,
 * flagged as black-box.
 * `version: 'fast'` stops after the two APGD attacks.
 * @example const attacks = defaultAttacks(10, 100, { norm: 'linf' });
 */
export function defaultAttacks(numClasses: number, steps = 100, opts: Partial<EnsembleOptions> = {}): EvaluationAttack[] {
  const version = opts.version ?? 'standard';
  const norm = opts.norm ?? 'linf';
  const queries = opts.queries ?? 5000;
  checkOneOf(version, ['fast', 'standard'] as const, 'version');
  checkOneOf(norm, ['linf', 'l2'] as const, 'norm');
  checkPositiveInt(queries, 'queries');
  const at = (t: EvaluationThreat) => ({ ...t, steps });
  const ceAttack: EvaluationAttack = { name: 'apgd-ce', run: (m, x, y, t) => apgd.record(m, x, y, { ...at(t), loss: 'ce' }) };
  const second: EvaluationAttack =
    numClasses >= 4
      ? { name: 'apgd-t', run: (m, x, y, t) => apgdT.record(m, x, y, at(t)) }
      : numClasses === 3
        ? { name: 'apgd-dlr', run: (m, x, y, t) => apgd.record(m, x, y, { ...at(t), loss: 'dlr' }) }
        : { name: 'apgd-cw', run: (m, x, y, t) => apgd.record(m, x, y, { ...at(t), loss: cwLoss }) };
  if (version === 'fast') return [ceAttack, second];
  // AutoAttack runs FAB-T only where APGD-T runs; with fewer classes the untargeted FAB covers every boundary.
  const fabAttack: EvaluationAttack =
    numClasses >= 4 ? { name: 'fab-t', run: (m, x, y, t) => fabT.record(m, x, y, at(t)) } : { name: 'fab', run: (m, x, y, t) => fab.record(m, x, y, at(t)) };
  const squareAttack: EvaluationAttack = { name: 'square', blackBox: true, run: (m, x, y, t) => square.record(m, x, y, { ...t, queries }) };
  return [ceAttack, second, fabAttack, squareAttack];
}

/**
 * AutoAttack's standard ensemble (Croce & Hein, 2020): APGD-CE, APGD-T, FAB-T, Square (l-inf or l2),
 * 100 iterations and 5000 queries by default; {@link defaultAttacks} with `version: 'standard'`.
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
  /** Attacks in order (default: {@link defaultAttacks} of `version` at this norm). */
  attacks?: EvaluationAttack[];
  /** The default ensemble's version when `attacks` is not given (default 'standard'; 'fast' is flagged as not a robustness evaluation). */
  version?: 'fast' | 'standard';
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
  /** Model queries this attack spent on those points, where it counts them. */
  queries?: number;
}

/** Result of {@link evaluate}: plain data for tables. */
export interface EvaluationRecord {
  norm: Norm;
  /** Which ensemble ran: the default of a version, or the caller's list ('custom'). */
  ensemble: 'standard' | 'fast' | 'custom';
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
  /** The flags raised (codes and texts from messages.ts, see checks.ts); empty when none. */
  flags: Flag[];
}

/**
 * Runs the attacks in order on the still-robust points and reports clean, per-attack and final robust
 * accuracy with 95% intervals, and the flags of checks.ts. A point counts as fooled when the attack's record
 * says success within the threat model (a record outside the ball raises 'left-threat-model' instead).
 * @example const r = await evaluate(model, x, y, { norm: 'linf', eps: 8 / 255 }); r.robust.accuracy
 */
export async function evaluate(model: Classifier, x: tf.Tensor, y: tf.Tensor1D, opts: EvaluateOptions): Promise<EvaluationRecord> {
  checkOneOf(opts.norm, ['linf', 'l2'] as const, 'norm');
  checkNonNegative(opts.eps, 'eps');
  checkInputs(x, model.inputShape, boundsOf(model), 'x');
  checkLabels(y, x.shape[0], model.numClasses, 'y');
  const bs = opts.batchSize ?? 256;
  checkPositiveInt(bs, 'batchSize');
  const version = opts.version ?? 'standard';
  checkOneOf(version, ['fast', 'standard'] as const, 'version');
  const attacks = opts.attacks ?? defaultAttacks(model.numClasses, 100, { version, norm: opts.norm });
  const seed = opts.seed ?? 0;
  const log = opts.log ?? ((l: string) => console.warn(l));
  const n = x.shape[0];
  const labels = Int32Array.from(await y.data());
  const clean = predictSync(model, x);
  const robust = Array.from(clean, (p, i) => p === labels[i]);
  const cleanRecord = accuracyRecord(robust);
  const flags: Flag[] = [];
  const raise = (f: Flag | undefined) => {
    if (f && !flags.some((g) => g.code === f.code && g.message === f.message)) {
      flags.push(f);
      log(f.message);
    }
  };

  /** Indices among `idx` that the attack fools within the threat model, in batches, and the queries it spent on them. */
  const fooled = (a: EvaluationAttack, idx: number[], eps: number): { fooled: number[]; queries?: number } => {
    const out: number[] = [];
    let queries: number | undefined;
    for (let s = 0; s < idx.length; s += bs) {
      const part = idx.slice(s, s + bs);
      const xb = rows(x, part);
      const yb = rows(y, part) as tf.Tensor1D;
      const r = a.run(model, xb, yb, { norm: opts.norm, eps, seed });
      const worst = Math.max(...r.perturbationNorm);
      const inside = r.perturbationNorm.map((d) => r.eps === null || d <= eps * (1 + 1e-4) + 1e-6);
      if (inside.some((v) => !v)) raise({ code: 'left-threat-model', message: msg.leftThreatModel(a.name, r.norm, eps, worst) });
      part.forEach((g, k) => r.success[k] && inside[k] && out.push(g));
      if (r.queries) queries = (queries ?? 0) + part.reduce((q, _g, k) => q + r.queries![k], 0);
      tf.dispose([xb, yb, r.adversarial]);
    }
    return { fooled: out, queries };
  };

  const perAttack: AttackRow[] = [];
  let whiteBoxSeen = false;
  let blackBoxFlipped = 0;
  for (const a of attacks) {
    const idx = robust.flatMap((r, i) => (r ? [i] : []));
    const f = idx.length ? fooled(a, idx, opts.eps) : { fooled: [] };
    for (const i of f.fooled) robust[i] = false;
    if (a.blackBox && whiteBoxSeen) blackBoxFlipped += f.fooled.length;
    if (!a.blackBox) whiteBoxSeen = true;
    const row: AttackRow = { attack: a.name, robust: accuracyRecord(robust), flipped: f.fooled.length };
    if (f.queries !== undefined) row.queries = f.queries;
    perAttack.push(row);
  }
  const ensemble = opts.attacks ? 'custom' : version;
  const record: EvaluationRecord = { norm: opts.norm, eps: opts.eps, ensemble, clean: cleanRecord, perAttack, robust: accuracyRecord(robust), flags };
  if (ensemble === 'fast') raise({ code: 'fast-ensemble', message: msg.fastEnsemble() });
  raise(blackBoxStronger(attacks.filter((a) => a.blackBox).map((a) => a.name).join(', '), blackBoxFlipped));
  if (opts.checks === false || attacks.length === 0) return record;

  const head = x.slice(0, Math.min(n, bs));
  raise(await probabilityOutputs(model, head));
  const correctIdx = Array.from(clean, (p, i) => (p === labels[i] ? i : -1)).filter((i) => i >= 0);
  const zero = await zeroGradients(model, x, y, correctIdx, bs);
  raise(zero.flag);
  const random = await randomness(model, head);
  head.dispose();
  raise(random.flag);

  // Robust accuracy of the first attack must fall as eps grows (AutoAttack's check: unbounded attacks reach 0).
  const first = attacks[0];
  const accuracyByEps = [{ eps: opts.eps, accuracy: 0 }, ...(opts.epsMultipliers ?? [2, 4]).map((mult) => ({ eps: opts.eps * mult, accuracy: 0 }))];
  for (const row of accuracyByEps) {
    const f = new Set(correctIdx.length ? fooled(first, correctIdx, row.eps).fooled : []);
    row.accuracy = correctIdx.filter((i) => !f.has(i)).length / n;
  }
  raise(epsNotMonotone(accuracyByEps));
  record.checks = { zeroGradientFraction: zero.fraction, forwardPassDifference: random.difference, accuracyByEps, blackBoxFlipped };
  return record;
}
