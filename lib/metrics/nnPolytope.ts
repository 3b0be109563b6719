/**
 * Distance from the origin to a polyhedron {w : a_i . w <= r_i}, in l2 (a quadratic programme) and l-inf
 * (a linear programme), for few constraints in many dimensions, with constraints added one at a time as a
 * cutting-plane method finds them violated. Float64 throughout.
 *
 * Used by the exact robust radius of the 1NN classifier ({@link nnRobustness}): with w = z - x, the set of
 * inputs z where the other-class training point x_j beats every own-class point x_i is the polyhedron with
 * a_i = x_i - x_j and r_i = (||x - x_i||^2 - ||x - x_j||^2) / 2.
 * @module
 */

/** Solution of one projection. */
export interface PolytopeSolution {
  /** Norm of the minimiser, the distance (0 when the origin is feasible). */
  distance: number;
  /** The minimiser w. */
  w: Float64Array;
  /** False when the solver stopped on its iteration cap (distance is then not certified). */
  converged: boolean;
}

/** A distance solver that grows one constraint at a time. */
export interface PolytopeDistance {
  /** Number of constraints so far. */
  readonly size: number;
  /** Adds the constraint a . w <= r (`a` is copied). */
  add(a: ArrayLike<number>, r: number): void;
  /** The distance over the constraints added so far: a lower bound of the distance to any superset. */
  solve(): PolytopeSolution;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k] * b[k];
  return s;
}

/** Solves M s = v for symmetric positive definite M (n x n, row-major) by Cholesky with a tiny ridge. */
function choleskySolve(M: Float64Array, v: Float64Array, n: number): Float64Array {
  const L = new Float64Array(n * n);
  let trace = 0;
  for (let i = 0; i < n; i++) trace += M[i * n + i];
  const ridge = 1e-13 * (trace / Math.max(1, n) + 1e-300);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = M[i * n + j] + (i === j ? ridge : 0);
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      L[i * n + j] = i === j ? Math.sqrt(Math.max(s, 1e-300)) : s / L[j * n + j];
    }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = v[i];
    for (let k = 0; k < i; k++) s -= L[i * n + k] * y[k];
    y[i] = s / L[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= L[k * n + i] * y[k];
    y[i] = s / L[i * n + i];
  }
  return y;
}

/**
 * l2 distance: min ||w||^2 s.t. A w <= r through its dual min_{lambda >= 0} lambda' G lambda / 2 + r' lambda
 * (G = A A'), w = -A' lambda, solved by a Lawson-Hanson active set, warm-started from the previous
 * solve's multipliers when a constraint is added.
 * @param dim the dimension of w
 * @example const p = l2PolytopeDistance(2); p.add([1, 0], -1); p.solve().distance; // 1
 */
export function l2PolytopeDistance(dim: number): PolytopeDistance {
  const rows: Float64Array[] = [];
  const r: number[] = [];
  const G: number[][] = [];
  let lambda: number[] = [];
  return {
    get size() {
      return rows.length;
    },
    add(a, ri) {
      const row = Float64Array.from(a);
      const g = rows.map((q) => dot(q, row));
      g.push(dot(row, row));
      G.forEach((gr, i) => gr.push(g[i]));
      G.push(g);
      rows.push(row);
      r.push(ri);
      lambda.push(0);
    },
    solve() {
      const m = rows.length;
      const w = new Float64Array(dim);
      let scale = 1e-300;
      for (let i = 0; i < m; i++) scale = Math.max(scale, Math.abs(r[i]), G[i][i]);
      const tol = 1e-12 * scale;
      const mu = () => r.map((ri, i) => ri + G[i].reduce((s, g, k) => s + g * lambda[k], 0));
      let converged = false;
      const rejected = new Set<number>();
      for (let outer = 0; outer < 10 * m + 10; outer++) {
        const slack = mu();
        let add = -1;
        for (let i = 0; i < m; i++) if (lambda[i] <= 0 && !rejected.has(i) && slack[i] < -tol && (add < 0 || slack[i] < slack[add])) add = i;
        if (add < 0) {
          converged = true;
          break;
        }
        const P = new Set<number>(lambda.flatMap((l, i) => (l > 0 ? [i] : [])));
        P.add(add);
        for (let inner = 0; inner < m + 2; inner++) {
          const idx = [...P];
          const n = idx.length;
          const M = new Float64Array(n * n);
          const v = new Float64Array(n);
          idx.forEach((i, a) => {
            v[a] = -r[i];
            idx.forEach((k, b) => (M[a * n + b] = G[i][k]));
          });
          const s = choleskySolve(M, v, n);
          if (s.every((x) => x > 0)) {
            idx.forEach((i, a) => (lambda[i] = s[a]));
            break;
          }
          let alpha = 1;
          idx.forEach((i, a) => {
            if (s[a] <= 0) alpha = Math.min(alpha, lambda[i] / (lambda[i] - s[a]));
          });
          idx.forEach((i, a) => {
            lambda[i] += alpha * (s[a] - lambda[i]);
            if (lambda[i] <= 1e-15 * scale) {
              lambda[i] = 0;
              P.delete(i);
            }
          });
          // A constraint that leaves at once is numerically dependent on the others: do not retry it.
          if (!P.has(add)) {
            rejected.add(add);
            break;
          }
        }
      }
      for (let i = 0; i < m; i++) if (lambda[i] > 0) for (let k = 0; k < dim; k++) w[k] -= lambda[i] * rows[i][k];
      return { distance: Math.sqrt(dot(w, w)), w, converged };
    },
  };
}

/**
 * l-inf distance: min t s.t. A w <= r, |w_k| <= t, as max s s.t. A u - r s <= 0, u in [-1, 1]^dim, s >= 0
 * (u = w / t, s = 1 / t): a bounded-variable primal simplex with only m rows (the basis is m x m), its
 * nonbasic u starting inside their bounds at 0, long runs of bound flips reusing one pricing, Bland's rule
 * after a run of degenerate pivots. Each solve starts afresh (m is small).
 * @param dim the dimension of w
 * @example const p = linfPolytopeDistance(2); p.add([1, 1], -1); p.solve().distance; // 0.5
 */
export function linfPolytopeDistance(dim: number): PolytopeDistance {
  const rows: Float64Array[] = [];
  const r: number[] = [];
  return {
    get size() {
      return rows.length;
    },
    add(a, ri) {
      rows.push(Float64Array.from(a));
      r.push(ri);
    },
    solve() {
      const m = rows.length;
      if (r.every((ri) => ri >= 0)) return { distance: 0, w: new Float64Array(dim), converged: true };
      return simplexLinf(rows, r, dim);
    },
  };
}

function simplexLinf(A: Float64Array[], r: number[], dim: number): PolytopeSolution {
  const m = A.length;
  // Variables: u_k (k < dim) in [-1, 1]; s = dim in [0, inf); slacks sigma_i = dim + 1 + i in [0, inf);
  // artificials psi_i = dim + 1 + m + i, column -e_i, in [0, inf) in phase 1 and fixed at 0 in phase 2.
  const S = dim;
  const nVar = dim + 1 + 2 * m;
  const isArt = (j: number) => j > dim + m;
  let phase = 1;
  const lo = (j: number) => (j < dim ? -1 : 0);
  const hi = (j: number) => (j < dim ? 1 : isArt(j) && phase === 2 ? 0 : Infinity);
  const cost = (j: number) => (phase === 1 ? (isArt(j) ? -1 : 0) : j === S ? 1 : 0);
  const x = new Float64Array(nVar);
  const basic = new Int32Array(nVar).fill(-1);
  const head = new Int32Array(m);
  const Binv = new Float64Array(m * m);
  let scale = 1;
  for (let i = 0; i < m; i++) scale = Math.max(scale, Math.abs(r[i]));
  // Start at a vertex: every u at the bound that the summed constraint rows favour (a start at u = 0 would
  // have to move each of the dim coordinates off 0 by its own pivot), s = 0; the slack of a row that this
  // start satisfies is basic, else its artificial.
  for (let k = 0; k < dim; k++) {
    let t = 0;
    for (let i = 0; i < m; i++) t += A[i][k];
    x[k] = t > 0 ? -1 : 1;
  }
  for (let i = 0; i < m; i++) {
    let v = 0;
    for (let k = 0; k < dim; k++) v += A[i][k] * x[k];
    const j = v <= 0 ? dim + 1 + i : dim + 1 + m + i;
    head[i] = j;
    basic[j] = i;
    x[j] = Math.abs(v);
    Binv[i * m + i] = v <= 0 ? 1 : -1;
  }
  const tolD = 1e-11 * scale;
  const tolA = 1e-10;
  const column = (j: number, out: Float64Array) => {
    out.fill(0);
    if (j < dim) for (let i = 0; i < m; i++) out[i] = A[i][j];
    else if (j === S) for (let i = 0; i < m; i++) out[i] = -r[i];
    else if (isArt(j)) out[j - dim - 1 - m] = -1;
    else out[j - S - 1] = 1;
  };
  const col = new Float64Array(m);
  const alpha = new Float64Array(m);
  const d = new Float64Array(nVar);
  const y = new Float64Array(m);
  const maxRounds = 50 * (m + 10);
  const run = (): boolean => {
    let degenerate = 0;
    for (let round = 0; round < maxRounds; round++) {
      // Pricing: y = c_B' B^-1, d_j = c_j - y . col_j.
      y.fill(0);
      for (let i = 0; i < m; i++) {
        const c = cost(head[i]);
        if (c !== 0) for (let l = 0; l < m; l++) y[l] += c * Binv[i * m + l];
      }
      for (let k = 0; k < dim; k++) {
        let t = 0;
        for (let i = 0; i < m; i++) t += y[i] * A[i][k];
        d[k] = -t;
      }
      let ys = 0;
      for (let i = 0; i < m; i++) ys += y[i] * r[i];
      d[S] = cost(S) + ys;
      for (let i = 0; i < m; i++) {
        d[dim + 1 + i] = -y[i];
        d[dim + 1 + m + i] = cost(dim + 1 + m + i) + y[i];
      }
      const bland = degenerate > 30;
      const canMove = (j: number) => (d[j] > tolD && x[j] < hi(j) - 1e-12) || (d[j] < -tolD && x[j] > lo(j) + 1e-12);
      const eligible: number[] = [];
      for (let j = 0; j < nVar; j++) if (basic[j] < 0 && canMove(j)) eligible.push(j);
      if (eligible.length === 0) return true;
      if (!bland) eligible.sort((a, b) => Math.abs(d[b]) - Math.abs(d[a]));
      // Bound flips leave y (and so d) unchanged: walk the eligible variables flipping them until one pivots.
      for (const q of eligible) {
        if (!canMove(q)) continue;
        const dir = d[q] > 0 ? 1 : -1;
        column(q, col);
        for (let i = 0; i < m; i++) {
          let t = 0;
          for (let l = 0; l < m; l++) t += Binv[i * m + l] * col[l];
          alpha[i] = t;
        }
        let theta = dir > 0 ? hi(q) - x[q] : x[q] - lo(q);
        let leave = -1;
        let leaveToHi = false;
        for (let i = 0; i < m; i++) {
          const g = dir * alpha[i];
          const b = head[i];
          let lim = Infinity;
          let toHi = false;
          if (g > tolA) lim = (x[b] - lo(b)) / g;
          else if (g < -tolA && hi(b) < Infinity) {
            lim = (hi(b) - x[b]) / -g;
            toHi = true;
          }
          lim = Math.max(0, lim);
          if (lim < theta || (lim === theta && leave >= 0 && bland && head[i] < head[leave])) {
            theta = lim;
            leave = i;
            leaveToHi = toHi;
          }
        }
        if (!Number.isFinite(theta)) return false;
        x[q] += dir * theta;
        for (let i = 0; i < m; i++) x[head[i]] -= dir * theta * alpha[i];
        if (leave < 0) continue;
        const b = head[leave];
        x[b] = leaveToHi ? hi(b) : lo(b);
        basic[b] = -1;
        head[leave] = q;
        basic[q] = leave;
        const p = alpha[leave];
        for (let l = 0; l < m; l++) Binv[leave * m + l] /= p;
        for (let i = 0; i < m; i++) {
          if (i === leave || alpha[i] === 0) continue;
          const f = alpha[i];
          for (let l = 0; l < m; l++) Binv[i * m + l] -= f * Binv[leave * m + l];
        }
        degenerate = theta <= 1e-14 ? degenerate + 1 : 0;
        break;
      }
    }
    return false;
  };
  let converged = run();
  let infeasibility = 0;
  for (let i = 0; i < m; i++) infeasibility += x[dim + 1 + m + i];
  if (converged && infeasibility <= 1e-9 * scale) {
    phase = 2;
    for (let i = 0; i < m; i++) x[dim + 1 + m + i] = 0;
    converged = run();
  } else converged = false;
  const sv = x[S];
  const w = new Float64Array(dim);
  if (!(sv > 0)) return { distance: Infinity, w, converged: false };
  let t = 0;
  for (let k = 0; k < dim; k++) {
    w[k] = x[k] / sv;
    t = Math.max(t, Math.abs(w[k]));
  }
  return { distance: t, w, converged };
}
