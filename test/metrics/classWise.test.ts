import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine, assertClose } from '../helpers/setup';
import { confusionMatrix, classWiseError, corruptionError, similarityRanks, perturbationNorms } from '../../lib/metrics/classWise';

test.before(async () => {
  await engine();
});

test('confusion matrix and class-wise error by hand', () => {
  const labels = [0, 0, 0, 0, 1, 1, 2, 2];
  const pred = [0, 0, 1, 2, 1, 1, 0, 0];
  assert.equal(confusionMatrix(pred, labels, 3), [[2, 1, 1], [0, 2, 0], [2, 0, 0]]);
  const r = classWiseError(pred, labels, 3);
  // errors: class 0 2/4 = 0.5, class 1 0, class 2 1; mean 0.5; sd sqrt((0 + .25 + .25) / 3) = 0.40825
  assertClose(r.perClass, [0.5, 0, 1]);
  assertClose(r.mean, 0.5);
  assertClose(r.sd, Math.sqrt(0.5 / 3));
  assertClose(r.gap, 1);
  assert.equal(r.counts, [4, 2, 2]);
  assert.throws(() => confusionMatrix([0, 3], [0, 1], 3), /pred: labels must be integers in \[0, 2\], saw values in \[0, 3\]/);
  assert.throws(() => confusionMatrix([0], [0, 1], 3), /pred and labels must have the same batch size/);
});

test('CE_c, mCE, mCA unnormalised and AlexNet-normalised, by hand', () => {
  const errors = { fog: [0.1, 0.3], noise: [0.2, 0.4] };
  const u = corruptionError(errors);
  // CE_fog = 0.2, CE_noise = 0.3, mCE 0.25; mCA = 1 - mean(.1,.3,.2,.4) = 0.75
  assertClose([u.ce.fog, u.ce.noise, u.mCE, u.mCA], [0.2, 0.3, 0.25, 0.75]);
  assert.is(u.normalized, false);
  const base = { fog: [0.2, 0.6], noise: [0.5, 0.5] };
  const n = corruptionError(errors, { baseline: base, cleanError: 0.05, baselineCleanError: 0.1 });
  // CE_fog = 0.4 / 0.8 = 0.5, CE_noise = 0.6 / 1.0 = 0.6, mCE 0.55
  assertClose([n.ce.fog, n.ce.noise, n.mCE], [0.5, 0.6, 0.55]);
  // relative: fog (0.05 + 0.25) / (0.1 + 0.5) = 0.5, noise (0.15 + 0.35) / (0.4 + 0.4) = 0.625
  assertClose([n.relativeCe!.fog, n.relativeCe!.noise, n.relativeMCE!], [0.5, 0.625, 0.5625]);
  assert.throws(() => corruptionError(errors, { baseline: { fog: [0.2, 0.6] } }), /no error recorded for corruption "noise"/);
});

test('similarity rank of mispredictions (neighbours paper, Algorithms 1-2), by hand', () => {
  // z_0 = (1, 0), z_1 = (0.8, 0.6), z_2 = (0, 1), z_3 = (-1, 0). Row 0 of M = W^T W: [1, 0.8, 0, -1]
  // -> sorted 1 (class 0), 0.8 (1), 0 (2), -1 (3): predicting 1 for class 0 is rank 2, 3 is rank 4.
  // Row 2: [0, 0.6, 1, 0] -> 1 (2), 0.6 (1), then 0 twice: class 0 and 3 both take the first tied position, 3.
  const W = [
    [1, 0.8, 0, -1],
    [0, 0.6, 1, 0],
  ];
  const r = similarityRanks(W, [1, 3, 0, 0, 3, 2], [0, 0, 0, 2, 2, 2]);
  assert.equal(r.ranks, [2, 4, 3, 3]);
  assert.equal(r.histogram, [0, 1, 2, 1]);
  assertClose(r.similarity[0], [1, 0.8, 0, -1]);
  const t = tf.tensor2d(W);
  assert.equal(similarityRanks(t, [1], [0]).ranks, [2]);
  t.dispose();
});

test('perturbation norms: values, mean, median, max', () => {
  const x = tf.zeros([3, 2]);
  const xa = tf.tensor2d([[3, 4], [0, 1], [0, 0]]);
  const r = perturbationNorms(x, xa, 'l2');
  assertClose(r.values, [5, 1, 0]);
  assertClose([r.mean, r.median, r.max], [2, 1, 5]);
  assertClose(perturbationNorms(x, xa, 'linf').values, [4, 1, 0]);
  tf.dispose([x, xa]);
});

test.run();
