/**
 * FAB, the fast adaptive boundary attack (Croce & Hein, 2020, "Minimally distorted adversarial examples with a
 * fast adaptive boundary attack"), in l-inf and l2, untargeted and targeted (FAB-T, as in AutoAttack). A
 * minimum-norm attack: it linearises the classifier, projects onto the nearest linearised decision boundary
 * intersected with the input box, and biases each step towards the clean input so that the adversarial
 * examples it finds stay close to it. Its records are the frame's AttackResult, like DeepFool's and C&W's.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../models/classifier';
import type { Bounds } from '../types';
import { Rng } from '../engine/seed';
import { assert } from '../engine/assert';
import { msg } from '../messages';
import { logitJacobian, mergeRows, predictSync, takeFlatRows } from './util';
import { is, type OptionFamily } from './options';
import { defineAttack, resultOf, targetCount, type LoopInput, type LoopOutput, type RecordAttack } from './frame';

/** Options of {@link fab} and {@link fabRecord}. */
export interface FabOptions {
  /** Norm minimised: 'linf' or 'l2' (default 'linf'). */
  norm: 'linf' | 'l2';
  /** Threat radius of {@link fab}; restarts after the first start at a random point at distance eps / 2 (default 8/255). */
  eps: number;
  /** Iterations per run (default 100, AutoAttack's n_iter). */
  steps: number;
  /** Runs per example: the first from the clean input, the others from random starts (default 1; AutoAttack's plus version: 5). */
  restarts: number;
  /** Upper bound on the weight alpha of the step from the clean input (default 0.1). */
  alphaMax: number;
  /** Overshoot of both projections, the paper's eta (default 1.05; the name DeepFool's option uses too). */
  overshoot: number;
  /** Backward step beta towards the clean input after an adversarial iterate (default 0.9). */
  beta: number;
  /** Seed of the random starts (default 0). */
  seed: number;
  /** Input bounds (default: the model's, else [0, 1]). */
  bounds?: Bounds;
}

/** FAB defaults as AutoAttack's standard version: 100 iterations, 1 restart, alpha_max 0.1, eta 1.05, beta 0.9, l-inf 8/255. */
export const FAB_DEFAULTS: FabOptions = { norm: 'linf', eps: 8 / 255, steps: 100, restarts: 1, alphaMax: 0.1, overshoot: 1.05, beta: 0.9, seed: 0 };

/** Options of {@link fabT} and {@link fabTRecord}: {@link FabOptions} plus the number of target classes. */
export interface FabTOptions extends FabOptions {
  /** Targets tried in turn: the 2nd, 3rd, ... most likely classes on the clean input (default min(9, K - 1), as AutoAttack). */
  targetClasses?: number;
}

/** FAB's option family. */
export const FAB: OptionFamily<FabOptions> = {
  defaults: FAB_DEFAULTS,
  checks: {
    norm: is.oneOf(['linf', 'l2'] as const),
    eps: is.nonNegative,
    steps: is.nonNegativeInt,
    restarts: is.positiveInt,
    alphaMax: is.inRange(1),
    overshoot: is.positive,
    beta: is.positiveAtMost(1),
  },
};

/**
 * FAB's projection (AutoAttack's fab_projections.py, here per example in float64): the smallest `d` in the
 * norm with `w.(t + d) = b` and `lo <= t + d <= hi`. Where the box cannot reach the hyperplane, the box corner
 * closest to it along `w` (every coordinate at its bound). Buffers are kept between calls.
 */
export class HyperplaneBoxProjection {
  private readonly rate: Float64Array;
  private readonly sat: Float64Array;
  private readonly sorted: Float64Array;

  /** @param dim length of the vectors projected */
  constructor(readonly dim: number) {
    this.rate = new Float64Array(dim);
    this.sat = new Float64Array(dim);
    this.sorted = new Float64Array(dim);
  }

  /** sum_j rate_j min(lam, sat_j): how far moving by `lam` lowers the signed distance to the hyperplane. */
  private reach(lam: number): number {
    let h = 0;
    for (let j = 0; j < this.dim; j++) h += this.rate[j] * Math.min(lam, this.sat[j]);
    return h;
  }

  /** Writes into `out` the projection step from `t` onto `{z : w.z = b} ∩ [lo, hi]^dim` in `norm`. */
  project(norm: 'linf' | 'l2', t: ArrayLike<number>, w: ArrayLike<number>, b: number, lo: number, hi: number, out: Float64Array): void {
    const n = this.dim;
    let c = -b;
    for (let j = 0; j < n; j++) c += w[j] * t[j];
    out.fill(0);
    if (c === 0) return;
    // Work with s w so that s (w.z - b) must fall by `need` >= 0. Coordinate j moves against s w_j, up to `cap`
    // (its bound in that direction). In l-inf every coordinate moves by min(lam, cap): rate |w_j|, saturating
    // at lam = cap. In l2 the KKT point is d = -lam s w clipped to the box: |d_j| = |w_j| min(lam, cap / |w_j|),
    // rate w_j^2. Either way the decrease is increasing and piecewise linear in lam, with kinks at the `sat`.
    const s = c > 0 ? 1 : -1;
    const need = Math.abs(c);
    let m = 0;
    let total = 0;
    for (let j = 0; j < n; j++) {
      const sw = s * w[j];
      if (sw === 0) {
        this.rate[j] = 0;
        this.sat[j] = 0;
        continue;
      }
      const cap = sw > 0 ? t[j] - lo : hi - t[j];
      const aw = Math.abs(sw);
      this.rate[j] = norm === 'l2' ? aw * aw : aw;
      this.sat[j] = norm === 'l2' ? cap / aw : cap;
      total += this.rate[j] * this.sat[j];
      this.sorted[m++] = this.sat[j];
    }
    let lam = Infinity;
    if (total > need) {
      // The first kink at which the decrease reaches `need` (binary search over the sorted kinks), then the
      // exact lam on the linear piece before it.
      const kinks = this.sorted.subarray(0, m).sort();
      let a = 0;
      let z = m - 1;
      while (a < z) {
        const mid = (a + z) >> 1;
        if (this.reach(kinks[mid]) >= need) z = mid;
        else a = mid + 1;
      }
      const from = a > 0 ? kinks[a - 1] : 0;
      let h = 0;
      let slope = 0;
      for (let j = 0; j < n; j++) {
        if (this.sat[j] > from) {
          h += this.rate[j] * from;
          slope += this.rate[j];
        } else h += this.rate[j] * this.sat[j];
      }
      lam = from + (need - h) / slope;
    }
    for (let j = 0; j < n; j++) {
      if (this.rate[j] === 0) continue;
      const mag = Math.min(lam, this.sat[j]) * (norm === 'l2' ? Math.abs(w[j]) : 1);
      out[j] = s * w[j] > 0 ? -mag : mag;
    }
  }
}

/** lp norm of a vector (float64 accumulation). */
function vecNorm(v: ArrayLike<number>, norm: 'linf' | 'l2'): number {
  let r = 0;
  for (let j = 0; j < v.length; j++) r = norm === 'linf' ? Math.max(r, Math.abs(v[j])) : r + v[j] * v[j];
  return norm === 'linf' ? r : Math.sqrt(r);
}

/** lp norm of `a - b` on rows of flat arrays. */
function distNorm(a: Float32Array, b: Float32Array, norm: 'linf' | 'l2'): number {
  let r = 0;
  for (let j = 0; j < a.length; j++) {
    const v = a[j] - b[j];
    r = norm === 'linf' ? Math.max(r, Math.abs(v)) : r + v * v;
  }
  return norm === 'linf' ? r : Math.sqrt(r);
}

/** The linearised boundary chosen per example: `df` = f_k - f_y at the iterate and `w` its input gradient [n, d]. */
interface Hyperplanes {
  df: Float32Array;
  w: Float32Array;
}

/**
 * Untargeted: the gradients of f_k - f_y for every class k (one backward pass per class, the Jacobian rows as
 * in DeepFool), and per example the class whose linearised boundary is nearest in the dual norm.
 */
function nearestBoundary(model: Classifier, xt: tf.Tensor, y: tf.Tensor1D, norm: 'linf' | 'l2'): Hyperplanes {
  const n = xt.shape[0];
  const K = model.numClasses;
  const { logits: z, jacobian: g } = logitJacobian(model, xt); // [n, K], [n, K, d]
  const [dfT, wT] = tf.tidy(() => {
    const oh = tf.oneHot(y, K).toFloat();
    const dg = g.sub(g.mul(oh.expandDims(2)).sum(1, true));
    const df = z.sub(z.mul(oh).sum(1, true)); // [n, K]
    const dual = norm === 'linf' ? dg.abs().sum(2) : dg.square().sum(2).sqrt();
    // The label's own row (df = 0, dg = 0) is no boundary.
    const dist = tf.where(oh.cast('bool'), tf.fill([n, K], Infinity), df.abs().div(dual.add(1e-12)));
    const pick = tf.oneHot(dist.argMin(1), K).toFloat();
    return [df.mul(pick).sum(1), dg.mul(pick.expandDims(2)).sum(1)];
  });
  tf.dispose([z, g]);
  const out = { df: Float32Array.from(dfT.dataSync()), w: Float32Array.from(wT.dataSync()) };
  tf.dispose([dfT, wT]);
  return out;
}

/** Targeted: the boundary between the label and the target, f_t - f_y, and its gradient (one backward pass). */
function targetBoundary(model: Classifier, xt: tf.Tensor, y: tf.Tensor1D, target: tf.Tensor1D): Hyperplanes {
  const n = xt.shape[0];
  let df: tf.Tensor | undefined;
  const wT = tf.tidy(() => {
    const diff = tf.oneHot(target, model.numClasses).sub(tf.oneHot(y, model.numClasses)).toFloat();
    return tf
      .grad((v: tf.Tensor) => {
        const f = model.apply(v, { training: false }).logits.mul(diff).sum(1);
        df = tf.keep(f.clone());
        return f.sum();
      })(xt)
      .reshape([n, -1]);
  });
  const out = { df: Float32Array.from((df as tf.Tensor).dataSync()), w: Float32Array.from(wT.dataSync()) };
  tf.dispose([df as tf.Tensor, wT]);
  return out;
}

/**
 * One FAB run (Croce & Hein, 2020, Algorithm 1; AutoAttack's attack_single_run) on flat rows: per step, project
 * the iterate and the clean input onto the chosen linearised boundary (with the box), move to the convex
 * combination `(x1 + eta d1)(1 - alpha) + (x0 + eta d2) alpha` (eta = `overshoot`) with alpha = ||d1|| / (||d1|| + ||d2||) capped at
 * alphaMax, and once an iterate is adversarial, record it if it is the closest so far and step back towards the
 * clean input by beta. Returns per example the closest adversarial found and its norm (Infinity if none).
 */
function fabRun(model: Classifier, x0: Float32Array, labels: Int32Array, shape: number[], start: Float32Array, target: Int32Array | null, o: FabOptions, bounds: Bounds): { adv: Float32Array; dist: Float64Array } {
  const n = labels.length;
  const d = x0.length / n;
  const [lo, hi] = bounds;
  const x1 = start;
  const adv = new Float32Array(n * d);
  const dist = new Float64Array(n).fill(Infinity);
  const proj = new HyperplaneBoxProjection(d);
  const d1 = new Float64Array(d);
  const d2 = new Float64Array(d);
  const y = tf.tensor1d(labels, 'int32');
  const tgt = target ? tf.tensor1d(target, 'int32') : null;
  for (let it = 0; it < o.steps; it++) {
    const xt = tf.tensor(x1, shape);
    const { df, w } = tgt ? targetBoundary(model, xt, y, tgt) : nearestBoundary(model, xt, y, o.norm);
    xt.dispose();
    for (let i = 0; i < n; i++) {
      const t1 = x1.subarray(i * d, (i + 1) * d);
      const t0 = x0.subarray(i * d, (i + 1) * d);
      const wi = w.subarray(i * d, (i + 1) * d);
      // Linearisation at x1: f_k - f_y ~ df + w.(z - x1), zero on the hyperplane w.z = w.x1 - df.
      let b = -df[i];
      for (let j = 0; j < d; j++) b += wi[j] * t1[j];
      proj.project(o.norm, t1, wi, b, lo, hi, d1);
      proj.project(o.norm, t0, wi, b, lo, hi, d2);
      const a1 = Math.max(vecNorm(d1, o.norm), 1e-8);
      const a2 = Math.max(vecNorm(d2, o.norm), 1e-8);
      // The bias towards the clean input: large when x1 is already far from the boundary relative to x0.
      const alpha = Math.min(a1 / (a1 + a2), o.alphaMax);
      for (let j = 0; j < d; j++) {
        const v = (t1[j] + o.overshoot * d1[j]) * (1 - alpha) + (t0[j] + o.overshoot * d2[j]) * alpha;
        t1[j] = Math.min(hi, Math.max(lo, v));
      }
    }
    const xc = tf.tensor(x1, shape);
    const pred = predictSync(model, xc);
    xc.dispose();
    for (let i = 0; i < n; i++) {
      if (pred[i] === labels[i]) continue;
      const t1 = x1.subarray(i * d, (i + 1) * d);
      const t0 = x0.subarray(i * d, (i + 1) * d);
      const r = distNorm(t1, t0, o.norm);
      if (r < dist[i]) {
        dist[i] = r;
        adv.set(t1, i * d);
      }
      // Back towards the clean input: the next steps look for a closer crossing.
      for (let j = 0; j < d; j++) t1[j] = t0[j] + (t1[j] - t0[j]) * o.beta;
    }
  }
  tf.dispose(tgt ? [y, tgt] : [y]);
  return { adv, dist };
}

/**
 * A random start at distance eps / 2 from the clean rows, clipped to the box (AutoAttack's restarts): l-inf along
 * a uniform direction scaled to max-norm eps / 2, l2 along a Gaussian direction.
 */
function randomStart(x0: Float32Array, n: number, o: FabOptions, [lo, hi]: Bounds, seed: number): Float32Array {
  const d = x0.length / n;
  const rng = new Rng(seed);
  const out = new Float32Array(x0.length);
  const t = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) t[j] = o.norm === 'linf' ? 2 * rng.next() - 1 : rng.normal();
    const scale = o.eps / 2 / Math.max(vecNorm(t, o.norm), 1e-12);
    for (let j = 0; j < d; j++) out[i * d + j] = Math.min(hi, Math.max(lo, x0[i * d + j] + scale * t[j]));
  }
  return out;
}

/**
 * Runs FAB on the clean-correct examples, per target rank (null: untargeted) and restart, each run on the
 * examples `open` still accepts, keeping the closest adversarial per example (the clean input where none).
 */
function fabAttack({ model, x, y, o, bounds }: LoopInput<FabOptions>, ranks: (number | null)[], open: (dist: number) => boolean): tf.Tensor {
  const n = x.shape[0];
  const K = model.numClasses;
  const inner = x.shape.slice(1);
  const d = inner.reduce((a, b) => a * b, 1);
  const x0 = Float32Array.from(x.dataSync());
  const labels = Int32Array.from(y.dataSync());
  const logitsT = tf.tidy(() => model.apply(x, { training: false }).logits);
  const logits = logitsT.dataSync();
  logitsT.dispose();
  // Classes per example by decreasing clean logit (FAB-T's targets: rank 1 is the second most likely).
  const order = Array.from({ length: n }, (_, i) => Array.from({ length: K }, (_, k) => k).sort((a, b) => logits[i * K + b] - logits[i * K + a] || a - b));
  const correct = order.map((r, i) => r[0] === labels[i]);
  const best = Float32Array.from(x0);
  const bestDist = new Float64Array(n).fill(Infinity);
  const rng = new Rng(o.seed);
  for (const rank of ranks) {
    for (let r = 0; r < o.restarts; r++) {
      const seed = rng.seed();
      const idx = correct.flatMap((c, i) => (c && open(bestDist[i]) ? [i] : []));
      if (idx.length === 0) continue;
      const xs = takeFlatRows(x0, idx, d);
      const start = r === 0 ? Float32Array.from(xs) : randomStart(xs, idx.length, o, bounds, seed);
      const target = rank === null ? null : Int32Array.from(idx, (g) => order[g][rank]);
      const res = fabRun(model, xs, Int32Array.from(idx, (g) => labels[g]), [idx.length, ...inner], start, target, o, bounds);
      idx.forEach((g, k) => {
        if (res.dist[k] < bestDist[g]) {
          bestDist[g] = res.dist[k];
          best.set(res.adv.subarray(k * d, (k + 1) * d), g * d);
        }
      });
    }
  }
  return tf.tensor(best, x.shape);
}

/** The minimum-norm adversarial where it lies within eps, the clean input elsewhere; disposes `best`. */
function withinEps(input: LoopInput<FabOptions>, best: tf.Tensor): LoopOutput {
  const { model, x, y, o } = input;
  const r = resultOf(model, x, y, best, o.norm, null);
  const take = r.success.map((s, i) => (s && r.perturbationNorm[i] <= o.eps ? i : -1));
  const adversarial = mergeRows(x, best, take);
  best.dispose();
  return { adversarial };
}

/** The targets' ranks for FAB-T: 1 .. targetClasses (rank 0 is the label on clean-correct examples). */
function targetRanks(model: Classifier, o: Partial<FabTOptions>): number[] {
  assert(model.numClasses >= 2, () => msg.tooFewClasses('FAB-T', 2, model.numClasses));
  return Array.from({ length: targetCount(model, o.targetClasses) }, (_, i) => i + 1);
}

/**
 * A FAB attack in the frame: untargeted (`targeted` false) or FAB-T, minimum-norm (`ball` false: every run on
 * every clean-correct example, the closest adversarial kept) or as a ball attack (runs only on the examples
 * not yet fooled within eps; the adversarial where its norm is <= eps, else the clean input).
 */
function fabVariant<O extends FabTOptions>(name: string, targeted: boolean, ball: boolean) {
  const ranks = (input: LoopInput<O>) => (targeted ? targetRanks(input.model, input.o) : [null]);
  return defineAttack<O>({
    name,
    family: FAB as OptionFamily<O>,
    norm: (o) => o.norm,
    eps: (o) => (ball ? o.eps : null),
    checkModel: targeted ? (model, o) => void targetRanks(model, o) : undefined,
    loop: (input) => {
      if (!ball) return { adversarial: fabAttack(input, ranks(input), () => true) };
      return withinEps(input, fabAttack(input, ranks(input), (r) => r > input.o.eps));
    },
  });
}

/**
 * FAB untargeted (Croce & Hein, 2020) as a minimum-norm attack: per step the nearest linearised boundary over
 * all classes. Every restart runs on every clean-correct example and the closest adversarial is kept. Where
 * no adversarial was found (and on examples misclassified clean) `adversarial` is the clean input.
 * @example const { perturbationNorm } = fabRecord(model, x, y, { norm: 'l2', steps: 100 });
 */
export const fabRecord: RecordAttack<FabOptions> = fabVariant<FabOptions>('fab', false, false).record;

/**
 * FAB as a ball attack (AutoAttack's use): the minimum-norm adversarial where its norm is <= eps, the clean
 * input otherwise, so that robust accuracy at eps can be read from its output. Restarts run only on the
 * examples not yet fooled within eps. `fab.record(...)` for the record.
 * @example const xAdv = fab(model, x, y, { norm: 'linf', eps: 8 / 255 });
 */
export const fab = fabVariant<FabOptions>('fab', false, true);

/**
 * FAB-T (AutoAttack's targeted FAB) as a minimum-norm attack: for each of the `targetClasses` most likely
 * wrong classes in turn, FAB towards the boundary between the label and that class only (one backward pass
 * per step instead of one per class). Success still means any misclassification. Every run covers every
 * clean-correct example.
 * @example const { perturbationNorm } = fabTRecord(model, x, y, { targetClasses: 3 });
 */
export const fabTRecord: RecordAttack<FabTOptions> = fabVariant<FabTOptions>('fab-t', true, false).record;

/**
 * FAB-T as a ball attack, as in AutoAttack's standard version (9 targets, 1 restart each): each target runs on
 * the examples not yet fooled within eps; returns the adversarial where its norm is <= eps, else the clean
 * input. `fabT.record(...)` for the record.
 * @example const xAdv = fabT(model, x, y, { eps: 8 / 255 });
 */
export const fabT = fabVariant<FabTOptions>('fab-t', true, true);
