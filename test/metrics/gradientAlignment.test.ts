// The gradient-alignment metric and large-eps targeted examples (PAG paper, Fig. 1, 4, 5).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine, assertClose } from '../helpers/setup';
import { gradientAlignment, targetedExamples, rankCorrelation } from '../../lib/metrics/gradientAlignment';
import { rigd, type GradientSource } from '../../lib/training/pagSources';
import { targetedInputGradients } from '../../lib/losses/pag';
import { mlp } from '../../lib/models/mlp';
import { uniform } from '../../lib/engine/seed';

test.before(engine);

test('alignment is 1 with the model\'s own gradients, -1 with their negation, and per image', () => {
  const model = mlp({ inputShape: [5], hidden: [7], numClasses: 3, seed: 1 });
  const x = uniform([10, 5], 0, 1, 2);
  const before = tf.memory().numTensors;
  const own = gradientAlignment(model, x, rigd(model), { batchSize: 4 });
  const neg: GradientSource = { name: 'neg', gradients: (v, t) => tf.tidy(() => targetedInputGradients(model, v, t, { training: false }).neg()), dispose: () => undefined };
  const opposite = gradientAlignment(model, x, neg, { targetsPerImage: 2, seed: 3 });
  assert.is(tf.memory().numTensors, before, 'no leaks');
  assert.is(own.n, 10);
  assert.is(own.perImage.length, 10);
  assertClose(own.mean, 1, 1e-5);
  assertClose(opposite.mean, -1, 1e-5);
  assertClose(own.sd, 0, 1e-4);
  tf.dispose(x);
  model.dispose();
});

test('alignment with an unrelated source is near 0 and within [-1, 1] per image', () => {
  const model = mlp({ inputShape: [50], hidden: [16], numClasses: 3, seed: 1 });
  const x = uniform([40, 50], 0, 1, 2);
  const noise: GradientSource = { name: 'noise', gradients: (v, t) => uniform([v.shape[0], t.shape[1], 50], -1, 1, 9), dispose: () => undefined };
  const r = gradientAlignment(model, x, noise);
  assert.ok(r.perImage.every((c) => c >= -1 && c <= 1));
  assert.ok(Math.abs(r.mean) < 0.15, `mean cosine with noise ${r.mean}`);
  tf.dispose(x);
  model.dispose();
});

test('targetedExamples: one image per (input, class), inside the l2 ball and [0, 1], and moved toward the class', () => {
  const model = mlp({ inputShape: [8], hidden: [12], numClasses: 3, seed: 5 });
  const x = uniform([2, 8], 0.2, 0.8, 6);
  const before = tf.memory().numTensors;
  const adv = targetedExamples(model, x, { eps: 1.5, steps: 30 });
  assert.equal(adv.shape, [2, 3, 8]);
  const [dist, lo, hi, gain] = tf.tidy(() => {
    const d = adv.sub(x.expandDims(1)).square().sum(2).sqrt();
    const pAdv = tf.softmax(model.apply(adv.reshape([6, 8])).logits).reshape([2, 3, 3]);
    const pCle = tf.softmax(model.apply(x).logits).expandDims(1);
    // Probability of the column's own class, adversarial minus clean: [2, 3].
    const own = pAdv.sub(pCle).mul(tf.eye(3).expandDims(0)).sum(2);
    return [d.max(), adv.min(), adv.max(), own.min()].map((t) => t.dataSync()[0]);
  });
  assert.ok(dist <= 1.5 + 1e-4, `l2 distance ${dist}`);
  assert.ok(lo >= 0 && hi <= 1, `range [${lo}, ${hi}]`);
  assert.ok(gain > 0, `every target's probability rises (min gain ${gain})`);
  adv.dispose();
  assert.is(tf.memory().numTensors, before, 'no leaks');
  assert.throws(() => targetedExamples(model, x, { eps: 0 }), /eps: must be a finite number > 0/);
  tf.dispose(x);
  model.dispose();
});

test('rankCorrelation: Spearman rho with mid-ranks and an exact two-sided permutation p', () => {
  // Monotone: rho 1; of the 4! = 24 orders only the identity and the reversal reach |rho| = 1, p = 2/24.
  const up = rankCorrelation([0.1, 0.4, 0.2, 0.9], [3, 8, 5, 20]);
  assertClose([up.rho, up.p], [1, 2 / 24], 1e-12);
  assertClose(rankCorrelation([1, 2, 3, 4], [4, 3, 2, 1]).rho, -1, 1e-12);
  // Ties: a = [1, 2, 2, 3] -> ranks [1, 2.5, 2.5, 4]; b ranks [1, 2, 3, 4]; Pearson of the ranks = 4.5 / sqrt(4.5 * 5).
  assertClose(rankCorrelation([1, 2, 2, 3], [10, 20, 30, 40]).rho, 4.5 / Math.sqrt(4.5 * 5), 1e-12);
  // Many points, random pairing: |rho| small and p large; a strong relation: p tiny (Monte Carlo, 20000 draws).
  const a = Array.from({ length: 30 }, (_, i) => i);
  const shuffled = [17, 3, 25, 8, 29, 0, 12, 21, 5, 27, 14, 9, 1, 23, 18, 6, 28, 11, 2, 20, 15, 26, 4, 10, 24, 7, 19, 13, 22, 16];
  const weak = rankCorrelation(a, shuffled);
  assert.ok(weak.p > 0.05, `unrelated: rho ${weak.rho}, p ${weak.p}`);
  const strong = rankCorrelation(a, a.map((v) => v * v + (v % 3)));
  assert.ok(strong.rho > 0.99 && strong.p < 0.001, `related: rho ${strong.rho}, p ${strong.p}`);
  assert.throws(() => rankCorrelation([1, 2], [1, 2]), /rankCorrelation: needs at least 3/);
  assert.throws(() => rankCorrelation([1, 2, 3], [1, 2]), /same length/);
});

test.run();
