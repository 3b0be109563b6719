/**
 * Brute-force references for the 1NN robustness tests: exhaustive enumeration of the active sets (l2) and
 * of the vertices (l-inf) of tiny polyhedra, and the 1NN radius built from them.
 */

/** Solves the n x n system M s = v by Gaussian elimination with partial pivoting; null when singular. */
export function solveLinear(M: number[][], v: number[]): number[] | null {
  const n = v.length;
  const a = M.map((row, i) => [...row, v[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let i = c + 1; i < n; i++) if (Math.abs(a[i][c]) > Math.abs(a[p][c])) p = i;
    if (Math.abs(a[p][c]) < 1e-12) return null;
    [a[c], a[p]] = [a[p], a[c]];
    for (let i = 0; i < n; i++) {
      if (i === c) continue;
      const f = a[i][c] / a[c][c];
      for (let k = c; k <= n; k++) a[i][k] -= f * a[c][k];
    }
  }
  return a.map((row, i) => row[n] / row[i]);
}

function* subsets(m: number, maxSize: number, start = 0, chosen: number[] = []): Generator<number[]> {
  yield chosen;
  if (chosen.length === maxSize) return;
  for (let i = start; i < m; i++) yield* subsets(m, maxSize, i + 1, [...chosen, i]);
}

const feasible = (A: number[][], r: number[], w: number[]) => A.every((a, i) => a.reduce((s, ak, k) => s + ak * w[k], 0) <= r[i] + 1e-9);

/** min ||w||_2 s.t. A w <= r by trying every active set of at most dim constraints (projection onto its affine hull). */
export function bruteL2(A: number[][], r: number[]): number {
  const dim = A[0].length;
  let best = Infinity;
  for (const S of subsets(A.length, dim)) {
    let w: number[];
    if (S.length === 0) w = new Array(dim).fill(0);
    else {
      const G = S.map((i) => S.map((k) => A[i].reduce((s, v, t) => s + v * A[k][t], 0)));
      const mu = solveLinear(G, S.map((i) => r[i]));
      if (!mu) continue;
      w = new Array(dim).fill(0).map((_, t) => S.reduce((s, i, a) => s + mu[a] * A[i][t], 0));
    }
    if (feasible(A, r, w)) best = Math.min(best, Math.hypot(...w));
  }
  return best;
}

/** min ||w||_inf s.t. A w <= r by enumerating the vertices of the LP in (w, t): dim + 1 tight constraints. */
export function bruteLinf(A: number[][], r: number[]): number {
  const dim = A[0].length;
  if (r.every((v) => v >= 0)) return 0;
  // rows over (w, t): a_i . w <= r_i, w_k - t <= 0, -w_k - t <= 0
  const rows: number[][] = [...A.map((a) => [...a, 0]), ...Array.from({ length: dim }, (_, k) => [...Array.from({ length: dim }, (_, t) => (t === k ? 1 : 0)), -1]),
    ...Array.from({ length: dim }, (_, k) => [...Array.from({ length: dim }, (_, t) => (t === k ? -1 : 0)), -1])];
  const rhs = [...r, ...new Array(2 * dim).fill(0)];
  let best = Infinity;
  for (const S of subsets(rows.length, dim + 1)) {
    if (S.length !== dim + 1) continue;
    const sol = solveLinear(S.map((i) => rows[i]), S.map((i) => rhs[i]));
    if (!sol) continue;
    if (rows.every((row, i) => row.reduce((s, v, k) => s + v * sol[k], 0) <= rhs[i] + 1e-9)) best = Math.min(best, sol[dim]);
  }
  return best;
}
