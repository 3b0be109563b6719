import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine, assertClose } from '../helpers/setup';
import { similarityMatrix, topSimilar, headWeights, centroidSimilarity, nearRankTest, normalCdf } from '../../lib/metrics/classSimilarity';
import { similarityRanks } from '../../lib/metrics/classWise';
import { neighbourTargets, perturbTowards, neighbourPerturbation, neighbourTable, drawNeighbourTargets } from '../../lib/training/neighbourPerturbation';
import { outerContext } from '../../lib/training/method';
import { linear } from '../helpers/models';

test.before(engine);

// W [2, 4]: z0 = (1, 0), z1 = (0.9, 0.1), z2 = (0, 1), z3 = (-1, 0).
// M row 0 = [1, 0.9, 0, -1]: ranks of 0, 1, 2, 3 in row 0 are 1, 2, 3, 4.
const W = [
  [1, 0.9, 0, -1],
  [0, 0.1, 1, 0],
];

test('similarityMatrix and topSimilar on a hand-made W; similarityRanks agrees', () => {
  const m = similarityMatrix(W);
  assertClose(m[0], [1, 0.9, 0, -1], 1e-12);
  assertClose(m[2], [0, 0.1, 1, 0], 1e-12);
  assert.equal(topSimilar(m, 0, 3), [0, 1, 2]);
  assert.equal(topSimilar(m, 3, 2), [3, 2]); // row 3 = [-1, -0.9, 0, 1]: 3 first, then 2
  const r = similarityRanks(W, [1, 2, 3, 0], [0, 0, 0, 0]);
  assert.equal(r.ranks, [2, 3, 4]);
  const model = linear(W);
  assert.equal(headWeights(model), W.map((row) => row.map((v) => Math.fround(v))));
  model.dispose();
});

test('centroidSimilarity: class-mean features as embeddings', () => {
  const f = tf.tensor2d([[1, 0], [3, 0], [0, 2]]);
  const m = centroidSimilarity(f, [0, 0, 1], 2); // z0 = (2, 0), z1 = (0, 2)
  assertClose(m.flat(), [4, 0, 0, 4], 1e-12);
  f.dispose();
});

test('neighbourTargets: uniform over the top-k of M[y], seeded, optionally without y', () => {
  const m = similarityMatrix(W);
  const labels = new Array(3000).fill(0);
  const t = neighbourTargets(m, labels, 3, 7);
  const counts = [0, 0, 0, 0];
  for (const v of t) counts[v]++;
  assert.is(counts[3], 0, 'class 3 is not in the top-3 of row 0');
  // Each of 0, 1, 2 has probability 1/3: 1000 expected, sd ~ 25.8; allow 5 sd.
  for (const c of [0, 1, 2]) assert.ok(Math.abs(counts[c] - 1000) < 130, `counts ${counts}`);
  assert.equal(Array.from(neighbourTargets(m, labels, 3, 7)), Array.from(t), 'same seed, same targets');
  const ex = neighbourTargets(m, labels, 2, 1, true);
  assert.ok(Array.from(ex).every((v) => v === 1 || v === 2), 'excludeSelf: top-2 of row 0 without 0 is {1, 2}');
  assert.throws(() => neighbourTargets(m, labels, 4, 0, true), /k: must be an integer in \[1, 3\]/);
});

test('drawNeighbourTargets: on the engine, only top-k classes of each row, about uniform, seeded', () => {
  const m = similarityMatrix(W);
  const table = neighbourTable(m, 3);
  assert.equal(Array.from(table.dataSync()), [0, 1, 2, 0, 1, 2, 2, 1, 0, 3, 2, 1]); // rows of topSimilar(m, c, 3): M row 1 = [0.9, 0.82, 0.1, -0.9]
  const y = tf.tensor1d(new Array(3000).fill(0), 'int32');
  const t = drawNeighbourTargets(table, y, 7);
  const counts = [0, 0, 0, 0];
  for (const v of t.dataSync()) counts[v]++;
  assert.is(counts[3], 0);
  for (const c of [0, 1, 2]) assert.ok(Math.abs(counts[c] - 1000) < 130, `counts ${counts}`);
  const again = drawNeighbourTargets(table, y, 7);
  assert.equal(Array.from(again.dataSync()), Array.from(t.dataSync()), 'same seed, same targets');
  tf.dispose([table, y, t, again]);
});

test('perturbTowards: Eq. 5 on a linear model equals the hand step', () => {
  // logits = x (W = I, b = 0); x = (0.5, 0.5), target 1: softmax = (0.5, 0.5), grad_x CE(x, 1) = (0.5, -0.5);
  // x' = x - eta * sign(grad) = (0.5 - eta, 0.5 + eta); a second step keeps the sign: (0.5 - 2 eta, 0.5 + 2 eta).
  const model = linear([[1, 0], [0, 1]]);
  const x = tf.tensor2d([[0.5, 0.5]]);
  const t = tf.tensor1d([1], 'int32');
  const one = perturbTowards(model, x, t, { steps: 1, eta: 0.1 });
  const two = perturbTowards(model, x, t, { steps: 2, eta: 0.1 });
  const ball = perturbTowards(model, x, t, { steps: 2, eta: 0.1, eps: 0.15 });
  assertClose(one.dataSync(), [0.4, 0.6], 1e-6);
  assertClose(two.dataSync(), [0.3, 0.7], 1e-6);
  assertClose(ball.dataSync(), [0.35, 0.65], 1e-6);
  tf.dispose([x, t, one, two, ball]);
  model.dispose();
});

test('neighbourPerturbation: inner moves toward a sampled neighbour, outer is CE on the true label, no leak', () => {
  const model = linear([[1, 0], [0, 1]]);
  const x = tf.tensor2d([[0.5, 0.5], [0.6, 0.4]]);
  const y = tf.tensor1d([0, 0], 'int32');
  const method = neighbourPerturbation({ k: 1, excludeSelf: true, eta: 0.05 }); // the only neighbour of 0 is 1
  const before = tf.memory().numTensors;
  const xa = method.inner!(model, x, y, { seed: 0, epoch: 0 })!;
  assertClose(xa.dataSync(), [0.45, 0.55, 0.55, 0.45], 1e-6);
  const loss = tf.tidy(() => method.outer(outerContext(model, x, y, xa)).dataSync()[0]);
  // CE(x', 0) for logits (0.45, 0.55) and (0.55, 0.45): log(1 + e^0.1) and log(1 + e^-0.1), mean = 0.6956446.
  assertClose(loss, (Math.log(1 + Math.exp(0.1)) + Math.log(1 + Math.exp(-0.1))) / 2, 1e-5);
  xa.dispose();
  method.dispose(); // the method owns its top-k table
  assert.is(tf.memory().numTensors, before);
  tf.dispose([x, y]);
  model.dispose();
});

test('nearRankTest: errors on the nearest neighbours give a small p; uniform ranks do not', () => {
  const near = nearRankTest([0, 80, 10, 5, 5, 0, 0, 0, 0, 0]);
  assert.ok(near.p < 1e-6 && near.meanRank < near.uniformMeanRank, JSON.stringify(near));
  const flat = nearRankTest([0, 10, 10, 10, 10, 10, 10, 10, 10, 10]);
  assertClose(flat.meanRank, 6, 1e-12);
  assertClose(flat.p, 0.5, 1e-6);
  assertClose(normalCdf(1.959964), 0.975, 1e-6);
  assert.throws(() => nearRankTest([1, 2]), /at least 3 classes/);
});

test.run();
