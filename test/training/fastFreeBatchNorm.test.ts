/**
 * FastAT and FreeAT on a batch-norm model against their reference code (issue 24.1): the perturbations,
 * parameters and running statistics after two steps equal those of a PyTorch run of the references' loops
 * (test/training/reference/fastFreeBatchNorm.py, float64, numbers pinned below). Taking the attack gradient in
 * eval mode instead (the library's earlier choice) moves them: the test shows that too. And FastAT's optimiser
 * cycles momentum 0.9 <-> 0.8 as torch CyclicLR.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine, assertClose } from '../helpers/setup';
import { ComposedClassifier, linearHead } from '../../lib/models/compose';
import { ParamStore } from '../../lib/models/params';
import { batchNorm, dense, relu, sequence } from '../../lib/models/layers';
import { Rng, uniform } from '../../lib/engine/seed';
import { Sgd } from '../../lib/training/sgd';
import { outerContext, type TrainingMethod } from '../../lib/training/method';
import { fastAT, fastATOptimizer, fastATSchedule } from '../../lib/training/fastAT';
import { freeAT } from '../../lib/training/freeAT';

test.before(engine);

const X = [[0.2, 0.7], [0.6, 0.3], [0.8, 0.75], [0.35, 0.4]];
const Y = [0, 1, 1, 0];
const INIT: Record<string, [number[], number[]]> = {
  'fc1.w': [[0.5, -0.3, 0.8, -0.6, 0.9, 0.2], [2, 3]],
  'fc1.b': [[0.1, -0.2, 0.05], [3]],
  'bn.gamma': [[1.2, 0.8, 1.0], [3]],
  'bn.beta': [[0.1, -0.1, 0.0], [3]],
  'head.w': [[0.7, -0.4, -0.5, 0.6, 0.3, 0.9], [3, 2]],
  'head.b': [[0.0, 0.1], [2]],
};
/** The library's uniform starts of the two FastAT steps (seeds 11 and 12), as fed to the reference. */
const STARTS = [
  [-0.09108756482601166, 0.06269358843564987, -0.056912556290626526, 0.08237454295158386, 0.011782006360590458, -0.09462755918502808, -0.004516014363616705, 0.0528707318007946],
  [-0.012257754802703857, -0.010205334052443504, 0.07087152451276779, -0.03556434065103531, 0.0658390149474144, 0.07614104449748993, -0.006905832327902317, 0.015952151268720627],
];

/** Reference results, from `/usr/bin/python3 test/training/reference/fastFreeBatchNorm.py` (torch, float64). */
const REF_FAST = [
    {
      'xAdv': [0.233912435, 0.637693588, 0.668087444, 0.257374543, 0.9, 0.65, 0.25, 0.5],
      'fc1.w': [0.502208951, -0.276579138, 0.802413605, -0.598084871, 0.907748225, 0.190190131],
      'fc1.b': [0.099995, -0.19999, 0.0499975],
      'bn.gamma': [1.162629198, 0.770622405, 1.014766378],
      'bn.beta': [0.064170963, -0.136141082, 0.019540384],
      'bn.runningMean': [0.003908515, 0.026041043, 0.103472025],
      'bn.runningVar': [0.817959106, 0.817614112, 0.821636698],
      'head.w': [0.656005577, -0.356020577, -0.481924574, 0.581919574, 0.275291037, 0.924648963],
      'head.b': [0.000292768, 0.099702232],
    },
    {
      'xAdv': [0.3, 0.8, 0.545871525, 0.2, 0.9, 0.701141044, 0.25, 0.5],
      'fc1.w': [0.507504743, -0.248600755, 0.804097602, -0.593514922, 0.916769744, 0.183254905],
      'fc1.b': [0.0999855, -0.199971, 0.04999275],
      'bn.gamma': [1.097279713, 0.718928084, 1.03856721],
      'bn.beta': [0.001490928, -0.188176822, 0.043520511],
      'bn.runningMean': [0.008118768, 0.051238821, 0.190542414],
      'bn.runningVar': [0.67085138, 0.673636969, 0.677498235],
      'head.w': [0.578079522, -0.278123021, -0.449864207, 0.549849707, 0.236341564, 0.963484439],
      'head.b': [0.001952356, 0.098033144],
    },
  ];
const REF_FREE = [
    {
      'xAdv': [0.2, 0.7, 0.6, 0.3, 0.8, 0.75, 0.35, 0.4],
      'noise': [0.1, 0.1, -0.1, -0.1, 0.1, -0.1, -0.1, 0.1],
      'fc1.w': [0.484385463, -0.271045387, 0.803305433, -0.612937897, 0.909595414, 0.186620384],
      'fc1.b': [0.099995, -0.19999, 0.0499975],
      'bn.gamma': [1.171073065, 0.777285277, 1.008753422],
      'bn.beta': [0.082991335, -0.113494766, 0.016304681],
      'bn.runningMean': [0.002125, 0.01375, 0.05475],
      'bn.runningVar': [0.903290625, 0.9043875, 0.9048425],
      'head.w': [0.66692801, -0.36694301, -0.484711544, 0.584706544, 0.285312631, 0.914627369],
      'head.b': [0.003381252, 0.096613748],
    },
    {
      'xAdv': [0.3, 0.8, 0.5, 0.2, 0.9, 0.65, 0.25, 0.5],
      'noise': [0.1, 0.1, 0.0, 0.0, 0.0, -0.1, -0.1, 0.0],
      'fc1.w': [0.473694965, -0.239342692, 0.805960907, -0.621856491, 0.919858308, 0.175785846],
      'fc1.b': [0.0999855, -0.199971, 0.04999275],
      'bn.gamma': [1.112668778, 0.729495821, 1.028344207],
      'bn.beta': [0.035429483, -0.145706581, 0.037989654],
      'bn.runningMean': [0.002580379, 0.028053291, 0.103466736],
      'bn.runningVar': [0.817438053, 0.819988801, 0.82023847],
      'head.w': [0.597941638, -0.297985137, -0.453210114, 0.553195614, 0.253042465, 0.946783538],
      'head.b': [0.007082411, 0.092903089],
    },
  ];
/** torch CyclicLR(base_lr 0, max_lr 0.2, 10 up, 10 down): [lr, momentum] at iterations 0..19. */
const REF_CYCLIC = [[0.0, 0.9], [0.02, 0.89], [0.04, 0.88], [0.06, 0.87], [0.08, 0.86], [0.1, 0.85], [0.12, 0.84], [0.14, 0.83], [0.16, 0.82], [0.18, 0.81], [0.2, 0.8], [0.18, 0.81], [0.16, 0.82], [0.14, 0.83], [0.12, 0.84], [0.1, 0.85], [0.08, 0.86], [0.06, 0.87], [0.04, 0.88], [0.02, 0.89]];

/** The reference's model: fc(2 -> 3), batch-norm (torch semantics), ReLU, linear head (3 -> 2), fixed weights. */
function bnModel(): ComposedClassifier {
  const p = new ParamStore(0);
  const body = sequence(dense(p, 'fc1', 2, 3), batchNorm(p, 'bn', 3), relu);
  const head = linearHead(p, 3, 2);
  const named = p.named();
  tf.tidy(() => Object.entries(INIT).forEach(([k, [v, shape]]) => named[k].assign(tf.tensor(v, shape))));
  return new ComposedClassifier('bn-tiny', [2], 2, p, body, head);
}

/** Two trainer steps by hand (inner, outer, SGD lr 0.1, momentum 0.9, wd 5e-4, as the references): the state after each. */
function twoSteps(method: TrainingMethod, seeds: number[], noise?: () => tf.Tensor | undefined): Record<string, number[]>[] {
  const model = bnModel();
  const x = tf.tensor2d(X);
  const y = tf.tensor1d(Y, 'int32');
  const sgd = new Sgd({ lr: 0.1, momentum: 0.9, weightDecay: 5e-4 });
  const vars = model.trainableVariables();
  const out: Record<string, number[]>[] = [];
  for (const seed of seeds) {
    const xAdv = method.inner!(model, x, y, { seed, epoch: 0 })!;
    const { value, grads } = tf.variableGrads(() => method.outer(outerContext(model, x, y, xAdv)), vars);
    sgd.apply(vars, grads);
    const row: Record<string, number[]> = { xAdv: Array.from(xAdv.dataSync()) };
    const nz = noise?.();
    if (nz) row.noise = Array.from(nz.dataSync());
    for (const [k, v] of Object.entries(model.namedVariables())) row[k] = Array.from(v.dataSync());
    out.push(row);
    tf.dispose([value, xAdv, ...Object.values(grads), ...(nz ? [nz] : [])]);
  }
  tf.dispose([x, y]);
  sgd.dispose();
  model.dispose();
  return out;
}

/** Largest |difference| between a run and the reference, over every pinned quantity. */
function maxDiff(run: Record<string, number[]>[], ref: Record<string, number[]>[]): number {
  let d = 0;
  ref.forEach((r, i) => Object.entries(r).forEach(([k, v]) => v.forEach((want, j) => (d = Math.max(d, Math.abs(run[i][k][j] - want))))));
  return d;
}

test('FastAT on a batch-norm model: starts as fed to the reference', () => {
  STARTS.forEach((s, i) => assertClose(uniform([4, 2], -0.1, 0.1, new Rng(11 + i).seed()).dataSync(), s, 0, 0, `start ${i}`));
});

test('FastAT on a batch-norm model: perturbations, parameters and running statistics after two steps equal the reference (train-mode FGSM)', () => {
  const before = tf.memory().numTensors;
  const run = twoSteps(fastAT({ eps: 0.1 }), [11, 12]);
  REF_FAST.forEach((r, i) => Object.entries(r).forEach(([k, v]) => assertClose(run[i][k], v, 2e-6, 0, `step ${i + 1} ${k}`)));
  assert.is(tf.memory().numTensors, before, 'no leak');
  // The eval-mode FGSM gradient (the earlier choice) does not reproduce the reference.
  const evalMode = twoSteps(fastAT({ eps: 0.1, trainMode: false }), [11, 12]);
  assert.ok(maxDiff(evalMode, REF_FAST) > 1e-3, `eval mode differs by only ${maxDiff(evalMode, REF_FAST)}`);
});

test('FreeAT on a batch-norm model: noise, parameters and running statistics after two replays equal the reference', () => {
  const before = tf.memory().numTensors;
  const method = freeAT({ eps: 0.1, replays: 2 });
  const run = twoSteps(method, [0, 1], () => method.noise());
  method.dispose();
  assert.is(tf.memory().numTensors, before, 'no leak');
  REF_FREE.forEach((r, i) => Object.entries(r).forEach(([k, v]) => assertClose(run[i][k], v, 2e-6, 0, `replay ${i + 1} ${k}`)));
  const evalMethod = freeAT({ eps: 0.1, replays: 2, trainMode: false });
  const evalMode = twoSteps(evalMethod, [0, 1], () => evalMethod.noise());
  evalMethod.dispose();
  assert.ok(maxDiff(evalMode, REF_FREE) > 1e-3, `eval mode differs by only ${maxDiff(evalMode, REF_FREE)}`);
});

test("FastAT's schedule and optimiser: rate and momentum as torch CyclicLR (momentum 0.9 <-> 0.8), default max rate 0.2", () => {
  const schedule = fastATSchedule(1);
  const sgd = new Sgd(fastATOptimizer());
  REF_CYCLIC.forEach(([lr, momentum], it) => {
    sgd.lr = schedule(it / 20);
    assertClose(sgd.lr, lr, 1e-12, 0, `lr at ${it}`);
    assertClose(sgd.currentMomentum(), momentum, 1e-12, 0, `momentum at ${it}`);
  });
  assertClose(fastATSchedule(0.1, 10)(5), 0.1, 1e-12);
  assert.is(fastATOptimizer().weightDecay, 5e-4);
});

test.run();
