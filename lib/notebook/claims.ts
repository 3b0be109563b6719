/**
 * Three-valued claim verdicts decided by a stated test, never by the sign of a difference:
 * **holds** (the claimed effect is significant at 95%), **does not hold** (the opposite effect is significant,
 * or the required size is shown absent) or **inconclusive** (within noise, or a model that did not learn).
 * Paired tests on the same test images for one seed (McNemar's exact test, a paired bootstrap for
 * "not worse by more than m"), Welch's t over the seeds' accuracies when every arm has two seeds or more.
 * @module
 */
import { accuracyOf, measureOf, type Evaluation } from './evaluation';
import { binomialLower, binomialUpper, mcnemarExact, meanSd, pairedBootstrap, studentUpper, welchT } from './stats';

/** A claim's outcome. */
export type Verdict = 'holds' | 'does not hold' | 'inconclusive';

/** All three outcomes, in report order. */
export const VERDICTS: readonly Verdict[] = ['holds', 'does not hold', 'inconclusive'];

/** One claim of a paper checked on our numbers. */
export interface ClaimVerdict {
  /** The claim in one line. */
  claim: string;
  /** The outcome. */
  verdict: Verdict;
  /** The test that decided it, e.g. "McNemar exact, two-sided, alpha 0.05". */
  test: string;
  /** The deciding p-value (null where the verdict came from a gate or an interval). */
  p: number | null;
  /** Why, in one line: the effect and its significance, or the gate that made it inconclusive. */
  reason: string;
  /** The numbers it was decided on (percent accuracies, differences, counts). */
  evidence: Record<string, number | string>;
  /** Context: the likely reason at our scale, the paper's numbers. */
  note?: string;
}

/** Options shared by the claim tests. */
export interface ClaimOptions {
  /** Significance level (default 0.05: 95%). */
  alpha?: number;
  /** Context shown beside the verdict. */
  note?: string;
}

/** The learned gate's level: clean accuracy must beat chance with a one-sided binomial p below this. */
export const LEARNED_ALPHA = 0.001;

/** Result of {@link learned}. */
export interface LearnedRecord {
  /** Whether clean accuracy is clearly above chance. */
  learned: boolean;
  /** Clean accuracy (fraction). */
  accuracy: number;
  /** 1 / numClasses. */
  chance: number;
  /** One-sided exact binomial p-value of accuracy > chance. */
  p: number;
}

/**
 * Whether a model learned: its clean accuracy above chance 1/K by an exact one-sided binomial test at
 * {@link LEARNED_ALPHA} (a model at chance makes every claim on it inconclusive).
 */
export function learned(ev: Evaluation): LearnedRecord {
  const n = ev.clean.length;
  let k = 0;
  for (let i = 0; i < n; i++) k += ev.clean[i];
  const chance = 1 / ev.numClasses;
  const p = binomialUpper(k, n, chance);
  return { learned: p < LEARNED_ALPHA, accuracy: k / n, chance, p };
}

const pct = (v: number) => +(100 * v).toFixed(2);
const arms = (a: Evaluation | readonly Evaluation[]) => (Array.isArray(a) ? (a as readonly Evaluation[]) : [a as Evaluation]);

/** The gates shared by every claim on models: each model learned; not every model at 0 under the measure. */
function gate(claim: string, all: readonly Evaluation[], measure: string, evidence: Record<string, number | string>, note?: string): ClaimVerdict | undefined {
  const failed = all.map((e) => ({ e, l: learned(e) })).filter(({ l }) => !l.learned);
  if (failed.length) {
    const who = failed.map(({ e, l }) => `${e.name} (seed ${e.seed}) clean ${pct(l.accuracy)}% vs chance ${pct(l.chance)}%, binomial p ${fmtP(l.p)}`).join('; ');
    return { claim, verdict: 'inconclusive', test: `gate: clean accuracy above chance, exact binomial, one-sided, alpha ${LEARNED_ALPHA}`, p: null, reason: `model did not learn: ${who}`, evidence, ...(note ? { note } : {}) };
  }
  if (measure !== 'clean' && all.every((e) => accuracyOf(e, measure).accuracy === 0)) {
    return { claim, verdict: 'inconclusive', test: 'gate: some model with robust accuracy above 0', p: null, reason: `model did not learn: robust accuracy under ${measure} is 0 for every model`, evidence, ...(note ? { note } : {}) };
  }
  return undefined;
}

/** A p-value as text: 3 significant digits, "< 1e-6" below. */
export function fmtP(p: number): string {
  return p < 1e-6 ? '< 1e-6' : String(+p.toPrecision(3));
}

/** Mean accuracy (%) and sd (points) of the arm under the measure. */
function armStats(arm: readonly Evaluation[], measure: string): { mean: number; sd: number; values: number[] } {
  const values = arm.map((e) => accuracyOf(e, measure).accuracy);
  const { mean, sd } = meanSd(values);
  return { mean: pct(mean), sd: pct(sd), values };
}

function label(arm: readonly Evaluation[]): string {
  return arm[0]?.name ?? '?';
}

/**
 * "`a` is more accurate than `b` under `measure`": with one seed per arm, McNemar's exact test on the same test
 * images (two-sided at alpha); with two or more seeds in both arms, Welch's t test on the seeds' accuracies
 * (two-sided at alpha). Holds when significant in the claimed direction, does not hold when significant in
 * the opposite one, else inconclusive.
 * @param measure `clean` or an attack's name from the evaluations
 * @example results.add(claimGreater('HE raises PGD-20 accuracy for PGD-AT', he, plain, 'PGD-20'));
 */
export function claimGreater(claim: string, a: Evaluation | readonly Evaluation[], b: Evaluation | readonly Evaluation[], measure: string, opts: ClaimOptions = {}): ClaimVerdict {
  const alpha = opts.alpha ?? 0.05;
  const A = arms(a);
  const B = arms(b);
  const sa = armStats(A, measure);
  const sb = armStats(B, measure);
  const evidence: Record<string, number | string> = { [`${label(A)} (%)`]: sa.mean, [`${label(B)} (%)`]: sb.mean, 'difference (points)': +(sa.mean - sb.mean).toFixed(2) };
  if (A.length > 1 || B.length > 1) {
    evidence.seeds = `${A.length} / ${B.length}`;
    evidence[`sd (points)`] = `${sa.sd} / ${sb.sd}`;
  }
  const g = gate(claim, [...A, ...B], measure, evidence, opts.note);
  if (g) return g;
  let p: number;
  let pOpp: number;
  let test: string;
  let diff: number;
  if (A.length >= 2 && B.length >= 2) {
    const w = welchT(sa.values, sb.values);
    [p, pOpp, diff] = [w.pTwoSided, w.pTwoSided, w.difference];
    test = `Welch t over seeds (${A.length} and ${B.length}), two-sided, alpha ${alpha}`;
    evidence.t = +w.t.toFixed(3);
  } else {
    const m = mcnemarExact(measureOf(A[0], measure), measureOf(B[0], measure));
    [p, pOpp, diff] = [m.pTwoSided, m.pTwoSided, m.difference];
    test = `McNemar exact on ${m.n} paired test images, two-sided, alpha ${alpha}`;
    evidence[`right only under ${label(A)}`] = m.aOnly;
    evidence[`right only under ${label(B)}`] = m.bOnly;
  }
  evidence.p = fmtP(p);
  const verdict: Verdict = p < alpha && diff > 0 ? 'holds' : pOpp < alpha && diff < 0 ? 'does not hold' : 'inconclusive';
  const reason = verdict === 'holds' ? `${label(A)} higher by ${pct(diff)} points, p ${fmtP(p)}` : verdict === 'does not hold' ? `the opposite: ${label(B)} higher by ${pct(-diff)} points, p ${fmtP(p)}` : `difference ${pct(diff)} points is within noise (p ${fmtP(p)})`;
  return { claim, verdict, test, p, reason, evidence, ...(opts.note ? { note: opts.note } : {}) };
}

/** The two-sided (1 - alpha) quantile of Student's t, by bisection. */
function tQuantile(alpha: number, df: number): number {
  let lo = 0;
  let hi = 1000;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (studentUpper(mid, df) > alpha / 2) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * "`a` is not worse than `b` by more than `margin` (points)" (e.g. HE keeps clean accuracy within a point):
 * the (1 - alpha) interval of the difference a - b (paired bootstrap on one seed; Welch's t interval over
 * seeds) decides: holds when its lower end is above -margin, does not hold when its upper end is below
 * -margin (the drop is shown larger than the margin), else inconclusive.
 * @param margin allowed drop in percentage points (e.g. 1)
 */
export function claimNotWorse(claim: string, a: Evaluation | readonly Evaluation[], b: Evaluation | readonly Evaluation[], measure: string, margin: number, opts: ClaimOptions = {}): ClaimVerdict {
  const alpha = opts.alpha ?? 0.05;
  const A = arms(a);
  const B = arms(b);
  const sa = armStats(A, measure);
  const sb = armStats(B, measure);
  const evidence: Record<string, number | string> = { [`${label(A)} (%)`]: sa.mean, [`${label(B)} (%)`]: sb.mean, 'difference (points)': +(sa.mean - sb.mean).toFixed(2), 'allowed drop (points)': margin };
  const g = gate(claim, [...A, ...B], measure, evidence, opts.note);
  if (g) return g;
  let ci: [number, number];
  let test: string;
  if (A.length >= 2 && B.length >= 2) {
    const w = welchT(sa.values, sb.values);
    const half = Number.isFinite(w.t) && w.t !== 0 ? (tQuantile(alpha, w.df) * w.difference) / w.t : 0;
    ci = [w.difference - Math.abs(half), w.difference + Math.abs(half)];
    test = `Welch t interval over seeds (${A.length} and ${B.length}), ${100 * (1 - alpha)}%`;
  } else {
    const bs = pairedBootstrap(measureOf(A[0], measure), measureOf(B[0], measure), { level: 1 - alpha });
    ci = bs.ci;
    test = `paired bootstrap of the difference on ${A[0].clean.length} test images (${bs.resamples} resamples), ${100 * (1 - alpha)}% interval`;
  }
  const [lo, hi] = [pct(ci[0]), pct(ci[1])];
  evidence['interval (points)'] = `[${lo}, ${hi}]`;
  const verdict: Verdict = lo > -margin ? 'holds' : hi < -margin ? 'does not hold' : 'inconclusive';
  const reason = verdict === 'holds' ? `the interval [${lo}, ${hi}] lies above -${margin}` : verdict === 'does not hold' ? `the drop is larger than ${margin}: interval [${lo}, ${hi}]` : `the interval [${lo}, ${hi}] straddles -${margin}`;
  return { claim, verdict, test, p: null, reason, evidence, ...(opts.note ? { note: opts.note } : {}) };
}

/**
 * "values `a` exceed values `b`" for numbers measured once per seed (training time, a gradient-norm ratio):
 * Welch's t, two-sided at alpha; fewer than two values per group is inconclusive (no test possible).
 * @param names the two groups' names for the evidence
 */
export function claimValuesGreater(claim: string, a: readonly number[], b: readonly number[], names: [string, string], opts: ClaimOptions = {}): ClaimVerdict {
  const alpha = opts.alpha ?? 0.05;
  const A = meanSd(a);
  const B = meanSd(b);
  const evidence: Record<string, number | string> = { [names[0]]: +A.mean.toPrecision(4), [names[1]]: +B.mean.toPrecision(4), values: `${a.length} / ${b.length}` };
  const base = { claim, ...(opts.note ? { note: opts.note } : {}) };
  if (a.length < 2 || b.length < 2) return { ...base, verdict: 'inconclusive', test: 'Welch t needs two values per group', p: null, reason: `one value per group (${a.length} / ${b.length}): no test of the spread is possible`, evidence };
  const w = welchT(a, b);
  evidence.p = fmtP(w.pTwoSided);
  const verdict: Verdict = w.pTwoSided < alpha ? (w.difference > 0 ? 'holds' : 'does not hold') : 'inconclusive';
  return { ...base, verdict, test: `Welch t, two-sided, alpha ${alpha}`, p: w.pTwoSided, reason: verdict === 'inconclusive' ? `difference within noise (p ${fmtP(w.pTwoSided)})` : `${verdict === 'holds' ? names[0] : names[1]} higher, p ${fmtP(w.pTwoSided)}`, evidence };
}

/**
 * "`a` wins in most of `n` paired cases" (e.g. layers, corruptions): the sign test, exact binomial at 1/2,
 * two-sided at alpha; ties are dropped by the caller.
 */
export function claimMostly(claim: string, wins: number, n: number, opts: ClaimOptions & { what?: string } = {}): ClaimVerdict {
  const alpha = opts.alpha ?? 0.05;
  const pUp = binomialUpper(wins, n, 0.5);
  const pDown = binomialLower(wins, n, 0.5);
  const p = Math.min(1, 2 * Math.min(pUp, pDown));
  const verdict: Verdict = n > 0 && p < alpha ? (wins > n / 2 ? 'holds' : 'does not hold') : 'inconclusive';
  const evidence = { [`${opts.what ?? 'cases'} won`]: `${wins} of ${n}`, p: fmtP(p) };
  return { claim, verdict, test: `sign test (exact binomial at 1/2), two-sided, alpha ${alpha}`, p, reason: verdict === 'inconclusive' ? `${wins} of ${n} is within noise` : `${wins} of ${n}, p ${fmtP(p)}`, evidence, ...(opts.note ? { note: opts.note } : {}) };
}

/**
 * A claim made of parts (e.g. "at every number of training steps"): holds when every part holds, does not
 * hold when some part does not hold, else inconclusive; the parts' verdicts are the evidence.
 */
export function claimAll(claim: string, parts: readonly ClaimVerdict[], opts: { note?: string } = {}): ClaimVerdict {
  const verdict: Verdict = parts.length && parts.every((p) => p.verdict === 'holds') ? 'holds' : parts.some((p) => p.verdict === 'does not hold') ? 'does not hold' : 'inconclusive';
  const evidence = Object.fromEntries(parts.map((p) => [p.claim, `${p.verdict} (${p.reason})`]));
  const c = countVerdicts(parts);
  return { claim, verdict, test: `every part by its own test (${parts[0]?.test ?? 'none'})`, p: null, reason: `parts: ${verdictSummary(c)}`, evidence, ...(opts.note ? { note: opts.note } : {}) };
}

/** Claims as table rows: claim, verdict, test, p, why (evidence and note in one line). */
export function claimRows(claims: readonly ClaimVerdict[]): { claim: string; verdict: Verdict; test: string; p: string; why: string }[] {
  return claims.map((c) => ({ claim: c.claim, verdict: c.verdict, test: c.test, p: c.p === null ? '–' : fmtP(c.p), why: c.reason + (c.note ? ` (${c.note})` : '') }));
}

/** Counts of the three outcomes. */
export interface VerdictCounts {
  /** Claims that hold. */
  holds: number;
  /** Claims that do not hold. */
  doesNotHold: number;
  /** Inconclusive claims. */
  inconclusive: number;
  /** All claims. */
  total: number;
}

/** Counts the three outcomes. */
export function countVerdicts(claims: readonly Pick<ClaimVerdict, 'verdict'>[]): VerdictCounts {
  const c = (v: Verdict) => claims.filter((x) => x.verdict === v).length;
  return { holds: c('holds'), doesNotHold: c('does not hold'), inconclusive: c('inconclusive'), total: claims.length };
}

/** "H hold, N do not, I inconclusive of T". */
export function verdictSummary(c: VerdictCounts): string {
  return `${c.holds} hold, ${c.doesNotHold} do not, ${c.inconclusive} inconclusive of ${c.total}`;
}
