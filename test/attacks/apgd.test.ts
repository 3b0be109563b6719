import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine } from '../helpers/setup';
import { trainedQuadrants } from '../helpers/trainedModels';
import { accuracy } from '../helpers/metrics';
import { apgd, apgdCe, apgdDlr, apgdT, apgdCheckpoints } from '../../lib/attacks/apgd';
import { pgd } from '../../lib/attacks/pgd';
import { lpNorm } from '../../lib/tensor/norms';
import type { Classifier } from '../../lib/models/classifier';

let model: Classifier;
let X: tf.Tensor;
let Y: tf.Tensor1D;

test.before(async () => {
  await engine();
  const d = await trainedQuadrants();
  model = d.model;
  X = d.x.slice(0, 64);
  Y = d.y.slice(0, 64);
});

const acc = (x: tf.Tensor) => accuracy(model, x, Y);

test('checkpoints follow p_{j+1} = p_j + max(p_j - p_{j-1} - 0.03, 0.06)', () => {
  // p = 0, .22, .41 (+.19), .57 (+.16), .70 (+.13), .80 (+.10), .87 (+.07), .93 (+.06), .99, 1.05
  // -> ceil(100 p), dropping the one past 100.
  assert.equal(apgdCheckpoints(100), [0, 22, 41, 57, 70, 80, 87, 93, 99]);
});

test('APGD-CE and APGD-DLR are at least as strong as PGD-20 on a small trained CNN', () => {
  const clean = acc(X);
  assert.ok(clean > 0.9, `fixture should learn (clean ${clean})`);
  const eps = 0.08;
  const aPgd = acc(pgd(model, X, Y, { eps, steps: 20, relStepsize: 0.1 }));
  const aCe = acc(apgdCe(model, X, Y, { eps, steps: 20 }));
  const aDlr = acc(apgdDlr(model, X, Y, { eps, steps: 20 }));
  assert.ok(aPgd < clean, `pgd ${aPgd} vs clean ${clean}`);
  assert.ok(aCe <= aPgd, `apgd-ce ${aCe} vs pgd-20 ${aPgd}`);
  assert.ok(aDlr <= aPgd + 1 / 64, `apgd-dlr ${aDlr} vs pgd-20 ${aPgd}`);
});

test('APGD-T and restarts stay in the ball and never weaken the attack', () => {
  const eps = 0.08;
  const one = apgd(model, X, Y, { eps, steps: 10, seed: 3 });
  const three = apgd(model, X, Y, { eps, steps: 10, seed: 3, restarts: 3 });
  const t = apgdT(model, X, Y, { eps, steps: 10, targetClasses: 3 });
  assert.ok(acc(three) <= acc(one));
  for (const xa of [one, three, t]) {
    assert.ok(lpNorm(xa.sub(X), 'linf').max().dataSync()[0] <= eps + 1e-6);
    assert.ok(xa.min().dataSync()[0] >= 0 && xa.max().dataSync()[0] <= 1);
  }
  assert.ok(acc(t) < acc(X));
  const l2 = apgd(model, X, Y, { norm: 'l2', eps: 0.5, steps: 10 });
  assert.ok(lpNorm(l2.sub(X), 'l2').max().dataSync()[0] <= 0.5 + 1e-4);
  assert.ok(acc(l2) < acc(X));
});

test('bad momentum is named in the error', () => {
  assert.throws(() => apgd(model, X, Y, { momentum: 2 }), /momentum: must be at most 1, got 2/);
});

test.run();
