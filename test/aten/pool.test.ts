// 2x2 stride-2 max pooling and its gradient on aten's own NHWC loops (native/aten.cc: 8 channels at a time with
// AVX2 where the processor has it and the channels are a multiple of 8, else 4 or 1), against a reference
// written here: ties, -Infinity and NaN included, with channel counts that take each path.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { atenSuite, atenVsCpu } from './common';
import { Rng } from '../../lib/engine/seed';

const test = suite('aten 2x2 max pooling');

/** Values with many ties (a few levels), some -Infinity and, if asked, some NaN. */
function values(n: number, seed: number, nan: boolean): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => {
    const u = r.next();
    if (nan && u < 0.03) return NaN;
    if (u < 0.06) return -Infinity;
    return Math.floor(r.next() * 4) - 1;
  });
}

/** The window's cells of output (b, oy, ox, ch) in TF's order: top-left, top-right, bottom-left, bottom-right. */
function cells(shape: number[], b: number, oy: number, ox: number, ch: number): number[] {
  const [, h, w, c] = shape;
  const at = (y: number, x: number) => ((b * h + y) * w + x) * c + ch;
  return [at(2 * oy, 2 * ox), at(2 * oy, 2 * ox + 1), at(2 * oy + 1, 2 * ox), at(2 * oy + 1, 2 * ox + 1)];
}

/** Forward: NaN when the window holds one (as ATen), else its maximum; gradient: dy to the first input greater
 * than all before it, starting from -Infinity (TF's rule; no winner, no gradient). */
function reference(x: Float32Array, shape: number[], dy: Float32Array): { y: number[]; dx: number[] } {
  const [n, h, w, c] = shape;
  const [oh, ow] = [Math.floor(h / 2), Math.floor(w / 2)];
  const y: number[] = [];
  const dx = new Array<number>(x.length).fill(0);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let ch = 0; ch < c; ch++) {
          const idx = cells(shape, b, oy, ox, ch);
          const v = idx.map((i) => x[i]);
          y.push(v.some(Number.isNaN) ? NaN : Math.max(...v));
          let best = -Infinity;
          let arg = -1;
          v.forEach((value, k) => {
            if (value > best) [best, arg] = [value, k];
          });
          if (arg >= 0) dx[idx[arg]] = dy[((b * oh + oy) * ow + ox) * c + ch];
        }
  return { y, dx };
}

atenSuite(test, () => {
  for (const [c, h, w] of [[16, 6, 8], [8, 4, 6], [12, 4, 4], [3, 5, 7]]) {
    test(`${c} channels, ${h}x${w}: values and gradient as the reference, NaN and ties included`, () => {
      const shape: [number, number, number, number] = [2, h, w, c];
      const xv = values(2 * h * w * c, c * 7 + h, true);
      const outShape = [2, Math.floor(h / 2), Math.floor(w / 2), c];
      const dyv = Float32Array.from({ length: outShape.reduce((p, q) => p * q, 1) }, (_, i) => (i % 7) - 3.5);
      const want = reference(xv, shape, dyv);
      const before = tf.memory().numTensors;
      const [y, dx] = tf.tidy(() => {
        const x = tf.tensor(xv, shape) as tf.Tensor4D;
        const dy = tf.tensor(dyv, outShape);
        return [tf.maxPool(x, 2, 2, 'valid'), tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid').mul(dy).sum())(x)];
      });
      const same = (a: number, b: number) => Object.is(a, b) || (a === 0 && b === 0) || (Number.isNaN(a) && Number.isNaN(b));
      const yv = Array.from(y.dataSync());
      yv.forEach((v, i) => assert.ok(same(v, want.y[i]), `y[${i}] ${v} vs ${want.y[i]}`));
      Array.from(dx.dataSync()).forEach((v, i) => assert.ok(same(v, want.dx[i]), `dx[${i}] ${v} vs ${want.dx[i]}`));
      tf.dispose([y, dx]);
      assert.is(tf.memory().numTensors, before, 'numTensors');
    });
  }

  test('without NaN, equal to cpu bit for bit', async () => {
    const e = await atenVsCpu(() => {
      const x = tf.tensor(values(2 * 8 * 10 * 24, 3, false), [2, 8, 10, 24]) as tf.Tensor4D;
      return [tf.maxPool(x, 2, 2, 'valid'), tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid').square().sum())(x)];
    });
    assert.is(e, 0);
  });
});

test.run();
