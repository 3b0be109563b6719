// Gradients robustlab registers (dilated conv, Conv2DBackpropFilter) and the gradients the models use (batch
// norm, dense, pooling), on wasm against cpu, against independent formulations and finite differences.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { engine, relError } from '../helpers/setup';
import { backends, dataOn as on } from '../helpers/backends';
import { uniform, normal } from '../../lib/engine/seed';

const close = (a: Float32Array[], b: Float32Array[], tol: number, what: string) =>
  a.forEach((v, i) => {
    assert.is(v.length, b[i].length, `${what} output ${i} length`);
    assert.ok(relError(v, b[i]) <= tol, `${what} output ${i}: rel err ${relError(v, b[i])}`);
  });

test.before(async () => {
  await engine();
  await backends();
});

/** The filter with d-1 zeros between taps: a dilated conv equals a plain conv with it. */
const dilateFilter = (w: tf.Tensor4D, d: number): tf.Tensor4D => {
  const [kh, kw, ci, co] = w.shape;
  const r = w.reshape([kh, 1, kw, 1, ci, co]).pad([[0, 0], [0, d - 1], [0, 0], [0, d - 1], [0, 0], [0, 0]]);
  return r.reshape([kh * d, kw * d, ci, co]).slice([0, 0, 0, 0], [(kh - 1) * d + 1, (kw - 1) * d + 1, ci, co]) as tf.Tensor4D;
};

const dilatedCases = [
  { x: [2, 9, 9, 3], k: 3, co: 4, pad: 'same' },
  { x: [2, 9, 7, 3], k: 3, co: 4, pad: 'valid' },
  { x: [1, 10, 11, 2], k: 2, co: 3, pad: 'same' },
  { x: [2, 12, 12, 2], k: 3, co: 2, pad: [[0, 0], [1, 2], [2, 0], [0, 0]] },
] as const;

for (const c of dilatedCases) {
  test(`dilation-2 conv gradients (x ${c.x}, k ${c.k}, ${JSON.stringify(c.pad)}) match a zero-inserted filter, on wasm and cpu`, async () => {
    const f = (viaDilatedFilter: boolean) => () => {
      const x = uniform([...c.x], -1, 1, 21) as tf.Tensor4D;
      const w = normal([c.k, c.k, c.x[3], c.co], 0.5, 22) as tf.Tensor4D;
      const t = uniform([...c.x.slice(0, 1), 1, 1, c.co], 0, 1, 23);
      const conv = (xx: tf.Tensor, ww: tf.Tensor) =>
        viaDilatedFilter
          ? tf.conv2d(xx as tf.Tensor4D, dilateFilter(ww as tf.Tensor4D, 2), 1, c.pad as 'same')
          : tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, 1, c.pad as 'same', 'NHWC', 2);
      // A weighted square so that dy is neither constant nor symmetric.
      return tf.grads((xx: tf.Tensor, ww: tf.Tensor) => conv(xx, ww).square().mul(t).sum())([x, w]);
    };
    const ref = await on('cpu', f(true));
    close(await on('cpu', f(false)), ref, 1e-4, 'cpu');
    close(await on('wasm', f(false)), ref, 1e-4, 'wasm');
  });
}

test('conv gradients at odd sizes, stride 2, 5x5 filters match the cpu backend', async () => {
  const cases: [number[], number, number, 'same' | 'valid'][] = [[[2, 7, 7, 3], 5, 2, 'same'], [[2, 11, 9, 3], 5, 2, 'valid'], [[3, 5, 5, 4], 3, 2, 'same'], [[1, 6, 6, 2], 1, 1, 'valid']];
  const f = () =>
    cases.flatMap(([shape, k, s, pad], i) => {
      const x = uniform(shape, -1, 1, 30 + i) as tf.Tensor4D;
      const w = normal([k, k, shape[3], 3], 0.5, 40 + i) as tf.Tensor4D;
      return tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, s, pad).square().sum())([x, w]);
    });
  close(await on('wasm', f), await on('cpu', f), 1e-4, 'conv');
});

test('batch-norm gradients (batch statistics and fused inference form) match the cpu backend', async () => {
  const f = () => {
    const x = uniform([4, 5, 5, 6], -1, 2, 50) as tf.Tensor4D;
    const gamma = uniform([6], 0.5, 1.5, 51);
    const beta = uniform([6], -0.5, 0.5, 52);
    const mean = uniform([6], -0.2, 0.2, 53);
    const variance = uniform([6], 0.5, 1.5, 54);
    const t = uniform([4, 5, 5, 6], 0, 1, 55);
    const train = (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const m = tf.moments(xx, [0, 1, 2]);
      return xx.sub(m.mean).mul(tf.rsqrt(m.variance.add(1e-5)).mul(g)).add(b).square().mul(t).sum();
    };
    const fused = (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.batchNorm(xx as tf.Tensor4D, mean, variance, b, g, 1e-3).square().mul(t).sum();
    return [...tf.grads(train)([x, gamma, beta]), ...tf.grads(fused)([x, gamma, beta])];
  };
  const w = await on('wasm', f);
  w.forEach((v) => assert.ok(Math.max(...Array.from(v).map(Math.abs)) > 1e-3, 'gradient is not trivially zero'));
  close(w, await on('cpu', f), 1e-4, 'batch norm');
});

test('dense-layer gradients (matMul + bias, all transpose flags) match the cpu backend', async () => {
  const f = () => {
    const x = uniform([16, 33], -1, 1, 60) as tf.Tensor2D;
    const w = normal([33, 10], 0.3, 61) as tf.Tensor2D;
    const b = uniform([10], -1, 1, 62);
    const dense = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.relu(tf.matMul(xx as tf.Tensor2D, ww as tf.Tensor2D).add(bb)).square().sum())([x, w, b]);
    // The same product with materialised transposes under each flag: wasm routes these through its own path.
    const flags = ([[false, true], [true, false], [true, true]] as const).flatMap(([ta, tb]) =>
      tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.matMul(p as tf.Tensor2D, q as tf.Tensor2D, ta, tb).square().sum())([ta ? x.transpose() : x, tb ? w.transpose() : w]),
    );
    return [...dense, ...flags];
  };
  close(await on('wasm', f), await on('cpu', f), 1e-4, 'dense');
});

/** A small net with every layer type whose second derivative the papers need. */
const net = (w1: tf.Tensor4D, w2: tf.Tensor2D, conv: 'stride2' | 'dilated', pool: 'max' | 'avg') => (x: tf.Tensor) => {
  let h = conv === 'stride2' ? tf.conv2d(x as tf.Tensor4D, w1, 2, 'same') : tf.conv2d(x as tf.Tensor4D, w1, 1, 'same', 'NHWC', 2);
  h = tf.relu(h);
  if (conv === 'dilated') h = pool === 'max' ? tf.maxPool(h as tf.Tensor4D, 2, 2, 'valid') : tf.avgPool(h as tf.Tensor4D, 2, 2, 'valid');
  else h = pool === 'max' ? tf.maxPool(h as tf.Tensor4D, 2, 2, 'same') : tf.avgPool(h as tf.Tensor4D, 2, 2, 'same');
  return tf.matMul(h.reshape([2, -1]) as tf.Tensor2D, w2).square().sum();
};
const gradNormSq = (f: (x: tf.Tensor) => tf.Tensor) => (x: tf.Tensor) => tf.grad(f)(x).square().sum();

for (const conv of ['stride2', 'dilated'] as const)
  for (const pool of ['max', 'avg'] as const) {
    test(`grad of grad through ${conv} conv, ${pool} pool, dense and ReLU: wasm = cpu, and = finite differences`, async () => {
      const make = () => {
        const x = uniform([2, 8, 8, 3], 0, 1, 70) as tf.Tensor4D;
        const w1 = normal([3, 3, 3, 4], 0.4, 71) as tf.Tensor4D;
        const w2 = normal([conv === 'stride2' ? 2 * 2 * 4 : 4 * 4 * 4, 3], 0.3, 72) as tf.Tensor2D;
        const v = normal([2, 8, 8, 3], 1, 73);
        return { x, v, g: gradNormSq(net(w1, w2, conv, pool)) };
      };
      // The second derivative along v, and the central difference of the first along v.
      const f = () => {
        const { x, v, g } = make();
        // Inside one linear piece of ReLU/max the objective is quadratic, where central differences are exact;
        // a small step keeps the two points in one piece.
        const h = 1e-3;
        const analytic = tf.grad(g)(x).mul(v).sum();
        const numeric = g(x.add(v.mul(h))).sub(g(x.sub(v.mul(h)))).div(2 * h);
        return [tf.grad(g)(x), analytic, numeric];
      };
      const w = await on('wasm', f);
      const c = await on('cpu', f);
      assert.ok(Math.max(...Array.from(w[0]).map(Math.abs)) > 0, 'second derivative is not identically zero');
      close([w[0]], [c[0]], 1e-4, 'wasm vs cpu');
      // g is piecewise quartic in x; kinks are rare at this step, float32 differences limit the match.
      const [a, n] = [w[1][0], w[2][0]];
      assert.ok(Math.abs(a - n) <= 2e-2 * Math.max(Math.abs(n), 1e-3), `analytic ${a} vs finite difference ${n}`);
    });
  }

test('gradient of a filter gradient (Conv2DBackpropFilter) matches cpu and finite differences', async () => {
  const f = () => {
    const x = uniform([2, 7, 7, 3], -1, 1, 80) as tf.Tensor4D;
    const w = normal([3, 3, 3, 4], 0.4, 81) as tf.Tensor4D;
    const v = normal([2, 7, 7, 3], 1, 82);
    // ||dL/dW||^2 as a function of x: the gradient norm penalty on parameters.
    const g = (xx: tf.Tensor) => tf.grad((ww: tf.Tensor) => tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, 2, 'same').square().sum())(w).square().sum();
    const h = 1e-2;
    const dg = tf.grad(g)(x);
    return [dg, dg.mul(v).sum(), g(x.add(v.mul(h))).sub(g(x.sub(v.mul(h)))).div(2 * h)];
  };
  const w = await on('wasm', f);
  const c = await on('cpu', f);
  close([w[0]], [c[0]], 1e-4, 'wasm vs cpu');
  // g is a smooth quartic here; float32 differences agree to ~5e-4.
  assert.ok(Math.abs(w[1][0] - w[2][0]) <= 2e-3 * Math.abs(w[2][0]), `analytic ${w[1][0]} vs finite difference ${w[2][0]}`);
});

test('registered gradients leak no tensors', async () => {
  await tf.setBackend('wasm');
  const x = uniform([2, 9, 9, 3], 0, 1, 90) as tf.Tensor4D;
  const w = normal([3, 3, 3, 4], 0.4, 91) as tf.Tensor4D;
  const step = () => tf.tidy(() => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same', 'NHWC', 2).square().sum())([x, w]).map((t) => t.sum()));
  tf.dispose(step());
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) tf.dispose(step());
  assert.is(tf.memory().numTensors, before);
  tf.dispose([x, w]);
});

test.run();
