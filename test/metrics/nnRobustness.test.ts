import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine } from '../helpers/setup';
import { Rng } from '../../lib/engine/seed';
import { nnRobustness, classDistance } from '../../lib/metrics/nnRobustness';
import type { NnSet } from '../../lib/metrics/nnRobustness';
import { nearestNeighbourClassifier } from '../../lib/models/nearestNeighbour';
import { apgdCe } from '../../lib/attacks/apgd';
import { bruteL2, bruteLinf } from './nnBrute';

test.before(async () => {
  await engine();
});

function blobs(rng: Rng, n: number, dim: number, spread = 1): NnSet {
  const y = Int32Array.from({ length: n }, (_, i) => i % 2);
  const x = Float32Array.from({ length: n * dim }, (_, t) => (y[Math.floor(t / dim)] === 0 ? 0 : 1.5) + spread * rng.normal());
  return { x, y, n, dim };
}

const row = (s: NnSet, i: number) => Array.from(s.x.subarray(i * s.dim, (i + 1) * s.dim));

/** The 1NN radius of query p by brute force: min over other-class j of the distance to S_j (all own constraints). */
function bruteRadius(train: NnSet, query: NnSet, p: number, norm: 'l2' | 'linf'): number {
  const x = row(query, p);
  let best = Infinity;
  for (let j = 0; j < train.n; j++) {
    if (train.y[j] === query.y[p]) continue;
    const xj = row(train, j);
    const A: number[][] = [];
    const r: number[] = [];
    for (let i = 0; i < train.n; i++) {
      if (train.y[i] !== query.y[p]) continue;
      const xi = row(train, i);
      A.push(xi.map((v, k) => v - xj[k]));
      r.push(xi.reduce((s, v, k) => s + (v - xj[k]) * ((v + xj[k]) / 2 - x[k]), 0));
    }
    best = Math.min(best, norm === 'l2' ? bruteL2(A, r) : bruteLinf(A, r));
  }
  return best;
}

for (const [dim, nTrain, nQuery] of [[2, 24, 12], [5, 12, 6]] as const)
  for (const norm of ['l2', 'linf'] as const)
    test(`exact ${norm} radius equals brute force in ${dim}-D (1e-6)`, async () => {
      const rng = new Rng(10 * dim + (norm === 'l2' ? 0 : 1));
      const train = blobs(rng, nTrain, dim);
      const query = blobs(rng, nQuery, dim);
      const before = tf.memory().numTensors;
      const rec = await nnRobustness(train, query, { norm, eps: 0.3, radiusCap: Infinity, exactAll: true });
      assert.is(tf.memory().numTensors, before, 'no tensor leaks');
      let solved = 0;
      rec.points.forEach((pt, p) => {
        const ref = pt.stage === 'misclassified' ? 0 : bruteRadius(train, query, p, norm);
        if (pt.stage === 'misclassified') return;
        assert.is(pt.stage, 'exact');
        assert.ok(pt.radius !== null && Math.abs(pt.radius - ref) < 1e-6, `point ${p}: ${pt.radius} vs ${ref}`);
        assert.ok(pt.theorem1 <= ref + 1e-9 && pt.halfSpace <= ref + 1e-9, `bounds below the radius at point ${p}`);
        assert.is(pt.robust, ref >= 0.3);
        solved++;
      });
      assert.ok(solved >= nQuery / 3, `${solved} correctly classified points`);
    });

test('2-D radius agrees with a dense grid of 1NN labels (within the grid step)', async () => {
  const rng = new Rng(5);
  const train = blobs(rng, 16, 2);
  const query = blobs(rng, 6, 2);
  const step = 0.01;
  const label = (u: number, v: number) => {
    let bd = Infinity;
    let by = -1;
    for (let i = 0; i < train.n; i++) {
      const d = (u - train.x[2 * i]) ** 2 + (v - train.x[2 * i + 1]) ** 2;
      if (d < bd) (bd = d), (by = train.y[i]);
    }
    return by;
  };
  for (const norm of ['l2', 'linf'] as const) {
    const rec = await nnRobustness(train, query, { norm, eps: 0.5, radiusCap: Infinity, exactAll: true });
    rec.points.forEach((pt, p) => {
      if (pt.radius === null || pt.radius === 0) return;
      const [qx, qy] = row(query, p);
      let gridMin = Infinity;
      const R = pt.radius + 0.1;
      for (let u = qx - R; u <= qx + R; u += step)
        for (let v = qy - R; v <= qy + R; v += step) {
          const d = norm === 'l2' ? Math.hypot(u - qx, v - qy) : Math.max(Math.abs(u - qx), Math.abs(v - qy));
          if (d < gridMin && label(u, v) !== query.y[p]) gridMin = d;
        }
      assert.ok(Math.abs(gridMin - pt.radius) <= 2 * step, `${norm} point ${p}: grid ${gridMin} vs ${pt.radius}`);
    });
  }
});

test('soundness: APGD finds no adversarial example inside a certified radius; the minimal one flips 1NN', async () => {
  const rng = new Rng(6);
  const dim = 5;
  const train = blobs(rng, 40, dim);
  const query = blobs(rng, 16, dim);
  const xt = tf.tensor2d(train.x, [train.n, dim]);
  const model = nearestNeighbourClassifier(xt, train.y, 2);
  for (const norm of ['l2', 'linf'] as const) {
    const rec = await nnRobustness(train, query, { norm, eps: 0.4, radiusCap: Infinity, exactAll: true, keepPerturbations: true });
    const idx = rec.points.flatMap((pt, p) => (pt.radius !== null && pt.radius > 0 ? [p] : []));
    assert.ok(idx.length >= 4);
    for (const p of idx) {
      const pt = rec.points[p];
      const x = tf.tensor2d(row(query, p), [1, dim]);
      const y = tf.tensor1d([query.y[p]], 'int32');
      for (const scale of [0.5, 0.999]) {
        const adv = apgdCe(model, x, y, { norm, eps: scale * pt.lower, steps: 50, bounds: [-100, 100], seed: p });
        const pred = tf.tidy(() => tf.argMax(model.apply(adv).logits, 1));
        assert.is((await pred.data())[0], query.y[p], `${norm} point ${p}: APGD flipped inside the certified radius`);
        adv.dispose();
        pred.dispose();
      }
      // Slightly past the minimal perturbation 1NN gives the other label.
      const w = pt.perturbation!;
      let nw = 0;
      for (const v of w) nw = norm === 'l2' ? nw + v * v : Math.max(nw, Math.abs(v));
      assert.ok(Math.abs((norm === 'l2' ? Math.sqrt(nw) : nw) - pt.radius!) < 1e-6);
      const past = tf.tidy(() => tf.add(x, tf.mul(1.001, tf.tensor2d(w, [1, dim]))));
      const pred = tf.tidy(() => tf.argMax(model.apply(past).logits, 1));
      assert.is((await pred.data())[0], 1 - query.y[p], `${norm} point ${p}: the minimal perturbation does not flip`);
      tf.dispose([x, y, past, pred]);
    }
  }
  model.dispose();
  xt.dispose();
});

test('Theorem 2: train-set l2 robust accuracy is 1 below half the class distance, settled by Theorem 1', async () => {
  const rng = new Rng(7);
  const train = blobs(rng, 60, 8, 0.6);
  const d = await classDistance(train, 0, 1);
  const self = Int32Array.from({ length: train.n }, (_, i) => i);
  const rec = await nnRobustness(train, train, { norm: 'l2', eps: 0.999 * (d / 2), selfIndex: self });
  assert.is(rec.robustAccuracy, 1);
  assert.is(rec.settled.theorem1 + rec.settled.halfSpace, train.n);
  assert.ok(rec.settled.theorem1 > 0);
  // Past d/2 the pair that realises the distance is no longer robust.
  const past = await nnRobustness(train, train, { norm: 'l2', eps: 1.001 * (d / 2), selfIndex: self });
  assert.ok(past.robustAccuracy < 1);
});

test('the engine oracle gives the exact oracle radii (1e-4) and stage counts add up', async () => {
  const rng = new Rng(8);
  const train = blobs(rng, 80, 30, 1.2);
  const query = blobs(rng, 20, 30, 1.2);
  for (const norm of ['l2', 'linf'] as const) {
    const eps = norm === 'l2' ? 1 : 0.2;
    const a = await nnRobustness(train, query, { norm, eps, oracle: 'exact' });
    const b = await nnRobustness(train, query, { norm, eps, oracle: 'engine' });
    a.points.forEach((pa, p) => {
      const pb = b.points[p];
      assert.is(pa.stage, pb.stage);
      if (pa.radius !== null) assert.ok(Math.abs(pa.radius - pb.radius!) < 1e-4, `${pa.radius} vs ${pb.radius}`);
    });
    const s = a.settled;
    assert.is(s.misclassified + s.theorem1 + s.halfSpace + s.exact + s.budget, query.n);
    assert.equal(a.bounds, [a.robustAccuracy, a.robustAccuracy]);
  }
});

test('a budget-hit point reports [lower, upper] around its exact radius', async () => {
  const rng = new Rng(9);
  const train = blobs(rng, 60, 6);
  const query = blobs(rng, 10, 6);
  const exact = await nnRobustness(train, query, { norm: 'l2', eps: 0.5, radiusCap: Infinity, exactAll: true });
  const cut = await nnRobustness(train, query, { norm: 'l2', eps: 0.5, radiusCap: Infinity, exactAll: true, maxConstraints: 1 });
  let budget = 0;
  cut.points.forEach((pt, p) => {
    const r = exact.points[p].radius;
    if (r === null) return;
    assert.ok(pt.lower <= r + 1e-9 && pt.upper >= r - 1e-9, `point ${p}: [${pt.lower}, ${pt.upper}] misses ${r}`);
    if (pt.stage === 'budget' || (pt.radius === null && pt.stage === 'exact')) budget++;
  });
  assert.ok(cut.exactStage.constraints <= cut.exactStage.problems);
  assert.ok(budget > 0, 'one constraint per candidate leaves some points to the budget');
});

test('bad arguments are named', async () => {
  const s = blobs(new Rng(0), 4, 2);
  await nnRobustness(s, s, { norm: 'l2', eps: 0 }).then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /eps: must be a finite number > 0, got 0/));
  await nnRobustness(s, { ...s, dim: 3 }, { norm: 'l2', eps: 1 }).then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /query.x: expected shape/));
  await nnRobustness(s, s, { norm: 'l2', eps: 1, radiusCap: 0.5 }).then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /radiusCap: must be at least eps/));
});

test.run();
