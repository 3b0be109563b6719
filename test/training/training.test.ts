import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { engine, assertClose } from '../helpers/setup';
import { halves } from '../helpers/fixtures';
import { smallCnn } from '../../lib/models/smallCnn';
import { mlp } from '../../lib/models/mlp';
import { train } from '../../lib/training/trainer';
import { pgdAT } from '../../lib/training/pgdAT';
import { Sgd } from '../../lib/training/sgd';
import { piecewise, cosine, cyclic, linearWarmup, constant } from '../../lib/training/schedules';
import { pgd } from '../../lib/attacks/pgd';
import { crossEntropy } from '../../lib/losses/crossEntropy';
import { saveCheckpoint, loadCheckpoint } from '../../lib/training/checkpoint';
import type { Classifier } from '../../lib/models/classifier';

test.before(engine);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'robustlab-train-'));

test('SGD follows PyTorch: g + wd w, momentum buffer starts at the first gradient', () => {
  const v = tf.variable(tf.tensor1d([1, -2]), true, 'sgdTestVar');
  const opt = new Sgd({ lr: 0.1, momentum: 0.9, weightDecay: 0.5 });
  // step 1: g = [1, 1] + 0.5 * [1, -2] = [1.5, 0]; b = g; w = [1 - .15, -2] = [0.85, -2]
  opt.apply([v], { sgdTestVar: tf.tensor1d([1, 1]) });
  assertClose(v.dataSync(), [0.85, -2], 1e-6);
  // step 2: g = [1, 1] + 0.5 * [0.85, -2] = [1.425, 0]; b = 0.9 * [1.5, 0] + g = [2.775, 0]; w = [0.85 - .2775, -2]
  opt.apply([v], { sgdTestVar: tf.tensor1d([1, 1]) });
  assertClose(v.dataSync(), [0.5725, -2], 1e-6);
  opt.dispose();
  v.dispose();
});

test('schedules: piecewise, cosine and cyclic reference values', () => {
  const p = piecewise(0.1, [75, 90], 0.1);
  assertClose([p(0), p(74.9), p(75), p(95)], [0.1, 0.1, 0.01, 0.001], 1e-12);
  const c = cosine(1, 10);
  assertClose([c(0), c(5), c(10)], [1, 0.5, 0], 1e-12);
  const y = cyclic(0.2, 15, 0.5);
  assertClose([y(0), y(7.5), y(15)], [0, 0.2, 0], 1e-12);
  // 5% of the rate at 0, linear to all of it at 2 epochs, then the wrapped schedule's own values.
  const w = linearWarmup(piecewise(0.1, [3]), 2);
  assertClose([w(0), w(1), w(2), w(2.5), w(3)], [0.005, 0.0525, 0.1, 0.1, 0.01], 1e-12);
  assertClose([linearWarmup(constant(1), 4, 0.5)(2)], [0.75], 1e-12);
  assert.throws(() => linearWarmup(constant(1), 1, 0), /startFactor: must lie in \(0, 1\], got 0/);
  assert.throws(() => linearWarmup(constant(1), 0), /epochs/);
});

const robustLoss = (m: Classifier, x: tf.Tensor, y: tf.Tensor1D) =>
  tf.tidy(() => crossEntropy(m.apply(pgd(m, x, y, { eps: 0.1, steps: 10, relStepsize: 0.25, seed: 3 })).logits, y).mean().dataSync()[0]);

test('a short PGD-AT run lowers the robust loss and leaks no tensors across epochs', async () => {
  const d = halves(256, 4);
  const test_ = halves(128, 5);
  const m = smallCnn({ inputShape: [8, 8, 1], channels: [4, 8], numClasses: 2, seed: 1 });
  const before = robustLoss(m, test_.x, test_.y);
  const counts: number[] = [];
  const { history, optimizer } = await train(m, d, {
    method: pgdAT({ eps: 0.1, steps: 5, stepSize: 0.03 }),
    epochs: 4,
    batchSize: 32,
    optimizer: { lr: 0.05, weightDecay: 0 },
    onEpoch: () => {
      counts.push(tf.memory().numTensors);
    },
  });
  const after = robustLoss(m, test_.x, test_.y);
  assert.ok(after < before * 0.8, `robust loss ${before} -> ${after}`);
  assert.ok(history[3].loss < history[0].loss, `training loss ${history.map((h) => h.loss)}`);
  // epoch 1 allocates the optimiser's buffers; after that the count is flat.
  assert.equal(counts.slice(1), [counts[1], counts[1], counts[1]], `tensors per epoch ${counts}`);
  optimizer.dispose();
  m.dispose();
});

test('checkpoint + resume repeats the uninterrupted run exactly', async () => {
  const d = halves(96, 6);
  const full = mlp({ inputShape: [8, 8, 1], hidden: [16], numClasses: 2, seed: 9 });
  await train(full, d, { epochs: 3, batchSize: 32, seed: 2, optimizer: { lr: 0.05 } });
  const ck = path.join(tmp, 'run.ckpt');
  const part = mlp({ inputShape: [8, 8, 1], hidden: [16], numClasses: 2, seed: 9 });
  await train(part, d, { epochs: 2, batchSize: 32, seed: 2, optimizer: { lr: 0.05 }, checkpoint: ck });
  const resumed = mlp({ inputShape: [8, 8, 1], hidden: [16], numClasses: 2, seed: 9 });
  const { history } = await train(resumed, d, { epochs: 3, batchSize: 32, seed: 2, optimizer: { lr: 0.05 }, checkpoint: ck });
  assert.is(history.length, 3);
  const a = full.trainableVariables().map((v) => Array.from(v.dataSync()));
  const b = resumed.trainableVariables().map((v) => Array.from(v.dataSync()));
  a.forEach((w, i) => assertClose(b[i], w, 1e-6, 0, `variable ${i}`));
  assert.not.ok(fs.readdirSync(tmp).some((f) => f.includes('.tmp-')), 'no temporary file left behind');
  [full, part, resumed].forEach((m) => m.dispose());
});

test('a checkpoint that does not fit the model is refused and leaves the model untouched', async () => {
  const a = mlp({ inputShape: [4], hidden: [8], numClasses: 2, seed: 1 });
  const b = mlp({ inputShape: [4], hidden: [6], numClasses: 2, seed: 2 });
  const file = path.join(tmp, 'a.ckpt');
  await saveCheckpoint(file, a, undefined, { epoch: 1 });
  const w = Array.from(b.trainableVariables()[0].dataSync());
  assert.throws(() => loadCheckpoint(file, b), /checkpoint .*a\.ckpt: variable 'fc0.w' has shape \[4,8\] in the file, \[4,6\] in the model/);
  assert.equal(Array.from(b.trainableVariables()[0].dataSync()), w);
  fs.writeFileSync(path.join(tmp, 'bad.ckpt'), fs.readFileSync(file).subarray(0, 100));
  assert.throws(() => loadCheckpoint(path.join(tmp, 'bad.ckpt'), a), /truncated/);
  a.dispose();
  b.dispose();
});

test('trainer rejects bad data with named arguments', async () => {
  const m = mlp({ inputShape: [4], hidden: [], numClasses: 2 });
  const x = tf.ones([3, 4]);
  await train(m, { x: x.mul(2), y: tf.tensor1d([0, 1, 0], 'int32') }).then(
    () => assert.unreachable('should throw'),
    (e: Error) => assert.match(e.message, /data.x: values must lie in \[0, 1\]/),
  );
  await train(m, { x, y: tf.tensor1d([0, 1, 0], 'int32') }, { batchSize: 0 }).then(
    () => assert.unreachable('should throw'),
    (e: Error) => assert.match(e.message, /batchSize: must be an integer >= 1, got 0/),
  );
  m.dispose();
});

test.run();
