/**
 * A claim on numbers measured once per seed where the two arms share each seed's starting point (both
 * fine-tuned from the same base model, say): the paired t test on the per-seed differences, which removes the
 * seed-to-seed spread that an unpaired test counts as noise.
 * @module
 */
import { fmtP, type ClaimOptions, type ClaimVerdict, type Verdict } from './claims';
import { studentUpper } from './stats';

/**
 * "values `a` exceed values `b`", `a[i]` and `b[i]` from the same seed: paired t on `a - b`, two-sided at
 * alpha (default 0.05). Holds when significant with a positive mean difference, does not hold when significant
 * with a negative one, else inconclusive (also with fewer than two pairs, or no spread at all).
 * @param names the two arms' names for the evidence
 * @example claimPairedGreater('NP beats the base', [0.44, 0.42, 0.45], [0.43, 0.41, 0.44], ['NP', 'base'])
 */
export function claimPairedGreater(claim: string, a: readonly number[], b: readonly number[], names: [string, string], opts: ClaimOptions = {}): ClaimVerdict {
  const alpha = opts.alpha ?? 0.05;
  if (a.length !== b.length) throw new Error(`claimPairedGreater(b): expected ${a.length} values, one per seed of a, got ${b.length}`);
  const d = a.map((v, i) => v - b[i]);
  const n = d.length;
  const mean = d.reduce((s, v) => s + v, 0) / Math.max(1, n);
  const sd = n > 1 ? Math.sqrt(d.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : NaN;
  const avg = (x: readonly number[]) => x.reduce((s, v) => s + v, 0) / x.length;
  const evidence: Record<string, number | string> = { [names[0]]: +avg(a).toPrecision(4), [names[1]]: +avg(b).toPrecision(4), 'mean paired difference': +mean.toPrecision(3), pairs: n };
  const base = { claim, ...(opts.note ? { note: opts.note } : {}) };
  const test = `paired t over ${n} seeds, two-sided, alpha ${alpha}`;
  if (n < 2 || !(sd > 0)) return { ...base, verdict: 'inconclusive', test, p: null, reason: n < 2 ? 'fewer than two seeds: no test possible' : 'no spread in the differences: no test possible', evidence };
  const t = mean / (sd / Math.sqrt(n));
  const p = Math.min(1, 2 * studentUpper(Math.abs(t), n - 1));
  evidence.t = +t.toFixed(3);
  evidence.p = fmtP(p);
  const verdict: Verdict = p < alpha ? (mean > 0 ? 'holds' : 'does not hold') : 'inconclusive';
  const reason = verdict === 'inconclusive' ? `paired difference ${mean.toPrecision(3)} within noise (p ${fmtP(p)})` : `${verdict === 'holds' ? names[0] : names[1]} higher in the paired test, p ${fmtP(p)}`;
  return { ...base, verdict, test, p, reason, evidence };
}
