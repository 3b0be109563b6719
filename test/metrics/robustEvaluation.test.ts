import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine } from '../helpers/setup';
import { trainedHalves } from '../attacks/trainedModels';
import { evaluate, defaultAttacks, autoAttackStandard, type EvaluationAttack } from '../../lib/metrics/robustEvaluation';
import { spsaRecord } from '../../lib/attacks/blackBox';
import { stopGradient } from '../../lib/tensor/ops';
import type { Classifier } from '../../lib/models/classifier';

let model: Classifier;
let X: tf.Tensor;
let Y: tf.Tensor1D;

test.before(async () => {
  await engine();
  const d = await trainedHalves();
  model = d.model;
  X = d.x.slice(0, 32);
  Y = d.y.slice(0, 32);
});

const spsaEntry: EvaluationAttack = { name: 'spsa', blackBox: true, run: (m, x, y, t) => spsaRecord(m, x, y, { ...t, norm: 'linf', steps: 10, samples: 64 }).adversarial };

test('ensemble: robust accuracy falls attack by attack, ends at the last row, no flags on an honest model', async () => {
  const before = tf.memory().numTensors;
  const r = await evaluate(model, X, Y, { norm: 'linf', eps: 0.12, attacks: defaultAttacks(2, 10), log: () => {} });
  assert.is(tf.memory().numTensors, before, 'no leak');
  assert.equal(r.perAttack.map((a) => a.attack), ['apgd-ce', 'apgd-cw']);
  assert.ok(r.clean.accuracy > 0.9);
  assert.ok(r.perAttack[0].robust.accuracy < r.clean.accuracy);
  assert.ok(r.perAttack[1].robust.accuracy <= r.perAttack[0].robust.accuracy);
  assert.is(r.robust.accuracy, r.perAttack[1].robust.accuracy);
  // flipped counts add up: clean-correct minus robust.
  assert.is(r.perAttack[0].flipped + r.perAttack[1].flipped, Math.round((r.clean.accuracy - r.robust.accuracy) * 32));
  assert.equal(r.flags, []);
  assert.ok(r.checks!.accuracyByEps[2].accuracy < r.checks!.accuracyByEps[0].accuracy || r.checks!.accuracyByEps[0].accuracy === 0);
});

test("AutoAttack's standard version: APGD-CE, APGD-T, FAB-T, Square for l-inf; no Square for l2; fast by default", () => {
  const names = (a: EvaluationAttack[]) => a.map((e) => e.name);
  assert.equal(names(autoAttackStandard(10)), ['apgd-ce', 'apgd-t', 'fab-t', 'square']);
  assert.equal(names(defaultAttacks(10, 100, { version: 'standard', norm: 'l2' })), ['apgd-ce', 'apgd-t', 'fab-t']);
  assert.equal(names(autoAttackStandard(3)), ['apgd-ce', 'apgd-dlr', 'fab', 'square']);
  assert.equal(names(defaultAttacks(10)), ['apgd-ce', 'apgd-t']);
  assert.ok(autoAttackStandard(10).find((e) => e.name === 'square')!.blackBox);
  assert.throws(() => defaultAttacks(10, 100, { version: 'plus' as 'fast' }), /version: must be one of "fast", "standard", got "plus"/);
});

test('the standard ensemble with FAB and Square: one row per attack, final robust accuracy <= each attack alone', async () => {
  const attacks = autoAttackStandard(2, { steps: 10, queries: 200 });
  const before = tf.memory().numTensors;
  const r = await evaluate(model, X, Y, { norm: 'linf', eps: 0.12, attacks, checks: false, log: () => {} });
  assert.is(tf.memory().numTensors, before, 'no leak');
  assert.equal(r.perAttack.map((a) => a.attack), ['apgd-ce', 'apgd-cw', 'fab', 'square']);
  r.perAttack.slice(1).forEach((row, i) => assert.ok(row.robust.accuracy <= r.perAttack[i].robust.accuracy));
  assert.is(r.robust.accuracy, r.perAttack[3].robust.accuracy);
  assert.is(r.perAttack.reduce((a, row) => a + row.flipped, 0), Math.round((r.clean.accuracy - r.robust.accuracy) * 32));
  for (const a of attacks) {
    const single = await evaluate(model, X, Y, { norm: 'linf', eps: 0.12, attacks: [a], checks: false, log: () => {} });
    assert.ok(single.robust.accuracy < single.clean.accuracy, `${a.name} alone fools some points`);
    assert.ok(r.robust.accuracy <= single.robust.accuracy, `${a.name}: ensemble ${r.robust.accuracy} vs alone ${single.robust.accuracy}`);
  }
});

test('masking flags: zero gradients, black-box beating white-box, randomness', async () => {
  // A model whose input gradient is cut: white-box attacks see zero gradients, a black-box attack does not care.
  const masked: Classifier = { ...model, name: 'masked', inputShape: model.inputShape, numClasses: model.numClasses, apply: (x, o) => model.apply(stopGradient(x), o) };
  const lines: string[] = [];
  const r = await evaluate(masked, X, Y, { norm: 'linf', eps: 0.15, attacks: [...defaultAttacks(2, 5), spsaEntry], epsMultipliers: [2], log: (l) => lines.push(l) });
  assert.is(r.checks!.zeroGradientFraction, 1);
  assert.ok(r.flags.some((f) => /gradient is exactly zero for 100.0%/.test(f)), r.flags.join('\n'));
  assert.ok(r.checks!.blackBoxFlipped > 0 && r.flags.some((f) => /black-box attack spsa found/.test(f)));
  assert.ok(r.flags.some((f) => /does not fall with eps/.test(f)));
  assert.ok(lines.length >= 3, 'flags are printed');
  let calls = 0;
  const noisy: Classifier = { ...masked, apply: (x, o) => { calls++; const f = model.apply(x, o); return { ...f, logits: f.logits.add(calls * 1e-3) }; } };
  const r2 = await evaluate(noisy, X, Y, { norm: 'linf', eps: 0.05, attacks: defaultAttacks(2, 2), epsMultipliers: [], log: () => {} });
  assert.ok(r2.flags.some((f) => /randomness in the model/.test(f)));
});

test.run();
