import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine, assertClose } from '../helpers/setup';
import { mlp } from '../../lib/models/mlp';
import { smallCnn } from '../../lib/models/smallCnn';
import { resnet18, wideResnet } from '../../lib/models/resnet';
import { uniform } from '../../lib/engine/seed';

test.before(engine);

test('builders give logits and features of the right shapes', () => {
  const x = uniform([2, 32, 32, 3], 0, 1, 0);
  const cases = [
    [smallCnn({ seed: 1 }), 8 * 8 * 64],
    [smallCnn({ seed: 1, hidden: 20 }), 20],
    [resnet18({ width: 4, seed: 1 }), 32],
    [wideResnet({ depth: 10, widen: 1, seed: 1 }), 64],
  ] as const;
  for (const [m, d] of cases) {
    const f = m.apply(x, { training: false });
    assert.equal(f.logits.shape, [2, 10], m.name);
    assert.equal(f.features.shape, [2, d], m.name);
    m.dispose();
  }
  const v = mlp({ inputShape: [2], hidden: [32], numClasses: 2 });
  assert.equal(v.apply(tf.zeros([5, 2])).logits.shape, [5, 2]);
  v.dispose();
});

test('the same seed gives the same weights; another seed differs', () => {
  const a = smallCnn({ seed: 3 });
  const b = smallCnn({ seed: 3 });
  const c = smallCnn({ seed: 4 });
  const wa = a.trainableVariables()[0].dataSync();
  assertClose(wa, b.trainableVariables()[0].dataSync(), 0);
  assert.not.equal(Array.from(wa.slice(0, 5)), Array.from(c.trainableVariables()[0].dataSync().slice(0, 5)));
  [a, b, c].forEach((m) => m.dispose());
});

test('batch-norm updates running statistics in training mode only', () => {
  const m = resnet18({ width: 4, seed: 0, blocks: [1, 1, 1, 1] });
  const rm = m.namedVariables()['stemBn.runningMean'];
  const before = Array.from(rm.dataSync());
  const x = uniform([4, 32, 32, 3], 0, 1, 5);
  tf.tidy(() => {
    m.apply(x, { training: false });
  });
  assert.equal(Array.from(rm.dataSync()), before);
  tf.tidy(() => {
    m.apply(x, { training: true });
  });
  assert.not.equal(Array.from(rm.dataSync()), before);
  m.dispose();
});

test('input normalisation lives inside the model', () => {
  const a = mlp({ inputShape: [3], hidden: [], numClasses: 2, seed: 1 });
  const b = mlp({ inputShape: [3], hidden: [], numClasses: 2, seed: 1, normalize: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] } });
  const x = tf.tensor2d([[0.75, 0.5, 0.25]]);
  assertClose(b.apply(x).logits.dataSync(), a.apply(tf.tensor2d([[1, 0, -1]])).logits.dataSync(), 1e-5);
  a.dispose();
  b.dispose();
});

test('bad builder arguments fail naming the argument', () => {
  assert.throws(() => smallCnn({ numClasses: 0 }), /numClasses: must be an integer >= 1, got 0/);
  assert.throws(() => wideResnet({ depth: 12 }), /depth: must be 6n \+ 4/);
});

test.run();
