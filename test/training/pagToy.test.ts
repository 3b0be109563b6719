// The PAG toy on the [0, 1] convention (appendix C.1) and the Adam trainer it uses.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine, assertClose } from '../helpers/setup';
import { pagToyTensors, pagToyModel, trainAdam, PAG_TOY_SCALE } from '../../lib/training/pagToy';
import { pagToy } from '../../lib/data/toys';
import { standard } from '../../lib/training/standard';
import { mlp } from '../../lib/models/mlp';

test.before(engine);

test('pagToyTensors: u = 0.5 + x / 240 of the paper\'s points, inside [0, 1]', () => {
  const raw = pagToy({ perMode: 10, seed: 3 });
  const t = pagToyTensors({ perMode: 10, seed: 3 });
  assert.equal(t.x.shape, [60, 2]);
  assertClose(t.x.dataSync(), Array.from(raw.x, (v) => 0.5 + v / PAG_TOY_SCALE), 1e-6);
  assert.equal(Array.from(t.y.dataSync()), Array.from(raw.y));
  const [lo, hi] = [t.x.min().dataSync()[0], t.x.max().dataSync()[0]];
  assert.ok(lo > 0 && hi < 1, `range [${lo}, ${hi}]`);
  tf.dispose([t.x, t.y]);
});

test('pagToyModel sees the paper\'s coordinates: same logits as an unnormalised MLP on raw points', () => {
  const m = pagToyModel(5);
  const plain = mlp({ inputShape: [2], hidden: [32], numClasses: 2, seed: 5 });
  const raw = tf.tensor2d([[-50, -100], [10, 20], [30.5, 61]]);
  const u = raw.div(PAG_TOY_SCALE).add(0.5);
  const a = m.apply(u).logits;
  const b = plain.apply(raw).logits;
  assertClose(a.dataSync(), b.dataSync(), 1e-3, 1e-4);
  tf.dispose([raw, u, a, b]);
  m.dispose();
  plain.dispose();
});

test('trainAdam: the loss falls, every tensor is freed', async () => {
  const d = pagToyTensors({ perMode: 50, seed: 0 });
  const m = pagToyModel(0);
  const before = tf.memory().numTensors;
  const losses = await trainAdam(m, d, standard(), { epochs: 5, batchSize: 32 });
  assert.is(losses.length, 5);
  assert.ok(losses[4] < losses[0], `losses ${losses}`);
  assert.is(tf.memory().numTensors, before);
  m.dispose();
  tf.dispose([d.x, d.y]);
});

test.run();
