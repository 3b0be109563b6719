import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine, assertClose } from '../helpers/setup';
import { Rng } from '../../lib/engine/seed';
import { nearestNeighbours, classNearest, nearestNeighbourClassifier } from '../../lib/models/nearestNeighbour';

test.before(async () => {
  await engine();
});

function points(rng: Rng, n: number, d: number): Float32Array {
  return Float32Array.from({ length: n * d }, () => rng.normal());
}

function bruteDistances(ref: Float32Array, q: Float32Array, d: number): number[][] {
  const nr = ref.length / d;
  return Array.from({ length: q.length / d }, (_, i) =>
    Array.from({ length: nr }, (_, j) => Math.sqrt(Array.from({ length: d }, (_, k) => (q[i * d + k] - ref[j * d + k]) ** 2).reduce((a, b) => a + b, 0))),
  );
}

test('k-NN by chunked matmul equals brute force (several chunks, k = 1 and 3)', async () => {
  const rng = new Rng(0);
  const d = 17;
  const ref = points(rng, 53, d);
  const q = points(rng, 29, d);
  const brute = bruteDistances(ref, q, d);
  const rt = tf.tensor2d(ref, [53, d]);
  const qt = tf.tensor2d(q, [29, d]);
  const before = tf.memory().numTensors;
  for (const k of [1, 3]) {
    // 7 queries per chunk: 53 * 4 * 7 bytes
    const nn = await nearestNeighbours(rt, qt, { k, chunkBytes: 53 * 4 * 7 });
    for (let i = 0; i < 29; i++) {
      const order = brute[i].map((v, j) => [v, j]).sort((a, b) => a[0] - b[0]);
      for (let r = 0; r < k; r++) {
        assert.is(nn.indices[i * k + r], order[r][1], `query ${i} rank ${r}`);
        assertClose(nn.distances[i * k + r], order[r][0], 1e-4);
      }
    }
  }
  assert.is(tf.memory().numTensors, before, 'no tensor leaks');
  rt.dispose();
  qt.dispose();
});

test('own-class and other-class nearest equal brute force', async () => {
  const rng = new Rng(1);
  const d = 5;
  const ref = points(rng, 40, d);
  const q = points(rng, 15, d);
  const ry = Int32Array.from({ length: 40 }, () => rng.int(3));
  const qy = Int32Array.from({ length: 15 }, () => rng.int(3));
  const brute = bruteDistances(ref, q, d);
  const rt = tf.tensor2d(ref, [40, d]);
  const qt = tf.tensor2d(q, [15, d]);
  const r = await classNearest(rt, ry, qt, qy, { chunkBytes: 40 * 4 * 4 });
  for (let i = 0; i < 15; i++) {
    let own = -1;
    let other = -1;
    for (let j = 0; j < 40; j++) {
      if (ry[j] === qy[i] && (own < 0 || brute[i][j] < brute[i][own])) own = j;
      if (ry[j] !== qy[i] && (other < 0 || brute[i][j] < brute[i][other])) other = j;
    }
    assert.is(r.ownIndex[i], own);
    assert.is(r.otherIndex[i], other);
    assertClose(r.ownDistance[i], brute[i][own], 1e-4);
    assertClose(r.otherDistance[i], brute[i][other], 1e-4);
  }
  await classNearest(rt, ry.subarray(1), qt, qy).then(
    () => assert.unreachable('should reject'),
    (e: Error) => assert.match(e.message, /reference and referenceLabels must have the same batch size/),
  );
  rt.dispose();
  qt.dispose();
});

test('the 1NN classifier predicts the nearest label; its gradient is -(x - x_nn(c))', async () => {
  const rng = new Rng(2);
  const d = 4;
  const ref = points(rng, 30, d);
  const ry = Int32Array.from({ length: 30 }, (_, i) => i % 2);
  const q = points(rng, 12, d);
  const rt = tf.tensor2d(ref, [30, d]);
  const qt = tf.tensor2d(q, [12, d]);
  const model = nearestNeighbourClassifier(rt, ry, 2);
  const nn = await nearestNeighbours(rt, qt);
  const pred = tf.tidy(() => tf.argMax(model.apply(qt).logits, 1));
  assert.equal(Array.from(await pred.data()), Array.from(nn.indices, (j) => ry[j]));
  pred.dispose();
  const g = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(tf.slice(model.apply(x).logits, [0, 0], [-1, 1])))(qt));
  const gv = await g.data();
  g.dispose();
  const brute = bruteDistances(ref, q, d);
  for (let i = 0; i < 12; i++) {
    let j0 = -1;
    for (let j = 0; j < 30; j++) if (ry[j] === 0 && (j0 < 0 || brute[i][j] < brute[i][j0])) j0 = j;
    assertClose(Array.from(gv.subarray(i * d, (i + 1) * d)), Array.from({ length: d }, (_, k) => -(q[i * d + k] - ref[j0 * d + k])), 1e-4);
  }
  const before = tf.memory().numTensors;
  tf.tidy(() => model.apply(qt).logits).dispose();
  assert.is(tf.memory().numTensors, before);
  model.dispose();
  rt.dispose();
  qt.dispose();
});

test.run();
