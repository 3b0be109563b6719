/**
 * Sparse l1 PGD at the box boundary (issue 24.3, foolbox's SparseL1DescentAttack): a coordinate already at a
 * bound whose gradient points out of the box is skipped, so the l1 budget goes where the clip keeps it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine, assertClose } from '../helpers/setup';
import { pgd } from '../../lib/attacks/pgd';
import { NORM_HOOKS } from '../../lib/attacks/gradientDescent';
import { lpNorm } from '../../lib/tensor/norms';
import { linearBinary } from '../helpers/models';

test.before(engine);

/** logits [w.x, 0]: against label 1 the cross-entropy gradient is sigmoid(w.x) w, signed as w. */
const linear = (w: number[]) => linearBinary(w, { centre: 0, logitClass: 0 });

const W = Array.from({ length: 100 }, (_, j) => (j === 0 ? 10 : j === 1 ? 5 : 1));

test('the l1 step skips a coordinate at the upper bound whose gradient points outward, and moves the next one', () => {
  const m = linear(W);
  // Coordinate 0 sits at the upper bound 1 with the largest gradient (+10 sigma): stepping it is clipped away.
  const x = tf.tensor2d([Array.from({ length: 100 }, (_, j) => (j === 0 ? 1 : 0.5))]);
  const y = tf.tensor1d([1], 'int32');
  const xa = pgd(m, x, y, { norm: 'l1', eps: 1, steps: 1, stepSize: 0.3, randomStart: false });
  const v = xa.dataSync();
  // top 1% of 100 coordinates = 1 coordinate: with the mask it is coordinate 1 (|g| = 5 sigma), moved by the whole step.
  assertClose([v[0], v[1], v[2]], [1, 0.8, 0.5], 1e-6);
  assertClose(lpNorm(xa.sub(x), 'l1').dataSync(), [0.3], 1e-5);
  // Without the mask (no iterate given to the hook) the step goes to coordinate 0 and the box clips it to nothing.
  const g = tf.tensor2d([W]);
  assertClose(Array.from(NORM_HOOKS.l1.normalize(g).dataSync()).slice(0, 2), [1, 0], 0);
  assertClose(Array.from(NORM_HOOKS.l1.normalize(g, { x, bounds: [0, 1] }).dataSync()).slice(0, 2), [0, 1], 0);
  // At the lower bound the outward gradient is negative: the same rule with signs flipped.
  const xl = tf.tensor2d([Array.from({ length: 100 }, (_, j) => (j === 0 ? 0 : 0.5))]);
  assertClose(Array.from(NORM_HOOKS.l1.normalize(g.neg(), { x: xl, bounds: [0, 1] }).dataSync()).slice(0, 2), [0, -1], 0);
  // An inward gradient at the bound is kept.
  assertClose(Array.from(NORM_HOOKS.l1.normalize(g.neg(), { x, bounds: [0, 1] }).dataSync()).slice(0, 2), [-1, 0], 0);
  tf.dispose([x, y, xa, g, xl]);
  m.dispose();
  assert.ok(true);
});

test('l1 PGD stays exactly projected: inside the l1 ball and the box after many steps from a boundary point', () => {
  const m = linear(W);
  const x = tf.tensor2d([Array.from({ length: 100 }, (_, j) => (j < 10 ? 1 : 0.5))]);
  const y = tf.tensor1d([1], 'int32');
  const xa = pgd(m, x, y, { norm: 'l1', eps: 2, steps: 20, stepSize: 0.5, randomStart: 'uniform', seed: 4 });
  const d = lpNorm(xa.sub(x), 'l1').dataSync()[0];
  assert.ok(d <= 2 * (1 + 1e-5), `l1 distance ${d}`);
  const v = xa.dataSync();
  assert.ok(Math.min(...v) >= 0 && Math.max(...v) <= 1);
  tf.dispose([x, y, xa]);
  m.dispose();
});

test.run();
