import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine } from '../helpers/setup';
import { trainedHalves } from '../helpers/trainedModels';
import { evaluate, defaultAttacks, autoAttackStandard, type EvaluationAttack } from '../../lib/metrics/robustEvaluation';
import { spsa } from '../../lib/attacks/blackBox';
import { probabilityOutputs } from '../../lib/metrics/checks';
import { pgd } from '../../lib/attacks/pgd';
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

const spsaEntry: EvaluationAttack = { name: 'spsa', blackBox: true, run: (m, x, y, t) => spsa.record(m, x, y, { ...t, norm: 'linf', steps: 10, samples: 64, lr: 0.05 }) };

test('ensemble: robust accuracy falls attack by attack, ends at the last row, no flags on an honest model', async () => {
  const before = tf.memory().numTensors;
  const r = await evaluate(model, X, Y, { norm: 'linf', eps: 0.12, attacks: defaultAttacks(2, 10, { version: 'fast' }), log: () => {} });
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

test("AutoAttack's standard version (the default): APGD-CE, APGD-T, FAB-T, Square (l-inf and l2); 'fast' on request", () => {
  const names = (a: EvaluationAttack[]) => a.map((e) => e.name);
  assert.equal(names(autoAttackStandard(10)), ['apgd-ce', 'apgd-t', 'fab-t', 'square']);
  assert.equal(names(defaultAttacks(10, 100, { version: 'standard', norm: 'l2' })), ['apgd-ce', 'apgd-t', 'fab-t', 'square']);
  assert.equal(names(autoAttackStandard(3)), ['apgd-ce', 'apgd-dlr', 'fab', 'square']);
  assert.equal(names(defaultAttacks(10)), ['apgd-ce', 'apgd-t', 'fab-t', 'square']);
  assert.equal(names(defaultAttacks(10, 100, { version: 'fast' })), ['apgd-ce', 'apgd-t']);
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
  const r = await evaluate(masked, X, Y, { norm: 'linf', eps: 0.15, attacks: [...defaultAttacks(2, 5, { version: 'fast' }), spsaEntry], epsMultipliers: [2], log: (l) => lines.push(l) });
  assert.is(r.checks!.zeroGradientFraction, 1);
  const codes = r.flags.map((f) => f.code);
  assert.ok(codes.includes('zero-gradients') && r.flags.some((f) => /gradient is exactly zero for 100.0%/.test(f.message)), codes.join(', '));
  assert.ok(r.checks!.blackBoxFlipped > 0 && r.flags.some((f) => f.code === 'black-box-stronger' && /black-box attack spsa found/.test(f.message)));
  assert.ok(codes.includes('eps-not-monotone'));
  assert.not.ok(codes.includes('probabilities-not-logits'));
  assert.ok(lines.length >= 3, 'flags are printed');
  let calls = 0;
  const noisy: Classifier = { ...masked, apply: (x, o) => { calls++; const f = model.apply(x, o); return { ...f, logits: f.logits.add(calls * 1e-3) }; } };
  const r2 = await evaluate(noisy, X, Y, { norm: 'linf', eps: 0.05, attacks: defaultAttacks(2, 2, { version: 'fast' }), epsMultipliers: [], log: () => {} });
  assert.ok(r2.flags.some((f) => f.code === 'randomness' && /randomness in the model/.test(f.message)));
});

test('checks: softmax outputs are flagged as probabilities, logits are not', async () => {
  const probs: Classifier = { ...model, apply: (x, o) => { const f = model.apply(x, o); return { ...f, logits: f.logits.softmax() as tf.Tensor2D }; } };
  const before = tf.memory().numTensors;
  const flag = await probabilityOutputs(probs, X);
  assert.is(flag?.code, 'probabilities-not-logits');
  assert.ok(/not logits/.test(flag!.message));
  assert.is(await probabilityOutputs(model, X), undefined);
  assert.is(tf.memory().numTensors, before, 'no leak');
  const r = await evaluate(probs, X, Y, { norm: 'linf', eps: 0.05, attacks: defaultAttacks(2, 2, { version: 'fast' }), epsMultipliers: [], log: () => {} });
  assert.ok(r.flags.some((f) => f.code === 'probabilities-not-logits'));
});

test("evaluate(): the default is the standard ensemble; 'fast' is flagged as not a robustness evaluation; an attack leaving the ball is flagged, not counted", async () => {
  const x = X.slice(0, 4);
  const y = Y.slice(0, 4);
  const lines: string[] = [];
  const fast = await evaluate(model, x, y, { norm: 'linf', eps: 0.05, version: 'fast', checks: false, log: (l) => lines.push(l) });
  assert.is(fast.ensemble, 'fast');
  assert.equal(fast.perAttack.map((a) => a.attack), ['apgd-ce', 'apgd-cw']);
  assert.ok(fast.flags.some((f) => f.code === 'fast-ensemble') && lines.some((l) => /NOT a robustness evaluation/.test(l)));
  // An "attack" that ignores eps: PGD at 10x the radius. Its points outside the ball do not count as fooled.
  const cheat = { name: 'cheat', run: (m: Classifier, xb: tf.Tensor, yb: tf.Tensor1D, t: { eps: number; norm: 'linf' | 'l2'; seed: number }) => ({ ...pgd.record(m, xb, yb, { ...t, eps: 10 * t.eps, steps: 5 }), eps: t.eps }) };
  const r = await evaluate(model, x, y, { norm: 'linf', eps: 0.05, attacks: [cheat], checks: false, log: () => {} });
  assert.is(r.ensemble, 'custom');
  assert.ok(r.flags.some((f) => f.code === 'left-threat-model'));
  assert.is(r.perAttack[0].flipped, 0);
});

test.run();
