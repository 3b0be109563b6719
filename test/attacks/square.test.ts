import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine, assertClose } from '../helpers/setup';
import { trainedQuadrants } from '../helpers/trainedModels';
import { accuracy } from '../helpers/metrics';
import { square, squareRecord, squareP } from '../../lib/attacks/square';
import { mlp } from '../../lib/models/mlp';
import { lpNorm } from '../../lib/tensor/norms';
import type { Classifier } from '../../lib/models/classifier';

let model: Classifier;
let X: tf.Tensor;
let Y: tf.Tensor1D;

test.before(async () => {
  await engine();
  const d = await trainedQuadrants();
  model = d.model;
  X = d.x.slice(0, 32);
  Y = d.y.slice(0, 32);
  tf.dispose([d.x, d.y]);
});

const acc = (x: tf.Tensor) => accuracy(model, x, Y);

test("p's schedule: AutoAttack's halvings at iterations 10, 50, 200, ..., 8000; rescaled to the budget on request", () => {
  const at = [0, 10, 11, 50, 51, 200, 201, 500, 501, 1000, 1001, 2000, 2001, 4000, 4001, 6000, 6001, 8000, 8001, 20000];
  assert.equal(at.map((i) => squareP(i, 0.8, 5000, false) * 512 / 0.8), [512, 512, 256, 256, 128, 128, 64, 64, 32, 32, 16, 16, 8, 8, 4, 4, 2, 2, 1, 1]);
  // Rescaled to 1000 updates: iteration 100 is iteration 1000 of the 10,000-step schedule.
  assert.is(squareP(100, 0.8, 1000, true), 0.8 / 16);
  assert.is(squareP(101, 0.8, 1000, true), 0.8 / 32);
});

test('Square lowers the accuracy of an undefended model within its budget, inside the ball and the box', () => {
  const eps = 0.1;
  const clean = acc(X);
  const r = squareRecord(model, X, Y, { eps, queries: 300 });
  const queries = r.queries!;
  const a = acc(r.adversarial);
  assert.ok(a < clean - 0.5, `square ${a} vs clean ${clean}`);
  assert.ok(Math.max(...queries) <= 300 && Math.min(...queries) >= 1, `queries ${Math.min(...queries)}..${Math.max(...queries)}`);
  // Early stop: fooled examples stop querying, so the mean is well under the budget.
  assert.ok(queries.reduce((s, q) => s + q, 0) / 32 < 200);
  const ok = tf.tidy(() => Array.from(model.apply(r.adversarial).logits.argMax(1).notEqual(Y).dataSync()));
  assert.equal(r.success, ok.map(Boolean), 'success flags');
  assert.ok(lpNorm(r.adversarial.sub(X), 'linf').max().dataSync()[0] <= eps + 1e-6);
  const v = r.adversarial.dataSync();
  assert.ok(Math.min(...v) >= 0 && Math.max(...v) <= 1);
  // Every coordinate of a queried example sits on a face of the ball (or the box): the stripes start there.
  const xv = X.dataSync();
  const face = Array.from(v, (u, j) => Math.abs(Math.abs(u - xv[j]) - eps) < 1e-6 || u === 0 || u === 1);
  assert.ok(face.every(Boolean));
  r.adversarial.dispose();
});

test('seeded: the same seed repeats, another differs; an example does not depend on the rest of the batch', () => {
  const a = square(model, X, Y, { eps: 0.06, queries: 60, seed: 3 });
  const b = square(model, X, Y, { eps: 0.06, queries: 60, seed: 3 });
  const c = square(model, X, Y, { eps: 0.06, queries: 60, seed: 4 });
  assertClose(a.dataSync(), b.dataSync(), 0, 0, 'same seed');
  assert.ok(tf.tidy(() => a.sub(c).abs().max().dataSync()[0]) > 0, 'another seed');
  // Per-example streams: the first 8 rows come out the same when attacked alone.
  const part = square(model, X.slice(0, 8), Y.slice(0, 8), { eps: 0.06, queries: 60, seed: 3 });
  assertClose(part.dataSync(), a.slice(0, 8).dataSync(), 0, 0, 'subset');
  tf.dispose([a, b, c, part]);
});

test('misclassified examples are returned clean after one query; validation errors name the argument', () => {
  const wrong = tf.tidy(() => tf.tensor1d(Array.from(model.apply(X).logits.argMax(1).dataSync(), (p) => (p + 1) % 4), 'int32'));
  const r = squareRecord(model, X, wrong, { eps: 0.1, queries: 50 });
  assert.equal(r.queries, new Array(32).fill(1));
  assert.is(tf.tidy(() => r.adversarial.sub(X).abs().max().dataSync()[0]), 0);
  tf.dispose([wrong, r.adversarial]);
  assert.throws(() => square(model, X, Y, { norm: 'l1' as 'linf' }), /norm: must be one of "linf", "l2", got "l1"/);
  assert.throws(() => square(model, X, Y, { pInit: 1.5 }), /pInit: must be at most 1, got 1.5/);
  assert.throws(() => square(model, X, Y, { queries: 0 }), /queries: must be an integer >= 1, got 0/);
  const vec = mlp({ inputShape: [4], hidden: [], numClasses: 2, seed: 0 });
  tf.tidy(() => assert.throws(() => square(vec, tf.fill([2, 4], 0.5), tf.tensor1d([0, 1], 'int32')), /model: Square Attack needs image inputs of shape \[height, width, channels\], got inputShape \[4\]/));
  vec.dispose();
});

test('no tensor leak', () => {
  const before = tf.memory().numTensors;
  squareRecord(model, X, Y, { eps: 0.08, queries: 40 }).adversarial.dispose();
  assert.is(tf.memory().numTensors, before);
});

test('Square-l2 lowers the accuracy of an undefended model, stays inside the l2 ball and the box, counts its queries', () => {
  const clean = acc(X);
  const eps = 1.5;
  const before = tf.memory().numTensors;
  const r = square.record(model, X, Y, { norm: 'l2', eps, queries: 300, seed: 2 });
  const a = acc(r.adversarial);
  assert.ok(a < clean - 0.3, `square-l2 ${a} vs clean ${clean}`);
  assert.is(r.norm, 'l2');
  assert.ok(Math.max(...r.perturbationNorm) <= eps * (1 + 1e-5), `l2 ${Math.max(...r.perturbationNorm)}`);
  const v = r.adversarial.dataSync();
  assert.ok(Math.min(...v) >= 0 && Math.max(...v) <= 1);
  assert.ok(Math.max(...r.queries!) <= 300 && Math.min(...r.queries!) >= 1);
  // The start already spends the whole budget eps where the box allows: its norm is close to eps.
  const start = square.record(model, X, Y, { norm: 'l2', eps, queries: 2, seed: 2 });
  const moved = start.perturbationNorm.filter((d) => d > 0);
  assert.ok(moved.length > 0 && moved.every((d) => d > 0.8 * eps && d <= eps * (1 + 1e-5)), `start norms ${moved}`);
  tf.dispose([r.adversarial, start.adversarial]);
  assert.is(tf.memory().numTensors, before, 'no leak');
});

test.run();
