// Fuzz: every attack of lib/index.ts with bad inputs, labels and options (see harness.ts for the verdicts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine } from '../helpers/setup';
import * as rl from '../../lib/index';
import { runProbes, report, summary, show, badInputs, badLabels, BAD_NUMBERS, PROTOTYPE_KEYS, type Probe, type KnownGap } from './harness';

test.before(engine);

type AttackFn = (m: rl.Classifier, x: tf.Tensor, y: tf.Tensor1D, o?: Record<string, unknown>) => unknown;
const SHAPE = [2, 2, 1];
const K = 4;
let model: rl.Classifier;

/** Each attack, the options it takes (with defaults) and options that keep a valid call short. */
const pick = (o: object, keys: string[]) => Object.fromEntries(Object.entries(o).filter(([k]) => keys.includes(k)));
const omit = (o: object, keys: string[]) => Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
const ATTACKS: [string, AttackFn, object, Record<string, unknown>][] = [
  ['pgd', rl.pgd as AttackFn, rl.PGD_DEFAULTS, { steps: 2 }],
  ['mim', rl.mim as AttackFn, rl.MIM_DEFAULTS, { steps: 2 }],
  ['fgsm', rl.fgsm as AttackFn, pick(rl.FGSM_DEFAULTS, ['norm', 'eps', 'targeted', 'loss', 'bounds', 'seed']), {}],
  ['featureAttack', rl.featureAttack as AttackFn, rl.FEATURE_ATTACK_DEFAULTS, { steps: 2 }],
  ['apgd', rl.apgd as AttackFn, rl.APGD_DEFAULTS, { steps: 2 }],
  ['apgdCe', rl.apgdCe as AttackFn, omit(rl.APGD_DEFAULTS, ['loss']), { steps: 2 }],
  ['apgdDlr', rl.apgdDlr as AttackFn, omit(rl.APGD_DEFAULTS, ['loss']), { steps: 2 }],
  ['apgdT', rl.apgdT as AttackFn, omit(rl.APGD_DEFAULTS, ['loss']), { steps: 2, targetClasses: 2 }],
  ['deepfool', rl.deepfool as AttackFn, rl.DEEPFOOL_DEFAULTS, { steps: 2 }],
  ['cwL2', rl.cwL2 as AttackFn, rl.CW_L2_DEFAULTS, { steps: 2, binarySteps: 1 }],
  ['spsa', rl.spsa as AttackFn, rl.SPSA_DEFAULTS, { steps: 1, samples: 2 }],
  ['nes', rl.nes as AttackFn, rl.NES_DEFAULTS, { steps: 1, samples: 2 }],
  ['zoo', rl.zoo as AttackFn, rl.ZOO_DEFAULTS, { queries: 4 }],
  ['fab', rl.fab as AttackFn, rl.FAB_DEFAULTS, { steps: 2 }],
  ['fabT', rl.fabT as AttackFn, rl.FAB_DEFAULTS, { steps: 2, targetClasses: 2 }],
  ['square', rl.square as AttackFn, rl.SQUARE_DEFAULTS, { queries: 4 }],
];

// Options whose bad values are not numbers; seeds may be any integer, so only non-finite seeds are bad.
const NOT_NUMERIC = new Set(['norm', 'bounds', 'loss', 'randomStart', 'targeted', 'earlyStop', 'rescaleSchedule']);
const badOptionValues = (key: string, v: unknown): unknown[] => {
  if (key === 'norm') return [...PROTOTYPE_KEYS, 'l3'];
  if (key === 'bounds') return [[1, 0], [NaN, 1], [0]];
  if (key === 'loss') return ['constructor', 'nope'];
  if (key === 'seed') return [NaN, Infinity];
  if (typeof v === 'number' && !NOT_NUMERIC.has(key)) return [...BAD_NUMBERS];
  return [];
};

function probesFor(name: string, fn: AttackFn, defaults: object, fast: Record<string, unknown>): Probe[] {
  const x = () => tf.fill([2, ...SHAPE], 0.5);
  const y = () => tf.tensor1d([0, 1], 'int32');
  const run = (xs: () => tf.Tensor, ys: () => tf.Tensor, o: Record<string, unknown>) => () => {
    const a = xs();
    const b = ys();
    try {
      return fn(model, a, b as tf.Tensor1D, { ...fast, ...o });
    } finally {
      tf.dispose([a, b].filter((t) => t instanceof tf.Tensor));
    }
  };
  const probes: Probe[] = [];
  for (const [label, make] of badInputs(SHAPE)) probes.push({ what: `${name}(x: ${label})`, call: run(make, y, {}), names: /\bx\b/ });
  for (const [label, make] of badLabels(2, K)) probes.push({ what: `${name}(y: ${label})`, call: run(x, make, {}), names: /\by\b/ });
  for (const [key, v] of Object.entries({ ...defaults, ...(name === 'apgdT' || name === 'fabT' ? { targetClasses: 2 } : {}) }))
    for (const bad of badOptionValues(key, v)) probes.push({ what: `${name}({ ${key}: ${show(bad)} })`, call: run(x, y, { [key]: bad }), names: key });
  return probes;
}

// lib/attacks/** is being refactored by another helper; these are reported rather than edited here.
const KNOWN: KnownGap[] = [
  { what: /^(pgd|mim|featureAttack)\(\{ relStepsize: /, why: 'gradientDescent.ts checks the derived stepSize, so the message names stepSize, not relStepsize' },
  { what: /^(pgd|mim|featureAttack)\(\{ startStd: /, why: 'gradientDescent.ts does not check startStd (only used with randomStart "normal")' },
  { what: /^apgd\(\{ loss: /, why: 'apgd.ts takes any string other than "dlr" as cross-entropy' },
];

test('attacks: bad inputs, labels and options give clear errors', async () => {
  model = rl.mlp({ inputShape: SHAPE, hidden: [4], numClasses: K, seed: 0 });
  const findings = [];
  for (const [name, fn, d, fast] of ATTACKS) findings.push(...(await runProbes(probesFor(name, fn, d, fast), KNOWN)));
  model.dispose();
  summary('attacks (cumulative)');
  assert.equal(findings, [], `\n${report(findings)}`);
});

test.run();
