// Gradients, and gradients of gradients (double backprop, as in input-gradient regularisation), through conv,
// dense, ReLU and pooling on aten against cpu; and a small model's input gradient against finite differences.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { atenBuilt, atenVsCpu, rand, randInt, restore, skipReason, useAten } from './common';

const test = suite('aten gradients');

type Act = (x: tf.Tensor) => tf.Tensor;
type Pool = (x: tf.Tensor4D) => tf.Tensor4D;

/** conv 3x3 (8 filters) -> act -> pool 2 -> dense 10, then cross-entropy against fixed labels. */
function loss(x: tf.Tensor, w: tf.Tensor, v: tf.Tensor, act: Act, pool: Pool): tf.Scalar {
  const h = pool(act(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')) as tf.Tensor4D);
  const logits = tf.matMul(h.reshape([x.shape[0], -1]), v);
  const labels = tf.oneHot(randInt([x.shape[0]], 10, 77), 10);
  return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
}

function params(): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return [rand([3, 6, 6, 2], 1, 0, 1), rand([3, 3, 2, 8], 2, -0.5, 0.5), rand([72, 10], 3, -0.3, 0.3)];
}

const acts: [string, Act][] = [['relu', tf.relu], ['tanh', tf.tanh], ['softplus', tf.softplus]];
const pools: [string, Pool][] = [
  ['maxPool', (h) => tf.maxPool(h, 2, 2, 'valid')],
  ['avgPool', (h) => tf.avgPool(h, 2, 2, 'valid')],
];

if (!atenBuilt) {
  console.log(skipReason);
} else {
  test.before(() => useAten());
  test.after(restore);

  test('first gradients of a conv/act/pool/dense model match cpu', async () => {
    for (const [an, act] of acts) {
      for (const [pn, pool] of pools) {
        const e = await atenVsCpu(() => {
          const [x, w, v] = params();
          return tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => loss(a, b, c, act, pool))([x, w, v]);
        });
        assert.ok(e <= 1e-4, `${an} ${pn}: relative error ${e}`);
      }
    }
  });

  test('gradients of the squared input-gradient norm (double backprop) match cpu', async () => {
    for (const [an, act] of acts) {
      for (const [pn, pool] of pools) {
        const e = await atenVsCpu(() => {
          const [x, w, v] = params();
          const penalty = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
            const gx = tf.grad((xx: tf.Tensor) => loss(xx, b, c, act, pool))(a);
            return gx.square().sum();
          };
          return tf.grads(penalty)([x, w, v]);
        });
        assert.ok(e <= 1e-4, `${an} ${pn}: relative error ${e}`);
      }
    }
  });

  test('mean and sum gradients (broadcast on aten) and double backprop through batch-norm moments match cpu', async () => {
    const x = () => rand([3, 4, 5, 6], 4);
    for (const axis of [undefined, 0, [1, 2], [0, 1, 2], -1]) {
      for (const keepDims of [false, true]) {
        const e = await atenVsCpu(() => {
          const w = rand(tf.mean(x(), axis, keepDims).shape, 5);
          return [
            tf.grad((a: tf.Tensor) => tf.mean(a, axis, keepDims).mul(w).sum())(x()),
            tf.grad((a: tf.Tensor) => tf.sum(a, axis, keepDims).mul(w).sum())(x()),
          ];
        });
        assert.ok(e <= 1e-4, `axis ${axis} keepDims ${keepDims}: relative error ${e}`);
      }
    }
    // Batch norm as lib/models/layers.ts trains it; the gradient of its squared input gradient runs the
    // broadcast gradients' own gradients.
    const bn = (h: tf.Tensor, g: tf.Tensor) => {
      const { mean, variance } = tf.moments(h, [0, 1, 2]);
      return h.sub(mean).mul(tf.rsqrt(variance.add(1e-5)).mul(g));
    };
    const e = await atenVsCpu(() => {
      const h = rand([2, 3, 3, 4], 6);
      const g = rand([4], 7, 0.5, 1.5);
      const c = rand([2, 3, 3, 4], 8);
      const penalty = (a: tf.Tensor, b: tf.Tensor) => tf.grad((u: tf.Tensor) => tf.relu(bn(u, b)).mul(c).sum())(a).square().sum();
      return [...tf.grads(penalty)([h, g]), tf.grad((a: tf.Tensor) => tf.sum(a.toInt(), 1).toFloat().sum())(h)];
    });
    assert.ok(e <= 1e-4, `batch-norm double backprop: relative error ${e}`);
    const p = await tf.profile(() => tf.grad((a: tf.Tensor) => a.mean([1, 2]).sum())(rand([2, 3, 3, 4], 9)));
    const names = p.kernels.map((k) => k.name);
    assert.ok(!names.includes('Multiply'), `the mean gradient multiplies by no ones(): ${names.join(' ')}`);
  });

  test('the input gradient matches central finite differences on aten', () => {
    const [x, w, v] = params();
    const f = (xx: tf.Tensor) => loss(xx, w, v, tf.tanh, (h) => tf.avgPool(h, 2, 2, 'valid'));
    const g = tf.grad(f)(x).dataSync();
    const xv = x.dataSync();
    const h = 1e-2;
    for (const i of [0, 17, 45, 100, 200]) {
      const plus = Float32Array.from(xv);
      const minus = Float32Array.from(xv);
      plus[i] += h;
      minus[i] -= h;
      const fd = tf.tidy(() => (f(tf.tensor(plus, x.shape)).dataSync()[0] - f(tf.tensor(minus, x.shape)).dataSync()[0]) / (2 * h));
      assert.ok(Math.abs(fd - g[i]) <= 2e-3 * Math.max(1e-2, Math.abs(g[i])) + 2e-4, `element ${i}: finite difference ${fd} vs gradient ${g[i]}`);
    }
    tf.dispose([x, w, v]);
  });
}

test.run();
