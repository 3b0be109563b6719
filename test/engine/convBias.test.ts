import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { conv2dBias, CONV2D_BIAS } from '../../lib/engine/convBias';
import { backends, compareWithCpu, withBackend } from '../helpers/backends';
import { engine } from '../helpers/setup';

test.before(engine);

const x = () => tf.randomNormal([2, 7, 9, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
const w = () => tf.randomNormal([3, 3, 3, 8], 0, 0.3, 'float32', 2) as tf.Tensor4D;
const b = () => tf.randomNormal([8], 0, 1, 'float32', 3) as tf.Tensor1D;
const dy = () => tf.randomNormal([2, 7, 9, 8], 0, 1, 'float32', 4);

test('conv2dBias equals conv2d + add, value and gradients, on every backend (same backend: bit for bit; wasm\'s value to rounding)', async () => {
  for (const name of await backends()) {
    await withBackend(name, () => {
      const before = tf.memory().numTensors;
      const [gx, gw, gb] = tf.tidy(() => tf.grads((a: tf.Tensor, f: tf.Tensor, c: tf.Tensor) => conv2dBias(a as tf.Tensor4D, f as tf.Tensor4D, c as tf.Tensor1D, 1, 'same').mul(dy()).sum())([x(), w(), b()]));
      const [hx, hw, hb] = tf.tidy(() => tf.grads((a: tf.Tensor, f: tf.Tensor, c: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, f as tf.Tensor4D, 1, 'same').add(c).mul(dy()).sum())([x(), w(), b()]));
      const y = tf.tidy(() => conv2dBias(x(), w(), b(), 1, 'same'));
      const z = tf.tidy(() => tf.conv2d(x(), w(), 1, 'same').add(b()));
      for (const [what, got, want] of [['value', y, z], ['dx', gx, hx], ['dfilter', gw, hw], ['dbias', gb, hb]] as const) {
        const [g, h] = [Array.from(got.dataSync()), Array.from(want.dataSync())];
        // wasm's XNNPACK starts each output's sum at the bias instead of adding it last: equal to rounding.
        if (name === 'wasm' && what === 'value') g.forEach((v, i) => assert.ok(Math.abs(v - h[i]) <= 1e-6 * (1 + Math.abs(h[i])), `${name}: value ${i}: ${v} vs ${h[i]}`));
        else assert.equal(g, h, `${name}: ${what}`);
      }
      tf.dispose([gx, gw, gb, hx, hw, hb, y, z]);
      assert.is(tf.memory().numTensors, before, `${name}: numTensors`);
    });
  }
});

test('aten runs it as one kernel and agrees with cpu, valid padding and stride 2 included', async () => {
  if (!(await backends()).includes('aten')) return;
  assert.ok(tf.getKernel(CONV2D_BIAS, 'aten'), 'aten registers Conv2DBias');
  for (const [stride, pad] of [[1, 'same'], [2, 'same'], [1, 'valid'], [2, 'valid']] as const) {
    const diff = await compareWithCpu(() => conv2dBias(x(), w(), b(), stride, pad), { atol: 1e-5, rtol: 1e-5, only: ['aten'] });
    for (const [k, lines] of Object.entries(diff)) assert.equal(lines, [], `${k} stride ${stride} ${pad}: ${lines.join('; ')}`);
  }
});

test("an input gradient alone never computes the filter's or the bias's", async () => {
  if (!(await backends()).includes('aten')) return;
  await withBackend('aten', async () => {
    const [xs, ws, bs] = [x(), w(), b()];
    const p = await tf.profile(() => tf.grad((a: tf.Tensor) => conv2dBias(a as tf.Tensor4D, ws, bs, 1, 'same').square().sum())(xs));
    const names = p.kernels.map((k) => k.name);
    assert.ok(names.includes(CONV2D_BIAS) && names.includes('Conv2DBackpropInput'), names.join(' '));
    assert.not.ok(names.includes('Conv2DBackpropFilter'), `filter gradient computed: ${names.join(' ')}`);
    assert.is(names.filter((n) => n === 'Sum').length, 1, `the loss's sum only, no bias gradient: ${names.join(' ')}`);
    tf.dispose([xs, ws, bs]);
  });
});

test('differentiable twice: the gradient of an input-gradient norm matches the composite', async () => {
  for (const name of await backends()) {
    await withBackend(name, () => {
      const second = (f: (a: tf.Tensor4D, c: tf.Tensor4D) => tf.Tensor) =>
        tf.tidy(() => tf.grad((c: tf.Tensor) => tf.grad((a: tf.Tensor) => f(a as tf.Tensor4D, c as tf.Tensor4D).square().sum())(x()).square().sum())(w()));
      const got = second((a, c) => conv2dBias(a, c, b(), 1, 'same'));
      const want = second((a, c) => tf.conv2d(a, c, 1, 'same').add(b()));
      const g = got.dataSync();
      const h = want.dataSync();
      h.forEach((v, i) => assert.ok(Math.abs(g[i] - v) <= 1e-4 * (1 + Math.abs(v)), `${name}: [${i}] ${g[i]} vs ${v}`));
      tf.dispose([got, want]);
    });
  }
});

test('a bias of the wrong length is refused, naming the shapes', () => {
  const [xs, ws] = [x(), w()];
  const bad = tf.zeros([5]) as tf.Tensor1D;
  assert.throws(() => conv2dBias(xs, ws, bad, 1, 'same'), /bias must have shape \[8\].*got \[5\]/);
  tf.dispose([xs, ws, bad]);
});

test.run();
