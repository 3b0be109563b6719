import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine, assertClose } from '../helpers/setup';
import { mlp } from '../../lib/models/mlp';
import { smallCnn } from '../../lib/models/smallCnn';
import { resnet18, wideResnet } from '../../lib/models/resnet';
import { uniform } from '../../lib/engine/seed';
import { batchNorm } from '../../lib/models/layers';
import { ParamStore } from '../../lib/models/params';

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

test('batch norm in eval mode is (x - running mean) / sqrt(running var + eps) * gamma + beta', () => {
  const p = new ParamStore(0);
  const layer = batchNorm(p, 'bn', 3, { epsilon: 1e-3 });
  const v = p.named();
  v['bn.runningMean'].assign(tf.tensor1d([0.5, -1, 2]));
  v['bn.runningVar'].assign(tf.tensor1d([4, 0.25, 1]));
  v['bn.gamma'].assign(tf.tensor1d([2, -1, 0.5]));
  v['bn.beta'].assign(tf.tensor1d([0.1, 0, -3]));
  const x = uniform([2, 4, 4, 3], -3, 3, 5);
  const before = tf.memory().numTensors;
  const y = tf.tidy(() => layer(x, false));
  assert.is(tf.memory().numTensors, before + 1, 'numTensors');
  const xs = x.dataSync();
  const [m, va, g, b] = [[0.5, -1, 2], [4, 0.25, 1], [2, -1, 0.5], [0.1, 0, -3]];
  const want = Array.from(xs, (xv, i) => ((xv - m[i % 3]) / Math.sqrt(va[i % 3] + 1e-3)) * g[i % 3] + b[i % 3]);
  assertClose(y.dataSync(), want, 1e-5, 1e-5, 'eval batch norm');
  tf.dispose([x, y]);
  p.dispose();
});

test.run();
