/**
 * Exact robust accuracy of the 1NN classifier (Hagai & Weiss, Definition 3.2) in l2 and l-inf, in stages:
 *
 * 1. Theorem 1: x is robust at eps if (d1 - d0)/2 >= eps (l2; for l-inf divided by sqrt(D), since
 *    ||v||_2 <= sqrt(D) ||v||_inf), d0 and d1 the distances to the nearest own-class and other-class points.
 * 2. The half-space bound: the inputs where the other-class point x_j beats x0 lie in the half-space
 *    {z : ||z - x_j|| <= ||z - x0||}, at distance (d_j^2 - d0^2) / (2 ||x_j - x0||_*) from x (the dual
 *    norm: l2 for l2, l1 for l-inf); the minimum over j is a certified radius.
 * 3. The exact radius for the points these cannot decide: the distance from x to the nearest region
 *    S_j = {z : ||z - x_j|| <= ||z - x_i|| for every own-class x_i} over the candidates j whose bound is
 *    below the cap, a QP (l2) or LP (l-inf) per candidate by cutting planes: solve with the constraints so
 *    far, find the own-class point nearest to the solution (a nearest-neighbour query, on the engine for
 *    large sets) and add its constraint while it beats x_j. A candidate whose relaxed distance already
 *    exceeds the best found is dropped; one that hits `maxConstraints` gives [lower, upper].
 *
 * The perturbation is not clipped to the pixel box (Definition 3.2 does not clip), so a radius here is a
 * lower bound of the radius inside [0, 1]^D: a certificate remains one under clipping.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { assert } from '../engine/assert';
import { msg } from '../messages';
import { squaredDistanceChunks } from '../models/nearestNeighbour';
import type { NeighbourOptions } from '../models/nearestNeighbour';
import { l2PolytopeDistance, linfPolytopeDistance } from './nnPolytope';
import type { PolytopeDistance } from './nnPolytope';

/** Labelled points, row-major n x dim (images flattened). */
export interface NnSet {
  /** Coordinates, row-major n x dim. */
  x: Float32Array;
  /** Labels. */
  y: Int32Array;
  /** Number of points. */
  n: number;
  /** Dimension. */
  dim: number;
}

/** Which stage settled a point. */
export type NnStage = 'misclassified' | 'theorem1' | 'halfSpace' | 'exact' | 'budget';

/** Options of {@link nnRobustness}. */
export interface NnRobustnessOptions extends NeighbourOptions {
  /** Threat model norm. */
  norm: 'l2' | 'linf';
  /** Radius of the ball (Definition 3.2's delta), > 0. */
  eps: number;
  /** Radii at or above the cap are reported as '>= cap' (default eps: decide robustness, exact radius of the non-robust; Infinity for every point's exact radius). */
  radiusCap?: number;
  /** Candidates solved exactly per point, those of lowest half-space bound (default 32); a point with more open candidates gets [lower, upper]. */
  maxCandidates?: number;
  /** Points whose candidates are solved together in one batch of cutting-plane rounds (default 64; memory grows with it). */
  pointBatch?: number;
  /** Constraints per candidate before the exact stage gives up and reports [lower, upper] (default 64). */
  maxConstraints?: number;
  /** Run the exact stage for every correctly classified point, not only those the bounds leave open (default false). */
  exactAll?: boolean;
  /** Keep each exactly solved point's minimal adversarial perturbation (default false). */
  keepPerturbations?: boolean;
  /** Query i is training point selfIndex[i] (train-set robust accuracy): its nearest own-class point is itself. */
  selfIndex?: Int32Array;
  /** Nearest-neighbour oracle of the cutting planes: float64 in JavaScript, or the engine (default: exact up to 4e6 train values). */
  oracle?: 'exact' | 'engine';
}

/** One point's result. */
export interface NnPointRecord {
  /** Distance to the nearest training point of its class (d0). */
  d0: number;
  /** Distance to the nearest training point of another class (d1). */
  d1: number;
  /** Index of the nearest own-class training point x0 (-1 when the class is empty). */
  nearestOwn: number;
  /** Index of the nearest other-class training point x1. */
  nearestOther: number;
  /** Theorem 1's certified radius in the threat norm ((d1 - d0)/2, for l-inf / sqrt(D)); 0 when misclassified. */
  theorem1: number;
  /** The half-space bound (capped at radiusCap); 0 when misclassified. */
  halfSpace: number;
  /** Certified lower bound of the robust radius. */
  lower: number;
  /** Upper bound: the norm of an input found that 1NN gives another label (or at least ties). */
  upper: number;
  /** The exact radius when the exact stage found it below the cap, else null. */
  radius: number | null;
  /** The stage that settled the point at eps. */
  stage: NnStage;
  /** Robust at eps (lower >= eps), not (upper < eps), or null when the budget left it open. */
  robust: boolean | null;
  /** Minimal adversarial perturbation (z - x) when kept and solved exactly. */
  perturbation?: Float32Array;
}

/** Result of {@link nnRobustness}. */
export interface NnRobustnessRecord {
  /** Threat norm. */
  norm: 'l2' | 'linf';
  /** Radius. */
  eps: number;
  /** Number of points. */
  n: number;
  /** 1NN clean accuracy on the points. */
  cleanAccuracy: number;
  /** Exact robust accuracy when every point was decided; otherwise the midpoint of `bounds`. */
  robustAccuracy: number;
  /** [lower, upper] of the robust accuracy (equal when every point was decided). */
  bounds: [number, number];
  /** Points settled per stage. */
  settled: Record<NnStage, number>;
  /** (point, candidate) problems of the exact stage, and constraints added over all of them. */
  exactStage: { problems: number; constraints: number; rounds: number };
  /** Per point, in query order. */
  points: NnPointRecord[];
}

interface OpenPoint {
  p: number;
  cands: { j: number; lb: number }[];
  /** Lower bound of the distance to every candidate region not solved. */
  rest: number;
}

interface Problem {
  point: number;
  j: number;
  solver: PolytopeDistance;
  state: 'active' | 'converged' | 'dropped' | 'budget';
  distance: number;
  w?: Float64Array;
  upper: number;
}

const row = (s: NnSet, i: number) => s.x.subarray(i * s.dim, (i + 1) * s.dim);

function dist(a: Float32Array, b: Float32Array | Float64Array, norm: 'l2' | 'l1' | 'linf'): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) {
    const d = a[k] - b[k];
    if (norm === 'l2') s += d * d;
    else if (norm === 'l1') s += Math.abs(d);
    else s = Math.max(s, Math.abs(d));
  }
  return norm === 'l2' ? Math.sqrt(s) : s;
}

function checkSet(s: NnSet, arg: string): void {
  assert(s.x.length === s.n * s.dim, () => msg.shape(`${arg}.x`, [s.n * s.dim], [s.x.length]));
  assert(s.y.length === s.n, () => msg.batchMismatch(`${arg}.x`, s.n, `${arg}.y`, s.y.length));
}

/** Rows `idx` of a set as one [idx.length, dim] tensor; the caller disposes it. */
function gatherRows(s: NnSet, idx: readonly number[]): tf.Tensor2D {
  const out = new Float32Array(idx.length * s.dim);
  idx.forEach((i, r) => out.set(row(s, i), r * s.dim));
  return tf.tensor2d(out, [idx.length, s.dim]);
}

/**
 * Exact robust accuracy of the 1NN classifier of `train` on `query` at `eps` (Hagai & Weiss,
 * Definition 3.2), with the stage that settled each point and certified [lower, upper] radii.
 * @param train the 1NN's training set
 * @param query the points evaluated (the test set, or training points with `selfIndex`)
 * @param opts norm, eps and the budgets ({@link NnRobustnessOptions})
 * @example const r = await nnRobustness(train, test, { norm: 'l2', eps: 1.74 }); r.robustAccuracy;
 */
export async function nnRobustness(train: NnSet, query: NnSet, opts: NnRobustnessOptions): Promise<NnRobustnessRecord> {
  checkSet(train, 'train');
  checkSet(query, 'query');
  assert(train.dim === query.dim, () => msg.shape('query.x', [null, train.dim], [query.n, query.dim]));
  const { norm, eps } = opts;
  assert(norm === 'l2' || norm === 'linf', () => msg.oneOf('norm', ['l2', 'linf'], norm));
  assert(Number.isFinite(eps) && eps > 0, () => msg.positive('eps', eps));
  const cap = opts.radiusCap ?? eps;
  const maxCandidates = opts.maxCandidates ?? 32;
  assert(Number.isInteger(maxCandidates) && maxCandidates >= 1, () => msg.positiveInt('maxCandidates', maxCandidates));
  assert(cap >= eps, () => msg.nnCap(cap, eps));
  const maxConstraints = opts.maxConstraints ?? 64;
  assert(Number.isInteger(maxConstraints) && maxConstraints >= 1, () => msg.positiveInt('maxConstraints', maxConstraints));
  if (opts.selfIndex) assert(opts.selfIndex.length === query.n, () => msg.batchMismatch('query', query.n, 'selfIndex', opts.selfIndex!.length));
  const D = train.dim;
  const sqrtD = Math.sqrt(D);
  // In l2 the threat radius itself; in l-inf the l2 radius of the l-inf ball of radius cap.
  const oracle = opts.oracle ?? (train.n * D <= 4e6 ? 'exact' : 'engine');
  const labels = [...new Set(train.y)].sort((a, b) => a - b);
  const byLabel = new Map(labels.map((c) => [c, [...train.y.keys()].filter((i) => train.y[i] === c)]));
  const others = (c: number) => [...train.y.keys()].filter((i) => train.y[i] !== c);

  const n = query.n;
  const i0 = new Int32Array(n).fill(-1);
  const i1 = new Int32Array(n).fill(-1);
  const candidates: number[][] = Array.from({ length: n }, () => []);
  // A lower bound of the half-space bound of every candidate not kept (the prefilter keeps 4 maxCandidates).
  const restLb = new Float64Array(n).fill(Infinity);
  const keepPre = 4 * maxCandidates;
  const d0Approx = new Float32Array(n);

  // Stage 0 on the engine: nearest own-class point, nearest other-class point and the candidate list.
  for (const c of new Set(query.y)) {
    const q = [...query.y.keys()].filter((i) => query.y[i] === c);
    const qx = gatherRows(query, q);
    try {
      const own = byLabel.get(c) ?? [];
      if (opts.selfIndex) q.forEach((p) => ((i0[p] = opts.selfIndex![p]), (d0Approx[p] = 0)));
      else if (own.length > 0) {
        const ref = gatherRows(train, own);
        try {
          await squaredDistanceChunks(ref, qx, opts, async (start, count, d2) => {
            const [v, i] = tf.tidy(() => [tf.min(d2, 1), tf.argMin(d2, 1)]);
            const [vv, ii] = await Promise.all([v.data(), i.data()]);
            v.dispose();
            i.dispose();
            for (let r = 0; r < count; r++) {
              i0[q[start + r]] = own[ii[r]];
              d0Approx[q[start + r]] = Math.sqrt(vv[r]);
            }
          });
        } finally {
          ref.dispose();
        }
      }
      const oth = others(c);
      if (oth.length > 0) {
        const ref = gatherRows(train, oth);
        // The rows x0 of these queries, for ||x_j - x0|| of the half-space bound (the queries themselves when self).
        const x0s = opts.selfIndex ? null : gatherRows(train, q.map((p) => i0[p]));
        try {
          const blocks = new Map<number, Float32Array>();
          if (x0s)
            await squaredDistanceChunks(ref, x0s, opts, async (start, _count, e2) => {
              blocks.set(start, (await e2.data()) as Float32Array);
            });
          await squaredDistanceChunks(ref, qx, opts, async (start, count, d2) => {
            const v = (await d2.data()) as Float32Array;
            const e = blocks.get(start) ?? v;
            blocks.delete(start);
            const m = oth.length;
            // Float32 distances: a relative margin so that rounding cannot drop a candidate; in l-inf the
            // l1 norm is bounded by sqrt(D) times the l2 norm, so the prefilter uses that weaker bound.
            const toNorm = norm === 'l2' ? 1 : 1 / sqrtD;
            const lbs = new Float64Array(m);
            for (let r = 0; r < count; r++) {
              const p = q[start + r];
              const d02 = d0Approx[p] * d0Approx[p];
              let best = Infinity;
              let bi = -1;
              const open: number[] = [];
              for (let k = 0; k < m; k++) {
                const dj2 = v[r * m + k];
                if (dj2 < best) (best = dj2), (bi = k);
                // The half-space bound from float32 distances, lowered by a margin for their rounding.
                lbs[k] = (toNorm * (dj2 - d02 - 1e-3 * (1 + dj2))) / (2 * Math.sqrt(e[r * m + k]) + 1e-12);
                if (lbs[k] < cap) open.push(k);
              }
              if (open.length > keepPre) {
                open.sort((a, b) => lbs[a] - lbs[b]);
                restLb[p] = lbs[open[keepPre]];
                open.length = keepPre;
              }
              candidates[p] = open.map((k) => oth[k]);
              i1[p] = bi >= 0 ? oth[bi] : -1;
            }
          });
        } finally {
          ref.dispose();
          x0s?.dispose();
        }
      }
    } finally {
      qx.dispose();
    }
  }

  // Stages 1 and 2 in float64.
  const points: NnPointRecord[] = [];
  const open: OpenPoint[] = [];
  for (let p = 0; p < n; p++) {
    const x = row(query, p);
    const d0 = i0[p] >= 0 ? (opts.selfIndex ? 0 : dist(x, row(train, i0[p]), 'l2')) : Infinity;
    const d1 = i1[p] >= 0 ? dist(x, row(train, i1[p]), 'l2') : Infinity;
    const up0 = i1[p] >= 0 ? (norm === 'l2' ? d1 : dist(x, row(train, i1[p]), 'linf')) : Infinity;
    if (!(d0 < d1)) {
      points.push({ d0, d1, nearestOwn: i0[p], nearestOther: i1[p], theorem1: 0, halfSpace: 0, lower: 0, upper: 0, radius: 0, stage: 'misclassified', robust: false });
      continue;
    }
    const theorem1 = (d1 - d0) / 2 / (norm === 'l2' ? 1 : sqrtD);
    const x0 = row(train, i0[p]);
    let halfSpace = cap;
    let upper = up0;
    const cands: { j: number; lb: number }[] = [];
    for (const j of candidates[p]) {
      const xj = row(train, j);
      const dj = dist(x, xj, 'l2');
      const lb = (dj * dj - d0 * d0) / (2 * dist(xj, x0, norm === 'l2' ? 'l2' : 'l1'));
      if (norm === 'linf') upper = Math.min(upper, dist(x, xj, 'linf'));
      if (lb < cap) cands.push({ j, lb });
      halfSpace = Math.min(halfSpace, lb);
    }
    cands.sort((a, b) => a.lb - b.lb);
    halfSpace = Math.min(halfSpace, restLb[p]);
    if (cands.length > maxCandidates) {
      restLb[p] = Math.min(restLb[p], cands[maxCandidates].lb);
      cands.length = maxCandidates;
    }
    const lower = Math.max(theorem1, halfSpace);
    const rec: NnPointRecord = { d0, d1, nearestOwn: i0[p], nearestOther: i1[p], theorem1, halfSpace, lower, upper, radius: null, stage: 'halfSpace', robust: true };
    if (theorem1 >= eps) rec.stage = 'theorem1';
    if (opts.exactAll || lower < eps) {
      rec.stage = 'exact';
      open.push({ p, cands, rest: restLb[p] });
    }
    if (lower >= eps) rec.robust = true;
    else if (upper < eps) rec.robust = false;
    points.push(rec);
  }

  // Stage 3: cutting planes, all open (point, candidate) problems in lock-step rounds.
  const stats = { problems: 0, constraints: 0, rounds: 0 };
  const batch = opts.pointBatch ?? 64;
  for (let b = 0; b < open.length; b += batch) {
    const st = await exactStage(train, query, open.slice(b, b + batch), points, { norm, cap, maxConstraints, oracle, keep: !!opts.keepPerturbations, byLabel, chunk: opts });
    stats.problems += st.problems;
    stats.constraints += st.constraints;
    stats.rounds += st.rounds;
  }

  const settled: Record<NnStage, number> = { misclassified: 0, theorem1: 0, halfSpace: 0, exact: 0, budget: 0 };
  let robustLo = 0;
  let robustHi = 0;
  for (const r of points) {
    if (r.stage === 'exact' || r.stage === 'budget') r.robust = r.lower >= eps ? true : r.upper < eps ? false : null;
    if (r.robust === null) r.stage = 'budget';
    settled[r.stage]++;
    if (r.robust === true) robustLo++;
    if (r.robust !== false) robustHi++;
  }
  const bounds: [number, number] = [robustLo / Math.max(1, n), robustHi / Math.max(1, n)];
  return {
    norm,
    eps,
    n,
    cleanAccuracy: points.filter((r) => r.stage !== 'misclassified').length / Math.max(1, n),
    robustAccuracy: (bounds[0] + bounds[1]) / 2,
    bounds,
    settled,
    exactStage: stats,
    points,
  };
}

async function exactStage(
  train: NnSet,
  query: NnSet,
  open: OpenPoint[],
  points: NnPointRecord[],
  o: { norm: 'l2' | 'linf'; cap: number; maxConstraints: number; oracle: 'exact' | 'engine'; keep: boolean; byLabel: Map<number, number[]>; chunk: NeighbourOptions },
): Promise<{ problems: number; constraints: number; rounds: number }> {
  const D = train.dim;
  const make = o.norm === 'l2' ? l2PolytopeDistance : linfPolytopeDistance;
  const best = new Map<number, number>(); // best distance found per point (its upper bound)
  const problems: Problem[] = [];
  // r_i = (||x - x_i||^2 - ||x - x_j||^2) / 2 for the constraint (x_i - x_j) . w <= r_i.
  const addConstraint = (pr: Problem, i: number) => {
    const x = row(query, pr.point);
    const xi = row(train, i);
    const xj = row(train, pr.j);
    const a = new Float64Array(D);
    let r = 0;
    for (let k = 0; k < D; k++) {
      a[k] = xi[k] - xj[k];
      r += a[k] * ((xi[k] + xj[k]) / 2 - x[k]);
    }
    pr.solver.add(a, r);
  };
  for (const { p, cands } of open) {
    best.set(p, points[p].upper);
    for (const { j } of cands) {
      const pr: Problem = { point: p, j, solver: make(D), state: 'active', distance: 0, upper: Infinity };
      addConstraint(pr, points[p].nearestOwn);
      problems.push(pr);
    }
  }
  let constraints = problems.length;
  let rounds = 0;
  const engineRefs = new Map<number, tf.Tensor2D>();
  try {
    for (;;) {
      const active = problems.filter((pr) => pr.state === 'active');
      if (active.length === 0) break;
      rounds++;
      const asking: { pr: Problem; z: Float64Array }[] = [];
      for (const pr of active) {
        const sol = pr.solver.solve();
        pr.distance = sol.distance;
        pr.w = sol.w;
        if (sol.distance >= Math.min(o.cap, best.get(pr.point)!)) {
          pr.state = 'dropped';
          continue;
        }
        const x = row(query, pr.point);
        const z = new Float64Array(D);
        for (let k = 0; k < D; k++) z[k] = x[k] + sol.w[k];
        asking.push({ pr, z });
      }
      const nearest = await ownNearest(train, query, asking, o, engineRefs);
      asking.forEach(({ pr, z }, a) => {
        const i = nearest[a];
        const xj = row(train, pr.j);
        const dj = sq(z, xj);
        const viol = dj - sq(z, row(train, i));
        if (!(viol > 1e-9 * (1 + dj))) {
          pr.state = 'converged';
          if (pr.distance < best.get(pr.point)!) best.set(pr.point, pr.distance);
        } else if (pr.solver.size >= o.maxConstraints) {
          pr.state = 'budget';
          pr.upper = feasibleUpper(train, query, pr, o);
          if (pr.upper < best.get(pr.point)!) best.set(pr.point, pr.upper);
        } else {
          addConstraint(pr, i);
          constraints++;
        }
      });
    }
  } finally {
    engineRefs.forEach((t) => t.dispose());
  }
  for (const { p, rest } of open) {
    const rec = points[p];
    const mine = problems.filter((pr) => pr.point === p);
    const up = best.get(p)!;
    rec.upper = Math.min(rec.upper, up);
    let lower = Math.min(o.cap, up);
    let budget = false;
    if (rest < lower) {
      lower = rest;
      budget = true;
    }
    for (const pr of mine)
      if (pr.state === 'budget' && pr.distance < lower) {
        lower = pr.distance;
        budget = true;
      }
    rec.lower = Math.max(rec.lower, lower);
    const win = mine.filter((pr) => pr.state === 'converged').sort((a, b) => a.distance - b.distance)[0];
    if (!budget && up < o.cap) {
      rec.radius = up;
      rec.lower = up;
    }
    rec.stage = budget ? 'budget' : 'exact';
    if (o.keep && win && !budget && win.distance === up) rec.perturbation = Float32Array.from(win.w!);
  }
  return { problems: problems.length, constraints, rounds };
}

function sq(a: Float32Array | Float64Array, b: Float32Array | Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) {
    const d = a[k] - b[k];
    s += d * d;
  }
  return s;
}

/** For each z, the own-class training point (of its query's label) nearest to it. */
async function ownNearest(
  train: NnSet,
  query: NnSet,
  asking: { pr: Problem; z: Float64Array }[],
  o: { oracle: 'exact' | 'engine'; byLabel: Map<number, number[]>; chunk: NeighbourOptions },
  refs: Map<number, tf.Tensor2D>,
): Promise<Int32Array> {
  const out = new Int32Array(asking.length);
  if (o.oracle === 'exact') {
    asking.forEach(({ pr, z }, a) => {
      let bd = Infinity;
      for (const i of o.byLabel.get(query.y[pr.point]) ?? []) {
        const d = sq(z, row(train, i));
        if (d < bd) (bd = d), (out[a] = i);
      }
    });
    return out;
  }
  const groups = new Map<number, number[]>();
  asking.forEach(({ pr }, a) => {
    const c = query.y[pr.point];
    groups.set(c, [...(groups.get(c) ?? []), a]);
  });
  for (const [c, members] of groups) {
    const own = o.byLabel.get(c) ?? [];
    if (!refs.has(c)) refs.set(c, gatherRows(train, own));
    const zs = new Float32Array(members.length * train.dim);
    members.forEach((a, r) => zs.set(asking[a].z, r * train.dim));
    const zt = tf.tensor2d(zs, [members.length, train.dim]);
    try {
      await squaredDistanceChunks(refs.get(c)!, zt, o.chunk, async (start, count, d2) => {
        const i = tf.argMin(d2, 1);
        const ii = await i.data();
        i.dispose();
        for (let r = 0; r < count; r++) out[members[start + r]] = own[ii[r]];
      });
    } finally {
      zt.dispose();
    }
  }
  return out;
}

/**
 * A feasible point of S_j on the segment from x_j (feasible: it beats every own-class point at itself) towards
 * the relaxed solution, against every own-class constraint; its norm bounds the candidate's distance above.
 */
function feasibleUpper(train: NnSet, query: NnSet, pr: Problem, o: { norm: 'l2' | 'linf'; byLabel: Map<number, number[]> }): number {
  const x = row(query, pr.point);
  const xj = row(train, pr.j);
  const D = train.dim;
  const wj = new Float64Array(D);
  for (let k = 0; k < D; k++) wj[k] = xj[k] - x[k];
  const dir = new Float64Array(D);
  for (let k = 0; k < D; k++) dir[k] = pr.w![k] - wj[k];
  let s = 1;
  for (const i of o.byLabel.get(query.y[pr.point]) ?? []) {
    const xi = row(train, i);
    let g = 0;
    let slack = 0;
    for (let k = 0; k < D; k++) {
      const a = xi[k] - xj[k];
      g += a * dir[k];
      slack += a * ((xi[k] + xj[k]) / 2 - x[k] - wj[k]);
    }
    if (g > 0) s = Math.min(s, Math.max(0, slack / g));
  }
  let nrm = 0;
  for (let k = 0; k < D; k++) {
    const v = Math.abs(wj[k] + s * dir[k]);
    nrm = o.norm === 'l2' ? nrm + v * v : Math.max(nrm, v);
  }
  return o.norm === 'l2' ? Math.sqrt(nrm) : nrm;
}

/**
 * Theorem 2's quantity: the distance between two classes, min over pairs of a point of class a and a point of
 * class b of ||x_a - x_b||_2 (on the engine, chunked).
 * @example const d = await classDistance(train, 0, 1); // the l2 train-set RA of 1NN is 1 below d / 2
 */
export async function classDistance(train: NnSet, a: number, b: number, opts: NeighbourOptions = {}): Promise<number> {
  checkSet(train, 'train');
  const ia = [...train.y.keys()].filter((i) => train.y[i] === a);
  const ib = [...train.y.keys()].filter((i) => train.y[i] === b);
  assert(ia.length > 0 && ib.length > 0, () => msg.emptyRecord(`class ${ia.length === 0 ? a : b} of train`));
  const ta = gatherRows(train, ia);
  const tb = gatherRows(train, ib);
  let best = Infinity;
  try {
    await squaredDistanceChunks(tb, ta, opts, async (_s, _c, d2) => {
      const m = tf.min(d2);
      best = Math.min(best, (await m.data())[0]);
      m.dispose();
    });
  } finally {
    ta.dispose();
    tb.dispose();
  }
  return Math.sqrt(best);
}
