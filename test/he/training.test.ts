import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine, assertClose } from '../helpers/setup';
import { halves } from '../helpers/fixtures';
import { smallCnn } from '../../lib/models/smallCnn';
import { train } from '../../lib/training/trainer';
import type { TrainingMethod } from '../../lib/training/method';
import { pgdAT } from '../../lib/training/pgdAT';
import { alp } from '../../lib/training/alp';
import { trades } from '../../lib/training/trades';
import { fastAT, fastATSchedule } from '../../lib/training/fastAT';
import { freeAT } from '../../lib/training/freeAT';
import { heAT, mheLoss, MHE_DEFAULTS } from '../../lib/losses/he';
import { mean } from '../../lib/losses/crossEntropy';
import { hypersphereHead } from '../../lib/models/heads/hypersphere';
import { gradientNormRatio } from '../../lib/metrics/gradientNormRatio';
import { linear } from '../helpers/models';

test.before(engine);

const eps = 0.1;
const attack = { eps, steps: 3, stepSize: 0.04 };
const runs: [string, () => TrainingMethod & { dispose?: () => void }, 'linear' | 'he' | 'mhe'][] = [
  ['PGD-AT+HE', () => pgdAT({ ...attack, ...heAT({ s: 15, m: 0.2 }) }), 'he'],
  ['PGD-AT+m-HE', () => pgdAT({ ...attack, loss: heAT(MHE_DEFAULTS).loss, outerLoss: mean(mheLoss()) }), 'mhe'],
  ['ALP', () => alp(attack), 'linear'],
  ['ALP+HE', () => alp({ ...attack, he: {} }), 'he'],
  ['TRADES', () => trades(attack), 'linear'],
  ['TRADES+HE', () => trades({ ...attack, he: {} }), 'he'],
  ['FastAT+HE', () => fastAT({ eps, he: {} }), 'he'],
  ['FreeAT', () => freeAT({ eps, replays: 2 }), 'linear'],
  ['FreeAT+HE', () => freeAT({ eps, replays: 2, he: {} }), 'he'],
];

// Made lazily: tensors at import time would run before the engine is chosen.
let cached: ReturnType<typeof halves> | undefined;
const getData = () => (cached ??= halves(128, 4));

for (const [name, make, head] of runs) {
  test(`${name}: a short run lowers the training loss and leaks no tensors across epochs`, async () => {
    const m = smallCnn({
      inputShape: [8, 8, 1],
      channels: [4, 8],
      hidden: 16,
      numClasses: 2,
      seed: 1,
      head: head === 'linear' ? undefined : hypersphereHead({ angular: head === 'mhe' }),
    });
    const method = make();
    const counts: number[] = [];
    const { history, optimizer } = await train(m, getData(), {
      method,
      epochs: 4,
      batchSize: 32,
      optimizer: { lr: 0.05, weightDecay: 0 },
      schedule: name.startsWith('FastAT') ? fastATSchedule(0.1, 4) : undefined,
      onEpoch: () => {
        counts.push(tf.memory().numTensors);
      },
    });
    const losses = history.map((h) => h.loss);
    assert.ok(losses[3] < losses[0], `${name} loss ${losses}`);
    // epoch 1 allocates the optimiser's buffers (and FreeAT's noise); after that the count is flat.
    assert.equal(counts.slice(1), [counts[1], counts[1], counts[1]], `tensors per epoch ${counts}`);
    optimizer.dispose();
    method.dispose?.();
    m.dispose();
  });
}

test('gradient-norm ratio (Fig. 3) against hand values on a linear model', () => {
  // logits = W^T x + b with W = I, b = 0. Per example the CE gradient is g_b = p - onehot(y), g_W = x g_b^T,
  // so ||g_W|| = ||x|| ||g_b||. Example 1: x = [1, 0], x* = [0, 1], y = 0: ||g_b|| = sqrt2 (1 - p0):
  //   clean 1 - sigmoid(1), adversarial 1 - sigmoid(-1); ratio sigmoid(1) / sigmoid(-1) = e; same for W (||x|| = 1).
  // Example 2: x = [0, 2], x* = [2, 0], y = 1: ratio sigmoid(2) / sigmoid(-2) = e^2 for both.
  // Mean: (e + e^2) / 2 = 5.0536690.
  const m = linear([[1, 0], [0, 1]]);
  const x = tf.tensor2d([[1, 0], [0, 2]]);
  const xa = tf.tensor2d([[0, 1], [2, 0]]);
  const y = tf.tensor1d([0, 1], 'int32');
  const before = tf.memory().numTensors;
  const r = gradientNormRatio(m, x, xa, y);
  assert.is(tf.memory().numTensors, before);
  assert.equal(r.map((e) => e.parameter), ['head.w', 'head.b']);
  assertClose(r.map((e) => e.ratio), [5.053669, 5.053669], 1e-4);
  assert.equal(r.map((e) => e.n), [2, 2]);
  tf.dispose([x, xa, y]);
  m.dispose();
});

test.run();
