// Each aten kernel against the cpu backend on random inputs of several shapes (relative error <= 1e-4).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { atenSuite, atenVsCpu, rand, randInt } from './common';
import { engineInfo } from '../../lib/engine/backend';
import { FUSED_RELU_GRAD } from '../../lib/engine/gradients';

const test = suite('aten kernels');
const TOL = 1e-4;

async function close(what: string, f: () => tf.Tensor | tf.Tensor[], tol = TOL): Promise<void> {
  const e = await atenVsCpu(f);
  assert.ok(e <= tol, `${what}: relative error ${e} > ${tol}`);
}

atenSuite(test, () => {
  test('the active backend is aten and reads round-trip float32, int32 and bool', async () => {
    assert.is(tf.getBackend(), 'aten');
    const f = tf.tensor([1.5, -2, 3e7], [3]);
    const i = tf.tensor([1, -2, 2147483647], [3], 'int32');
    const b = tf.tensor([true, false, true], [3], 'bool');
    assert.equal(Array.from(f.dataSync()), [1.5, -2, 3e7]);
    assert.equal(Array.from(i.dataSync()), [1, -2, 2147483647]);
    assert.equal(Array.from(b.dataSync()), [1, 0, 1]);
    assert.equal(Array.from(await f.data()), [1.5, -2, 3e7]);
    tf.dispose([f, i, b]);
  });

  const shapes = [[7], [3, 5], [2, 3, 4, 5]];
  const unary: [string, (x: tf.Tensor) => tf.Tensor, number, number][] = [
    ['neg', tf.neg, -3, 3], ['abs', tf.abs, -3, 3], ['exp', tf.exp, -3, 3], ['expm1', tf.expm1, -1, 1],
    ['log', tf.log, 0.1, 5], ['log1p', tf.log1p, -0.5, 3], ['sqrt', tf.sqrt, 0.01, 4], ['rsqrt', tf.rsqrt, 0.1, 4],
    ['square', tf.square, -3, 3], ['reciprocal', tf.reciprocal, 0.5, 3], ['relu', tf.relu, -2, 2], ['relu6', tf.relu6, -3, 9],
    ['elu', tf.elu, -3, 3], ['selu', tf.selu, -3, 3], ['sigmoid', tf.sigmoid, -6, 6], ['tanh', tf.tanh, -3, 3],
    ['softplus', tf.softplus, -5, 5], ['sign', tf.sign, -2, 2], ['erf', tf.erf, -2, 2], ['acos', tf.acos, -0.9, 0.9],
    ['asin', tf.asin, -0.9, 0.9], ['atan', tf.atan, -3, 3], ['cos', tf.cos, -3, 3], ['sin', tf.sin, -3, 3],
    ['tan', tf.tan, -1, 1], ['cosh', tf.cosh, -2, 2], ['sinh', tf.sinh, -2, 2], ['floor', tf.floor, -5, 5],
    ['ceil', tf.ceil, -5, 5], ['round', tf.round, -5, 5], ['leakyRelu', (x) => tf.leakyRelu(x, 0.3), -2, 2],
    ['step', (x) => tf.step(x, 0.25), -2, 2], ['clipByValue', (x) => tf.clipByValue(x, -0.5, 0.7), -2, 2],
    ['zerosLike', tf.zerosLike, -1, 1], ['onesLike', tf.onesLike, -1, 1], ['isNaN', (x) => tf.isNaN(tf.log(x)), -1, 1],
    ['logicalNot', (x) => tf.logicalNot(tf.greater(x, 0)), -1, 1],
  ];
  test('unary element-wise kernels', async () => {
    for (const [name, f, lo, hi] of unary) {
      for (const [k, s] of shapes.entries()) await close(`${name} ${s}`, () => f(rand(s, 10 + k, lo, hi)));
    }
  });

  const pairs = [[[3, 4], [3, 4]], [[2, 3, 4], [4]], [[5, 1], [1, 6]], [[2, 3], []]];
  const binary: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, number, number][] = [
    ['add', tf.add, -2, 2], ['sub', tf.sub, -2, 2], ['mul', tf.mul, -2, 2], ['div', tf.div, 0.5, 2],
    ['floorDiv', tf.floorDiv, -5, 5], ['mod', tf.mod, 0.5, 5], ['maximum', tf.maximum, -2, 2], ['minimum', tf.minimum, -2, 2],
    ['pow', tf.pow, 0.5, 2], ['atan2', tf.atan2, -2, 2], ['squaredDifference', tf.squaredDifference, -2, 2],
    ['greater', tf.greater, -1, 1], ['greaterEqual', tf.greaterEqual, -1, 1], ['less', tf.less, -1, 1],
    ['lessEqual', tf.lessEqual, -1, 1], ['equal', (a, b) => tf.equal(tf.round(a), tf.round(b)), -2, 2],
    ['notEqual', (a, b) => tf.notEqual(tf.round(a), tf.round(b)), -2, 2], ['prelu', (a, b) => tf.prelu(a, b), -2, 2],
    ['logicalAnd', (a, b) => tf.logicalAnd(tf.greater(a, 0), tf.greater(b, 0)), -1, 1],
    ['logicalOr', (a, b) => tf.logicalOr(tf.greater(a, 0), tf.greater(b, 0)), -1, 1],
    ['divNoNan', (a, b) => tf.divNoNan(a, tf.relu(b)), -1, 1],
  ];
  test('binary element-wise kernels with broadcasting', async () => {
    for (const [name, f, lo, hi] of binary) {
      for (const [k, [sa, sb]] of pairs.entries()) {
        if (name === 'prelu' && sb.length > sa.length) continue;
        await close(`${name} ${sa} ${sb}`, () => f(rand(sa, 20 + k, lo, hi), rand(sb, 30 + k, lo, hi)));
      }
    }
  });

  test('int32 arithmetic, casts, select', async () => {
    await close('int add/mul/floorDiv/mod', () => {
      const a = randInt([4, 5], 9, 1).sub(4);
      const b = randInt([4, 5], 5, 2).add(1);
      return [a.add(b), a.mul(b), tf.floorDiv(a, b), tf.mod(a, b), tf.abs(a), tf.neg(a), tf.maximum(a, b)];
    });
    await close('cast', () => {
      const x = rand([3, 4], 3, -3, 3);
      return [x.cast('int32'), x.cast('bool'), x.cast('int32').cast('float32'), x.greater(0).cast('float32'), x.greater(0).cast('int32')];
    });
    await close('where', () => tf.where(rand([3, 4], 4).greater(0), rand([3, 4], 5), rand([3, 4], 6)));
  });

  test('reductions, arg-max/min, softmax', async () => {
    for (const [k, s] of [[6], [4, 5], [2, 3, 4]].entries()) {
      const all = s.map((_, i) => i);
      for (const axis of [undefined, 0, -1, all.slice(0, Math.max(1, all.length - 1))]) {
        for (const keep of [false, true]) {
          await close(`reduce ${s} axis ${axis} keep ${keep}`, () => {
            const x = rand(s, 40 + k);
            const b = x.greater(0);
            return [x.sum(axis, keep), x.mean(axis, keep), x.max(axis, keep), x.min(axis, keep), x.prod(axis, keep),
              b.any(axis, keep), b.all(axis, keep), b.sum(axis, keep), randInt(s, 7, 3).sum(axis, keep)];
          });
        }
      }
      await close(`argMax/argMin ${s}`, () => {
        const x = rand(s, 50 + k);
        return [x.argMax(-1), x.argMin(0), x.argMax(0)];
      });
      await close(`softmax ${s}`, () => [tf.softmax(rand(s, 60 + k, -5, 5)), tf.logSoftmax(rand(s, 61 + k, -5, 5))]);
    }
  });

  test('shape kernels: reshape, transpose, slice, strided slice, concat, stack, unstack, split, pad, tile, reverse, broadcast', async () => {
    await close('reshape', () => rand([2, 3, 4], 1).reshape([4, -1]));
    await close('transpose', () => [rand([2, 3, 4], 1).transpose([2, 0, 1]), rand([2, 3, 4], 1).transpose([2, 0, 1]).add(1)]);
    await close('slice', () => [rand([4, 5, 6], 2).slice([1, 0, 2], [2, -1, 3]), rand([6], 2).slice(2, 3)]);
    await close('stridedSlice', () => [
      tf.stridedSlice(rand([5, 6, 7], 3), [1, 0, 1], [5, 6, 7], [2, 3, 2]),
      tf.stridedSlice(rand([5, 6], 3), [0, 1], [4, 5], [1, 1], 0, 0, 0, 0, 1),
      tf.stridedSlice(rand([5, 6], 3), [4, 5], [0, 0], [-1, -2]),
    ]);
    await close('concat', () => [tf.concat([rand([2, 3], 1), rand([2, 4], 2)], 1), tf.concat([rand([1, 3], 1), rand([2, 3], 2)], 0)]);
    await close('stack/unstack', () => [tf.stack([rand([2, 3], 1), rand([2, 3], 2)], 1), ...tf.unstack(rand([3, 4], 3), 1)]);
    await close('split', () => [...tf.split(rand([6, 4], 1), 3, 0), ...tf.split(rand([2, 7], 2), [2, 5], 1)]);
    await close('pad', () => [tf.pad(rand([2, 3], 1), [[1, 2], [0, 3]], 0.5), tf.pad(rand([2, 3, 2, 1], 1), [[0, 0], [1, 1], [2, 0], [0, 0]])]);
    await close('tile', () => tf.tile(rand([2, 3], 1), [2, 3]));
    // Tiling axes of size 1 only runs as a broadcast view; consumers and reads see the copies.
    await close('tile as broadcast', () => {
      const t = tf.tile(rand([2, 1, 3, 1], 2), [1, 4, 1, 5]);
      return [t, t.add(rand([2, 4, 3, 5], 3)), tf.tile(rand([1, 1], 4), [3, 2]), tf.tile(rand([2, 1], 5), [2, 3]), tf.tile(randInt([1, 3], 9, 6), [4, 1])];
    });
    await close('reverse', () => [tf.reverse(rand([3, 4], 1), 1), tf.reverse(rand([2, 3, 4], 1), [0, 2])]);
    await close('broadcastTo', () => tf.broadcastTo(rand([3, 1], 1), [2, 3, 4]));
  });

  test('gather, gatherND, oneHot, fill, range, cumsum, addN, batchNorm', async () => {
    await close('gather', () => [tf.gather(rand([5, 3], 1), randInt([4], 5, 2)), tf.gather(rand([2, 5, 3], 1), randInt([2, 2], 5, 3), 1)]);
    await close('gatherND', () => tf.gatherND(rand([4, 5, 3], 1), tf.tensor2d([[0, 1], [3, 4], [2, 2]], [3, 2], 'int32')));
    await close('oneHot', () => [tf.oneHot(randInt([6], 4, 1), 4), tf.oneHot(tf.tensor1d([0, 3, -1, 7], 'int32'), 5, 2, -1)]);
    await close('fill/range', () => [tf.fill([2, 3], 1.5), tf.fill([4], 7, 'int32'), tf.range(0, 10, 3), tf.range(5, -2, -1.5), tf.range(0, 6, 1, 'int32')]);
    await close('cumsum', () => [tf.cumsum(rand([3, 5], 1), 1), tf.cumsum(rand([3, 5], 1), 0, true, true), tf.cumsum(rand([3, 5], 1), 1, false, true)]);
    await close('addN', () => tf.addN([rand([3, 4], 1), rand([3, 4], 2), rand([3, 4], 3)]));
    await close('batchNorm', () => [
      tf.batchNorm(rand([2, 3, 4], 1), rand([4], 2), rand([4], 3, 0.5, 2), rand([4], 4), rand([4], 5), 1e-3),
      tf.batchNorm(rand([2, 4], 1), rand([4], 2), rand([4], 3, 0.5, 2)),
    ]);
  });

  test('matMul with transposes, batched with broadcasting, fused with bias and activation', async () => {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
      await close(`matMul ${ta} ${tb}`, () => {
        const a = rand(ta ? [7, 5] : [5, 7], 1);
        const b = rand(tb ? [3, 7] : [7, 3], 2);
        return tf.matMul(a, b, ta, tb);
      });
      await close(`batch matMul ${ta} ${tb}`, () => tf.matMul(rand(ta ? [4, 6, 5] : [4, 5, 6], 3), rand(tb ? [1, 2, 6] : [1, 6, 2], 4), ta, tb));
    }
    for (const activation of ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu', 'prelu'] as const) {
      await close(`fused matMul ${activation}`, () =>
        tf.fused.matMul({ a: rand([5, 7], 1), b: rand([7, 3], 2), bias: rand([3], 3), activation, preluActivationWeights: activation === 'prelu' ? rand([3], 4) : undefined, leakyreluAlpha: 0.1 }),
      );
    }
  });

  const convCases: { x: number[]; f: number[]; s: number | [number, number]; p: 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]]; d: number }[] = [
    { x: [2, 8, 8, 3], f: [3, 3, 3, 4], s: 1, p: 'same', d: 1 },
    { x: [2, 9, 7, 3], f: [3, 3, 3, 5], s: 2, p: 'same', d: 1 },
    { x: [1, 8, 8, 2], f: [2, 2, 2, 3], s: 2, p: 'same', d: 1 },
    { x: [2, 9, 9, 3], f: [3, 2, 3, 4], s: [2, 1], p: 'valid', d: 1 },
    { x: [2, 7, 7, 2], f: [3, 3, 2, 3], s: 1, p: 1, d: 1 },
    { x: [1, 9, 9, 2], f: [3, 3, 2, 2], s: 1, p: 'same', d: 2 },
    { x: [1, 6, 7, 2], f: [3, 3, 2, 2], s: 1, p: [[0, 0], [1, 0], [2, 1], [0, 0]], d: 1 },
  ];
  test('conv2d forward and both gradients (strides, same/valid/explicit padding, dilation)', async () => {
    for (const [k, c] of convCases.entries()) {
      const what = `conv ${JSON.stringify(c)}`;
      const conv = (x: tf.Tensor, w: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.s, c.p, 'NHWC', c.d);
      await close(what, () => conv(rand(c.x, k), rand(c.f, k + 100)));
      if (c.d === 1)
        await close(`${what} grads`, () => {
          const x = rand(c.x, k);
          const w = rand(c.f, k + 100);
          const dy = conv(x, w).mul(rand(conv(x, w).shape, 7));
          return tf.grads((a: tf.Tensor, b: tf.Tensor) => conv(a, b).mul(dy).sum())([x, w]);
        });
    }
  });

  test('depthwise conv and fused conv with bias and activation', async () => {
    for (const [s, p] of [[1, 'same'], [2, 'valid'], [2, 'same']] as const) {
      await close(`depthwise ${s} ${p}`, () => tf.depthwiseConv2d(rand([2, 7, 7, 3], 1) as tf.Tensor4D, rand([3, 3, 3, 2], 2) as tf.Tensor4D, s, p));
      await close(`depthwise grads ${s} ${p}`, () =>
        tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, s, p).square().sum())([rand([2, 7, 7, 3], 1), rand([3, 3, 3, 2], 2)]),
      );
    }
    for (const activation of ['linear', 'relu', 'elu', 'leakyrelu'] as const) {
      await close(`fused conv ${activation}`, () =>
        tf.fused.conv2d({ x: rand([2, 6, 6, 3], 1) as tf.Tensor4D, filter: rand([3, 3, 3, 4], 2) as tf.Tensor4D, strides: 1, pad: 'same', bias: rand([4], 3), activation, leakyreluAlpha: 0.1 }),
      );
    }
  });

  const poolCases: [number[], number, number, 'same' | 'valid'][] = [
    [[2, 8, 8, 3], 2, 2, 'valid'], [[2, 8, 8, 3], 2, 2, 'same'], [[1, 7, 7, 2], 3, 2, 'same'], [[1, 9, 9, 2], 3, 1, 'valid'], [[1, 7, 6, 2], 2, 2, 'same'],
  ];
  test('max and average pooling and their gradients', async () => {
    for (const [k, [shape, f, s, p]] of poolCases.entries()) {
      await close(`maxPool ${shape} ${f} ${s} ${p}`, () => tf.maxPool(rand(shape, k) as tf.Tensor4D, f, s, p));
      await close(`avgPool ${shape} ${f} ${s} ${p}`, () => tf.avgPool(rand(shape, k) as tf.Tensor4D, f, s, p));
      await close(`maxPool grad ${shape} ${f} ${s} ${p}`, () => {
        const x = rand(shape, k);
        const dy = rand(tf.maxPool(x as tf.Tensor4D, f, s, p).shape, 9);
        return tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, f, s, p).mul(dy).sum())(x);
      });
      const padded = tf.backend_util.computePool2DInfo(shape as [number, number, number, number], f, s, 1, p).padInfo;
      // tfjs-backend-cpu's AvgPoolGrad divides by the full window even where its forward divides by the real
      // inputs only, so with padding aten is checked against its own forward instead: for the linear map
      // A = avgPool, <A x, dy> = <x, A^T dy> with A^T dy the gradient.
      if (padded.top + padded.bottom + padded.left + padded.right === 0) {
        await close(`avgPool grad ${shape} ${f} ${s} ${p}`, () => {
          const x = rand(shape, k);
          const dy = rand(tf.avgPool(x as tf.Tensor4D, f, s, p).shape, 9);
          return tf.grad((a: tf.Tensor) => tf.avgPool(a as tf.Tensor4D, f, s, p).mul(dy).sum())(x);
        });
      }
      const [lhs, rhs] = tf.tidy(() => {
        const x = rand(shape, k);
        const dy = rand(tf.avgPool(x as tf.Tensor4D, f, s, p).shape, 9);
        const g = tf.grad((a: tf.Tensor) => tf.avgPool(a as tf.Tensor4D, f, s, p).mul(dy).sum())(x);
        return [tf.avgPool(x as tf.Tensor4D, f, s, p).mul(dy).sum().dataSync()[0], x.mul(g).sum().dataSync()[0]];
      });
      assert.ok(Math.abs(lhs - rhs) <= 1e-4 * Math.abs(lhs) + 1e-5, `avgPool adjoint ${shape} ${f} ${s} ${p}: ${lhs} vs ${rhs}`);
    }
  });

  /** Values with ties (multiples of 0.25 in [-1, 1]) and, where `nan`, a NaN every 37 elements. */
  function tied(shape: number[], seed: number, nan = false): tf.Tensor {
    const v = rand(shape, seed).mul(4).round().div(4).dataSync() as Float32Array;
    if (nan) for (let i = 5; i < v.length; i += 37) v[i] = NaN;
    return tf.tensor(v, shape);
  }

  test('maxPool grad on 2x2 tiling windows: ties go to the first maximum, NaN, channels in 4-lanes and tails', async () => {
    // 8 channels run the 4-lane path only, 6 and 3 a lane and a tail or the tail alone; 40 rows of 16x16 split
    // over the threads.
    for (const shape of [[2, 8, 8, 8], [3, 6, 4, 6], [1, 4, 6, 3], [5, 16, 16, 8]]) {
      for (const nan of [false, true]) {
        await close(`maxPool grad ${shape}${nan ? ' with NaN' : ''}`, () => {
          const x = tied(shape, shape[3], nan);
          const dy = rand([shape[0], shape[1] / 2, shape[2] / 2, shape[3]], 9);
          return tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid').mul(dy).sum())(x);
        });
      }
    }
    // The general path (other windows, padding) under the same rule.
    for (const [k, [shape, f, s, p]] of [...poolCases, [[2, 9, 9, 5], 3, 3, 'valid'] as const].entries()) {
      await close(`maxPool grad ${shape} ${f} ${s} ${p} with ties and NaN`, () => {
        const x = tied(shape as number[], k, true);
        const dy = rand(tf.maxPool(x as tf.Tensor4D, f, s, p).shape, 9);
        return tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, f, s, p).mul(dy).sum())(x);
      });
    }
  });

  test('step and the fused ReLU gradient: zeros, NaN, infinite dy, sizes split over threads', async () => {
    for (const n of [7, 100_003]) {
      const x = () => {
        const v = tied([n], 3, true).dataSync() as Float32Array;
        v[0] = 0;
        v[1] = -0;
        return tf.tensor(v);
      };
      const dy = () => {
        const v = rand([n], 4).dataSync() as Float32Array;
        v[2] = Infinity;
        v[3] = -Infinity;
        v[6] = NaN;
        return tf.tensor(v);
      };
      await close(`step ${n}`, () => tf.step(x(), 0.3));
      await close(`relu grad ${n}`, () => tf.grad((a: tf.Tensor) => tf.relu(a).mul(dy()).sum())(x()));
    }
    // The override keeps int32 ReLU (TF.js's formula) and is what aten runs for float32.
    await close('relu grad int32', () => tf.grad((a: tf.Tensor) => tf.relu(a.toInt()).toFloat().sum())(rand([5], 1, -3, 3)));
    const kernels: string[] = [];
    const p = await tf.profile(() => tf.grad((a: tf.Tensor) => tf.relu(a).sum())(rand([4, 3], 2)));
    kernels.push(...p.kernels.map((k) => k.name));
    assert.ok(kernels.includes(FUSED_RELU_GRAD) && !kernels.includes('Step'), `kernels run: ${kernels.join(' ')}`);
  });

  test('gradients of the fused ReLU gradient (double backprop) match cpu', async () => {
    // f(x, w) = |d/dx sum(relu(x w) * c)|^2: its gradient runs the fused kernel's own gradient in dy.
    await close('relu double backprop', () => {
      const x = rand([6, 5], 1);
      const w = rand([5, 4], 2);
      const c = rand([6, 4], 3);
      const penalty = (xx: tf.Tensor, ww: tf.Tensor) =>
        tf.grad((a: tf.Tensor) => tf.relu(tf.matMul(a, ww)).mul(c).sum())(xx).square().sum();
      return tf.grads(penalty)([x, w]);
    });
    // Third order: the gradient in dy of the gradient of the gradient.
    await close('relu third order', () => {
      const x = rand([9], 4);
      const g1 = (a: tf.Tensor) => tf.grad((b: tf.Tensor) => tf.relu(b.mul(a)).sum())(a);
      const g2 = (a: tf.Tensor) => tf.grad((b: tf.Tensor) => g1(b).mul(b).sum())(a);
      return tf.grad((a: tf.Tensor) => g2(a).square().sum())(x);
    });
  });

  test('kernels aten lacks fall back to cpu with one note; so do attribute combinations it does not handle', async () => {
    await close('topk (cpu fallback)', () => {
      const r = tf.topk(rand([3, 6], 1), 2);
      return [r.values, r.indices];
    });
    await close('mirrorPad (cpu fallback)', () => tf.mirrorPad(rand([3, 4], 1), [[1, 1], [2, 2]], 'reflect'));
    await close('gather with batchDims (declined)', () => tf.gather(rand([2, 5, 3], 1), randInt([2, 2], 5, 3), 1, 1));
    const notes = engineInfo().notes.filter((n) => n.startsWith('aten: kernel TopK'));
    assert.is(notes.length, 1, 'one note for TopK');
    assert.match(notes[0], /cpu backend/);
  });

  test('no tensors leak from native kernels or the fallback', async () => {
    const before = tf.memory().numTensors;
    const ids = tf.engine().backend.numDataIds();
    tf.tidy(() => {
      const x = rand([2, 6, 6, 3], 1);
      tf.conv2d(x as tf.Tensor4D, rand([3, 3, 3, 2], 2) as tf.Tensor4D, 1, 'same').sum();
      tf.topk(x.reshape([-1]), 3);
      tf.split(x, 3, 3);
    });
    assert.is(tf.memory().numTensors, before);
    assert.is(tf.engine().backend.numDataIds(), ids);
  });
});

test.run();
