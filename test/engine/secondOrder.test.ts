// Second derivatives against central finite differences, on the engine's backend and on cpu. TF.js 4.22 records
// the clone of a saved output before the kernel that made it, so without lib/engine/gradients' fix the gradient
// of a gradient through tanh, sigmoid, exp, softmax or pow misses every term through the output, and
// tf.logSoftmax (a custom gradient) cannot be fixed: lib/tensor/ops' logSoftmax replaces it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine } from '../helpers/setup';
import { withBackend } from '../helpers/backends';
import { logSoftmax } from '../../lib/tensor/ops';
import { crossEntropy, klDivergence } from '../../lib/losses/crossEntropy';
import { normal } from '../../lib/engine/seed';

const x0 = [0.3, -0.7, 1.1, 0.05];
const weights = [1, 2, 3, -1.5];

/** d/db of |d/dx sum(w * act(b x))|^2 at b, by autodiff and by a central difference in b. */
function secondOrder(act: (t: tf.Tensor) => tf.Tensor, b: number): [number, number] {
  return tf.tidy(() => {
    const x = tf.tensor1d(x0);
    const w = tf.tensor1d(weights);
    const penalty = (bb: tf.Tensor) => tf.grad((v: tf.Tensor) => act(v.mul(bb)).mul(w).sum())(x).square().sum();
    const auto = tf.grad(penalty)(tf.scalar(b)).dataSync()[0];
    const h = 1e-3;
    const fd = (penalty(tf.scalar(b + h)).dataSync()[0] - penalty(tf.scalar(b - h)).dataSync()[0]) / (2 * h);
    return [auto, fd];
  });
}

const acts: [string, (t: tf.Tensor) => tf.Tensor][] = [
  ['tanh', tf.tanh],
  ['sigmoid', tf.sigmoid],
  ['exp', tf.exp],
  ['softmax', (t) => tf.softmax(t)],
  ['pow', (t) => tf.pow(tf.abs(t).add(0.5), t)],
  ['logSoftmax (lib/tensor/ops)', logSoftmax],
];

test.before(engine);

for (const backend of ['engine', 'cpu']) {
  test(`second derivatives through saved-output gradients match finite differences (${backend})`, async () => {
    await withBackend(backend === 'cpu' ? 'cpu' : tf.getBackend(), () => {
      for (const [name, act] of acts) {
        const [auto, fd] = secondOrder(act, 0.8);
        assert.ok(Math.abs(auto - fd) <= 1e-3 * Math.max(1, Math.abs(fd)), `${name} on ${tf.getBackend()}: autodiff ${auto}, finite difference ${fd}`);
      }
    });
  });
}

test('the gradient of an input-gradient penalty through cross-entropy and KL matches finite differences', () => {
  // A tanh layer and a dense head: every term of the second derivative (through tanh and through the softmax)
  // is non-zero, so a dropped one shows.
  const r = tf.tidy(() => {
    const x = normal([5, 4], 1, 1);
    const w1 = normal([4, 6], 0.7, 2);
    const w2 = normal([6, 3], 0.7, 3);
    const dir = normal([6, 3], 1, 4);
    const y = tf.tensor1d([0, 2, 1, 1, 0], 'int32');
    const logits = (v: tf.Tensor, w: tf.Tensor) => tf.tanh(v.matMul(w1)).matMul(w) as tf.Tensor2D;
    const penalty = (w: tf.Tensor) => {
      const gx = tf.grad((v: tf.Tensor) => crossEntropy(logits(v, w), y).sum().add(klDivergence(logits(v, w), logits(v.mul(0.9), w)).sum()))(x);
      return gx.square().sum();
    };
    const auto = tf.grad(penalty)(w2).mul(dir).sum().dataSync()[0];
    const h = 1e-3;
    const fd = (penalty(w2.add(dir.mul(h))).dataSync()[0] - penalty(w2.sub(dir.mul(h))).dataSync()[0]) / (2 * h);
    return [auto, fd];
  });
  const [auto, fd] = r;
  assert.ok(Math.abs(fd) > 1e-2, `the penalty's directional derivative is not negligible (${fd})`);
  assert.ok(Math.abs(auto - fd) <= 5e-3 * Math.abs(fd), `autodiff ${auto}, finite difference ${fd}`);
});

test.run();
