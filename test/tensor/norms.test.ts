import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine, assertClose } from '../helpers/setup';
import { lpNorm, projectBall, projectThreat } from '../../lib/tensor/norms';
import { uniform } from '../../lib/engine/seed';

test.before(engine);

test('lpNorm per example matches hand values', () => {
  const t = tf.tensor2d([[3, -4, 0], [1, 1, -1]]);
  assertClose(lpNorm(t, 'l2').dataSync(), [5, Math.sqrt(3)], 1e-5);
  assertClose(lpNorm(t, 'l1').dataSync(), [7, 3], 1e-6);
  assertClose(lpNorm(t, 'linf').dataSync(), [4, 1], 1e-6);
});

for (const norm of ['linf', 'l2', 'l1'] as const) {
  test(`projection onto the ${norm} ball keeps inside points and maps outside points onto the sphere`, () => {
    const d = uniform([16, 3, 3, 2], -1, 1, 7);
    const eps = norm === 'linf' ? 0.5 : norm === 'l2' ? 1.5 : 4;
    const p = projectBall(d, norm, eps);
    const before = lpNorm(d, norm).dataSync();
    const after = lpNorm(p, norm).dataSync();
    const dv = d.reshape([16, -1]).arraySync() as number[][];
    const pv = p.reshape([16, -1]).arraySync() as number[][];
    for (let i = 0; i < 16; i++) {
      if (before[i] <= eps) assertClose(pv[i], dv[i], 1e-6, 0, `inside point ${i}`);
      else assertClose(after[i], eps, 1e-4, 1e-5, `outside point ${i} radius`);
    }
  });
}

test('l1 projection satisfies the optimality condition |d_i| - |p_i| = theta on the support', () => {
  const d = tf.tensor2d([[3, -1, 0.5, 2]]);
  const p = projectBall(d, 'l1', 2).dataSync();
  // sorted |d| = 3, 2, 1, 0.5 ; theta = (3 + 2 - 2) / 2 = 1.5 (rho = 2: 2 > (5 - 2)/2, 1 < (6-2)/3)
  assertClose(p, [1.5, 0, 0, 0.5], 1e-5);
});

test('projectThreat stays in the ball and in the box', () => {
  const x = uniform([8, 4, 4, 1], 0, 1, 1);
  const xa = uniform([8, 4, 4, 1], -1, 2, 2);
  const p = projectThreat(xa, x, 'linf', 0.1, 0, 1);
  const v = p.dataSync();
  const dist = lpNorm(p.sub(x), 'linf').dataSync();
  assert.ok(Math.max(...dist) <= 0.1 + 1e-6);
  assert.ok(Math.min(...v) >= 0 && Math.max(...v) <= 1);
});

test.run();
