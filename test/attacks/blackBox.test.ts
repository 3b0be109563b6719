import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine } from '../helpers/setup';
import { trainedHalves, trainedQuadrants } from '../helpers/trainedModels';
import { accuracy } from '../helpers/metrics';
import { quadratic } from '../helpers/models';
import { spsaRecord, nesRecord, zooRecord, spsaSignedRecord, zooL2, estimateMarginGradient, rademacherDirections, gaussianDirections, spsa, nes } from '../../lib/attacks/blackBox';
import { lpNorm } from '../../lib/tensor/norms';
import { featureAttack, pickGuides } from '../../lib/attacks/featureAttack';
import type { Classifier } from '../../lib/models/classifier';

let model: Classifier;
let X: tf.Tensor;
let Y: tf.Tensor1D;

test.before(async () => {
  await engine();
  const d = await trainedHalves();
  model = d.model;
  X = d.x.slice(0, 32);
  Y = d.y.slice(0, 32);
});

const acc = (x: tf.Tensor) => accuracy(model, x, Y);

test('SPSA, NES and ZOO lower the accuracy of an undefended model within their query budget', () => {
  const clean = acc(X);
  const eps = 0.15;
  const runs = {
    // Ten steps of the references' rate 0.01 move at most 0.1 in l-inf: a larger rate for this short run.
    spsa: spsaRecord(model, X, Y, { eps, steps: 10, samples: 128, lr: 0.05 }),
    nes: nesRecord(model, X, Y, { eps, steps: 10, samples: 128, lr: 0.05 }),
    spsaSigned: spsaSignedRecord(model, X, Y, { eps, steps: 10, samples: 128 }),
    zoo: zooRecord(model, X, Y, { eps, queries: 1000, coordinates: 16, lr: 0.05 }),
  };
  const budget = { spsa: 11 + 10 * 128, nes: 11 + 10 * 128, spsaSigned: 11 + 10 * 128, zoo: 1000 };
  for (const [name, r] of Object.entries(runs)) {
    const queries = r.queries!;
    const a = acc(r.adversarial);
    assert.ok(a < clean - 0.2, `${name}: ${a} vs clean ${clean}`);
    assert.ok(Math.max(...queries) <= budget[name as keyof typeof budget], `${name}: ${Math.max(...queries)} queries`);
    // Early stop: a successful example used fewer queries than the whole budget, and every example was queried at least once.
    assert.ok(Math.min(...queries) >= 1);
    const ok = tf.tidy(() => Array.from(model.apply(r.adversarial).logits.argMax(1).notEqual(Y).dataSync()));
    assert.equal(r.success, ok.map(Boolean), `${name}: success flags`);
    r.adversarial.dispose();
  }
});

test('guides are of another class; the feature attack pulls features towards them', async () => {
  assert.equal(pickGuides([0, 0, 0], 1), [0, 1, 2]);
  const g = pickGuides([0, 1, 0, 1, 2], 3);
  g.forEach((j, i) => assert.ok([0, 1, 0, 1, 2][j] !== [0, 1, 0, 1, 2][i]));
  const q = await trainedQuadrants();
  const x = q.x.slice(0, 16);
  const y = q.y.slice(0, 16);
  const guides = pickGuides(y.dataSync(), 0);
  const dist = (xa: tf.Tensor) =>
    tf.tidy(() => q.model.apply(xa).features.sub(q.model.apply(tf.gather(x, guides)).features).square().sum(1).mean().dataSync()[0]);
  const xa = featureAttack(q.model, x, y, { eps: 0.1, steps: 10, relStepsize: 0.2, seed: 0 });
  assert.ok(dist(xa) < 0.8 * dist(x), `${dist(xa)} vs ${dist(x)}`);
  q.model.dispose();
});

test('SPSA and NES gradient estimates on a quadratic match its known gradient', () => {
  const a = [1, -2, 0.5, 3];
  const c = [0.2, 0.4, 0.6, 0.8];
  const m = quadratic(a, c);
  const x = tf.tensor2d([[0.5, 0.5, 0.5, 0.5]]);
  const y = tf.tensor1d([0], 'int32');
  // grad q = 2 a (x - c) = [0.6, -0.4, -0.1, -1.8]
  const want = a.map((ai, j) => 2 * ai * (0.5 - c[j]));
  for (const [name, draw, sigma, tol] of [['spsa', rademacherDirections, 0.01, 0.15], ['nes', gaussianDirections, 0.001, 0.2]] as const) {
    const before = tf.memory().numTensors;
    const g = estimateMarginGradient(m, x, y, 2000, sigma, draw, 1);
    const got = Array.from(g.dataSync());
    g.dispose();
    assert.is(tf.memory().numTensors, before, `${name}: no leak`);
    // Central differences are exact on a quadratic: the only error is the directions' sampling noise,
    // sd about |grad| / sqrt(2000) ~ 0.05 per coordinate.
    got.forEach((v, j) => assert.ok(Math.abs(v - want[j]) < tol, `${name} coordinate ${j}: ${v} vs ${want[j]}`));
  }
  tf.dispose([x, y]);
  m.dispose();
});

test('SPSA (reference): uniform start inside the ball, Adam steps of about lr, inside the ball and box', () => {
  const m = quadratic([1, 1, 1, 1], [0, 0, 0, 0]);
  const x = tf.tensor2d([[0.5, 0.5, 0.5, 0.5]]);
  const y = tf.tensor1d([0], 'int32');
  // Zero steps: the output is the random start, inside the ball, and not the clean input.
  const s0 = spsa(m, x, y, { eps: 0.1, steps: 1, samples: 2, lr: 1e-9, earlyStop: false, seed: 2 });
  const d0 = lpNorm(s0.sub(x), 'linf').dataSync()[0];
  assert.ok(d0 > 0 && d0 <= 0.1 + 1e-6, `start at distance ${d0}`);
  // Margin q = ||x||^2 falls along -x: Adam's first steps move each coordinate by lr (the normalised step).
  const r = spsa.record(m, x, y, { eps: 0.3, steps: 5, samples: 64, lr: 0.01, randomStart: false, earlyStop: false });
  const moved = Array.from(r.adversarial.sub(x).dataSync());
  moved.forEach((v) => assert.ok(Math.abs(v + 0.05) < 0.005, `moved ${v}, want about -5 lr`));
  assert.equal(r.queries, [6 + 5 * 64]);
  tf.dispose([s0, r.adversarial, x, y]);
  m.dispose();
});

test('NES (reference): signed steps of the rate while the margin falls; plateau annealing shrinks an oscillation', () => {
  const x = tf.tensor2d([[0.5, 0.5]]);
  const y = tf.tensor1d([0], 'int32');
  // Far from the minimum the margin falls every step: 10 signed steps of 0.01, no annealing.
  const far = quadratic([1, 1], [-10, -10]);
  const r = nes.record(far, x, y, { eps: 0.5, steps: 10, samples: 8, lr: 0.01, earlyStop: false });
  Array.from(r.adversarial.sub(x).dataSync()).forEach((v) => assert.ok(Math.abs(v + 0.1) < 1e-5, `moved ${v}`));
  // Near the minimum c the step of 0.01 overshoots and the momentum carries it on: the margin stops falling.
  // With the plateau rule the rate halves and the iterate settles closer to c than without it (drop 1).
  const near = quadratic([1], [0.5037]);
  const x1 = tf.tensor2d([[0.5]]);
  const y1 = tf.tensor1d([0], 'int32');
  const dist = (drop: number) => {
    const a = nes(near, x1, y1, { eps: 0.5, steps: 60, samples: 4, lr: 0.01, plateauDrop: drop, earlyStop: false });
    const d = Math.abs(a.dataSync()[0] - 0.5037);
    a.dispose();
    return d;
  };
  const annealed = dist(2);
  const fixed = dist(1);
  assert.ok(annealed < fixed / 2, `annealed ${annealed} vs fixed rate ${fixed}`);
  tf.dispose([r.adversarial, x, y, x1, y1]);
  far.dispose();
  near.dispose();
});

test('ZOO (reference, l2): every query is a neighbour or the iterate itself; finds small l2 adversarials on an undefended model', () => {
  const before = tf.memory().numTensors;
  // 17 queries per iteration with 8 coordinates: the iterate and 16 neighbours, 30 iterations from a 520 budget.
  const r = zooL2.record(model, X, Y, { queries: 520, coordinates: 8, lr: 0.1, seed: 1 });
  assert.equal(r.queries, new Array(32).fill(30 * 17));
  assert.is(r.eps, null);
  assert.ok(r.success.filter(Boolean).length >= 8, `successes ${r.success.filter(Boolean).length}`);
  // Where it failed, the clean input comes back (norm 0); where it succeeded, a perturbation of finite size.
  r.success.forEach((s, i) => assert.ok(s ? r.perturbationNorm[i] > 1e-3 : r.perturbationNorm[i] < 1e-6, `${i}: ${s} ${r.perturbationNorm[i]}`));
  r.adversarial.dispose();
  assert.is(tf.memory().numTensors, before, 'no leak');
});

test.run();
