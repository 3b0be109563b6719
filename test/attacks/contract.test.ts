/**
 * The attack contract, over a registry of every attack x a tiny trained model: output shape, inside the
 * eps-ball and [0, 1] (or, for minimum-norm attacks, norms that match the output), robust accuracy <= clean,
 * repeatable with a seed, no tensor leak.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine, assertClose } from '../helpers/setup';
import { trainedHalves, trainedQuadrants } from './trainedModels';
import { pgd, mim } from '../../lib/attacks/pgd';
import { fgsm } from '../../lib/attacks/fgsm';
import { apgdCe, apgdDlr, apgdT } from '../../lib/attacks/apgd';
import { deepfoolRecord, cwL2Record, type MinNormResult } from '../../lib/attacks/minNorm';
import { spsaRecord, nesRecord, zooRecord } from '../../lib/attacks/blackBox';
import { fab, fabRecord, fabT } from '../../lib/attacks/fab';
import { squareRecord } from '../../lib/attacks/square';
import { featureAttack } from '../../lib/attacks/featureAttack';
import { cwLoss } from '../../lib/losses/margin';
import { lpNorm } from '../../lib/tensor/norms';
import type { Classifier } from '../../lib/models/classifier';
import type { Norm } from '../../lib/types';

interface Entry {
  name: string;
  model: 'halves' | 'quadrants';
  /** A ball attack (norm, eps) or a minimum-norm attack returning a record (ball null). */
  ball: { norm: Norm; eps: number } | null;
  run: (m: Classifier, x: tf.Tensor, y: tf.Tensor1D, seed: number) => tf.Tensor | MinNormResult;
}

const E = 0.1;
const registry: Entry[] = [
  { name: 'fgsm', model: 'halves', ball: { norm: 'linf', eps: E }, run: (m, x, y, seed) => fgsm(m, x, y, { eps: E, seed }) },
  { name: 'pgd-linf', model: 'halves', ball: { norm: 'linf', eps: E }, run: (m, x, y, seed) => pgd(m, x, y, { eps: E, steps: 5, relStepsize: 0.25, seed }) },
  { name: 'pgd-l2', model: 'halves', ball: { norm: 'l2', eps: 0.8 }, run: (m, x, y, seed) => pgd(m, x, y, { norm: 'l2', eps: 0.8, steps: 5, relStepsize: 0.25, seed }) },
  { name: 'cw-linf (pgd + cwLoss)', model: 'halves', ball: { norm: 'linf', eps: E }, run: (m, x, y, seed) => pgd(m, x, y, { eps: E, steps: 5, relStepsize: 0.25, loss: cwLoss, seed }) },
  { name: 'mim', model: 'halves', ball: { norm: 'linf', eps: E }, run: (m, x, y, seed) => mim(m, x, y, { eps: E, steps: 5, relStepsize: 0.25, seed }) },
  { name: 'apgd-ce', model: 'halves', ball: { norm: 'linf', eps: E }, run: (m, x, y, seed) => apgdCe(m, x, y, { eps: E, steps: 10, seed }) },
  { name: 'apgd-dlr', model: 'quadrants', ball: { norm: 'linf', eps: E }, run: (m, x, y, seed) => apgdDlr(m, x, y, { eps: E, steps: 10, seed }) },
  { name: 'apgd-t', model: 'quadrants', ball: { norm: 'linf', eps: E }, run: (m, x, y, seed) => apgdT(m, x, y, { eps: E, steps: 5, targetClasses: 2, seed }) },
  { name: 'feature', model: 'quadrants', ball: { norm: 'linf', eps: E }, run: (m, x, y, seed) => featureAttack(m, x, y, { eps: E, steps: 5, relStepsize: 0.25, seed }) },
  { name: 'spsa', model: 'halves', ball: { norm: 'linf', eps: E }, run: (m, x, y, seed) => spsaRecord(m, x, y, { eps: E, steps: 5, samples: 32, seed }).adversarial },
  { name: 'nes', model: 'halves', ball: { norm: 'linf', eps: E }, run: (m, x, y, seed) => nesRecord(m, x, y, { eps: E, steps: 5, samples: 32, seed }).adversarial },
  { name: 'zoo', model: 'halves', ball: { norm: 'linf', eps: E }, run: (m, x, y, seed) => zooRecord(m, x, y, { eps: E, queries: 200, coordinates: 8, lr: 0.02, seed }).adversarial },
  { name: 'square', model: 'quadrants', ball: { norm: 'linf', eps: E }, run: (m, x, y, seed) => squareRecord(m, x, y, { eps: E, queries: 100, seed }).adversarial },
  { name: 'fab (ball)', model: 'halves', ball: { norm: 'linf', eps: E }, run: (m, x, y, seed) => fab(m, x, y, { eps: E, steps: 10, restarts: 2, seed }) },
  { name: 'fab-l2 (ball)', model: 'quadrants', ball: { norm: 'l2', eps: 0.8 }, run: (m, x, y, seed) => fab(m, x, y, { norm: 'l2', eps: 0.8, steps: 10, seed }) },
  { name: 'fab-t (ball)', model: 'quadrants', ball: { norm: 'linf', eps: E }, run: (m, x, y, seed) => fabT(m, x, y, { eps: E, steps: 5, targetClasses: 2, seed }) },
  { name: 'deepfool-l2', model: 'quadrants', ball: null, run: (m, x, y) => deepfoolRecord(m, x, y, { norm: 'l2', steps: 20 }) },
  { name: 'deepfool-linf', model: 'quadrants', ball: null, run: (m, x, y) => deepfoolRecord(m, x, y, { norm: 'linf', steps: 20 }) },
  { name: 'cw-l2', model: 'halves', ball: null, run: (m, x, y) => cwL2Record(m, x, y, { steps: 20, binarySteps: 2, initialConst: 10, lr: 0.05 }) },
  { name: 'fab-l2', model: 'quadrants', ball: null, run: (m, x, y, seed) => fabRecord(m, x, y, { norm: 'l2', steps: 10, restarts: 2, eps: 0.5, seed }) },
  { name: 'fab-linf', model: 'halves', ball: null, run: (m, x, y) => fabRecord(m, x, y, { norm: 'linf', steps: 10 }) },
];

const models: Record<string, { model: Classifier; x: tf.Tensor; y: tf.Tensor1D }> = {};

test.before(async () => {
  await engine();
  for (const [k, make] of [['halves', trainedHalves], ['quadrants', trainedQuadrants]] as const) {
    const d = await make();
    models[k] = { model: d.model, x: d.x.slice(0, 16), y: d.y.slice(0, 16) };
    tf.dispose([d.x, d.y]);
  }
});

const correct = (m: Classifier, x: tf.Tensor, y: tf.Tensor1D) => tf.tidy(() => Array.from(m.apply(x).logits.argMax(1).equal(y).dataSync()));
const out = (r: tf.Tensor | MinNormResult) => (r instanceof tf.Tensor ? r : r.adversarial);

for (const e of registry) {
  test(`${e.name}: shape, threat model, bounds, accuracy, seed, memory`, () => {
    const { model, x, y } = models[e.model];
    const first = e.run(model, x, y, 5);
    const xa = out(first);
    assert.equal(xa.shape, x.shape);
    const v = xa.dataSync();
    assert.ok(Math.min(...v) >= 0 && Math.max(...v) <= 1, 'inside [0, 1]');
    if (e.ball) {
      const d = lpNorm(xa.sub(x), e.ball.norm).dataSync();
      assert.ok(Math.max(...d) <= e.ball.eps * (1 + 1e-4) + 1e-6, `max ${e.ball.norm} distance ${Math.max(...d)} > ${e.ball.eps}`);
    } else {
      const r = first as MinNormResult;
      assertClose(r.perturbationNorm, lpNorm(xa.sub(x), e.name.endsWith('linf') ? 'linf' : 'l2').dataSync(), 1e-5, 0, 'norms');
      const wrong = correct(model, xa, y).map((c) => !c);
      assert.equal(r.success, wrong, 'success means misclassified');
      assert.ok(r.success.some(Boolean), 'finds some adversarial example');
    }
    const clean = correct(model, x, y);
    const robust = correct(model, xa, y);
    const sum = (a: number[]) => a.reduce((s, b) => s + b, 0);
    assert.ok(sum(robust) <= sum(clean), `robust ${sum(robust)} > clean ${sum(clean)}`);
    const again = out(e.run(model, x, y, 5));
    assertClose(again.dataSync(), v, 0, 0, 'same seed, same output');
    tf.dispose([xa, again]);
    const before = tf.memory().numTensors;
    out(e.run(model, x, y, 6)).dispose();
    assert.is(tf.memory().numTensors, before, 'no tensor leak');
  });
}

test.run();
