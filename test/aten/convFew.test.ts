// The input gradient of convolutions with 1-3 input channels (an image's), which aten computes with its own
// AVX2 loop (native/aten.cc backInputFew) where the processor has AVX2 and FMA, against cpu: every padding,
// filter size and row width that routes pixels through its four-pixel blocks, its one-pixel edges, or both.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { atenSuite, atenVsCpu, rand } from './common';

const test = suite('aten few-channel input gradient');
const TOL = 1e-5;

/** dL/dx for L = sum(conv(x, w) * dy), dy fixed: the input gradient alone. */
function inputGrad(n: number, h: number, w: number, ci: number, co: number, fh: number, fw: number, pad: 'same' | 'valid' | [number, number][], seed: number): () => tf.Tensor {
  return () => {
    const x = rand([n, h, w, ci], seed);
    const f = rand([fh, fw, ci, co], seed + 1) as tf.Tensor4D;
    const conv = (a: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, f, 1, pad as 'same');
    const dy = rand(conv(x).shape, seed + 2);
    return tf.grad((a: tf.Tensor) => conv(a).mul(dy).sum())(x);
  };
}

const CASES: [string, Parameters<typeof inputGrad>][] = [
  ['3 channels, 3x3 same, 32 outputs (a CIFAR first layer)', [2, 12, 13, 3, 32, 3, 3, 'same', 1]],
  ['1 channel, 3x3 same, 8 outputs (MNIST)', [3, 9, 9, 1, 8, 3, 3, 'same', 4]],
  ['2 channels, 5x5 same', [1, 11, 17, 2, 16, 5, 5, 'same', 7]],
  ['3 channels, 3x3 valid', [2, 10, 10, 3, 8, 3, 3, 'valid', 10]],
  ['4 channels (oneDNN)', [2, 10, 10, 4, 8, 3, 3, 'same', 28]],
  ['3 channels, 2x2 same (asymmetric padding)', [2, 8, 9, 3, 8, 2, 2, 'same', 13]],
  ['3 channels, 1x1', [2, 5, 7, 3, 24, 1, 1, 'valid', 16]],
  ['3 channels, 3x5 explicit padding', [2, 9, 11, 3, 8, 3, 5, [[0, 0], [2, 0], [1, 3], [0, 0]], 19]],
  ['3 channels, an image narrower than a block', [2, 6, 3, 3, 8, 3, 3, 'same', 22]],
  ['3 channels, 12 outputs (not a multiple of 8: oneDNN)', [2, 8, 8, 3, 12, 3, 3, 'same', 25]],
];

atenSuite(test, () => {
  for (const [what, args] of CASES) {
    test(`${what}: equal to cpu`, async () => {
      const before = tf.memory().numTensors;
      const e = await atenVsCpu(inputGrad(...args));
      assert.ok(e <= TOL, `relative error ${e} > ${TOL}`);
      assert.is(tf.memory().numTensors, before, 'numTensors');
    });
  }

  test('a stride-2 layer (oneDNN) agrees too', async () => {
    const e = await atenVsCpu(() => {
      const x = rand([2, 9, 9, 3], 30);
      const f = rand([3, 3, 3, 8], 31) as tf.Tensor4D;
      return tf.grad((a: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, f, 2, 'same').square().sum())(x);
    });
    assert.ok(e <= TOL, `relative error ${e}`);
  });
});

test.run();
