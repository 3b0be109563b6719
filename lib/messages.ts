/**
 * Every error and warning text of the library, in one place so that tests can match them and users can
 * search them. Each function names the argument, what was expected and what was seen.
 * @module
 */

const fmt = (v: unknown): string =>
  Array.isArray(v) ? `[${v.join(', ')}]` : typeof v === 'number' && !Number.isFinite(v) ? String(v) : JSON.stringify(v) ?? String(v);

/** Messages, grouped by what they check. */
export const msg = {
  rank: (arg: string, expected: string, shape: readonly number[]) =>
    `${arg}: expected ${expected}, got a tensor of shape ${fmt(shape)}`,
  shape: (arg: string, expected: readonly (number | null)[], shape: readonly number[]) =>
    `${arg}: expected shape ${fmt(expected.map((d) => (d === null ? '*' : d)))}, got ${fmt(shape)}`,
  batchMismatch: (a: string, na: number, b: string, nb: number) =>
    `${a} and ${b} must have the same batch size: ${a} has ${na}, ${b} has ${nb}`,
  range: (arg: string, lo: number, hi: number, seenLo: number, seenHi: number) =>
    `${arg}: values must lie in [${lo}, ${hi}], saw values in [${seenLo}, ${seenHi}]`,
  notFinite: (arg: string) => `${arg}: contains NaN or Infinity`,
  labels: (arg: string, numClasses: number, seenLo: number, seenHi: number) =>
    `${arg}: labels must be integers in [0, ${numClasses - 1}], saw values in [${seenLo}, ${seenHi}]`,
  nonNegative: (arg: string, v: number) => `${arg}: must be a finite number >= 0, got ${fmt(v)}`,
  positive: (arg: string, v: number) => `${arg}: must be a finite number > 0, got ${fmt(v)}`,
  positiveInt: (arg: string, v: number) => `${arg}: must be an integer >= 1, got ${fmt(v)}`,
  nonNegativeInt: (arg: string, v: number) => `${arg}: must be an integer >= 0, got ${fmt(v)}`,
  oneOf: (arg: string, options: readonly unknown[], v: unknown) =>
    `${arg}: must be one of ${options.map((o) => fmt(o)).join(', ')}, got ${fmt(v)}`,
  unknownBackend: (name: string, known: readonly string[]) =>
    `backend: unknown backend ${fmt(name)}; known backends are ${known.join(', ')}`,
  backendUnavailable: (name: string, why: string) => `backend ${fmt(name)} is not available: ${why}`,
  backendSkipped: (name: string, why: string) => `robustlab: skipping backend '${name}': ${why}`,
  checkpointMismatch: (file: string, what: string) => `checkpoint ${file}: ${what}`,
} as const;
