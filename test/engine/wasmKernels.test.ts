// robustlab's wasm kernels against the cpu backend (relative error <= 1e-4), including second derivatives.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { engine, relError } from '../helpers/setup';
import { backends, dataOn as on, withFlags } from '../helpers/backends';
import { uniform, normal } from '../../lib/engine/seed';
import { conv2dBias } from '../../lib/engine/convBias';
import { heapSimd } from '../../lib/engine/wasm/simd';
import { heapOffset, type WasmBackend } from '../../lib/engine/wasm/kernels/heap';

test.before(async () => {
  await engine();
  await backends();
});

const convCases = [
  { x: [2, 9, 9, 3], k: 3, co: 4, s: 1, pad: 'same' },
  { x: [2, 9, 9, 3], k: 3, co: 4, s: 1, pad: 'valid' },
  { x: [3, 8, 8, 4], k: 3, co: 5, s: 2, pad: 'same' },
  { x: [3, 9, 7, 4], k: 3, co: 5, s: 2, pad: 'valid' },
  { x: [2, 8, 8, 4], k: 1, co: 6, s: 2, pad: 'same' },
  { x: [2, 11, 11, 2], k: 5, co: 3, s: 1, pad: 'same' },
  { x: [2, 7, 10, 3], k: 3, co: 5, s: 1, pad: 'same' },
  { x: [2, 10, 7, 3], k: 4, co: 5, s: 2, pad: 'same' },
  // Channel counts that are multiples of 4: the SIMD filter transpose and im2col paths.
  { x: [2, 8, 8, 8], k: 3, co: 12, s: 1, pad: 'same' },
  { x: [3, 9, 9, 4], k: 3, co: 8, s: 2, pad: 'same' },
] as const;

for (const c of convCases) {
  test(`conv2d gradients (x ${c.x}, k ${c.k}, stride ${c.s}, ${c.pad}) match the cpu backend`, async () => {
    const f = () => {
      const x = uniform([...c.x], -1, 1, 1) as tf.Tensor4D;
      const w = normal([c.k, c.k, c.x[3], c.co], 0.5, 2) as tf.Tensor4D;
      const loss = (xx: tf.Tensor, ww: tf.Tensor) => tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, c.s, c.pad).square().sum();
      return tf.grads(loss)([x, w]);
    };
    const [cx, cw] = await on('cpu', f);
    // Input gradients both as convolutions (polyphase for strides) and, for few channels, as product + col2im.
    for (const maxChannels of [0, 4]) {
      const [wx, ww] = await withFlags({ ROBUSTLAB_WASM_COL2IM_MAX_CHANNELS: maxChannels }, () => on('wasm', f));
      assert.ok(relError(wx, cx) <= 1e-4, `dx rel err ${relError(wx, cx)} (col2im up to ${maxChannels} channels)`);
      assert.ok(relError(ww, cw) <= 1e-4, `dw rel err ${relError(ww, cw)}`);
    }
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

/** relError over the finite entries, and the NaN entries of a and b in the same places. */
const relErrorNaN = (a: Float32Array, b: Float32Array): number => {
  for (let i = 0; i < a.length; i++) if (Number.isNaN(a[i]) !== Number.isNaN(b[i])) return Infinity;
  return relError(a.map((v) => (Number.isNaN(v) ? 0 : v)), b.map((v) => (Number.isNaN(v) ? 0 : v)));
};

test('filter gradients in every mode and chunking (stride, padding, 1x1, partial last chunk) match the cpu backend', async () => {
  const cases = [
    { x: [5, 8, 8, 4], k: 3, co: 8, s: 1, pad: 'same' },
    { x: [5, 9, 7, 3], k: 3, co: 6, s: 2, pad: 'valid' },
    { x: [5, 8, 8, 8], k: 1, co: 4, s: 2, pad: 'same' },
    { x: [3, 10, 10, 2], k: 5, co: 3, s: 1, pad: 'same' },
  ] as const;
  const f = () =>
    cases.map((c, i) => {
      const x = uniform([...c.x], -1, 1, 20 + i) as tf.Tensor4D;
      const w = normal([c.k, c.k, c.x[3], c.co], 0.5, 30 + i) as tf.Tensor4D;
      return tf.grad((ww: tf.Tensor) => tf.conv2d(x, ww as tf.Tensor4D, c.s, c.pad).square().sum())(w);
    });
  const cpu = await on('cpu', f);
  // 1 byte per chunk: one image per product; 1 MiB: the whole batch in one.
  for (const [mode, chunkBytes] of [['gemm', 1], ['gemm', 3 * 8 * 8 * 8 * 4], ['gemm', 1 << 20], ['conv', 256 << 10]] as const) {
    const w = await withFlags({ ROBUSTLAB_WASM_FILTER_GRAD: mode, ROBUSTLAB_WASM_DW_CHUNK: chunkBytes }, () => on('wasm', f));
    w.forEach((v, i) => assert.ok(relError(v, cpu[i]) <= 1e-4, `${mode}/${chunkBytes} case ${i} rel err ${relError(v, cpu[i])}`));
  }
});

test('direct filter gradients (SIMD tiles, image shares, heap workers) match the cpu backend at every share and chunk split', async () => {
  const cases = [
    { x: [5, 8, 8, 3], k: 3, co: 8, s: 1, pad: 'same' }, // 9 taps per kernel row: tiles of 4, 4, 1
    { x: [3, 9, 7, 5], k: 3, co: 16, s: 2, pad: 'valid' }, // 15 taps: 4, 4, 4, 3; two column blocks
    { x: [4, 8, 8, 8], k: 1, co: 8, s: 2, pad: 'same' },
    { x: [2, 10, 10, 2], k: 5, co: 8, s: 1, pad: 'same' },
    { x: [1, 6, 6, 4], k: 3, co: 24, s: 1, pad: 'same' }, // one image: one share
    { x: [3, 7, 9, 4], k: 3, co: 8, s: 2, pad: 'same' },
    { x: [2, 6, 5, 4], k: 3, co: 8, s: 1, pad: [[0, 0], [2, 0], [0, 1], [0, 0]] },
  ] as const;
  const f = () =>
    cases.map((c, i) => {
      const x = uniform([...c.x], -1, 1, 60 + i) as tf.Tensor4D;
      const w = normal([c.k, c.k, c.x[3], c.co], 0.5, 70 + i) as tf.Tensor4D;
      return tf.grad((ww: tf.Tensor) => tf.conv2d(x, ww as tf.Tensor4D, c.s, c.pad as 'same').square().sum())(w);
    });
  const cpu = await on('cpu', f);
  // 1 byte per chunk: one image per chunk; 1, 2 and 3 shares (odd splits of 5 images).
  const direct = { ROBUSTLAB_WASM_FILTER_GRAD: 'direct', ROBUSTLAB_WASM_WINOGRAD_MIN_FILTER_GRAD_CHANNELS: 1 << 30 };
  for (const shares of [1, 2, 3])
    for (const chunk of [1, 256 << 10]) {
      const w = await withFlags({ ...direct, ROBUSTLAB_WASM_DW_SHARES: shares, ROBUSTLAB_WASM_DW_CHUNK: chunk }, () => on('wasm', f));
      w.forEach((v, i) => assert.ok(relError(v, cpu[i]) <= 1e-4, `${shares} shares, chunk ${chunk}: case ${i} rel err ${relError(v, cpu[i])}`));
    }
  // Without heap workers the calling thread runs every share: the same bits.
  const withWorkers = await withFlags({ ...direct, ROBUSTLAB_WASM_HEAP_WORKERS: true }, () => on('wasm', f));
  const without = await withFlags({ ...direct, ROBUSTLAB_WASM_HEAP_WORKERS: false }, () => on('wasm', f));
  withWorkers.forEach((v, i) => assert.equal(Array.from(v), Array.from(without[i]), `case ${i}: with and without heap workers`));
});

test('the direct filter gradient frees what it allocates', async () => {
  await withFlags({ ROBUSTLAB_WASM_FILTER_GRAD: 'direct' }, async () => {
    const prev = tf.getBackend();
    await tf.setBackend('wasm');
    try {
      const x = uniform([4, 8, 8, 4], -1, 1, 1) as tf.Tensor4D;
      const dy = uniform([4, 8, 8, 8], -1, 1, 2) as tf.Tensor4D;
      const run = () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 4, 8] } as never) as tf.Tensor;
      run().dispose();
      const before = tf.engine().backend.numDataIds();
      for (let i = 0; i < 3; i++) run().dispose();
      assert.is(tf.engine().backend.numDataIds(), before, 'wasm data ids after 3 more calls');
      tf.dispose([x, dy]);
    } finally {
      await tf.setBackend(prev);
    }
  });
});

/** Flags that send every 3x3 stride-1 layer with channels a multiple of 4 through Winograd. */
const WINOGRAD_EVERYWHERE = { ROBUSTLAB_WASM_SPLIT_MIN_BYTES: 0, ROBUSTLAB_WASM_WINOGRAD: true, ROBUSTLAB_WASM_WINOGRAD_F4: true, ROBUSTLAB_WASM_WINOGRAD_MIN_CHANNELS: 0, ROBUSTLAB_WASM_WINOGRAD_MIN_FILTER_GRAD_CHANNELS: 0 };

test('Winograd 3x3 convolutions, their input gradients and Winograd filter gradients (odd sizes, padding, chunks) match the cpu backend', async () => {
  const cases = [
    { x: [3, 8, 8, 8], co: 4, pad: 'same' },
    { x: [2, 7, 9, 4], co: 8, pad: 'same' },
    { x: [2, 7, 6, 4], co: 12, pad: 'valid' },
    { x: [2, 5, 5, 8], co: 8, pad: [[0, 0], [2, 0], [0, 1], [0, 0]] },
    { x: [1, 3, 3, 4], co: 4, pad: 'valid' },
    { x: [2, 10, 11, 4], co: 8, pad: 'same' }, // F(4x4) tiles cut by the border on both axes
    { x: [1, 13, 9, 8], co: 4, pad: 'valid' },
    { x: [3, 9, 8, 12], co: 16, pad: 'same' }, // filter gradient planes and image transforms split 3 ways
  ] as const;
  const f = () =>
    cases.flatMap((c, i) => {
      const x = uniform([...c.x], -1, 1, 40 + i) as tf.Tensor4D;
      const w = normal([3, 3, c.x[3], c.co], 0.5, 50 + i) as tf.Tensor4D;
      const y = tf.conv2d(x, w, 1, c.pad as 'same');
      const yb = conv2dBias(x, w, uniform([c.co], -2, 2, 60 + i) as tf.Tensor1D, 1, c.pad === 'valid' ? 'valid' : 'same');
      const loss = (z: tf.Tensor, v: tf.Tensor) => tf.conv2d(z as tf.Tensor4D, v as tf.Tensor4D, 1, c.pad as 'same').square().sum();
      return [y, yb, ...tf.grads(loss)([x, w])];
    });
  const cpu = await on('cpu', f);
  // One image per chunk (a partial chunk count) and the whole batch in one; F(2x2, 3x3) and F(4x4, 3x3); the
  // fused form (output channels a multiple of 8) with blocks of a few tile rows and of several images.
  const runs = [
    ...[1, 64 << 20].flatMap((chunk) => [0, Infinity].map((f4) => ({ ROBUSTLAB_WASM_WINOGRAD_FUSED: false, ROBUSTLAB_WASM_WINOGRAD_CHUNK: chunk, ROBUSTLAB_WASM_WINOGRAD_F4_MIN_TILES: f4 }))),
    ...[1, 384 << 10].flatMap((block) => [0, Infinity].map((f4) => ({ ROBUSTLAB_WASM_WINOGRAD_FUSED: true, ROBUSTLAB_WASM_WINOGRAD_BLOCK_BYTES: block, ROBUSTLAB_WASM_WINOGRAD_F4_MIN_TILES: f4 }))),
  ];
  for (const flags of runs) {
    const w = await withFlags({ ...WINOGRAD_EVERYWHERE, ...flags }, () => on('wasm', f));
    w.forEach((v, i) => assert.ok(relError(v, cpu[i]) <= 1e-4, `${JSON.stringify(flags)}: output ${i} rel err ${relError(v, cpu[i])}`));
  }
});

test('fused Winograd convolutions and filter gradients give the same bits with and without the heap workers, whatever the block size', async () => {
  const f = () => {
    const x = uniform([5, 12, 12, 8], -1, 1, 70) as tf.Tensor4D;
    const w = normal([3, 3, 8, 16], 0.5, 71) as tf.Tensor4D;
    const dw = tf.grad((v: tf.Tensor) => tf.conv2d(x, v as tf.Tensor4D, 1, 'same').square().sum())(w);
    return [tf.conv2d(x, w, 1, 'same'), conv2dBias(x, w, uniform([16], -1, 1, 72) as tf.Tensor1D, 1, 'valid'), dw];
  };
  // The convolutions do not depend on the blocks either; the filter gradient's sums follow them (block sizes
  // come from the shapes and flags, never from the thread count).
  for (const f4 of [0, Infinity]) {
    const flags = { ...WINOGRAD_EVERYWHERE, ROBUSTLAB_WASM_WINOGRAD_FUSED: true, ROBUSTLAB_WASM_WINOGRAD_F4_MIN_TILES: f4 };
    const first = await withFlags({ ...flags, ROBUSTLAB_WASM_HEAP_WORKERS: false }, () => on('wasm', f));
    for (const block of [1, 40 << 10, 384 << 10]) {
      const without = await withFlags({ ...flags, ROBUSTLAB_WASM_HEAP_WORKERS: false, ROBUSTLAB_WASM_WINOGRAD_BLOCK_BYTES: block }, () => on('wasm', f));
      const withWorkers = await withFlags({ ...flags, ROBUSTLAB_WASM_HEAP_WORKERS: true, ROBUSTLAB_WASM_WINOGRAD_BLOCK_BYTES: block }, () => on('wasm', f));
      withWorkers.forEach((v, i) => assert.equal(Array.from(v), Array.from(without[i]), `F(${f4 ? 2 : 4}), blocks of ${block} bytes: output ${i}`));
      [0, 1].forEach((i) => assert.equal(Array.from(without[i]), Array.from(first[i]), `F(${f4 ? 2 : 4}), blocks of ${block} bytes: convolution ${i} moved`));
    }
  }
});

test('the plane products (simd.ts planeProducts, planeProductsAdd) with padded strides equal a float64 reference to float32 rounding', async () => {
  await tf.setBackend('wasm');
  const backend = tf.backend() as unknown as WasmBackend;
  const simd = heapSimd(backend)!;
  const [planes, rows, K, cols] = [3, 8, 5, 16];
  // A_p^T's column k at p*aPlane + k*aK, U_p at p*uPlane, M_p at p*mPlane: every stride padded past the dense one.
  const [aK, aPlane, uPlane, mPlane] = [(planes * rows + 3) * 4, (rows + 1) * 4, (K * cols + 8) * 4, (rows * cols + 4) * 4];
  const a = uniform([planes * aPlane + K * aK], -1, 1, 80);
  const u = uniform([planes * uPlane], -1, 1, 81);
  const m0 = uniform([planes * mPlane], -1, 1, 82);
  const [av, uv, mv] = await Promise.all([a.data(), u.data(), m0.data()]);
  const expect = (acc: boolean) => {
    const out = Float64Array.from(mv);
    for (let p = 0; p < planes; p++)
      for (let r = 0; r < rows; r++)
        for (let c = 0; c < cols; c++) {
          let sum = acc ? mv[(p * mPlane) / 4 + r * cols + c] : 0;
          for (let k = 0; k < K; k++) sum += av[(p * aPlane + k * aK) / 4 + r] * uv[(p * uPlane) / 4 + k * cols + c];
          out[(p * mPlane) / 4 + r * cols + c] = sum;
        }
    return out;
  };
  for (const acc of [false, true]) {
    const m = tf.tensor1d(mv); // its own buffer (a clone would share m0's, and the products write in place)
    (acc ? simd.planeProductsAdd : simd.planeProducts)(heapOffset(backend, a), heapOffset(backend, u), heapOffset(backend, m), planes, rows, K, cols, aK, aPlane, uPlane, mPlane);
    const got = await m.data();
    const want = expect(acc);
    // Padding between the planes of M is left as it was.
    for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - want[i]) <= 1e-5 * (1 + Math.abs(want[i])), `${acc ? 'planeProductsAdd' : 'planeProducts'} [${i}]: ${got[i]} vs ${want[i]}`);
    m.dispose();
  }
  tf.dispose([a, u, m0]);
});

test('2x2 max-pool gradients on the SIMD path (channels a multiple of 4; ties, NaN, odd borders) match the cpu backend', async () => {
  const f = () => {
    const grid = uniform([2, 7, 9, 8], 0, 1, 13).mul(3).floor();
    // A few NaNs: the first number of a window wins over a leading NaN, as on cpu.
    const nanMask = uniform([2, 7, 9, 8], 0, 1, 14).less(0.05);
    const x = tf.where(nanMask, tf.fill(grid.shape as [number, number, number, number], NaN), grid) as tf.Tensor4D;
    const g = uniform([2, 3, 4, 8], -1, 1, 15) as tf.Tensor4D;
    const pooled = tf.maxPool(x, 2, 2, 'valid');
    const dx = tf.engine().runKernel('MaxPoolGrad', { dy: g, input: x, output: pooled }, { filterSize: 2, strides: 2, pad: 'valid' } as unknown as tf.NamedAttrMap) as tf.Tensor;
    return [dx, tf.grad((z: tf.Tensor) => tf.maxPool(z as tf.Tensor4D, 2, 2, 'same').mul(tf.range(1, 9)).square().sum())(grid)];
  };
  const c = await on('cpu', f);
  // Window rows on this thread only, and shared out with the heap workers whatever the size.
  for (const minBytes of [1 << 30, 0]) {
    const w = await withFlags({ ROBUSTLAB_WASM_SPLIT_MIN_BYTES: minBytes }, () => on('wasm', f));
    w.forEach((v, i) => assert.ok(relErrorNaN(v, c[i]) <= 1e-4, `split from ${minBytes} bytes: output ${i} rel err ${relErrorNaN(v, c[i])}`));
  }
});

test('the fused ReLU gradient (NaN, zeros, odd sizes) and its own gradient match the cpu backend', async () => {
  const f = () => {
    const base = uniform([3, 5, 7], -1, 1, 16).mul(2).round().div(2); // exact zeros among the values
    const x = tf.where(uniform([3, 5, 7], 0, 1, 17).less(0.05), tf.fill(base.shape, NaN), base);
    const dy = uniform([3, 5, 7], -1, 1, 18);
    const g1 = tf.grad((z: tf.Tensor) => tf.relu(z).mul(dy).sum())(x);
    // Gradient of a gradient: d/dv of <relu'(x) * v, u> is relu'(x) * u.
    const u = uniform([3, 5, 7], -1, 1, 19);
    const g2 = tf.grad((v: tf.Tensor) => tf.grad((z: tf.Tensor) => tf.relu(z).mul(v).sum())(x).mul(u).sum())(dy);
    return [g1, g2];
  };
  const w = await on('wasm', f);
  const c = await on('cpu', f);
  w.forEach((v, i) => assert.ok(relErrorNaN(v, c[i]) <= 1e-4, `output ${i} rel err ${relErrorNaN(v, c[i])}`));
});

test('leading-axis Sum and Mean (vector rows and not, keepDims) match the cpu backend', async () => {
  const f = () => {
    const x = uniform([6, 5, 4, 8], -1, 1, 21).add(3); // a large mean: float32 accumulation would show
    const y = uniform([7, 3, 5], -1, 1, 22);
    const z = uniform([9, 7, 5, 12], -1, 1, 23).add(3); // 315 rows: two shares of rows
    return [x.sum([0, 1, 2]), x.mean([0, 1, 2], true), x.sum(0), x.mean([0, 1]), y.sum([0, 1]), y.mean(0, true), x.mean([1, 2]), z.sum([0, 1, 2]), z.mean([0, 1])];
  };
  const c = await on('cpu', f);
  // Row shares on this thread, and the second on a heap worker: the same bits.
  const w = await withFlags({ ROBUSTLAB_WASM_SPLIT_MIN_BYTES: 1 << 30 }, () => on('wasm', f));
  const ws = await withFlags({ ROBUSTLAB_WASM_SPLIT_MIN_BYTES: 0 }, () => on('wasm', f));
  w.forEach((v, i) => assert.ok(relError(v, c[i]) <= 1e-6, `output ${i} rel err ${relError(v, c[i])}`));
  ws.forEach((v, i) => assert.equal(Array.from(v), Array.from(w[i]), `output ${i}: with and without the heap worker`));
});

test('Mean gradients (batch-norm statistics, other axes, double backprop) and vector Tile match the cpu backend', async () => {
  const f = () => {
    const x = uniform([4, 3, 5, 8], -1, 1, 23);
    const w = uniform([4, 3, 5, 8], -1, 1, 24);
    // Batch norm in training mode, as lib/models/layers.ts builds it.
    const bn = (z: tf.Tensor) => {
      const { mean, variance } = tf.moments(z, [0, 1, 2], true);
      return z.sub(mean).mul(tf.rsqrt(variance.add(1e-5))).mul(w).sum();
    };
    const g1 = tf.grad(bn)(x);
    const g2 = tf.grad((z: tf.Tensor) => tf.grad(bn)(z).square().sum())(x);
    const g3 = tf.grad((z: tf.Tensor) => z.mean([1, 2]).square().sum().add(z.mean(3, true).mul(2).sum()))(x);
    const v = uniform([1, 1, 8], -1, 1, 25);
    // Global average pooling's gradient: a [N, 1, 1, C] broadcast over [H, W].
    const g4 = tf.grad((z: tf.Tensor) => z.mean([1, 2]).square().sum())(x);
    const u = uniform([3, 1, 1, 8], -1, 1, 27);
    return [g1, g2, g3, g4, tf.tile(v, [3, 5, 1]), tf.tile(v.reshape([1, 8]), [6, 1]), tf.tile(uniform([2, 3], -1, 1, 26), [2, 2]), tf.tile(u, [1, 2, 3, 1]), tf.tile(u, [2, 2, 1, 1])];
  };
  const w = await on('wasm', f);
  const c = await on('cpu', f);
  w.forEach((v, i) => assert.ok(relError(v, c[i]) <= 1e-4, `output ${i} rel err ${relError(v, c[i])}`));
});

test('Identity and same-dtype Cast share the input buffer and keep it alive until the last reference goes', async () => {
  await tf.setBackend('wasm');
  const before = tf.memory().numDataBuffers;
  const x = tf.tensor1d([1, 2, 3, 4, 5]);
  const y = x.clone();
  const z = tf.cast(x, 'float32');
  const i = tf.cast(x, 'int32');
  assert.is(tf.memory().numDataBuffers, before + 2, 'clone and same-dtype cast add no buffer');
  x.dispose();
  assert.equal(Array.from(y.dataSync()), [1, 2, 3, 4, 5]);
  y.dispose();
  assert.equal(Array.from(z.dataSync()), [1, 2, 3, 4, 5]);
  assert.equal(Array.from(i.dataSync()), [1, 2, 3, 4, 5]);
  tf.dispose([z, i]);
  assert.is(tf.memory().numDataBuffers, before);
});

test('gather along the first axis (repeats, 2-D indices, int32 and bool, vectors, empty) matches cpu; other axes and bad indices go to wasm', async () => {
  const f = () => {
    const x = uniform([7, 3, 4, 2], -1, 1, 31);
    const xi = tf.tensor2d([[1, 2], [3, 4], [5, 6]], [3, 2], 'int32');
    const xb = tf.tensor2d([[true, false, true], [false, false, true]], [2, 3], 'bool');
    const v = tf.tensor1d([10, 20, 30, 40]);
    return [
      tf.gather(x, tf.tensor1d([6, 0, 0, 3, 6], 'int32')),
      tf.gather(x, tf.tensor2d([[1, 2], [2, 1]], [2, 2], 'int32')),
      tf.gather(x, tf.tensor1d([4, 1], 'int32'), -4),
      tf.gather(xi, tf.tensor1d([2, 0], 'int32')),
      tf.gather(xb, tf.tensor1d([1, 1, 0], 'int32')).toInt(),
      tf.gather(v, tf.tensor1d([3, 0, 2], 'int32')),
      tf.gather(x, tf.tensor1d([], 'int32')),
      tf.gather(x, tf.tensor1d([2, 0], 'int32'), 1),
    ];
  };
  const w = await on('wasm', f);
  const c = await on('cpu', f);
  w.forEach((v, i) => assert.equal(Array.from(v), Array.from(c[i]), `output ${i}`));
  await tf.setBackend('wasm');
  const x = tf.zeros([3, 2]);
  const before = tf.memory();
  assert.throws(() => tf.tidy(() => tf.gather(x, tf.tensor1d([0, 3], 'int32'))), /index value 3 is not in \[0, 2\]/);
  tf.dispose(tf.tidy(() => tf.gather(x, tf.tensor1d([2, 1], 'int32'))));
  assert.is(tf.memory().numDataBuffers, before.numDataBuffers, 'no buffer left behind');
  tf.dispose(x);
});

test('the fast kernels leak no backend memory', async () => {
  await tf.setBackend('wasm');
  const x = uniform([2, 8, 8, 3], 0, 1, 1) as tf.Tensor4D;
  const w = normal([3, 3, 3, 4], 0.4, 2) as tf.Tensor4D;
  const w2 = normal([3, 3, 4, 8], 0.4, 3) as tf.Tensor4D;
  const net = (a: tf.Tensor, b: tf.Tensor) => {
    const h = tf.maxPool(tf.relu(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same')), 2, 2, 'valid');
    return tf.conv2d(h, w2, 2, 'same').sum();
  };
  // Winograd on every 3x3 stride-1 layer here (F(4x4) and F(2x2) in turn), chunks of one image.
  const w3 = normal([3, 3, 4, 8], 0.4, 4) as tf.Tensor4D;
  const wino = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(tf.relu(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same')), w3, 1, 'same').sum();
  const x4 = uniform([2, 8, 8, 4], 0, 1, 5) as tf.Tensor4D;
  const w4 = normal([3, 3, 4, 4], 0.4, 6) as tf.Tensor4D;
  let round = 0;
  const step = () =>
    tf.tidy(() => {
      tf.env().set('ROBUSTLAB_WASM_WINOGRAD_F4_MIN_TILES', round++ % 2 ? 0 : Infinity);
      return [...tf.grads(net)([x, w]), ...tf.grads(wino)([x4, w4])].map((t) => t.sum());
    });
  // One product per image: views of dy made and dropped per chunk.
  await withFlags({ ...WINOGRAD_EVERYWHERE, ROBUSTLAB_WASM_DW_CHUNK: 1, ROBUSTLAB_WASM_WINOGRAD_CHUNK: 1, ROBUSTLAB_WASM_WINOGRAD_F4_MIN_TILES: 512 }, () => {
    tf.dispose(step());
    const before = tf.memory();
    for (let i = 0; i < 6; i++) tf.dispose(step());
    const after = tf.memory();
    assert.is(after.numTensors, before.numTensors);
    assert.is(after.numDataBuffers, before.numDataBuffers);
  });
  tf.dispose([x, w, w2, w3, x4, w4]);
});

test.run();
