import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine, assertClose } from '../helpers/setup';
import { boxVectors } from '../helpers/fixtures';
import { trainedHalves } from '../helpers/trainedModels';
import { accuracy, meanLoss } from '../helpers/metrics';
import { mlp } from '../../lib/models/mlp';
import { pgd } from '../../lib/attacks/pgd';
import { fgsm } from '../../lib/attacks/fgsm';
import { lpNorm } from '../../lib/tensor/norms';
import { crossEntropy } from '../../lib/losses/crossEntropy';
import type { Classifier } from '../../lib/models/classifier';

let cnn: Classifier;
const data = { x: undefined as unknown as tf.Tensor, y: undefined as unknown as tf.Tensor1D };

test.before(async () => {
  await engine();
  const d = await trainedHalves();
  data.x = d.x;
  data.y = d.y;
  cnn = d.model;
});

test('FGSM and PGD reach the closed-form optimum on a linear binary model (l-inf and l2)', () => {
  const model = mlp({ inputShape: [6], hidden: [], numClasses: 2, seed: 5 });
  const { x, y } = boxVectors(4, 6, 2, 3);
  const [W] = model.trainableVariables();
  const w = W.arraySync() as number[][]; // [6, 2]
  const eps = 0.1;
  const xv = x.arraySync();
  const yv = Array.from(y.dataSync());
  // Untargeted CE on a linear 2-class model: the loss grows along w_other - w_y; the l-inf optimum is
  // eps * sign(w_other - w_y), the l2 optimum eps * (w_other - w_y) / ||w_other - w_y||.
  const dir = (i: number) => w.map((row) => row[1 - yv[i]] - row[yv[i]]);
  const expLinf = xv.map((r, i) => r.map((v, j) => v + eps * Math.sign(dir(i)[j])));
  const expL2 = xv.map((r, i) => {
    const d = dir(i);
    const n = Math.hypot(...d);
    return r.map((v, j) => v + (eps * d[j]) / n);
  });
  assertClose((fgsm(model, x, y, { eps }) as tf.Tensor2D).arraySync().flat(), expLinf.flat(), 1e-5, 0, 'fgsm linf');
  assertClose((pgd(model, x, y, { eps, steps: 30, relStepsize: 0.1, randomStart: 'uniform' }) as tf.Tensor2D).arraySync().flat(), expLinf.flat(), 1e-5, 0, 'pgd linf');
  assertClose((fgsm(model, x, y, { eps, norm: 'l2' }) as tf.Tensor2D).arraySync().flat(), expL2.flat(), 1e-5, 0, 'fgm l2');
  assertClose((pgd(model, x, y, { norm: 'l2', eps, steps: 15, relStepsize: 0.1, randomStart: false }) as tf.Tensor2D).arraySync().flat(), expL2.flat(), 1e-5, 0, 'pgd l2');
  model.dispose();
});

for (const norm of ['linf', 'l2', 'l1'] as const) {
  test(`PGD ${norm}: inside the eps-ball and [0, 1], loss above clean, accuracy not above clean`, () => {
    const eps = norm === 'linf' ? 0.1 : norm === 'l2' ? 0.8 : 4;
    const x = data.x.slice(0, 64);
    const y = data.y.slice(0, 64);
    const xa = pgd(cnn, x, y, { norm, eps, steps: 10, relStepsize: 0.25 });
    assert.equal(xa.shape, x.shape);
    const dist = lpNorm(xa.sub(x), norm).dataSync();
    assert.ok(Math.max(...dist) <= eps * (1 + 1e-4) + 1e-6, `max ${norm} distance ${Math.max(...dist)} > ${eps}`);
    const v = xa.dataSync();
    assert.ok(Math.min(...v) >= 0 && Math.max(...v) <= 1);
    assert.ok(meanLoss(cnn, xa, y) > meanLoss(cnn, x, y));
    assert.ok(accuracy(cnn, xa, y) <= accuracy(cnn, x, y));
  });
}

test('PGD-20 is at least as strong as FGSM, and both beat the clean accuracy', () => {
  const x = data.x.slice(0, 128);
  const y = data.y.slice(0, 128);
  const clean = accuracy(cnn, x, y);
  const aF = accuracy(cnn, fgsm(cnn, x, y, { eps: 0.12 }), y);
  const aP = accuracy(cnn, pgd(cnn, x, y, { eps: 0.12, steps: 20, relStepsize: 0.1 }), y);
  assert.ok(clean > 0.9, `the fixture model should learn the task (clean ${clean})`);
  assert.ok(aF < clean, `fgsm ${aF} vs clean ${clean}`);
  assert.ok(aP <= aF, `pgd ${aP} vs fgsm ${aF}`);
});

test('targeted PGD reaches the target on an easy model', () => {
  const x = data.x.slice(0, 32);
  const y = data.y.slice(0, 32);
  const target = tf.sub(1, y).toInt() as tf.Tensor1D;
  const xa = pgd(cnn, x, target, { eps: 0.5, steps: 30, relStepsize: 0.1, targeted: true });
  assert.ok(accuracy(cnn, xa, target) > 0.95);
});

test('restarts keep the worst case per example; seeds repeat exactly', () => {
  const x = data.x.slice(0, 32);
  const y = data.y.slice(0, 32);
  const a = pgd(cnn, x, y, { eps: 0.08, steps: 3, seed: 7 }).dataSync();
  const b = pgd(cnn, x, y, { eps: 0.08, steps: 3, seed: 7 }).dataSync();
  assertClose(a, b, 0);
  const one = tf.tidy(() => crossEntropy(cnn.apply(pgd(cnn, x, y, { eps: 0.08, steps: 3, seed: 7 })).logits, y).dataSync());
  const five = tf.tidy(() => crossEntropy(cnn.apply(pgd(cnn, x, y, { eps: 0.08, steps: 3, seed: 7, restarts: 5 })).logits, y).dataSync());
  // The first restart draws the same start as the single run, and a restart replaces an example only when it
  // is better, so no example can end with a lower loss unless it was flipped to a success.
  const flipped = tf.tidy(() => cnn.apply(pgd(cnn, x, y, { eps: 0.08, steps: 3, seed: 7, restarts: 5 })).logits.argMax(1).notEqual(y).dataSync());
  for (let i = 0; i < 32; i++) assert.ok(five[i] >= one[i] - 1e-5 || flipped[i], `example ${i}: ${five[i]} < ${one[i]}`);
});

test('no tensor leaks across attack iterations', () => {
  const x = data.x.slice(0, 16);
  const y = data.y.slice(0, 16);
  pgd(cnn, x, y, { steps: 2 }).dispose();
  const before = tf.memory().numTensors;
  pgd(cnn, x, y, { steps: 5, restarts: 2 }).dispose();
  pgd(cnn, x, y, { steps: 10, norm: 'l1', eps: 2 }).dispose();
  fgsm(cnn, x, y).dispose();
  assert.is(tf.memory().numTensors, before);
  x.dispose();
  y.dispose();
});

test('bad input fails with a message naming the argument', () => {
  const x = data.x.slice(0, 4);
  const y = data.y.slice(0, 4);
  assert.throws(() => pgd(cnn, x, y, { eps: -1 }), /eps: must be a finite number >= 0, got -1/);
  assert.throws(() => pgd(cnn, x.reshape([4, 64]), y), /x: expected rank 4 \[batch, 8, 8, 1\], got a tensor of shape \[4, 64\]/);
  assert.throws(() => pgd(cnn, tf.zeros([4, 8, 8, 3]), y), /x: expected shape \[\*, 8, 8, 1\], got \[4, 8, 8, 3\]/);
  assert.throws(() => pgd(cnn, x.add(1), y), /x: values must lie in \[0, 1\]/);
  assert.throws(() => pgd(cnn, x.mul(NaN), y), /x: contains NaN or Infinity/);
  assert.throws(() => pgd(cnn, x, tf.tensor1d([0, 1, 2, 0], 'int32')), /y: labels must be integers in \[0, 1\], saw values in \[0, 2\]/);
  assert.throws(() => pgd(cnn, x, y.slice(0, 3)), /x and y must have the same batch size: x has 4, y has 3/);
  assert.throws(() => pgd(cnn, x, y, { norm: 'l3' as never }), /norm: must be one of "linf", "l2", "l1", got "l3"/);
});

test.run();
