import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine, assertClose } from '../helpers/setup';
import { outerContext, type TrainingMethod } from '../../lib/training/method';
import { pgdAT } from '../../lib/training/pgdAT';
import { alp } from '../../lib/training/alp';
import { trades } from '../../lib/training/trades';
import { fastAT, fastATSchedule } from '../../lib/training/fastAT';
import { freeAT } from '../../lib/training/freeAT';
import { heAT } from '../../lib/losses/he';
import { hypersphereHead } from '../../lib/models/heads/hypersphere';
import { linear } from '../helpers/models';
import { trainingAttack, PGD_AT_ATTACK } from '../../lib/training/trainingAttack';
import { stepSizeOf } from '../../lib/attacks/options';

test.before(engine);

// Identity body + linear head W = I, b = 0: logits = x. x = [1, 0], x* = [0.5, 0.5], y = 0.
// CE(x) = log(1 + e^-1) = 0.3132617; CE(x*) = log 2 = 0.6931472.
// ALP: 0.5 * 0.3132617 + 0.5 * 0.6931472 + 0.5 * mean(0.5^2, 0.5^2) = 0.6282044
// TRADES: p = softmax([1, 0]) = [0.7310586, 0.2689414], q = [0.5, 0.5]; KL(p || q) = 0.1109441;
//   0.3132617 + 6 * 0.1109441 = 0.9789261
// HE head, W = I: cos(x) = [1, 0], cos(x*) = [1/sqrt2, 1/sqrt2], s = 15, m = 0.2:
//   L(x) = log(1 + e^(0 - 12)) = 6.1442e-6; L(x*) = log(1 + e^(15 * 0.7071 - 15 * 0.5071)) = log(1 + e^3) = 3.0485874
//   ALP+HE: 0.5 * 6.1442e-6 + 0.5 * 3.0485874 + 0.5 * mean(0.2928932^2, 0.7071068^2) = 1.6707434
//   TRADES+HE: 6.1442e-6 + 6 * KL(softmax([15, 0]) || [0.5, 0.5]) = 4.1588599
//   PGD-AT+HE, FastAT+HE, FreeAT+HE: 3.0485874
const cases: [string, () => TrainingMethod, boolean, number][] = [
  ['PGD-AT', () => pgdAT(), false, 0.6931472],
  ['PGD-AT+HE', () => pgdAT(heAT()), true, 3.0485874],
  ['ALP', () => alp(), false, 0.6282044],
  ['ALP+HE', () => alp({ he: {} }), true, 1.6707434],
  ['TRADES', () => trades(), false, 0.9789261],
  ['TRADES+HE', () => trades({ he: {} }), true, 4.1588599],
  ['FastAT', () => fastAT(), false, 0.6931472],
  ['FastAT+HE', () => fastAT({ he: {} }), true, 3.0485874],
  ['FreeAT', () => freeAT(), false, 0.6931472],
  ['FreeAT+HE', () => freeAT({ he: {} }), true, 3.0485874],
];

for (const [name, make, he, want] of cases) {
  test(`${name}: outer loss on a fixed tiny model equals the hand formula`, () => {
    const m = linear([[1, 0], [0, 1]], { head: he ? hypersphereHead() : undefined });
    const x = tf.tensor2d([[1, 0]]);
    const xa = tf.tensor2d([[0.5, 0.5]]);
    const y = tf.tensor1d([0], 'int32');
    const v = tf.tidy(() => make().outer(outerContext(m, x, y, xa)).dataSync()[0]);
    assertClose(v, want, 1e-4, 0, name);
    tf.dispose([x, xa, y]);
    m.dispose();
  });
}

test('TRADES inner: PGD on KL from the fixed natural prediction raises the KL', () => {
  const m = linear([[2, -1], [-1, 2]]);
  const x = tf.tensor2d([[0.6, 0.4], [0.3, 0.7]]);
  const y = tf.tensor1d([0, 1], 'int32');
  const xa = trades({ eps: 0.2, steps: 5, stepSize: 0.05 }).inner!(m, x, y, { seed: 1, epoch: 0 })!;
  // Start at x + 0.001 N(0, I): the KL is ~0 there; moving along its gradient it must grow.
  const kl = tf.tidy(() => {
    const p = tf.softmax(m.apply(x).logits);
    const q = tf.softmax(m.apply(xa).logits);
    return p.mul(p.log().sub(q.log())).sum().dataSync()[0];
  });
  assert.ok(kl > 0.01, `KL ${kl}`);
  assert.ok(tf.tidy(() => xa.sub(x).abs().max().dataSync()[0]) <= 0.2 + 1e-6);
  tf.dispose([x, y, xa]);
  m.dispose();
});

test('FastAT inner: uniform start + one FGSM step of 1.25 eps lands in [0.25 eps, eps] along sign(grad)', () => {
  const m = linear([[1, 0], [0, 1]]);
  const x = tf.tensor2d([[0.5, 0.5], [0.4, 0.6], [0.7, 0.2]]);
  const y = tf.tensor1d([0, 1, 0], 'int32');
  const eps = 0.1;
  const xa = fastAT({ eps }).inner!(m, x, y, { seed: 3, epoch: 0 })!;
  // logits = x, CE gradient in x = softmax(x) - onehot(y): sign is -1 on the true class, +1 on the other.
  // delta * sign(g) = clip(u * sign(g) + 1.25 eps, -eps, eps) with |u| <= eps, so it lies in [0.25 eps, eps].
  const d = tf.tidy(() => Array.from(xa.sub(x).mul(tf.oneHot(y, 2).mul(-2).add(1)).dataSync()));
  for (const v of d) assert.ok(v >= 0.25 * eps - 1e-6 && v <= eps + 1e-6, `${d}`);
  assertClose([fastATSchedule(0.2, 10)(0), fastATSchedule(0.2, 10)(5), fastATSchedule(0.2, 10)(10)], [0, 0.2, 0], 1e-12);
  tf.dispose([x, y, xa]);
  m.dispose();
});

test('FreeAT: noise starts at 0, moves by eps * sign(grad), persists across batches and stays in the ball', () => {
  const m = linear([[1, 0], [0, 1]]);
  const eps = 0.1;
  const method = freeAT({ eps, replays: 3 });
  assert.is(method.replays, 3);
  const x = tf.tensor2d([[0.5, 0.5]]);
  const y = tf.tensor1d([0], 'int32');
  // replay 1 trains on x + 0; the CE gradient at x is [p0 - 1, p1] = [-0.5, 0.5], so the noise becomes [-0.1, 0.1].
  const a1 = method.inner!(m, x, y, { seed: 0, epoch: 0 })!;
  assertClose(a1.dataSync(), [0.5, 0.5], 1e-7);
  const n1 = method.noise()!;
  assertClose(n1.dataSync(), [-0.1, 0.1], 1e-7);
  // replay 2 trains on x + noise = [0.4, 0.6]; the gradient keeps its sign, and the clip keeps the noise at +-eps.
  const a2 = method.inner!(m, x, y, { seed: 1, epoch: 0 })!;
  assertClose(a2.dataSync(), [0.4, 0.6], 1e-6);
  const n2 = method.noise()!;
  assertClose(n2.dataSync(), [-0.1, 0.1], 1e-7);
  // a new minibatch (another point, label 1) starts from the persisted noise, not from 0
  const x2 = tf.tensor2d([[0.2, 0.3]]);
  const y2 = tf.tensor1d([1], 'int32');
  const a3 = method.inner!(m, x2, y2, { seed: 2, epoch: 0 })!;
  assertClose(a3.dataSync(), [0.1, 0.4], 1e-6);
  // at [0.2, 0.3] with label 1 the gradient is [p0, p1 - 1], sign [+, -]: noise [-0.1 + 0.1, 0.1 - 0.1] = [0, 0]
  const n3 = method.noise()!;
  assertClose(n3.dataSync(), [0, 0], 1e-7);
  tf.dispose([a1, a2, a3, n1, n2, n3, x, y, x2, y2]);
  method.dispose();
  m.dispose();
});

test('training attack: relStepsize takes effect in PGD-AT, ALP and TRADES (was: the fixed 0.007 always won)', () => {
  // Resolution: the step follows eps at the default ratio, or relStepsize * eps, or stepSize as given.
  assertClose(stepSizeOf(trainingAttack()), 0.007, 1e-12);
  assertClose(stepSizeOf(trainingAttack({ eps: 0.3 })), (0.007 / (8 / 255)) * 0.3, 1e-12);
  assertClose(stepSizeOf(trainingAttack({ eps: 0.3, relStepsize: 0.25 })), 0.075, 1e-12);
  assertClose(stepSizeOf(trainingAttack({ eps: 0.3, relStepsize: 0.25, stepSize: 0.01 })), 0.01, 1e-12);
  assert.is(PGD_AT_ATTACK.stepSize, undefined, 'the defaults hold no absolute step');
  assert.throws(() => trainingAttack({ relStepsize: -1 }), /relStepsize: must be a finite number >= 0, got -1/);
  // Behaviour: one signed step from x + 0.001 N(0, I) moves each coordinate by 0.075 (+- the start), not 0.007.
  const m = linear([[2, -1], [-1, 2]]);
  const x = tf.tensor2d([[0.5, 0.5], [0.4, 0.6]]);
  const y = tf.tensor1d([0, 1], 'int32');
  const opts = { eps: 0.3, relStepsize: 0.25, steps: 1 };
  for (const [name, method] of [['PGD-AT', pgdAT(opts)], ['ALP', alp(opts)], ['TRADES', trades(opts)]] as const) {
    const xa = method.inner!(m, x, y, { seed: 1, epoch: 0 })!;
    const moved = tf.tidy(() => Array.from(xa.sub(x).abs().dataSync()));
    moved.forEach((d) => assert.ok(Math.abs(d - 0.075) < 0.005, `${name}: moved ${d}`));
    xa.dispose();
  }
  tf.dispose([x, y]);
  m.dispose();
});

test.run();
