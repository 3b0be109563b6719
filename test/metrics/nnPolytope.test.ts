import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng } from '../../lib/engine/seed';
import { l2PolytopeDistance, linfPolytopeDistance } from '../../lib/metrics/nnPolytope';
import { bruteL2, bruteLinf } from './nnBrute';

/** Random polyhedra {A w <= r} that exclude the origin (some r_i < 0) but are non-empty (they hold w0). */
function randomPolytope(rng: Rng, m: number, dim: number): { A: number[][]; r: number[] } {
  const w0 = Array.from({ length: dim }, () => 3 * rng.normal());
  const A = Array.from({ length: m }, () => Array.from({ length: dim }, () => rng.normal()));
  const r = A.map((a) => a.reduce((s, v, k) => s + v * w0[k], 0) + rng.next());
  return { A, r };
}

test('the l2 QP meets exhaustive active-set enumeration in 2-D and 5-D (1e-9)', () => {
  const rng = new Rng(1);
  for (const [m, dim] of [[1, 2], [3, 2], [6, 2], [4, 5], [8, 5]]) {
    for (let rep = 0; rep < 20; rep++) {
      const { A, r } = randomPolytope(rng, m, dim);
      const p = l2PolytopeDistance(dim);
      A.forEach((a, i) => p.add(a, r[i]));
      const s = p.solve();
      assert.ok(s.converged);
      const ref = bruteL2(A, r);
      assert.ok(Math.abs(s.distance - ref) < 1e-9, `m ${m} dim ${dim}: ${s.distance} vs ${ref}`);
      A.forEach((a, i) => assert.ok(a.reduce((t, v, k) => t + v * s.w[k], 0) <= r[i] + 1e-9, 'feasible'));
    }
  }
});

test('the l-inf LP meets exhaustive vertex enumeration in 2-D and 5-D (1e-9)', () => {
  const rng = new Rng(2);
  for (const [m, dim] of [[1, 2], [3, 2], [6, 2], [4, 5], [7, 5]]) {
    for (let rep = 0; rep < 20; rep++) {
      const { A, r } = randomPolytope(rng, m, dim);
      const p = linfPolytopeDistance(dim);
      A.forEach((a, i) => p.add(a, r[i]));
      const s = p.solve();
      assert.ok(s.converged);
      const ref = bruteLinf(A, r);
      assert.ok(Math.abs(s.distance - ref) < 1e-9, `m ${m} dim ${dim}: ${s.distance} vs ${ref}`);
      A.forEach((a, i) => assert.ok(a.reduce((t, v, k) => t + v * s.w[k], 0) <= r[i] + 1e-9, 'feasible'));
    }
  }
});

test('adding constraints only raises the distance (the cutting-plane lower bound)', () => {
  const rng = new Rng(3);
  const { A, r } = randomPolytope(rng, 8, 5);
  for (const make of [l2PolytopeDistance, linfPolytopeDistance]) {
    const p = make(5);
    let prev = 0;
    A.forEach((a, i) => {
      p.add(a, r[i]);
      const d = p.solve().distance;
      assert.ok(d >= prev - 1e-12, `${d} < ${prev}`);
      prev = d;
    });
  }
});

test('single constraint: l2 distance -r/||a||_2, l-inf distance -r/||a||_1', () => {
  // a = (3, 4), r = -10: l2 10/5 = 2, l-inf 10/7
  const p = l2PolytopeDistance(2);
  p.add([3, 4], -10);
  assert.ok(Math.abs(p.solve().distance - 2) < 1e-12);
  const q = linfPolytopeDistance(2);
  q.add([3, 4], -10);
  assert.ok(Math.abs(q.solve().distance - 10 / 7) < 1e-12);
});

test.run();
