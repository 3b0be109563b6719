// robustlab's wasm kernels against the cpu backend (relative error <= 1e-4), including second derivatives.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { engine, relError } from '../helpers/setup';
import { registerWasmKernels } from '../../lib/engine/wasm';
import { uniform, normal } from '../../lib/engine/seed';

const on = async (backend: string, f: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> => {
  const prev = tf.getBackend();
  await tf.setBackend(backend);
  try {
    const out = tf.tidy(f);
    const arr = Array.isArray(out) ? out : [out];
    const data = arr.map((t) => t.dataSync() as Float32Array);
    tf.dispose(arr);
    return data;
  } finally {
    await tf.setBackend(prev);
  }
};

test.before(async () => {
  await engine();
  registerWasmKernels();
});

const convCases = [
  { x: [2, 9, 9, 3], k: 3, co: 4, s: 1, pad: 'same' },
  { x: [2, 9, 9, 3], k: 3, co: 4, s: 1, pad: 'valid' },
  { x: [3, 8, 8, 4], k: 3, co: 5, s: 2, pad: 'same' },
  { x: [3, 9, 7, 4], k: 3, co: 5, s: 2, pad: 'valid' },
  { x: [2, 8, 8, 4], k: 1, co: 6, s: 2, pad: 'same' },
  { x: [2, 11, 11, 2], k: 5, co: 3, s: 1, pad: 'same' },
] as const;

for (const c of convCases) {
  test(`conv2d gradients (x ${c.x}, k ${c.k}, stride ${c.s}, ${c.pad}) match the cpu backend`, async () => {
    const f = () => {
      const x = uniform([...c.x], -1, 1, 1) as tf.Tensor4D;
      const w = normal([c.k, c.k, c.x[3], c.co], 0.5, 2) as tf.Tensor4D;
      const loss = (xx: tf.Tensor, ww: tf.Tensor) => tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, c.s, c.pad).square().sum();
      return tf.grads(loss)([x, w]);
    };
    const [wx, ww] = await on('wasm', f);
    const [cx, cw] = await on('cpu', f);
    assert.ok(relError(wx, cx) <= 1e-4, `dx rel err ${relError(wx, cx)}`);
    assert.ok(relError(ww, cw) <= 1e-4, `dw rel err ${relError(ww, cw)}`);
  });
}

test('matMul with transposed operands and its gradients match the cpu backend', async () => {
  const f = () => {
    const a = uniform([7, 5], -1, 1, 3);
    const b = uniform([6, 5], -1, 1, 4);
    const c = uniform([2, 5, 7], -1, 1, 5);
    const d = uniform([2, 5, 3], -1, 1, 6);
    const g = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.matMul(p as tf.Tensor2D, q as tf.Tensor2D, false, true).square().sum())([a, b]);
    return [tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, false, true), tf.matMul(c as tf.Tensor3D, d as tf.Tensor3D, true, false), ...g];
  };
  const w = await on('wasm', f);
  const c = await on('cpu', f);
  w.forEach((v, i) => assert.ok(relError(v, c[i]) <= 1e-4, `output ${i} rel err ${relError(v, c[i])}`));
});

test('double backprop through conv, max/avg pooling, dense and ReLU matches the cpu backend', async () => {
  // grad_x of ||grad_x L||^2: the PAG-style objective needs the gradient of an input gradient.
  const f = () => {
    const x = uniform([2, 8, 8, 3], 0, 1, 7) as tf.Tensor4D;
    const w1 = normal([3, 3, 3, 4], 0.4, 8) as tf.Tensor4D;
    const w2 = normal([4 * 4 * 4, 3], 0.3, 9) as tf.Tensor2D;
    const net = (xx: tf.Tensor, pool: 'max' | 'avg') => {
      let h = tf.relu(tf.conv2d(xx as tf.Tensor4D, w1, 1, 'same'));
      h = pool === 'max' ? tf.maxPool(h as tf.Tensor4D, 2, 2, 'valid') : tf.avgPool(h as tf.Tensor4D, 2, 2, 'valid');
      return tf.matMul(h.reshape([2, -1]) as tf.Tensor2D, w2).square().sum();
    };
    return (['max', 'avg'] as const).map((p) => tf.grad((xx: tf.Tensor) => tf.grad((z: tf.Tensor) => net(z, p))(xx).square().sum())(x));
  };
  const w = await on('wasm', f);
  const c = await on('cpu', f);
  w.forEach((v, i) => {
    assert.ok(Math.max(...Array.from(v).map(Math.abs)) > 0, 'second derivative is not identically zero');
    assert.ok(relError(v, c[i]) <= 1e-4, `pool ${i} rel err ${relError(v, c[i])}`);
  });
});

test('max pooling gradients (ties, padding, overlapping windows) and leading-axis sums match the cpu backend', async () => {
  const f = () => {
    // Values on a coarse grid make ties inside windows common; ties go to the first arg-max as on cpu.
    const x = uniform([2, 7, 9, 3], 0, 1, 11).mul(4).floor() as tf.Tensor4D;
    const cases: [number, number, 'valid' | 'same'][] = [[2, 2, 'valid'], [3, 2, 'same'], [3, 1, 'valid'], [2, 2, 'same']];
    const grads = cases.map(([k, s, p]) => tf.grad((z: tf.Tensor) => tf.maxPool(z as tf.Tensor4D, k, s, p).mul(tf.range(1, 2 + 0 * k)).square().sum())(x));
    const big = uniform([3, 5, 4, 6], -1, 1, 12);
    return [...grads, big.sum([0, 1, 2]), big.sum([0, 1], true), big.sum([0]), big.sum([1, 2])];
  };
  const w = await on('wasm', f);
  const c = await on('cpu', f);
  w.forEach((v, i) => assert.ok(relError(v, c[i]) <= 1e-4, `output ${i} rel err ${relError(v, c[i])}`));
});

test('the fast kernels leak no backend memory', async () => {
  await tf.setBackend('wasm');
  const x = uniform([2, 8, 8, 3], 0, 1, 1) as tf.Tensor4D;
  const w = normal([3, 3, 3, 4], 0.4, 2) as tf.Tensor4D;
  const step = () => tf.tidy(() => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same').sum())([x, w]).map((t) => t.sum()));
  tf.dispose(step());
  const before = tf.memory();
  for (let i = 0; i < 5; i++) tf.dispose(step());
  const after = tf.memory();
  assert.is(after.numTensors, before.numTensors);
  assert.is(after.numDataBuffers, before.numDataBuffers);
  tf.dispose([x, w]);
});

test.run();
