/**
 * Square Attack in l-inf (Andriushchenko et al., 2020, "Square Attack: a query-efficient black-box adversarial
 * attack via random search"), as in AutoAttack's square.py: a score-based random search on the margin loss
 * that only reads the logits. Starts from vertical stripes of +-eps and proposes, per step, one square window
 * set to +-eps per channel; keeps the proposal when the margin falls. The window's side shrinks on a fixed
 * schedule of the iteration. Being gradient-free, it is AutoAttack's check against gradient masking.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Bounds } from '../types';
import type { Classifier } from '../models/classifier';
import { Rng } from '../engine/seed';
import { assert } from '../engine/assert';
import { msg } from '../messages';
import { marginsSync, predictSync, takeFlatRows } from './util';
import { is, type OptionFamily } from './options';
import { defineAttack, type LoopInput, type LoopOutput } from './frame';

/** Options of {@link square} and {@link squareRecord}. */
export interface SquareOptions {
  /** Threat-model norm: 'linf' (default) or 'l2' (AutoAttack's Square-l2 proposal). */
  norm: 'linf' | 'l2';
  /** Radius (default 8/255). */
  eps: number;
  /**
   * Model queries per example, all counted: the clean check, the stripes and one per square update (default
   * 5000, AutoAttack's n_queries; AutoAttack counts its updates only, here 5000 allows 4998 of them).
   */
  queries: number;
  /** Initial fraction p of the pixels a square covers; the side is round(sqrt(p H W)) (default 0.8). */
  pInit: number;
  /**
   * Stretch p's schedule (written for 10,000 iterations) to the budget (default false, as AutoAttack's ensemble
   * runs it: the schedule reads the raw iteration, so a 5000-query run ends at p_init / 128).
   */
  rescaleSchedule: boolean;
  /** Seed of the stripes, windows and signs (default 0). */
  seed: number;
  /** Input bounds (default: the model's, else [0, 1]). */
  bounds?: Bounds;
}

/** Square defaults as AutoAttack's standard version: l-inf 8/255, p_init 0.8, 5000 queries, schedule not rescaled. */
export const SQUARE_DEFAULTS: SquareOptions = { norm: 'linf', eps: 8 / 255, queries: 5000, pInit: 0.8, rescaleSchedule: false, seed: 0 };

const SQUARE: OptionFamily<SquareOptions> = {
  defaults: SQUARE_DEFAULTS,
  checks: { norm: is.oneOf(['linf', 'l2'] as const), eps: is.nonNegative, queries: is.positiveInt, pInit: is.positiveAtMost(1) },
};

/**
 * Fraction of pixels a square covers at update `it` (AutoAttack's p_selection): p_init halved at iterations 10,
 * 50, 200, 500, 1000, 2000, 4000, 6000 and 8000. With `rescale`, `it` is first mapped onto 10,000 iterations.
 */
export function squareP(it: number, pInit: number, updates: number, rescale: boolean): number {
  const i = rescale ? Math.floor((it / updates) * 10000) : it;
  const cuts = [10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000];
  let halvings = 0;
  while (halvings < cuts.length && i > cuts[halvings]) halvings++;
  return pInit / 2 ** halvings;
}

/**
 * Square Attack (Andriushchenko et al., 2020, Algorithm 1; AutoAttack's square.py) on image batches
 * [N, H, W, C], with the l-inf proposal (Algorithm 2) or, for `norm: 'l2'`, the l2 proposal (Algorithm 3:
 * pseudo-Gaussian windows, mass moved from a second window, the total kept at eps). Only examples classified correctly and not yet fooled are queried. Windows and
 * signs are drawn per example (as the paper's code; AutoAttack shares one window across the batch) from a
 * stream seeded per example, so an example's run does not depend on which others are still active. Called,
 * the adversarial inputs (clean inputs where the example was misclassified clean); `square.record(...)`
 * (= {@link squareRecord}) the record with the queries.
 * @example const { adversarial, queries } = square.record(model, x, y, { eps: 8 / 255, queries: 1000 });
 */
export const square = defineAttack<SquareOptions>({
  name: 'square',
  family: SQUARE,
  norm: (o) => o.norm,
  eps: (o) => o.eps,
  checkModel: (model) => assert(model.inputShape.length === 3, () => msg.imageInputs('Square Attack', model.inputShape)),
  loop: (input) => (input.o.norm === 'l2' ? squareL2Loop(input) : squareLoop(input)),
});

/** {@link square}'s record form. */
export const squareRecord = square.record;

/**
 * Margins of the rows `idx` of a flat batch of images of `shape`, at their labels: one model query each (both
 * Square loops count queries per call).
 */
function marginQuery(model: Classifier, labels: Int32Array, shape: [number, number, number]): (buf: Float32Array, idx: number[]) => Float32Array {
  return (buf, idx) => {
    const xq = tf.tensor(buf, [idx.length, ...shape]);
    const yq = tf.tensor1d(Int32Array.from(idx, (g) => labels[g]), 'int32');
    const m = marginsSync(model, xq, yq);
    tf.dispose([xq, yq]);
    return m;
  };
}

/**
 * The first query of the `open` rows of `xb` (their starting points), counted in `queries`: each row's best
 * margin so far (-Infinity where not queried).
 */
function firstMargins(query: ReturnType<typeof marginQuery>, xb: Float32Array, open: number[], d: number, queries: number[]): Float64Array {
  const marginMin = new Float64Array(queries.length).fill(-Infinity);
  if (open.length) {
    const m = query(takeFlatRows(xb, open, d), open);
    open.forEach((g, k) => {
      queries[g]++;
      marginMin[g] = m[k];
    });
  }
  return marginMin;
}

function squareLoop({ model, x, y, o, bounds }: LoopInput<SquareOptions>): LoopOutput {
  const [lo, hi] = bounds;
  const [H, W, C] = model.inputShape;
  const n = x.shape[0];
  const d = H * W * C;
  const x0 = Float32Array.from(x.dataSync());
  const labels = Int32Array.from(y.dataSync());
  const rngs = (() => {
    const master = new Rng(o.seed);
    return Array.from({ length: n }, () => new Rng(master.seed()));
  })();
  const xb = Float32Array.from(x0);
  const queries = new Array<number>(n).fill(1);
  const clean = predictSync(model, x);
  // Pixel value moved to the face of the ball in direction `sign`, inside the bounds. Adding +-2 eps to a point
  // of the ball and projecting back, as AutoAttack writes it, lands on the same face.
  const face = (at: number, sign: number) => Math.min(hi, Math.max(lo, x0[at] + sign * o.eps));
  let open = Array.from({ length: n }, (_, i) => i).filter((i) => clean[i] === labels[i] && o.queries >= 2);
  // Vertical stripes: one sign per column and channel, the same down the column.
  for (const i of open) {
    for (let w = 0; w < W; w++)
      for (let c = 0; c < C; c++) {
        const sign = rngs[i].next() < 0.5 ? -1 : 1;
        for (let h = 0; h < H; h++) xb[i * d + (h * W + w) * C + c] = face(i * d + (h * W + w) * C + c, sign);
      }
  }
  const query = marginQuery(model, labels, [H, W, C]);
  const marginMin = firstMargins(query, xb, open, d, queries);
  const updates = o.queries - 2;
  const side = (it: number) => Math.min(Math.max(Math.round(Math.sqrt(squareP(it, o.pInit, updates, o.rescaleSchedule) * H * W)), 1), H, W);
  for (let it = 0; it < updates; it++) {
    open = open.filter((g) => marginMin[g] > 0);
    if (open.length === 0) break;
    const s = side(it);
    const cand = takeFlatRows(xb, open, d);
    const windows = open.map((g, k) => {
      const r = rngs[g];
      const vh = r.int(H - s + 1);
      const vw = r.int(W - s + 1);
      for (let c = 0; c < C; c++) {
        const sign = r.next() < 0.5 ? -1 : 1;
        for (let h = vh; h < vh + s; h++) for (let w = vw; w < vw + s; w++) cand[k * d + (h * W + w) * C + c] = face(g * d + (h * W + w) * C + c, sign);
      }
      return [vh, vw];
    });
    const m = query(cand, open);
    open.forEach((g, k) => {
      queries[g]++;
      // Greedy: keep the proposal when the margin falls (success, margin <= 0, is the extreme case).
      if (m[k] < marginMin[g]) {
        marginMin[g] = m[k];
        const [vh, vw] = windows[k];
        for (let h = vh; h < vh + s; h++) {
          const from = k * d + (h * W + vw) * C;
          xb.set(cand.subarray(from, from + s * C), g * d + (h * W + vw) * C);
        }
      }
    });
  }
  return { adversarial: tf.tensor(xb, x.shape), queries };
}

/**
 * AutoAttack's `eta_rectangles(a, b)`: concentric rectangles around the centre of an a x b patch, ring k
 * weighted 1 / (k + 1)^2, normalised to unit l2 norm. Row-major [a * b].
 */
function etaRectangles(a: number, b: number): Float64Array {
  const out = new Float64Array(a * b);
  let r0 = Math.floor(a / 2);
  let c0 = Math.floor(b / 2);
  for (let k = 0; k < Math.max(Math.floor(a / 2) + 1, Math.floor(b / 2) + 1); k++) {
    for (let i = Math.max(r0, 0); i < Math.min(r0 + 2 * k + 1, a); i++) for (let j = Math.max(c0, 0); j < Math.min(c0 + 2 * k + 1, b); j++) out[i * b + j] += 1 / (k + 1) ** 2;
    r0--;
    c0--;
  }
  return unit(out);
}

function unit(v: Float64Array): Float64Array {
  let s = 0;
  for (const t of v) s += t * t;
  const f = 1 / Math.sqrt(s || 1);
  return v.map((t) => t * f);
}

/**
 * AutoAttack's `meta_pseudo_gaussian_pert(s)`: the top half an `etaRectangles` patch, the bottom half its
 * negative, unit l2 norm, transposed with probability 1/2. Row-major [s * s].
 */
function pseudoGaussian(s: number, rng: Rng): Float64Array {
  const top = Math.floor(s / 2);
  const a = etaRectangles(top, s);
  const b = etaRectangles(s - top, s);
  const p = new Float64Array(s * s);
  p.set(a, 0);
  b.forEach((v, k) => (p[top * s + k] = -v));
  const q = unit(p);
  if (rng.next() > 0.5) return q.map((_, k) => q[(k % s) * s + Math.floor(k / s)]);
  return q;
}

/**
 * Square-l2 (Andriushchenko et al., 2020, Algorithm 3; AutoAttack's square.py, norm 'L2'): start from a grid of
 * pseudo-Gaussian squares with random signs per channel scaled to l2 norm eps; per update, draw two windows of
 * side s (odd, >= 3, from p's schedule), put a new signed pseudo-Gaussian pattern (plus the old window's
 * direction) in the first, zero the second, rescale the first so the whole perturbation keeps norm eps, and
 * keep the proposal when the margin falls or the point is misclassified. Per-example random streams.
 */
function squareL2Loop({ model, x, y, o, bounds }: LoopInput<SquareOptions>): LoopOutput {
  const [lo, hi] = bounds;
  const [H, W, C] = model.inputShape;
  const n = x.shape[0];
  const d = H * W * C;
  const x0 = Float32Array.from(x.dataSync());
  const labels = Int32Array.from(y.dataSync());
  const master = new Rng(o.seed);
  const rngs = Array.from({ length: n }, () => new Rng(master.seed()));
  const xb = Float32Array.from(x0);
  const queries = new Array<number>(n).fill(1);
  const clean = predictSync(model, x);
  const at = (h: number, w: number, c: number) => (h * W + w) * C + c;
  /** x + eps * delta / ||delta||_2, clipped to the bounds, into `out` at row offset `off`. */
  const place = (i: number, delta: Float64Array, out: Float32Array, off: number) => {
    let s = 0;
    for (const v of delta) s += v * v;
    const f = o.eps / (Math.sqrt(s) + 1e-12);
    for (let k = 0; k < d; k++) out[off + k] = Math.min(hi, Math.max(lo, x0[i * d + k] + f * delta[k]));
  };
  let open = Array.from({ length: n }, (_, i) => i).filter((i) => clean[i] === labels[i] && o.queries >= 2);
  const cell = Math.max(Math.floor(H / 5), 1);
  for (const i of open) {
    const r = rngs[i];
    const delta = new Float64Array(d);
    const start = Math.floor((H - cell * 5) / 2);
    for (let vh = Math.max(start, 0); vh + cell <= H; vh += cell)
      for (let vw = Math.max(Math.floor((W - cell * 5) / 2), 0); vw + cell <= W; vw += cell) {
        const pat = pseudoGaussian(cell, r);
        for (let c = 0; c < C; c++) {
          const sign = r.next() < 0.5 ? -1 : 1;
          for (let a = 0; a < cell; a++) for (let b = 0; b < cell; b++) delta[at(vh + a, vw + b, c)] += sign * pat[a * cell + b];
        }
      }
    place(i, delta, xb, i * d);
  }
  const query = marginQuery(model, labels, [H, W, C]);
  const marginMin = firstMargins(query, xb, open, d, queries);
  const updates = o.queries - 2;
  for (let it = 0; it < updates; it++) {
    open = open.filter((g) => marginMin[g] > 0);
    if (open.length === 0) break;
    let s = Math.max(Math.round(Math.sqrt(squareP(it, o.pInit, updates, o.rescaleSchedule) * H * W)), 3);
    if (s % 2 === 0) s++;
    s = Math.min(s, H, W);
    const cand = new Float32Array(open.length * d);
    open.forEach((g, k) => {
      const r = rngs[g];
      const delta = new Float64Array(d);
      for (let t = 0; t < d; t++) delta[t] = xb[g * d + t] - x0[g * d + t];
      const [vh, vw, vh2, vw2] = [r.int(H - s + 1), r.int(W - s + 1), r.int(H - s + 1), r.int(W - s + 1)];
      const inW1 = (h: number, w: number) => h >= vh && h < vh + s && w >= vw && w < vw + s;
      const inW2 = (h: number, w: number) => h >= vh2 && h < vh2 + s && w >= vw2 && w < vw2 + s;
      let image = 0;
      let windows = 0;
      const win1 = new Float64Array(C);
      for (let h = 0; h < H; h++)
        for (let w = 0; w < W; w++)
          for (let c = 0; c < C; c++) {
            const v = delta[at(h, w, c)] ** 2;
            image += v;
            if (inW1(h, w) || inW2(h, w)) windows += v;
            if (inW1(h, w)) win1[c] += v;
          }
      const pat = pseudoGaussian(s, r);
      // Mass for the new window: what the image lacks of eps^2 (spread over channels) plus what both windows held.
      const budget = Math.sqrt(Math.max(o.eps ** 2 - image, 0) / C + windows);
      const fresh = new Float64Array(s * s * C);
      for (let c = 0; c < C; c++) {
        const sign = r.next() < 0.5 ? -1 : 1;
        const old = Math.sqrt(win1[c]);
        let norm = 0;
        for (let a = 0; a < s; a++)
          for (let b = 0; b < s; b++) {
            const v = sign * pat[a * s + b] + delta[at(vh + a, vw + b, c)] / (1e-12 + old);
            fresh[(a * s + b) * C + c] = v;
            norm += v * v;
          }
        const f = budget / (1e-12 + Math.sqrt(norm));
        for (let a = 0; a < s * s; a++) fresh[a * C + c] *= f;
      }
      for (let a = 0; a < s; a++) for (let b = 0; b < s; b++) for (let c = 0; c < C; c++) delta[at(vh2 + a, vw2 + b, c)] = 0;
      for (let a = 0; a < s; a++) for (let b = 0; b < s; b++) for (let c = 0; c < C; c++) delta[at(vh + a, vw + b, c)] = fresh[(a * s + b) * C + c];
      place(g, delta, cand, k * d);
    });
    const m = query(cand, open);
    open.forEach((g, k) => {
      queries[g]++;
      // Keep the proposal when the margin falls or the point is misclassified (AutoAttack's idx_improved).
      if (m[k] < marginMin[g] || m[k] <= 0) {
        marginMin[g] = m[k];
        xb.set(cand.subarray(k * d, (k + 1) * d), g * d);
      }
    });
  }
  return { adversarial: tf.tensor(xb, x.shape), queries };
}
