import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine, assertClose } from '../helpers/setup';
import { boxVectors } from '../helpers/fixtures';
import { predict } from '../helpers/metrics';
import { linearBinary } from '../helpers/models';
import { deepfoolRecord, cwL2Record } from '../../lib/attacks/minNorm';

test.before(async () => {
  await engine();
});

const w = [1, -1, 0.5, 0.25, 2, -0.5];

test('DeepFool on an affine binary classifier returns the exact distance to the hyperplane (l2 and l-inf)', () => {
  const model = linearBinary(w);
  const { x } = boxVectors(6, 6, 2, 4);
  const y = predict(model, x);
  const xv = x.arraySync();
  // Distance of x to {w.(x - c) = 0}: |w.(x - c)| / ||w||_2 in l2, / ||w||_1 in l-inf (the dual norm).
  const f = xv.map((r) => Math.abs(r.reduce((a, v, j) => a + w[j] * (v - 0.5), 0)));
  const n2 = Math.hypot(...w);
  const n1 = w.reduce((a, v) => a + Math.abs(v), 0);
  for (const [norm, dn] of [['l2', n2], ['linf', n1]] as const) {
    const r0 = deepfoolRecord(model, x, y, { norm, overshoot: 0 });
    // The reference step adds 1e-4 to |f| to cross the boundary: distance + 1e-4 / ||w||.
    assertClose(r0.perturbationNorm, f.map((v) => v / dn), 2e-4 / dn + 1e-5, 0, `${norm} distance`);
    assert.ok(r0.success.every(Boolean), `${norm}: every point crosses`);
    const r1 = deepfoolRecord(model, x, y, { norm });
    assertClose(r1.perturbationNorm, f.map((v) => (1.02 * (v + 1e-4)) / dn), 1e-4, 0, `${norm} with overshoot 0.02`);
    tf.dispose([r0.adversarial, r1.adversarial]);
  }
  model.dispose();
});

test('C&W l2 finds adversarials no farther than the hyperplane distance plus a margin, and no closer than it', () => {
  const model = linearBinary(w);
  const { x } = boxVectors(4, 6, 2, 4);
  const y = predict(model, x);
  const xv = x.arraySync();
  const n2 = Math.hypot(...w);
  const dist = xv.map((r) => Math.abs(r.reduce((a, v, j) => a + w[j] * (v - 0.5), 0)) / n2);
  const r = cwL2Record(model, x, y, { steps: 100, binarySteps: 6, initialConst: 1, lr: 0.01 });
  assert.ok(r.success.every(Boolean), `success ${r.success}`);
  for (let i = 0; i < 4; i++) {
    // Nothing can cross closer than the exact distance; the search should come within 20% of it.
    assert.ok(r.perturbationNorm[i] >= dist[i] - 1e-5, `${i}: ${r.perturbationNorm[i]} < ${dist[i]}`);
    assert.ok(r.perturbationNorm[i] <= dist[i] * 1.2 + 1e-3, `${i}: ${r.perturbationNorm[i]} vs ${dist[i]}`);
  }
  r.adversarial.dispose();
  model.dispose();
});

test.run();
