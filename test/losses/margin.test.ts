import { test } from 'uvu';
import * as tf from '@tensorflow/tfjs-core';
import { engine, assertClose } from '../helpers/setup';
import { margin, cwLoss, cwLossKappa, dlrLoss, dlrTargetedLoss } from '../../lib/losses/margin';
import type { LossContext } from '../../lib/losses/types';

test.before(async () => {
  await engine();
});

const ctx = (logits: number[][], y: number[]) => ({ logits: tf.tensor2d(logits), y: tf.tensor1d(y, 'int32') }) as unknown as LossContext;

test('margin, C&W and DLR losses by hand', () => {
  const c = ctx([[3, 1, 2, 0], [0, 4, 1, 2]], [0, 2]);
  // margin: 3 - 2 = 1; 1 - 4 = -3
  assertClose(margin(c.logits, c.y).dataSync(), [1, -3]);
  assertClose(cwLoss(c).dataSync(), [-1, 3]);
  assertClose(cwLossKappa(2)(c).dataSync(), [-1, 2]);
  // DLR: -(z_y - max_other) / (z_pi1 - z_pi3): row 0 -(3 - 2) / (3 - 1) = -0.5; row 1 -(1 - 4) / (4 - 1) = 1
  assertClose(dlrLoss(c).dataSync(), [-0.5, 1]);
  // targeted DLR towards t = [1, 3]: -(z_y - z_t) / (z_pi1 - (z_pi3 + z_pi4) / 2):
  // row 0 -(3 - 1) / (3 - 0.5) = -0.8; row 1 -(1 - 2) / (4 - 0.5) = 0.285714
  assertClose(dlrTargetedLoss(tf.tensor1d([1, 3], 'int32'))(c).dataSync(), [-0.8, 1 / 3.5], 1e-6);
});

test('DLR gradient matches finite differences (TopK is detached, the picked logits are not)', () => {
  const y = tf.tensor1d([0], 'int32');
  const z = [0.3, 1.2, -0.4, 0.9];
  const f = (v: number[]) => dlrLoss(ctx([v], [0])).dataSync()[0];
  const g = tf.grad((l: tf.Tensor) => dlrLoss({ logits: l, y } as unknown as LossContext).sum())(tf.tensor2d([z])).dataSync();
  const h = 1e-2;
  const fd = z.map((_, i) => (f(z.map((v, j) => (j === i ? v + h : v))) - f(z.map((v, j) => (j === i ? v - h : v)))) / (2 * h));
  assertClose(g, fd, 2e-3);
});

test.run();
