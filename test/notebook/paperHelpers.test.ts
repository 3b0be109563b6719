import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine, assertClose } from '../helpers/setup';
import { classWiseOf, errorsOf, gateLearned, errorRow, type CorruptionPredictions } from '../../lib/notebook/classwise';
import { claimNearRanks, corruptionAccuracy, familyAccuracy, perturbationProfiles } from '../../lib/notebook/neighbours';
import { claimGreater } from '../../lib/notebook/claims';
import { claimPairedGreater } from '../../lib/notebook/pairedClaims';
import type { Evaluation } from '../../lib/notebook/evaluation';
import { warmStart } from '../../lib/models/warmStart';
import { smallCnn } from '../../lib/models/smallCnn';
import { ComposedClassifier, linearHead } from '../../lib/models/compose';
import { ParamStore } from '../../lib/models/params';

test.before(engine);

const ev = (name: string, clean: number[], k = 2, seed = 0): Evaluation => ({ name, seed, numClasses: k, clean: Uint8Array.from(clean), correct: {}, seconds: 0 });

test('classWiseOf: per-class error from correctness alone, mean and population SD', () => {
  // labels 0,0,1,1; right, wrong, right, right: class errors [0.5, 0], mean 0.25, sd 0.25.
  const r = classWiseOf(ev('m', [1, 0, 1, 1]), 'clean', [0, 0, 1, 1]);
  assertClose(r.perClass, [0.5, 0], 1e-12);
  assertClose([r.mean, r.sd], [0.25, 0.25], 1e-12);
});

test('errorsOf and corruptionAccuracy: hand-made predictions; familyAccuracy averages by family', () => {
  const p: CorruptionPredictions = {
    corruptions: ['fog', 'gaussian_noise'], severities: [1, 2], labels: Int32Array.from([0, 1]),
    preds: [{ fog: [Int32Array.from([0, 1]), Int32Array.from([0, 0])], gaussian_noise: [Int32Array.from([1, 0]), Int32Array.from([1, 0])] }],
  };
  const [{ errors, record }] = errorsOf(p);
  assert.equal(errors, { fog: [0, 0.5], gaussian_noise: [1, 1] });
  assertClose(record.mCE, (0.25 + 1) / 2, 1e-12);
  const acc = corruptionAccuracy(p, 0);
  assertClose([acc.fog, acc.gaussian_noise], [0.75, 0], 1e-12);
  const fam = familyAccuracy(acc);
  assertClose([fam.weather, fam.noise, fam.average], [0.75, 0, 0.375], 1e-12);
});

test('claimNearRanks: three outcomes', () => {
  assert.is(claimNearRanks('near', [0, 90, 5, 5, 0, 0, 0, 0, 0, 0]).verdict, 'holds');
  assert.is(claimNearRanks('near', [0, 0, 0, 0, 0, 0, 0, 5, 5, 90]).verdict, 'does not hold');
  assert.is(claimNearRanks('near', [0, 10, 10, 10, 10, 10, 10, 10, 10, 10]).verdict, 'inconclusive');
  assert.is(claimNearRanks('near', new Array(10).fill(0)).verdict, 'inconclusive');
});

test('gateLearned: a chance-level model makes the verdict inconclusive', () => {
  const good = ev('a', new Array(100).fill(1).map((_, i) => (i < 90 ? 1 : 0)));
  const chance = ev('b', new Array(100).fill(0).map((_, i) => (i % 2 ? 1 : 0)));
  const v = claimGreater('a beats b', good, good, 'clean');
  assert.is(gateLearned(v, [good]).verdict, v.verdict);
  const g = gateLearned(v, [good, chance]);
  assert.is(g.verdict, 'inconclusive');
  assert.match(g.reason, /model did not learn: b/);
  assert.equal(errorRow('x', { clean: [0.1, 0.3] }).values.clean, { mean: 20, spread: 14.14, seeds: 2 }); // sample sd (n - 1) of 10 and 30
});

test('warmStart: copies every variable; a widened head keeps the base columns and its own extra one', () => {
  const arch = { inputShape: [8, 8, 3], channels: [2, 2] as [number, number] };
  const base = smallCnn({ ...arch, numClasses: 3, seed: 1 });
  const wide = smallCnn({ ...arch, numClasses: 4, seed: 2 });
  const extra = tf.tidy(() => wide.namedVariables()['head.w'].slice([0, 3], [-1, 1]).dataSync());
  warmStart(wide, base);
  const bw = base.namedVariables()['head.w'];
  const ww = wide.namedVariables()['head.w'];
  assertClose(tf.tidy(() => ww.slice([0, 0], [-1, 3]).dataSync()), bw.dataSync(), 0);
  assertClose(tf.tidy(() => ww.slice([0, 3], [-1, 1]).dataSync()), extra, 0);
  for (const [n, v] of Object.entries(base.namedVariables())) if (!n.startsWith('head')) assertClose(wide.namedVariables()[n].dataSync(), v.dataSync(), 0, 0, n);
  const other = smallCnn({ ...arch, channels: [3, 2], numClasses: 3 });
  assert.throws(() => warmStart(other, base), /warmStart: variable .*shapes differ/);
  [base, wide, other].forEach((m) => m.dispose());
});

test('perturbationProfiles: standard steps leave the true class, neighbour steps reach the neighbour; norms eta * steps', async () => {
  // Identity body, W = I over 3 classes: M = I, so a class's top-2 is itself and (ties by index) the lowest other.
  const p = new ParamStore(0);
  const h = linearHead(p, 3, 3);
  p.named()['head.w'].assign(tf.eye(3));
  const model = new ComposedClassifier('lin3', [3], 3, p, (x) => x, h);
  const x = tf.tensor2d([[0.6, 0.5, 0.4]]);
  const y = tf.tensor1d([0], 'int32');
  const before = tf.memory().numTensors;
  const [at, nbr] = await perturbationProfiles(model, x, y, { steps: 2, eta: 0.1, k: 1, excludeSelf: true });
  assert.is(tf.memory().numTensors, before);
  assert.equal(nbr.ranks, [0, 1, 0]); // lands on class 1, rank 2 of row 0 (M row 0 = [1, 0, 0]: 1 and 2 tie)
  assert.ok(at.ranks[0] === 0, `standard AT leaves class 0: ${at.ranks}`);
  assertClose([nbr.linf, at.linf], [0.2, 0.2], 1e-6);
  tf.dispose([x, y]);
  model.dispose();
});

test('claimPairedGreater: paired t on hand values (df 2: P(T > t) = (1 - t / sqrt(t^2 + 2)) / 2)', () => {
  // d = [1, 2, 3]: mean 2, sd 1, t = 2 sqrt(3) = 3.4641, two-sided p = 1 - 3.4641 / sqrt(14) = 0.0741799.
  const v = claimPairedGreater('a > b', [2, 4, 6], [1, 2, 3], ['a', 'b']);
  assertClose(v.p!, 0.0741799, 1e-6);
  assert.is(v.verdict, 'inconclusive');
  // d = [1, 1.1, 0.9]: t = 17.3205, p = 1 - 17.3205 / sqrt(302) = 0.0033168.
  const h = claimPairedGreater('a > b', [2, 2.1, 1.9], [1, 1, 1], ['a', 'b']);
  assertClose(h.p!, 0.0033168, 1e-6);
  assert.is(h.verdict, 'holds');
  assert.is(claimPairedGreater('b > a', [1, 1, 1], [2, 2.1, 1.9], ['b', 'a']).verdict, 'does not hold');
  assert.is(claimPairedGreater('one', [1], [0], ['a', 'b']).verdict, 'inconclusive');
  // The seeds' shared offsets cancel: unpaired these would be within noise.
  assert.is(claimPairedGreater('offsets', [10.5, 20.6, 30.4], [10, 20, 30], ['a', 'b']).verdict, 'holds');
  assert.throws(() => claimPairedGreater('x', [1, 2], [1], ['a', 'b']), /expected 2 values/);
});

test.run();
