/**
 * The one frame around every attack (foolbox 3's `FixedEpsilonAttack.__call__`): options resolved against the
 * attack's family, bounds taken from the model unless overridden, inputs and labels validated, then the
 * attack's loop, then success flags and per-example norms in the attack's norm, in one uniform
 * {@link AttackResult}. An attack is only its loop; {@link defineAttack} gives it both call shapes, the record
 * (`attack.record(model, x, y, opts)`) and the plain tensor (`attack(model, x, y, opts)`).
 * Restarts on the still-robust points ({@link restarts}, foolbox's `Repeated`) and "attack only the clean-correct
 * points" ({@link onRobust}) are combinators over any record attack.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../models/classifier';
import type { Bounds, Norm } from '../types';
import { UNIT_BOUNDS } from '../types';
import { lpNorm } from '../tensor/norms';
import { checkInputs, checkLabels, checkPositiveInt } from '../tensor/validate';
import { resolveOptions, type OptionFamily } from './options';
import { mergeRows, predictSync, rows } from './util';
import { assert } from '../engine/assert';
import { msg } from '../messages';

/** The uniform result of every attack (foolbox issue 644: named records, not tuples). */
export interface AttackResult {
  /** Adversarial inputs, same shape as `x`, inside the bounds (and the ball, for ball attacks). */
  adversarial: tf.Tensor;
  /** Per example: misclassified at `adversarial` (targeted: classified as the target). */
  success: boolean[];
  /** Per example: the `norm` of `adversarial - x`. */
  perturbationNorm: number[];
  /** The norm of `perturbationNorm` (the attack's threat-model norm). */
  norm: Norm;
  /** The ball radius for ball attacks; null for minimum-norm attacks, whose norms are the result. */
  eps: number | null;
  /** Per example: model queries spent, for the attacks that count them (score-based ones). */
  queries?: number[];
  /** What a reader of the numbers must know about the run (e.g. C&W's step budget against the paper's). */
  note?: string;
}

/** Bounds every attack works in: `bounds` where given, else the model's, else [0, 1] (the Classifier contract). */
export function boundsOf(model: Classifier, bounds?: Bounds): Bounds {
  return bounds ?? model.bounds ?? UNIT_BOUNDS;
}

/** What the loop of an attack gets from the frame. */
export interface LoopInput<O> {
  model: Classifier;
  x: tf.Tensor;
  y: tf.Tensor1D;
  /** Resolved options. */
  o: O;
  /** Resolved bounds. */
  bounds: Bounds;
}

/** What a loop hands back: adversarial inputs (owned by the caller) and, for score-based attacks, queries. */
export interface LoopOutput {
  adversarial: tf.Tensor;
  queries?: number[];
}

/** An attack for the frame: its option family, its norm, its loop, and the checks that need the model. */
export interface AttackSpec<O extends { bounds?: Bounds }> {
  /** Name in messages and reports. */
  name: string;
  /** Defaults and checks of the options. */
  family: OptionFamily<O>;
  /** The norm of the record's `perturbationNorm`. */
  norm: (o: O) => Norm;
  /** Ball radius (ball attacks) or null (minimum-norm attacks). */
  eps: (o: O) => number | null;
  /** Targeted runs succeed on `pred === y` (y are targets); default untargeted. */
  targeted?: (o: O) => boolean;
  /** Checks that need the model (number of classes, input rank), run before the inputs are checked. */
  checkModel?: (model: Classifier, o: O) => void;
  /** A fact the record carries in `note`. */
  note?: (o: O) => string | undefined;
  /** The attack proper. */
  loop: (input: LoopInput<O>) => LoopOutput;
}

/** An attack with both call shapes: called, adversarial inputs; `.record(...)`, the {@link AttackResult}. */
export interface DefinedAttack<O extends { bounds?: Bounds }> {
  (model: Classifier, x: tf.Tensor, y: tf.Tensor1D, opts?: Partial<O>): tf.Tensor;
  /** The same run as a record. */
  record: RecordAttack<O>;
  /** The spec, for combinators and tests. */
  spec: AttackSpec<O>;
}

/** An attack returning its record. */
export type RecordAttack<O> = (model: Classifier, x: tf.Tensor, y: tf.Tensor1D, opts?: Partial<O>) => AttackResult;

/** Resolves options and bounds and validates model, inputs and labels: the frame's preamble. */
function prepare<O extends { bounds?: Bounds }>(spec: AttackSpec<O>, model: Classifier, x: tf.Tensor, y: tf.Tensor1D, opts: Partial<O>): LoopInput<O> {
  const o = resolveOptions(spec.family, opts);
  spec.checkModel?.(model, o);
  const bounds = boundsOf(model, o.bounds);
  checkInputs(x, model.inputShape, bounds, 'x');
  checkLabels(y, x.shape[0], model.numClasses, 'y');
  return { model, x, y, o, bounds };
}

/**
 * Success flags and norms of `adversarial` against `x` (one forward pass): the record's second half, shared
 * by every attack.
 */
export function resultOf(model: Classifier, x: tf.Tensor, y: tf.Tensor1D, adversarial: tf.Tensor, norm: Norm, eps: number | null, targeted = false): AttackResult {
  const pred = predictSync(model, adversarial);
  const labels = y.dataSync();
  const dist = tf.tidy(() => lpNorm(adversarial.sub(x), norm));
  const perturbationNorm = Array.from(dist.dataSync());
  dist.dispose();
  const success = Array.from(pred, (p, i) => (targeted ? p === labels[i] : p !== labels[i]));
  return { adversarial, success, perturbationNorm, norm, eps };
}

/**
 * Gives an attack's loop the frame: validation, bounds, and the record.
 * @example const fgsmLike = defineAttack({ name: 'fgsm', family, norm: (o) => o.norm, eps: (o) => o.eps, loop });
 */
export function defineAttack<O extends { bounds?: Bounds }>(spec: AttackSpec<O>): DefinedAttack<O> {
  const plain = (model: Classifier, x: tf.Tensor, y: tf.Tensor1D, opts: Partial<O> = {}): tf.Tensor => {
    const out = spec.loop(prepare(spec, model, x, y, opts));
    return out.adversarial;
  };
  const record: RecordAttack<O> = (model, x, y, opts = {}) => {
    const input = prepare(spec, model, x, y, opts);
    const out = spec.loop(input);
    const r = resultOf(model, x, y, out.adversarial, spec.norm(input.o), spec.eps(input.o), spec.targeted?.(input.o) ?? false);
    if (out.queries) r.queries = out.queries;
    const note = spec.note?.(input.o);
    if (note) r.note = note;
    return r;
  };
  return Object.assign(plain, { record, spec });
}

/** One run of {@link untilFooled}: adversarial rows for the examples given and which of them succeeded. */
export interface Run {
  adversarial: tf.Tensor;
  success: ArrayLike<boolean | number>;
}

/**
 * Runs `run(xs, ys, r, idx)` (`idx`: the rows of `x` it gets) for r = 0 .. runs - 1, each on the examples still robust: first those classified
 * correctly on `x`, then those no earlier run fooled. The first run's output is kept for every example it
 * covered (its best effort, adversarial or not); later runs replace only their successes. Examples
 * misclassified clean come back unchanged. The loop behind APGD's restarts and targets and {@link restarts}.
 */
export function untilFooled(model: Classifier, x: tf.Tensor, y: tf.Tensor1D, runs: number, run: (xs: tf.Tensor, ys: tf.Tensor1D, r: number, idx: readonly number[]) => Run): tf.Tensor {
  const labels = y.dataSync();
  let best: tf.Tensor | undefined;
  let robust = Array.from(predictSync(model, x), (p, i) => (p === labels[i] ? i : -1)).filter((i) => i >= 0);
  for (let r = 0; r < runs && robust.length > 0; r++) {
    const xs = rows(x, robust);
    const ys = rows(y, robust) as tf.Tensor1D;
    const res = run(xs, ys, r, robust);
    const pos = new Map(robust.map((g, k) => [g, k]));
    const take = Array.from({ length: x.shape[0] }, (_, g) => {
      const k = pos.get(g);
      return k === undefined ? -1 : r === 0 || res.success[k] ? k : -1;
    });
    const next = mergeRows(best ?? x, res.adversarial, take);
    best?.dispose();
    best = next;
    robust = robust.filter((_, k) => !res.success[k]);
    tf.dispose([xs, ys, res.adversarial]);
  }
  return best ?? x.clone();
}

/**
 * Restarts as a combinator (foolbox's `Repeated`, AutoAttack's restarts): `runs` runs of `attack`, seeds
 * `seed, seed + 1, ...`, each on the examples no earlier run fooled. Works with any record attack whose
 * options have a `seed`.
 * @example const pgd5 = restarts(pgd.record, 5); const r = pgd5(model, x, y, { eps: 8 / 255 });
 */
export function restarts<O extends { seed: number; bounds?: Bounds }>(attack: DefinedAttack<O>, runs: number): RecordAttack<O> {
  checkPositiveInt(runs, 'runs');
  return (model, x, y, opts = {}) => {
    const o = resolveOptions(attack.spec.family, opts);
    const queries = new Array<number>(x.shape[0]).fill(0);
    let counted = false;
    const adversarial = untilFooled(model, x, y, runs, (xs, ys, r, idx) => {
      const res = attack.record(model, xs, ys, { ...opts, seed: o.seed + r });
      if (res.queries) idx.forEach((g, k) => (queries[g] += res.queries![k]));
      counted ||= res.queries !== undefined;
      return res;
    });
    const out = resultOf(model, x, y, adversarial, attack.spec.norm(o), attack.spec.eps(o), attack.spec.targeted?.(o) ?? false);
    if (counted) out.queries = queries;
    return out;
  };
}

/**
 * "Attack only the still-robust points" as a combinator: `attack` runs on the examples classified correctly,
 * the others come back unchanged (they are already adversarial), and the record covers the whole batch.
 * @example const r = onRobust(square.record)(model, x, y, { queries: 1000 });
 */
export function onRobust<O extends { bounds?: Bounds }>(attack: DefinedAttack<O>): RecordAttack<O> {
  return (model, x, y, opts = {}) => {
    const o = resolveOptions(attack.spec.family, opts);
    const queries = new Array<number>(x.shape[0]).fill(0);
    let counted = false;
    const adversarial = untilFooled(model, x, y, 1, (xs, ys, _r, idx) => {
      const res = attack.record(model, xs, ys, opts);
      if (res.queries) idx.forEach((g, k) => (queries[g] = res.queries![k]));
      counted ||= res.queries !== undefined;
      return res;
    });
    const out = resultOf(model, x, y, adversarial, attack.spec.norm(o), attack.spec.eps(o), attack.spec.targeted?.(o) ?? false);
    if (counted) out.queries = queries;
    return out;
  };
}

/** One run of {@link bestOfRuns}: adversarial inputs for every example, and with more than one run their loss and success. */
export interface ScoredRun {
  adversarial: tf.Tensor;
  loss?: tf.Tensor1D;
  success?: tf.Tensor1D;
}

/**
 * Restarts over every example: `runs` runs, keeping per example the run that succeeds, else the one of
 * highest loss (success beats failure; among equals the higher loss wins). With one run, its output as is.
 */
export function bestOfRuns(runs: number, run: (r: number) => ScoredRun): tf.Tensor {
  let best = run(0);
  if (runs === 1) return best.adversarial;
  for (let r = 1; r < runs; r++) {
    const cand = run(r);
    const [bl, bs, cl, cs] = [best.loss!, best.success!, cand.loss!, cand.success!];
    const next = tf.tidy(() => {
      const better = tf.logicalOr(tf.logicalAnd(cs, tf.logicalNot(bs)), tf.logicalAnd(cs.equal(bs), cl.greater(bl)));
      const shape = best.adversarial.shape;
      const mask = better.reshape([shape[0], ...shape.slice(1).map(() => 1)]).tile([1, ...shape.slice(1)]);
      return { adversarial: tf.where(mask, cand.adversarial, best.adversarial), loss: tf.where(better, cl, bl) as tf.Tensor1D, success: tf.logicalOr(cs, bs) as tf.Tensor1D };
    });
    tf.dispose([best.adversarial, cand.adversarial, bl, bs, cl, cs]);
    best = next;
  }
  tf.dispose([best.loss!, best.success!]);
  return best.adversarial;
}

/**
 * The number of target classes of a targeted ensemble member (APGD-T, FAB-T): `targetClasses` where given,
 * else min(9, K - 1) as AutoAttack; at most K - 1.
 */
export function targetCount(model: Classifier, targetClasses: number | undefined): number {
  const k = model.numClasses;
  const nt = targetClasses ?? Math.min(9, k - 1);
  checkPositiveInt(nt, 'targetClasses');
  assert(nt <= k - 1, () => msg.atMost('targetClasses', k - 1, nt));
  return nt;
}

/**
 * {@link defineAttack} for a ball attack, whose record's norm and eps are its `norm` and `eps` options.
 * @example export const spsaSigned = ballAttack('spsa-signed', GRADIENT_ESTIMATE, (input) => estimateLoop(input, rademacher));
 */
export function ballAttack<O extends { norm: Norm; eps: number; bounds?: Bounds }>(
  name: string,
  family: OptionFamily<O>,
  loop: AttackSpec<O>['loop'],
  extra: Pick<AttackSpec<O>, 'targeted' | 'checkModel' | 'note'> = {},
): DefinedAttack<O> {
  return defineAttack({ name, family, norm: (o) => o.norm, eps: (o) => o.eps, loop, ...extra });
}
