/**
 * The statistical tests behind claim verdicts: exact binomial tails, McNemar's exact test on paired per-example
 * correctness, a paired bootstrap of an accuracy difference, and Welch's t test over seeds. Plain numbers in,
 * plain records out; no tensors.
 * @module
 */
import { Rng } from '../engine/seed';
import { msg } from '../messages';

/** ln Gamma(x) for x > 0 (Lanczos, g = 7, 9 terms: relative error below 1e-13). */
export function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** ln of the binomial probability P(X = k), X ~ Bin(n, p). */
function logBinomPmf(k: number, n: number, p: number): number {
  if (p === 0) return k === 0 ? 0 : -Infinity;
  if (p === 1) return k === n ? 0 : -Infinity;
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1) + k * Math.log(p) + (n - k) * Math.log1p(-p);
}

/**
 * Exact upper tail P(X >= k) for X ~ Bin(n, p).
 * @example binomialUpper(9, 10, 0.5) // 11/1024
 */
export function binomialUpper(k: number, n: number, p: number): number {
  if (!Number.isInteger(n) || n < 0) throw new Error(msg.nonNegativeInt('n', n));
  if (!(p >= 0 && p <= 1)) throw new Error(msg.range('p', 0, 1, p, p));
  if (k <= 0) return 1;
  if (k > n) return 0;
  // Sum in log space from the mode outwards would be faster; n here is at most a test set (10,000).
  let s = 0;
  for (let i = Math.ceil(k); i <= n; i++) s += Math.exp(logBinomPmf(i, n, p));
  return Math.min(1, s);
}

/** Exact lower tail P(X <= k) for X ~ Bin(n, p). */
export function binomialLower(k: number, n: number, p: number): number {
  return k >= n ? 1 : 1 - binomialUpper(Math.floor(k) + 1, n, p);
}

/** Result of {@link mcnemarExact}. */
export interface McNemarRecord {
  /** Examples compared (both vectors' length). */
  n: number;
  /** Examples right under `a` and wrong under `b`. */
  aOnly: number;
  /** Examples right under `b` and wrong under `a`. */
  bOnly: number;
  /** Accuracy of `a` minus accuracy of `b`, in [-1, 1]. */
  difference: number;
  /** One-sided p-value of "a is more often right than b". */
  pGreater: number;
  /** One-sided p-value of "b is more often right than a". */
  pLess: number;
  /** Two-sided exact p-value, min(1, 2 min(pGreater, pLess)). */
  pTwoSided: number;
}

function checkPaired(a: ArrayLike<boolean | number>, b: ArrayLike<boolean | number>, what: string): void {
  if (a.length !== b.length) throw new Error(msg.pairedLength(what, a.length, b.length));
  if (a.length === 0) throw new Error(msg.emptyRecord(what));
}

/**
 * McNemar's exact test on two models' per-example correctness on the same test images: under the null the
 * discordant pairs split as Bin(aOnly + bOnly, 1/2) (McNemar 1947; the exact form avoids the chi-square
 * approximation that fails for few discordant pairs).
 * @param a per-example correctness of model a (true / 1 = right)
 * @param b the same for model b, on the same examples in the same order
 * @example mcnemarExact([1, 1, 1, 0], [0, 0, 1, 0]).pGreater // 0.25
 */
export function mcnemarExact(a: ArrayLike<boolean | number>, b: ArrayLike<boolean | number>): McNemarRecord {
  checkPaired(a, b, 'mcnemarExact(a, b)');
  let aOnly = 0;
  let bOnly = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] && !b[i]) aOnly++;
    else if (!a[i] && b[i]) bOnly++;
  }
  const d = aOnly + bOnly;
  const pGreater = binomialUpper(aOnly, d, 0.5);
  const pLess = binomialUpper(bOnly, d, 0.5);
  return { n: a.length, aOnly, bOnly, difference: (aOnly - bOnly) / a.length, pGreater, pLess, pTwoSided: Math.min(1, 2 * Math.min(pGreater, pLess)) };
}

/** Result of {@link pairedBootstrap}. */
export interface BootstrapRecord {
  /** Accuracy of `a` minus accuracy of `b` on all examples. */
  difference: number;
  /** Percentile interval of the difference at the level asked for. */
  ci: [number, number];
  /** Resamples drawn. */
  resamples: number;
}

/**
 * Paired bootstrap of the accuracy difference: the test images are resampled with replacement, both models'
 * correctness kept together, and the difference's percentile interval returned (Efron & Tibshirani 1993, ch. 13).
 * @param level interval level (default 0.95)
 * @param resamples default 2000; @param seed default 0
 */
export function pairedBootstrap(a: ArrayLike<boolean | number>, b: ArrayLike<boolean | number>, opts: { level?: number; resamples?: number; seed?: number } = {}): BootstrapRecord {
  checkPaired(a, b, 'pairedBootstrap(a, b)');
  const level = opts.level ?? 0.95;
  const resamples = opts.resamples ?? 2000;
  if (!(level > 0 && level < 1)) throw new Error(msg.range('level', 0, 1, level, level));
  if (!Number.isInteger(resamples) || resamples < 1) throw new Error(msg.positiveInt('resamples', resamples));
  const n = a.length;
  const d = new Int8Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    d[i] = (a[i] ? 1 : 0) - (b[i] ? 1 : 0);
    sum += d[i];
  }
  const rng = new Rng(opts.seed ?? 0);
  const stats = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += d[Math.floor(rng.next() * n)];
    stats[r] = s / n;
  }
  stats.sort();
  const q = (p: number) => stats[Math.min(resamples - 1, Math.max(0, Math.floor(p * resamples)))];
  return { difference: sum / n, ci: [q((1 - level) / 2), q(1 - (1 - level) / 2)], resamples };
}

/** Regularised incomplete beta I_x(a, b) by Lentz's continued fraction (converges for x < (a+1)/(a+b+2)). */
function betaCf(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let h = d;
  for (let m = 1; m <= 300; m++) {
    for (const num of [(m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m)), (-(a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1))]) {
      d = 1 + num * d;
      d = 1 / (Math.abs(d) < tiny ? tiny : d);
      c = 1 + num / c;
      if (Math.abs(c) < tiny) c = tiny;
      h *= d * c;
    }
    if (Math.abs(d * c - 1) < 1e-15) break;
  }
  return h;
}

/** The regularised incomplete beta function I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  return x < (a + 1) / (a + b + 2) ? (front * betaCf(x, a, b)) / a : 1 - (front * betaCf(1 - x, b, a)) / b;
}

/** P(T > t) for Student's t with `df` degrees of freedom. */
export function studentUpper(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? tail : 1 - tail;
}

/** Result of {@link welchT}. */
export interface WelchRecord {
  /** mean(a) - mean(b). */
  difference: number;
  /** Welch's t statistic. */
  t: number;
  /** Welch-Satterthwaite degrees of freedom. */
  df: number;
  /** One-sided p-value of mean(a) > mean(b). */
  pGreater: number;
  /** One-sided p-value of mean(a) < mean(b). */
  pLess: number;
  /** Two-sided p-value. */
  pTwoSided: number;
}

/** Sample mean and (n - 1) standard deviation. */
export function meanSd(v: readonly number[]): { mean: number; sd: number } {
  const m = v.reduce((s, x) => s + x, 0) / v.length;
  const sd = v.length > 1 ? Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / (v.length - 1)) : 0;
  return { mean: m, sd };
}

/**
 * Welch's t test of two groups of per-seed values (unequal variances; Welch 1947). Needs two values per
 * group. When both groups have zero spread the test is decided by the sign of the difference with p 0 or 1.
 * @example welchT([0.52, 0.55, 0.53], [0.45, 0.44, 0.47]).pGreater // < 0.01
 */
export function welchT(a: readonly number[], b: readonly number[]): WelchRecord {
  if (a.length < 2 || b.length < 2) throw new Error(msg.tooFewSeeds('welchT', 2, Math.min(a.length, b.length)));
  const A = meanSd(a);
  const B = meanSd(b);
  const va = (A.sd * A.sd) / a.length;
  const vb = (B.sd * B.sd) / b.length;
  const difference = A.mean - B.mean;
  if (va + vb === 0) {
    const pG = difference > 0 ? 0 : 1;
    const pL = difference < 0 ? 0 : 1;
    return { difference, t: difference === 0 ? 0 : Math.sign(difference) * Infinity, df: a.length + b.length - 2, pGreater: pG, pLess: pL, pTwoSided: difference === 0 ? 1 : 0 };
  }
  const t = difference / Math.sqrt(va + vb);
  const df = (va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
  const pGreater = studentUpper(t, df);
  const pLess = studentUpper(-t, df);
  return { difference, t, df, pGreater, pLess, pTwoSided: Math.min(1, 2 * Math.min(pGreater, pLess)) };
}
