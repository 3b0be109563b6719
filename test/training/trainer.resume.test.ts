// Issue 13 item 3: maxBatches stops mid-epoch without marking the epoch complete, a resume finishes that
// epoch exactly, epoch losses average the batches actually run, and bad schedules or limits are refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { engine, assertClose } from '../helpers/setup';
import { halves } from '../helpers/fixtures';
import { mlp } from '../../lib/models/mlp';
import { train, type TrainOptions } from '../../lib/training/trainer';
import { loadCheckpoint } from '../../lib/training/checkpoint';
import type { ProgressSink } from '../../lib/training/progress';

test.before(engine);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'robustlab-resume-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const model = () => mlp({ inputShape: [8, 8, 1], hidden: [16], numClasses: 2, seed: 4 });
// N = 64, batch 16: 4 batches per epoch (the reproduction).
const base: TrainOptions = { epochs: 2, batchSize: 16, seed: 5, optimizer: { lr: 0.05 } };

/** A progress sink that keeps every batch loss it is told. */
function lossLog(): ProgressSink & { losses: number[] } {
  const losses: number[] = [];
  return { losses, start() {}, tick: (_n, info) => void losses.push(Number(info?.loss)), done() {} };
}

test('maxBatches mid-epoch: the epoch stays incomplete and its loss averages the batches run', async () => {
  const d = halves(64, 1);
  const m = model();
  const ck = path.join(tmp, 'mid.ckpt');
  const log = lossLog();
  const r = await train(m, d, { ...base, maxBatches: 2, checkpoint: ck, progress: log });
  assert.is(r.complete, false);
  assert.is(r.history.length, 1);
  assert.is(r.history[0].batches, 2);
  assert.is(log.losses.length, 2);
  // The progress sink rounds to 4 decimals.
  assertClose(r.history[0].loss, (log.losses[0] + log.losses[1]) / 2, 1e-4);
  const meta = loadCheckpoint(ck, model());
  assert.is(meta.epoch, 0, 'no epoch completed');
  assert.is(meta.batch, 2);
  r.optimizer.dispose();
  m.dispose();
  tf.dispose([d.x, d.y]);
});

test('resume after a mid-epoch stop repeats the uninterrupted run exactly (weights and history)', async () => {
  const d = halves(64, 2);
  const full = model();
  const a = await train(full, d, base);
  assert.is(a.complete, true);
  const ck = path.join(tmp, 'resume.ckpt');
  const part = model();
  (await train(part, d, { ...base, maxBatches: 3, checkpoint: ck })).optimizer.dispose();
  const part2 = model();
  (await train(part2, d, { ...base, maxBatches: 3, checkpoint: ck })).optimizer.dispose(); // epoch 1 batch 4 .. epoch 2 batch 2
  const resumed = model();
  const b = await train(resumed, d, { ...base, checkpoint: ck });
  assert.is(b.complete, true);
  assert.equal(b.history.map((h) => h.batches), [4, 4]);
  assertClose(b.history.map((h) => h.loss), a.history.map((h) => h.loss), 1e-6, 0, 'epoch losses');
  assertClose(b.history.map((h) => h.lr), a.history.map((h) => h.lr), 0, 0, 'epoch lr');
  const wa = full.trainableVariables().map((v) => Array.from(v.dataSync()));
  const wb = resumed.trainableVariables().map((v) => Array.from(v.dataSync()));
  wa.forEach((w, i) => assertClose(wb[i], w, 1e-6, 0, `variable ${i}`));
  [a.optimizer, b.optimizer, full, part, part2, resumed].forEach((t) => t.dispose());
  tf.dispose([d.x, d.y]);
});

test('a mid-epoch checkpoint refuses a resume with a different batch count', async () => {
  const d = halves(64, 3);
  const ck = path.join(tmp, 'other.ckpt');
  const m = model();
  (await train(m, d, { ...base, maxBatches: 1, checkpoint: ck })).optimizer.dispose();
  await train(model(), d, { ...base, batchSize: 32, checkpoint: ck }).then(
    () => assert.unreachable('should throw'),
    (e: Error) => assert.match(e.message, /checkpoint .*other\.ckpt: stopped after batch 1 of epoch 1 with 4 batches per epoch, but this run has 2/),
  );
  m.dispose();
  tf.dispose([d.x, d.y]);
});

test('maxBatches 0, NaN or negative learning rates are refused naming the epoch and batch', async () => {
  const d = halves(64, 4);
  const m = model();
  const fails = async (o: TrainOptions, re: RegExp) =>
    train(m, d, { ...base, ...o }).then(
      () => assert.unreachable(`should throw ${re}`),
      (e: Error) => assert.match(e.message, re),
    );
  await fails({ maxBatches: 0 }, /maxBatches: must be an integer >= 1, got 0/);
  await fails({ maxBatches: 1.5 }, /maxBatches: must be an integer >= 1, got 1.5/);
  await fails({ schedule: () => NaN }, /schedule: must return a finite learning rate >= 0, returned NaN at epoch 1, batch 1/);
  // Valid at the start, negative from epoch 2 batch 3 (t = 1.5).
  await fails({ schedule: (t) => (t < 1.5 ? 0.01 : -0.01) }, /returned -0.01 at epoch 2, batch 3/);
  assert.ok(m.trainableVariables().every((v) => Array.from(v.dataSync()).every(Number.isFinite)), 'weights stay finite');
  m.dispose();
  tf.dispose([d.x, d.y]);
});

test('a size mismatch names data.x and data.y', async () => {
  const m = mlp({ inputShape: [4], hidden: [], numClasses: 2 });
  const x = tf.ones([3, 4]);
  const y = tf.tensor1d([0, 1], 'int32');
  await train(m, { x, y }).then(
    () => assert.unreachable('should throw'),
    (e: Error) => assert.match(e.message, /^data\.x and data\.y must have the same batch size: data\.x has 3, data\.y has 2/),
  );
  tf.dispose([x, y]);
  m.dispose();
});

test.run();
