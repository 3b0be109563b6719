// The fused training-mode batch norm (ATen's native_batch_norm and its backward) against the composite formula
// on cpu: outputs and batch statistics, first gradients, gradients of gradients (the composite path a recording
// tape takes), a model's running averages after a training-mode pass, and no tensor leak.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { atenBuilt, atenVsCpu, rand, restore, skipReason, useAten } from './common';
import { FUSED_BATCH_NORM, FUSED_BATCH_NORM_GRAD, batchNormTraining } from '../../lib/engine/batchNorm';
import { resnet18 } from '../../lib/models/resnet';

const test = suite('aten fused batch norm');

// Non-zero means and unequal scales per channel, so a wrong axis or a biased/unbiased mix-up shows.
const inputs = (shape: number[]): [tf.Tensor, tf.Tensor1D, tf.Tensor1D] => {
  const c = shape[shape.length - 1];
  const x = rand(shape, 11, -1, 3).mul(tf.linspace(0.5, 2, c));
  return [x, rand([c], 12, 0.5, 1.5) as tf.Tensor1D, rand([c], 13, -0.5, 0.5) as tf.Tensor1D];
};
// [3, 2, 1, 3]: six values per channel, the small end. (With two, dx is zero up to rounding and a relative
// error says nothing.)
const shapes = [[4, 5, 3, 6], [3, 2, 1, 3], [9, 7]];

if (!atenBuilt) {
  console.log(skipReason);
} else {
  test.before(() => useAten());
  test.after(restore);

  test('on aten the op is one fused kernel each way', async () => {
    const [x, g, b] = inputs([4, 5, 3, 6]);
    const p = await tf.profile(() => {
      tf.dispose(tf.grads((xx: tf.Tensor, gg: tf.Tensor) => batchNormTraining(xx, gg as tf.Tensor1D, b, 1e-5).y.sum())([x, g]));
    });
    const names = p.kernels.map((k) => k.name);
    assert.is(names.filter((n) => n === FUSED_BATCH_NORM).length, 1, `forward kernels: ${names.join(', ')}`);
    assert.is(names.filter((n) => n === FUSED_BATCH_NORM_GRAD).length, 1, `gradient kernels: ${names.join(', ')}`);
    assert.not.ok(names.includes('Rsqrt'), `no composite ops expected: ${names.join(', ')}`);
    tf.dispose([x, g, b]);
  });

  test('outputs and batch statistics match the composite formula on cpu', async () => {
    for (const shape of shapes) {
      const e = await atenVsCpu(() => {
        const r = batchNormTraining(...inputs(shape), 1e-3);
        return [r.y, r.mean, r.unbiasedVariance];
      });
      assert.ok(e <= 1e-4, `[${shape}]: relative error ${e}`);
    }
  });

  test('gradients in x, gamma and beta match cpu (a weighted sum, so every output element counts)', async () => {
    for (const shape of shapes) {
      const e = await atenVsCpu(() => {
        const [x, g, b] = inputs(shape);
        const w = rand(shape, 14);
        return tf.grads((xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) =>
          batchNormTraining(xx, gg as tf.Tensor1D, bb as tf.Tensor1D, 1e-5).y.mul(w).sum())([x, g, b]);
      });
      assert.ok(e <= 1e-4, `[${shape}]: relative error ${e}`);
    }
  });

  test('gradients of the squared input-gradient norm (double backprop) match cpu', async () => {
    for (const shape of shapes) {
      const e = await atenVsCpu(() => {
        const [x, g, b] = inputs(shape);
        const w = rand(shape, 15);
        // beta shifts y, so the input gradient depends on it through tanh.
        const penalty = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => {
          const gx = tf.grad((v: tf.Tensor) => batchNormTraining(v, gg as tf.Tensor1D, bb as tf.Tensor1D, 1e-5).y.tanh().mul(w).sum())(xx);
          return gx.square().sum();
        };
        return tf.grads(penalty)([x, g, b]);
      });
      assert.ok(e <= 1e-4, `[${shape}]: relative error ${e}`);
    }
  });

  test('a ResNet-18 training-mode pass updates running averages as on cpu, without leaking tensors', async () => {
    const stats = async (backend: string) => {
      const prev = tf.getBackend();
      await tf.setBackend(backend);
      const m = resnet18({ seed: 3, width: 8 });
      const x = rand([4, 8, 8, 3], 16, 0, 1);
      const before = tf.memory().numTensors;
      for (let i = 0; i < 2; i++) {
        const { value, grads } = tf.variableGrads(() => m.apply(x, { training: true }).logits.square().mean() as tf.Scalar, m.trainableVariables());
        tf.dispose([value, grads]);
      }
      const leaked = tf.memory().numTensors - before;
      const vars = Object.entries(m.namedVariables()).filter(([n]) => n.includes('running')).map(([, v]) => Array.from(v.dataSync()));
      x.dispose();
      m.dispose();
      await tf.setBackend(prev);
      return { leaked, vars };
    };
    const a = await stats('aten');
    const c = await stats('cpu');
    assert.is(a.leaked, 0, 'tensors leaked on aten');
    assert.ok(a.vars.length > 0 && a.vars.length === c.vars.length, 'running statistics found on both');
    let worst = 0;
    for (let k = 0; k < a.vars.length; k++)
      for (let i = 0; i < a.vars[k].length; i++) worst = Math.max(worst, Math.abs(a.vars[k][i] - c.vars[k][i]) / Math.max(1, Math.abs(c.vars[k][i])));
    assert.ok(worst <= 1e-4, `running statistics differ by ${worst}`);
  });
}

test.run();
