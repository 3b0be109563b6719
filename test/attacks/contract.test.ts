/**
 * The attack contract, over a registry of every attack x a tiny trained model: output shape, inside the
 * eps-ball and [0, 1] (or, for minimum-norm attacks, norms that match the output), robust accuracy <= clean,
 * repeatable with a seed, no tensor leak.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine, assertClose } from '../helpers/setup';
import { trainedHalves, trainedQuadrants } from '../helpers/trainedModels';
import { correct } from '../helpers/metrics';
import { pgd, mim } from '../../lib/attacks/pgd';
import { fgsm } from '../../lib/attacks/fgsm';
import { apgdCe, apgdDlr, apgdT } from '../../lib/attacks/apgd';
import { deepfool, cwL2 } from '../../lib/attacks/minNorm';
import { spsa, nes, zoo, zooL2, spsaSigned, nesPlain } from '../../lib/attacks/blackBox';
import { fab, fabRecord, fabT } from '../../lib/attacks/fab';
import { square } from '../../lib/attacks/square';
import { featureAttack } from '../../lib/attacks/featureAttack';
import { restarts, onRobust, type AttackResult } from '../../lib/attacks/frame';
import { cwLoss } from '../../lib/losses/margin';
import { lpNorm } from '../../lib/tensor/norms';
import type { Classifier } from '../../lib/models/classifier';

interface Entry {
  name: string;
  model: 'halves' | 'quadrants';
  /** The record form of the attack: its norm and eps (null for minimum-norm attacks) come with the result. */
  run: (m: Classifier, x: tf.Tensor, y: tf.Tensor1D, seed: number) => AttackResult;
  /** The ball the threat model must respect, checked against the record's own norm and eps. */
  ball?: number;
}

const E = 0.1;
const registry: Entry[] = [
  { name: 'fgsm', model: 'halves', ball: E, run: (m, x, y, seed) => fgsm.record(m, x, y, { eps: E, seed }) },
  { name: 'pgd-linf', model: 'halves', ball: E, run: (m, x, y, seed) => pgd.record(m, x, y, { eps: E, steps: 5, relStepsize: 0.25, seed }) },
  { name: 'pgd-l2', model: 'halves', ball: 0.8, run: (m, x, y, seed) => pgd.record(m, x, y, { norm: 'l2', eps: 0.8, steps: 5, relStepsize: 0.25, seed }) },
  { name: 'pgd-l1', model: 'halves', ball: 4, run: (m, x, y, seed) => pgd.record(m, x, y, { norm: 'l1', eps: 4, steps: 5, relStepsize: 0.25, seed }) },
  { name: 'cw-linf (pgd + cwLoss)', model: 'halves', ball: E, run: (m, x, y, seed) => pgd.record(m, x, y, { eps: E, steps: 5, relStepsize: 0.25, loss: cwLoss, seed }) },
  { name: 'mim', model: 'halves', ball: E, run: (m, x, y, seed) => mim.record(m, x, y, { eps: E, steps: 5, relStepsize: 0.25, seed }) },
  { name: 'apgd-ce', model: 'halves', ball: E, run: (m, x, y, seed) => apgdCe.record(m, x, y, { eps: E, steps: 10, seed }) },
  { name: 'apgd-dlr', model: 'quadrants', ball: E, run: (m, x, y, seed) => apgdDlr.record(m, x, y, { eps: E, steps: 10, seed }) },
  { name: 'apgd-t', model: 'quadrants', ball: E, run: (m, x, y, seed) => apgdT.record(m, x, y, { eps: E, steps: 5, targetClasses: 2, seed }) },
  { name: 'feature', model: 'quadrants', ball: E, run: (m, x, y, seed) => featureAttack.record(m, x, y, { eps: E, steps: 5, relStepsize: 0.25, seed }) },
  { name: 'spsa', model: 'halves', ball: E, run: (m, x, y, seed) => spsa.record(m, x, y, { eps: E, steps: 5, samples: 32, seed }) },
  { name: 'spsa-signed', model: 'halves', ball: E, run: (m, x, y, seed) => spsaSigned.record(m, x, y, { eps: E, steps: 5, samples: 32, seed }) },
  { name: 'nes', model: 'halves', ball: E, run: (m, x, y, seed) => nes.record(m, x, y, { eps: E, steps: 5, samples: 32, seed }) },
  { name: 'nes-plain', model: 'halves', ball: E, run: (m, x, y, seed) => nesPlain.record(m, x, y, { eps: E, steps: 5, samples: 32, seed }) },
  { name: 'zoo', model: 'halves', ball: E, run: (m, x, y, seed) => zoo.record(m, x, y, { eps: E, queries: 200, coordinates: 8, lr: 0.02, seed }) },
  { name: 'square', model: 'quadrants', ball: E, run: (m, x, y, seed) => square.record(m, x, y, { eps: E, queries: 100, seed }) },
  { name: 'square-l2', model: 'quadrants', ball: 0.8, run: (m, x, y, seed) => square.record(m, x, y, { norm: 'l2', eps: 0.8, queries: 100, seed }) },
  { name: 'fab (ball)', model: 'halves', ball: E, run: (m, x, y, seed) => fab.record(m, x, y, { eps: E, steps: 10, restarts: 2, seed }) },
  { name: 'fab-l2 (ball)', model: 'quadrants', ball: 0.8, run: (m, x, y, seed) => fab.record(m, x, y, { norm: 'l2', eps: 0.8, steps: 10, seed }) },
  { name: 'fab-t (ball)', model: 'quadrants', ball: E, run: (m, x, y, seed) => fabT.record(m, x, y, { eps: E, steps: 5, targetClasses: 2, seed }) },
  { name: 'pgd x3 restarts (combinator)', model: 'halves', ball: E, run: (m, x, y, seed) => restarts(pgd, 3)(m, x, y, { eps: E, steps: 3, relStepsize: 0.25, seed }) },
  { name: 'square on robust points (combinator)', model: 'quadrants', ball: E, run: (m, x, y, seed) => onRobust(square)(m, x, y, { eps: E, queries: 50, seed }) },
  { name: 'deepfool-l2', model: 'quadrants', run: (m, x, y) => deepfool.record(m, x, y, { norm: 'l2', steps: 20 }) },
  { name: 'deepfool-linf', model: 'quadrants', run: (m, x, y) => deepfool.record(m, x, y, { norm: 'linf', steps: 20 }) },
  { name: 'cw-l2', model: 'halves', run: (m, x, y) => cwL2.record(m, x, y, { steps: 20, binarySteps: 2, initialConst: 10, lr: 0.05 }) },
  { name: 'fab-l2', model: 'quadrants', run: (m, x, y, seed) => fabRecord(m, x, y, { norm: 'l2', steps: 10, restarts: 2, eps: 0.5, seed }) },
  { name: 'fab-linf', model: 'halves', run: (m, x, y) => fabRecord(m, x, y, { norm: 'linf', steps: 10 }) },
  { name: 'zoo-l2', model: 'halves', run: (m, x, y, seed) => zooL2.record(m, x, y, { queries: 40 * 17, coordinates: 8, lr: 0.1, seed }) },
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

for (const e of registry) {
  test(`${e.name}: shape, threat model, bounds, record, accuracy, seed, memory`, () => {
    const { model, x, y } = models[e.model];
    const r = e.run(model, x, y, 5);
    const xa = r.adversarial;
    assert.equal(xa.shape, x.shape);
    const v = xa.dataSync();
    assert.ok(Math.min(...v) >= 0 && Math.max(...v) <= 1, 'inside [0, 1]');
    // The record states its norm; its norms are the output's, its success flags the predictions'.
    assertClose(r.perturbationNorm, lpNorm(xa.sub(x), r.norm).dataSync(), 1e-5, 0, 'norms');
    assert.equal(r.success, correct(model, xa, y).map((c) => !c), 'success means misclassified');
    if (e.ball !== undefined) {
      assert.is(r.eps, e.ball, 'record carries the ball');
      assert.ok(Math.max(...r.perturbationNorm) <= e.ball * (1 + 1e-4) + 1e-6, `max ${r.norm} distance ${Math.max(...r.perturbationNorm)} > ${e.ball}`);
    } else {
      assert.is(r.eps, null, 'a minimum-norm record has no ball');
      assert.ok(r.success.some(Boolean), 'finds some adversarial example');
    }
    if (r.queries) assert.ok(r.queries.every((q) => q >= 1), 'queries counted');
    const clean = correct(model, x, y);
    const sum = (a: number[]) => a.reduce((s, b) => s + b, 0);
    assert.ok(sum(r.success.map((s) => (s ? 0 : 1))) <= sum(clean), `robust > clean`);
    const again = e.run(model, x, y, 5).adversarial;
    assertClose(again.dataSync(), v, 0, 0, 'same seed, same output');
    tf.dispose([xa, again]);
    const before = tf.memory().numTensors;
    e.run(model, x, y, 6).adversarial.dispose();
    assert.is(tf.memory().numTensors, before, 'no tensor leak');
  });
}

test.run();
