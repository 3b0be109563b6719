/**
 * One way to resolve options, for attacks and training methods alike: a family is its paper defaults as data
 * plus one check per option; {@link resolveOptions} lays the given options over the defaults (an option given
 * as `undefined` keeps its default) and runs every check, so bad input fails with the option's name.
 * @module
 */
import { assert } from '../engine/assert';
import { msg } from '../messages';
import { checkNonNegative, checkNonNegativeInt, checkOneOf, checkPositive, checkPositiveInt } from '../tensor/validate';

/** A check of one option's value; throws an `Error` naming `arg`. */
export type OptionCheck = (v: unknown, arg: string) => void;

/** The checks an option family declares, as data. */
export const is = {
  /** A finite number >= 0. */
  nonNegative: ((v, arg) => checkNonNegative(v as number, arg)) as OptionCheck,
  /** A finite number > 0. */
  positive: ((v, arg) => checkPositive(v as number, arg)) as OptionCheck,
  /** An integer >= 1. */
  positiveInt: ((v, arg) => checkPositiveInt(v as number, arg)) as OptionCheck,
  /** An integer >= 0. */
  nonNegativeInt: ((v, arg) => checkNonNegativeInt(v as number, arg)) as OptionCheck,
  /** A finite number in [0, max]. */
  inRange:
    (max: number): OptionCheck =>
    (v, arg) => {
      checkNonNegative(v as number, arg);
      assert((v as number) <= max, () => msg.atMost(arg, max, v as number));
    },
  /** A finite number in (0, max]. */
  positiveAtMost:
    (max: number): OptionCheck =>
    (v, arg) => {
      checkPositive(v as number, arg);
      assert((v as number) <= max, () => msg.atMost(arg, max, v as number));
    },
  /** One of `options`. */
  oneOf:
    <T>(options: readonly T[]): OptionCheck =>
    (v, arg) =>
      checkOneOf(v as T, options, arg),
  /** Absent, or passing `check`. */
  optional:
    (check: OptionCheck): OptionCheck =>
    (v, arg) => {
      if (v !== undefined) check(v, arg);
    },
};

/** An option family: defaults (the paper's values, stated in their TSDoc) and a check per option. */
export interface OptionFamily<O extends object> {
  /** The defaults. */
  readonly defaults: O;
  /** Checks by option name; options without one are taken as given. */
  readonly checks: { readonly [K in keyof O]?: OptionCheck };
}

/** `opts` over `defaults`, where an option given as `undefined` keeps its default (a plain spread would not). */
export function withDefaults<T extends object>(defaults: T, opts: Partial<T>): T {
  const given = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
  return { ...defaults, ...given } as T;
}

/**
 * The options of `family` with `opts` laid over its defaults, every check run.
 * @example const o = resolveOptions(APGD, { eps: 0.3 }); // o.steps === 100
 */
export function resolveOptions<O extends object>(family: OptionFamily<O>, opts: Partial<O> = {}): O {
  const o = withDefaults(family.defaults, opts);
  for (const [k, check] of Object.entries(family.checks) as [string, OptionCheck | undefined][]) check?.(o[k as keyof O], k);
  return o;
}

/**
 * The absolute step of a gradient attack: `stepSize` where given, else `relStepsize * eps` (foolbox's
 * `abs_stepsize` / `rel_stepsize`). A family whose defaults fix a step for one eps states it as `relStepsize`,
 * so that a new eps (or a new `relStepsize`) moves the step: the defaults never hold a `stepSize`.
 */
export function stepSizeOf(o: { stepSize?: number; relStepsize: number; eps: number }): number {
  const s = o.stepSize ?? o.relStepsize * o.eps;
  checkNonNegative(s, 'stepSize');
  return s;
}
