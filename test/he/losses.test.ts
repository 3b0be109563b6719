import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine, assertClose } from '../helpers/setup';
import { heCrossEntropy, heLogits, heLoss, heAttackLoss, mheLoss, heTrainingLoss, HE_DEFAULTS, MHE_DEFAULTS } from '../../lib/losses/he';
import { hypersphereHead } from '../../lib/models/heads/hypersphere';
import { pgd } from '../../lib/attacks/pgd';
import { linear } from '../helpers/models';

test.before(engine);

const y0 = () => tf.tensor1d([0], 'int32');

test('HE loss, Eq. (6), against hand values', () => {
  const cos = tf.tensor2d([[0.6, 0.8]]);
  const y = y0();
  // s = 15, m = 0.2: logits [15 (0.6 - 0.2), 15 * 0.8] = [6, 12]; CE = log(1 + e^(12 - 6)) = 6.0024757
  assertClose(heLogits(cos, y).dataSync(), [6, 12], 1e-5);
  assertClose(heCrossEntropy(cos, y).dataSync(), [6.0024757], 1e-4);
  assert.equal(HE_DEFAULTS, { s: 15, m: 0.2 });
  // attack loss, m = 0: logits [9, 12]; CE = log(1 + e^3) = 3.0485874
  const ctx = { model: undefined as never, x: cos, y, logits: cos, features: cos };
  assertClose(heAttackLoss()(ctx).dataSync(), [3.0485874], 1e-4);
  // the adaptive attack with the training margin equals the training loss
  assertClose(heAttackLoss({ m: 0.2 })(ctx).dataSync(), [6.0024757], 1e-4);
  assertClose(heTrainingLoss({ s: 15, m: 0.2 })(ctx).dataSync(), [6.0024757], 1e-4);
  // s = 1, m = 0 is plain CE on cos: log(1 + e^0.2) = 0.7981389
  assertClose(heLoss({ s: 1, m: 0 })(ctx).dataSync(), [0.7981389], 1e-5);
  tf.dispose([cos, y]);
});

test('m-HE on the angular head: -log S(-15 (theta + 0.1 onehot))_y by hand', () => {
  // features [3, 4], W = [[1, 0], [0, 2]]: cos = [0.6, 0.8], theta = [0.9272952, 0.6435011].
  // logits = 15 * [-(0.9272952 + 0.1), -0.6435011] = [-15.409428, -9.652517]; CE = log(1 + e^5.756911) = 5.7600675
  const m = linear([[1, 0], [0, 2]], { head: hypersphereHead({ angular: true }) });
  const x = tf.tensor2d([[0.3, 0.4]]);
  const y = y0();
  const v = tf.tidy(() => {
    const f = m.apply(x);
    return mheLoss()({ model: m, x, y, logits: f.logits, features: f.features }).dataSync();
  });
  assertClose(v, [5.7600675], 1e-3);
  assert.equal(MHE_DEFAULTS, { s: 15, m: 0.1 });
  tf.dispose([x, y]);
  m.dispose();
});

test('the HE attack loss drives PGD: the cos of the true class drops', () => {
  const m = linear([[1, 0], [0, 1]], { head: hypersphereHead() });
  const x = tf.tensor2d([[0.9, 0.3], [0.2, 0.8]]);
  const y = tf.tensor1d([0, 1], 'int32');
  const trueCos = (inp: tf.Tensor) => tf.tidy(() => Array.from(m.apply(inp).logits.mul(tf.oneHot(y, 2)).sum(1).dataSync()));
  const before = trueCos(x);
  const xa = pgd(m, x, y, { eps: 0.2, steps: 5, stepSize: 0.05, loss: heAttackLoss(), randomStart: false });
  const after = trueCos(xa);
  assert.ok(after[0] < before[0] - 0.05 && after[1] < before[1] - 0.05, `${before} -> ${after}`);
  tf.dispose([x, y, xa]);
  m.dispose();
});

test.run();
