import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine, assertClose } from '../helpers/setup';
import { crossEntropy, klDivergence } from '../../lib/losses/crossEntropy';

test.before(engine);

test('cross-entropy reference values', () => {
  // [0, 0] label 1: log 2. [1, 2, 3] label 2: log(e + e^2 + e^3) - 3 = 0.4076059644.
  assertClose(crossEntropy(tf.tensor2d([[0, 0]]), tf.tensor1d([1], 'int32')).dataSync(), [Math.log(2)], 1e-6);
  assertClose(crossEntropy(tf.tensor2d([[1, 2, 3]]), tf.tensor1d([2], 'int32')).dataSync(), [0.4076059644], 1e-6);
});

test('cross-entropy gradient is softmax - onehot', () => {
  const z = tf.tensor2d([[1, 2, 3]]);
  const g = tf.grad((l: tf.Tensor) => crossEntropy(l as tf.Tensor2D, tf.tensor1d([0], 'int32')).sum())(z).dataSync();
  const s = [Math.exp(1), Math.exp(2), Math.exp(3)];
  const t = s[0] + s[1] + s[2];
  assertClose(g, [s[0] / t - 1, s[1] / t, s[2] / t], 1e-6);
});

test('KL divergence: zero for equal inputs, reference value otherwise, nonnegative', () => {
  assertClose(klDivergence(tf.tensor2d([[1, 2]]), tf.tensor2d([[1, 2]])).dataSync(), [0], 1e-6);
  // p = softmax([0, 0]) = [.5, .5]; q = softmax([0, log 3]) = [.25, .75]; KL = .5 log 2 + .5 log(2/3)
  assertClose(klDivergence(tf.tensor2d([[0, 0]]), tf.tensor2d([[0, Math.log(3)]])).dataSync(), [0.5 * Math.log(2) + 0.5 * Math.log(2 / 3)], 1e-6);
  const kl = klDivergence(tf.randomNormal([20, 5], 0, 2, 'float32', 1) as tf.Tensor2D, tf.randomNormal([20, 5], 0, 2, 'float32', 2) as tf.Tensor2D).dataSync();
  assert.ok(Math.min(...kl) >= -1e-6);
});

test.run();
