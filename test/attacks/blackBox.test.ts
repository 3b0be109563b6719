import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine } from '../helpers/setup';
import { trainedHalves, trainedQuadrants } from './trainedModels';
import { spsaRecord, nesRecord, zooRecord } from '../../lib/attacks/blackBox';
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

const acc = (x: tf.Tensor) => tf.tidy(() => model.apply(x).logits.argMax(1).equal(Y).mean().dataSync()[0]);

test('SPSA, NES and ZOO lower the accuracy of an undefended model within their query budget', () => {
  const clean = acc(X);
  const eps = 0.15;
  const runs = {
    spsa: spsaRecord(model, X, Y, { eps, steps: 10, samples: 128 }),
    nes: nesRecord(model, X, Y, { eps, steps: 10, samples: 128 }),
    zoo: zooRecord(model, X, Y, { eps, queries: 1000, coordinates: 16, lr: 0.05 }),
  };
  const budget = { spsa: 11 + 10 * 128, nes: 11 + 10 * 128, zoo: 1000 };
  for (const [name, r] of Object.entries(runs)) {
    const a = acc(r.adversarial);
    assert.ok(a < clean - 0.2, `${name}: ${a} vs clean ${clean}`);
    assert.ok(Math.max(...r.queries) <= budget[name as keyof typeof budget], `${name}: ${Math.max(...r.queries)} queries`);
    // Early stop: a successful example used fewer queries than the whole budget, and every example was queried at least once.
    assert.ok(Math.min(...r.queries) >= 1);
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

test.run();
