/**
 * The fuzz harness: a probe calls one public function with one bad input and says which argument the error
 * must name. An outcome is `clear` when the call throws a plain `Error` whose message names that argument
 * and leaves no tensor behind, `documented` when it returns and the probe's `accept` says the result is the
 * documented one; everything else (a TypeError or RangeError from inside, an unrelated message, a result
 * nobody documented, leaked tensors) is a finding.
 */
import * as tf from '@tensorflow/tfjs-core';

/** One bad call. */
export interface Probe {
  /** What is called with what, for the report. */
  what: string;
  /** The call; may return a promise. */
  call: () => unknown;
  /** Text (or pattern) the message must contain: the argument's name. */
  names: string | RegExp;
  /** A result that is documented for this input (instead of an error). */
  accept?: (result: unknown) => boolean;
}

/** A probe that did not end in a clear error or a documented result. */
export interface Finding {
  what: string;
  got: string;
}

/** Totals over every probe run in this process (printed by {@link summary}). */
export const totals = { probes: 0, clear: 0, documented: 0, known: 0, findings: 0 };

/**
 * Findings reported in the closing note of issue 13 rather than fixed (files of other owners, or a check that
 * would cost a readback per attack step): each matches probes by their `what`, says why, and is printed on
 * every run instead of failing.
 */
export interface KnownGap {
  what: RegExp;
  why: string;
}

const disposeResult = (r: unknown): void => {
  const seen = new Set<unknown>();
  const walk = (v: unknown, depth: number): void => {
    if (v === null || typeof v !== 'object' || seen.has(v) || depth > 3) return;
    seen.add(v);
    if (v instanceof tf.Tensor) {
      if (!v.isDisposed) v.dispose();
      return;
    }
    if (typeof (v as { dispose?: unknown }).dispose === 'function' && !(v instanceof tf.Variable)) {
      (v as { dispose: () => void }).dispose();
      return;
    }
    for (const x of Array.isArray(v) ? v : Object.values(v)) walk(x, depth + 1);
  };
  walk(r, 0);
};

const describe = (v: unknown): string => {
  if (v instanceof tf.Tensor) return `a tensor of shape [${v.shape}]`;
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.slice(0, 120);
  } catch {
    return String(v);
  }
};

/** Runs the probes; returns the findings (empty when every outcome was clear, documented or a known gap). */
export async function runProbes(probes: readonly Probe[], known: readonly KnownGap[] = []): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const p of probes) {
    totals.probes++;
    const before = tf.memory().numTensors;
    let got: string | undefined;
    try {
      const r = await p.call();
      if (p.accept?.(r)) totals.documented++;
      else got = `returned ${describe(r)}`;
      disposeResult(r);
    } catch (e) {
      const err = e as Error;
      const named = typeof p.names === 'string' ? err?.message?.includes(p.names) : p.names.test(err?.message ?? '');
      if (!(err instanceof Error) || err.constructor !== Error) got = `${err?.constructor?.name ?? typeof err}: ${String(err?.message ?? err).split('\n')[0]}`;
      else if (!named) got = `Error not naming ${p.names}: ${err.message.split('\n')[0]}`;
      else totals.clear++;
    }
    const leaked = tf.memory().numTensors - before;
    if (got === undefined && leaked > 0) got = `clear, but leaked ${leaked} tensor(s)`;
    if (got !== undefined) {
      const gap = known.find((k) => k.what.test(p.what));
      if (gap) {
        totals.known++;
        const seen = knownSeen.get(gap.why);
        knownSeen.set(gap.why, { n: (seen?.n ?? 0) + 1, example: seen?.example ?? `${p.what}: ${got}` });
      } else {
        totals.findings++;
        findings.push({ what: p.what, got });
      }
    }
  }
  return findings;
}

const knownSeen = new Map<string, { n: number; example: string }>();

/** Formats a bad value for a probe's label (NaN and Infinity included). */
export const show = (v: unknown): string =>
  typeof v === 'number' ? String(v) : Array.isArray(v) ? `[${v.map(show).join(', ')}]` : typeof v === 'string' ? JSON.stringify(v) : String(v);

/** One line per finding, for assertion messages. */
export const report = (f: readonly Finding[]): string => f.map((x) => `  ${x.what}: ${x.got}`).join('\n');

/** Prints the totals (the closing note quotes them). */
export function summary(label: string): void {
  console.log(`\n  fuzz ${label}: ${totals.probes} probes, ${totals.clear} clear errors, ${totals.documented} documented results, ${totals.known} known gaps (reported, not fixed), ${totals.findings} findings`);
  for (const [why, { n, example }] of knownSeen) console.log(`    known gap (${n} probes): ${why}; e.g. ${example}`);
  knownSeen.clear();
}

/** Names that reach Object.prototype when used as keys of a plain object. */
export const PROTOTYPE_KEYS = ['constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf'] as const;

/** Bad finite-or-not numbers for an option that must be a finite number >= 0 (or > 0). */
export const BAD_NUMBERS = [NaN, -1, Infinity, -Infinity] as const;

/**
 * Bad versions of a batch `x` of inputs in [0, 1] with per-example shape `inputShape`: wrong rank and
 * shape, int32, NaN, Infinity, out of range and an empty batch. Each comes with a label for the report.
 */
export function badInputs(inputShape: readonly number[], n = 2): [string, () => tf.Tensor][] {
  const d = inputShape.reduce((a, b) => a * b, 1);
  const ok = () => tf.fill([n, ...inputShape], 0.5);
  const poke = (v: number) => () => {
    const a = new Float32Array(n * d).fill(0.5);
    a[1] = v;
    return tf.tensor(a, [n, ...inputShape]);
  };
  return [
    ['rank 1', () => tf.fill([n * d], 0.5)],
    ['one rank too many', () => tf.fill([1, n, ...inputShape], 0.5)],
    ['wrong inner shape', () => tf.fill([n, ...inputShape.map((s) => s + 1)], 0.5)],
    ['int32', () => tf.zeros([n, ...inputShape], 'int32')],
    ['NaN', poke(NaN)],
    ['Infinity', poke(Infinity)],
    ['above 1', poke(2)],
    ['below 0', poke(-1)],
    ['empty batch', () => tf.zeros([0, ...inputShape])],
    ['not a tensor', () => [[0.5]] as unknown as tf.Tensor],
  ].map(([label, make]) => [label as string, make === ok ? ok : (make as () => tf.Tensor)]);
}

/** Bad label vectors for a batch of `n` examples and `k` classes. */
export function badLabels(n: number, k: number): [string, () => tf.Tensor][] {
  return [
    ['fractional labels', () => tf.tensor1d(Array.from({ length: n }, (_, i) => (i === 0 ? 0.5 : 0)))],
    ['label = numClasses', () => tf.tensor1d(Array.from({ length: n }, (_, i) => (i === 0 ? k : 0)), 'int32')],
    ['negative label', () => tf.tensor1d(Array.from({ length: n }, (_, i) => (i === 0 ? -1 : 0)), 'int32')],
    ['NaN label', () => tf.tensor1d(Array.from({ length: n }, (_, i) => (i === 0 ? NaN : 0)))],
    ['too few labels', () => tf.tensor1d(Array.from({ length: n - 1 }, () => 0), 'int32')],
    ['rank 2 labels', () => tf.zeros([n, 1], 'int32')],
    ['not a tensor', () => [0, 1] as unknown as tf.Tensor],
  ];
}
