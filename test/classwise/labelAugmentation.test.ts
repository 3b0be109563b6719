import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine, assertClose } from '../helpers/setup';
import { augmentedLabels, labelAugmentationLoss, softCrossEntropy } from '../../lib/losses/labelAugmentation';
import { firstLogits } from '../../lib/models/firstLogits';
import { labelAugmentedAT } from '../../lib/training/labelAugmentedAT';
import { augmentedPgd } from '../../lib/metrics/augmentedProtocols';
import { outerContext } from '../../lib/training/method';
import { linear } from '../helpers/models';

test.before(engine);

test('augmentedLabels: Eq. 3 puts 1 - delta on the class and delta on K + op', () => {
  const y = tf.tensor1d([1, 0], 'int32');
  const t = augmentedLabels(y, 0, { numClasses: 2, delta: 0.03 });
  assertClose(t.dataSync(), [0, 0.97, 0.03, 0.97, 0, 0.03], 1e-7);
  const t2 = augmentedLabels(y, 1, { numClasses: 2, numOps: 2, delta: 0.1 });
  assertClose(t2.dataSync(), [0, 0.9, 0, 0.1, 0.9, 0, 0, 0.1], 1e-7);
  const clean = augmentedLabels(y, null, { numClasses: 2 });
  assertClose(clean.dataSync(), [0, 1, 0, 1, 0, 0], 0);
  tf.dispose([y, t, t2, clean]);
});

test('labelAugmentationLoss: Eq. 4 on hand values, and equal to (1 - d) CE(z, y) + d CE(z, K)', () => {
  // z = [2, 0, 1], y = 0, K = 2: log-softmax = z - log(e^2 + 1 + e) = [-0.4076059, -2.4076059, -1.4076059];
  // loss = 0.97 * 0.4076059 + 0.03 * 1.4076059 = 0.4376059.
  const z = tf.tensor2d([[2, 0, 1], [0, 0, 0]]);
  const y = tf.tensor1d([0, 1], 'int32');
  const l = labelAugmentationLoss(z, y, 0, { numClasses: 2 });
  assertClose(l.dataSync(), [0.4376059, Math.log(3)], 1e-6);
  const hard = softCrossEntropy(z, tf.oneHot(y, 3).toFloat() as tf.Tensor2D);
  assertClose(hard.dataSync(), [0.4076059, Math.log(3)], 1e-6);
  tf.dispose([z, y, l, hard]);
});

test('labelAugmentationLoss: wrong widths and bad delta are clear errors', () => {
  const z = tf.tensor2d([[2, 0]]);
  const y = tf.tensor1d([0], 'int32');
  assert.throws(() => labelAugmentationLoss(z, y, 0, { numClasses: 2 }), /logits: expected shape \[1, 3\], got \[1, 2\]/);
  assert.throws(() => augmentedLabels(y, 0, { numClasses: 2, delta: 1.5 }), /delta: values must lie in \[0, 1\]/);
  assert.throws(() => augmentedLabels(y, 1, { numClasses: 2 }), /op: labels must be integers in \[0, 0\]/);
  tf.dispose([z, y]);
});

test('firstLogits: predicts with the first K outputs only; shares variables; bad k is an error', () => {
  const m = linear([[1, 0, 5], [0, 1, 5]], { b: [0, 0, 0] });
  const x = tf.tensor2d([[1, 0.2]]);
  const v = firstLogits(m, 2);
  assert.is(v.numClasses, 2);
  const all = m.apply(x).logits;
  const head = v.apply(x).logits;
  assert.equal(all.argMax(1).dataSync()[0], 2);
  assert.equal(Array.from(head.shape), [1, 2]);
  assert.equal(head.argMax(1).dataSync()[0], 0);
  assert.is(v.trainableVariables().length, m.trainableVariables().length);
  assert.throws(() => firstLogits(m, 4), /k: must be an integer in \[1, 3\]/);
  tf.dispose([x, all, head]);
  m.dispose();
});

test('labelAugmentedAT: outer loss is Eq. 4 on the adversarial logits; needs K + 1 outputs', () => {
  const m = linear([[2, 0, 1], [0, 0, 0]], { b: [0, 0, 0] });
  const x = tf.tensor2d([[0, 0]]);
  const xa = tf.tensor2d([[1, 0]]); // logits [2, 0, 1]
  const y = tf.tensor1d([0], 'int32');
  const method = labelAugmentedAT({ numClasses: 2 });
  const v = tf.tidy(() => method.outer(outerContext(m, x, y, xa)).dataSync()[0]);
  assertClose(v, 0.4376059, 1e-6);
  const wrong = linear([[1, 0], [0, 1]], { b: [0, 0] });
  assert.throws(() => method.inner!(wrong, x, y, { seed: 0, epoch: 0 }), /needs a model with 3 outputs/);
  tf.dispose([x, xa, y]);
  m.dispose();
  wrong.dispose();
});

test('augmentedPgd: the strong protocol stays in the box and the ball; the paper protocol is not clipped', () => {
  // logits [5 - 3 x0, 0, x1]: class 0 wins; raising its loss means raising x0, past 1 unless clipped.
  const m = linear([[-3, 0, 0], [0, 0, 1]], { b: [5, 0, 0] });
  const x = tf.tensor2d([[0.995, 0.005], [0.98, 0.995], [0.5, 0.4]]);
  const y = tf.tensor1d([0, 1, 0], 'int32');
  const before = tf.memory().numTensors;
  const strong = augmentedPgd(m, x, y, 2, 'strong', { eps: 0.03, steps: 5, stepSize: 0.01 });
  const paper = augmentedPgd(m, x, y, 2, 'paper', { eps: 0.03, steps: 5, stepSize: 0.01 });
  assert.is(tf.memory().numTensors, before + 2);
  const s = strong.dataSync();
  const p = paper.dataSync();
  const xs = x.dataSync();
  for (let i = 0; i < s.length; i++) {
    assert.ok(s[i] >= 0 && s[i] <= 1 && Math.abs(s[i] - xs[i]) <= 0.03 + 1e-6, `strong ${i}: ${s[i]}`);
    assert.ok(Math.abs(p[i] - xs[i]) <= 0.03 + 1e-6, `paper ${i}: ${p[i]}`);
  }
  assert.ok(p[0] > 1 && p[2] > 1, `paper protocol never left [0, 1]: ${Array.from(p)}`);
  assert.ok(s[0] === 1, `strong protocol should stop x0 at 1: ${s[0]}`);
  tf.dispose([x, y, strong, paper]);
  m.dispose();
});

test.run();
