// wasm's fused training-mode batch norm (lib/engine/wasm/kernels/BatchNorm.ts) against the composite formula on
// cpu: outputs, statistics and gradients on the SIMD path (channels a multiple of 4) and the plain one, with a
// large mean (centring before scaling), gradients of gradients (the composite path a recording tape takes), and
// no leak.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_BATCH_NORM, FUSED_BATCH_NORM_GRAD, batchNormTraining } from '../../lib/engine/batchNorm';
import { backends, dataOn as on, withBackend, withFlags } from '../helpers/backends';
import { engine, relError } from '../helpers/setup';
import { uniform } from '../../lib/engine/seed';

test.before(async () => {
  await engine();
  await backends();
});

// Per-channel offsets and scales, so a wrong axis or a biased/unbiased mix-up shows; `offset` 100 makes the
// mean large against the spread.
const inputs = (shape: number[], offset: number): [tf.Tensor, tf.Tensor1D, tf.Tensor1D] => {
  const c = shape[shape.length - 1];
  const x = uniform(shape, -1, 3, 11).mul(tf.linspace(0.5, 2, c)).add(tf.linspace(offset, 2 * offset, c));
  return [x, uniform([c], 0.5, 1.5, 12) as tf.Tensor1D, uniform([c], -0.5, 0.5, 13) as tf.Tensor1D];
};
const shapes = [[4, 5, 3, 8], [3, 2, 1, 3], [9, 7], [6, 12], [8, 6, 6, 8]]; // the last: two shares of rows in the sums

test('wasm runs one fused kernel each way', async () => {
  if (!(await backends()).includes('wasm')) return;
  await withBackend('wasm', async () => {
    const [x, g, b] = inputs([4, 5, 3, 8], 0);
    const p = await tf.profile(() => {
      tf.dispose(tf.grads((xx: tf.Tensor, gg: tf.Tensor) => batchNormTraining(xx, gg as tf.Tensor1D, b, 1e-5).y.square().sum())([x, g]));
    });
    tf.dispose([x, g, b]);
    const count = (k: string) => p.kernels.filter((q) => q.name === k).length;
    assert.equal([count(FUSED_BATCH_NORM), count(FUSED_BATCH_NORM_GRAD), count('Rsqrt')], [1, 1, 0]);
  });
});

for (const offset of [0, 100])
  test(`outputs, statistics and gradients match the composite on cpu (mean offset ${offset})`, async () => {
    for (const shape of shapes) {
      const f = () => {
        const [x, g, b] = inputs(shape, offset);
        const r = batchNormTraining(x, g, b, 1e-3);
        const dy = uniform(shape, -1, 1, 14);
        const grads = tf.grads((xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => batchNormTraining(xx, gg as tf.Tensor1D, bb as tf.Tensor1D, 1e-3).y.mul(dy).sum())([x, g, b]);
        return [r.y, r.mean, r.unbiasedVariance, ...grads];
      };
      const c = await on('cpu', f);
      // The output and input-gradient passes on this thread, and shared out with the heap workers.
      for (const minBytes of [1 << 30, 0]) {
        const w = await withFlags({ ROBUSTLAB_WASM_SPLIT_MIN_BYTES: minBytes }, () => on('wasm', f));
        w.forEach((v, i) => assert.ok(relError(v, c[i]) <= 1e-4, `[${shape}] offset ${offset}, split from ${minBytes} bytes, output ${i}: rel err ${relError(v, c[i])}`));
      }
    }
  });

test('gradients of gradients (the tape-recorded backward) match cpu', async () => {
  const f = () => {
    const [x, g, b] = inputs([4, 3, 3, 8], 0);
    return [tf.grad((gg: tf.Tensor) => tf.grad((xx: tf.Tensor) => batchNormTraining(xx, gg as tf.Tensor1D, b, 1e-3).y.square().sum())(x).square().sum())(g)];
  };
  const c = await on('cpu', f);
  const w = await on('wasm', f);
  assert.ok(relError(w[0], c[0]) <= 1e-4, `rel err ${relError(w[0], c[0])}`);
});

test('the fused kernels leak neither tensors nor wasm memory', async () => {
  if (!(await backends()).includes('wasm')) return;
  await withBackend('wasm', () => {
    const [x, g, b] = inputs([4, 5, 3, 8], 1);
    const step = () => tf.dispose(tf.grads((xx: tf.Tensor, gg: tf.Tensor) => batchNormTraining(xx, gg as tf.Tensor1D, b, 1e-5).y.square().sum())([x, g]));
    step();
    const [t, ids] = [tf.memory().numTensors, tf.engine().backend.numDataIds()];
    for (let i = 0; i < 3; i++) step();
    assert.equal([tf.memory().numTensors - t, tf.engine().backend.numDataIds() - ids], [0, 0]);
    tf.dispose([x, g, b]);
  });
});

test.run();
