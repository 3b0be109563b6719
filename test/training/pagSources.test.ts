// Ground-truth gradient sources of the PAG paper (Sec. 4, appendix C.2) against values computed by hand in JS.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine, assertClose } from '../helpers/setup';
import { oneImage, classMean, nearestNeighbour, rigd } from '../../lib/training/pagSources';
import { targetedInputGradients } from '../../lib/losses/pag';
import { mlp } from '../../lib/models/mlp';
import { Rng } from '../../lib/engine/seed';

test.before(engine);

/** 30 vectors of dimension 4 in [0, 1], three classes (i % 3), from a seed. */
function data(seed = 0): { x: tf.Tensor2D; y: tf.Tensor1D; xs: number[][]; ys: number[] } {
  const r = new Rng(seed);
  const xs = Array.from({ length: 30 }, () => Array.from({ length: 4 }, () => r.next()));
  const ys = xs.map((_, i) => i % 3);
  return { x: tf.tensor2d(xs), y: tf.tensor1d(ys, 'int32'), xs, ys };
}
const all = (n: number, c: number) => tf.tensor2d(Int32Array.from({ length: n * c }, (_, i) => i % c), [n, c], 'int32');
const rows = (t: tf.Tensor, n: number, k: number, d: number): number[][][] => {
  const v = t.dataSync();
  return Array.from({ length: n }, (_, i) => Array.from({ length: k }, (_, j) => Array.from(v.slice((i * k + j) * d, (i * k + j + 1) * d))));
};

test('One Image: g(x, t) = r_t - x with r_t one training image of class t, the same for every x, fixed by the seed', () => {
  const d = data();
  const before = tf.memory().numTensors;
  const src = oneImage(d, { seed: 3 });
  const xq = d.x.slice(0, 5);
  const t = all(5, 3);
  const gT = src.gradients(xq, t);
  const g = rows(gT, 5, 3, 4);
  for (let c = 0; c < 3; c++) {
    const r = g[0][c].map((v, j) => v + d.xs[0][j]);
    const idx = d.xs.findIndex((row) => row.every((v, j) => Math.abs(v - r[j]) < 1e-6));
    assert.ok(idx >= 0 && d.ys[idx] === c, `r_${c} is a training image of class ${c}`);
    for (let i = 1; i < 5; i++) assertClose(g[i][c].map((v, j) => v + d.xs[i][j]), r, 1e-6, 0, `same r_${c} for image ${i}`);
  }
  const again = oneImage(d, { seed: 3 });
  const other = oneImage(d, { seed: 4 });
  const ga = again.gradients(xq, t);
  const go = other.gradients(xq, t);
  assertClose(ga.dataSync(), g.flat(2), 1e-7, 0, 'same seed, same representatives');
  assert.ok(tf.tidy(() => go.sub(ga).abs().max().dataSync()[0]) > 1e-3, 'another seed picks other representatives');
  tf.dispose([xq, t, gT, ga, go]);
  [src, again, other].forEach((s) => s.dispose());
  assert.is(tf.memory().numTensors, before, 'no leaks');
  tf.dispose([d.x, d.y]);
});

test('Class Mean: r_t is the class-t mean scaled so that the means have the training images\' average l2 norm', () => {
  const d = data(1);
  const src = classMean(d);
  const xq = tf.zeros([1, 4]);
  const g = rows(src.gradients(xq, all(1, 3)), 1, 3, 4)[0]; // x = 0, so g = r_t
  const means = [0, 1, 2].map((c) => {
    const m = [0, 0, 0, 0];
    d.xs.forEach((row, i) => d.ys[i] === c && row.forEach((v, j) => (m[j] += v / 10)));
    return m;
  });
  const norm = (v: number[]) => Math.hypot(...v);
  const imageNorm = d.xs.reduce((a, r) => a + norm(r), 0) / 30;
  const scale = imageNorm / (means.reduce((a, m) => a + norm(m), 0) / 3);
  for (let c = 0; c < 3; c++) assertClose(g[c], means[c].map((v) => v * scale), 1e-5, 1e-5, `class ${c}`);
  tf.dispose([xq, d.x, d.y]);
  src.dispose();
});

test('Nearest Neighbour (Eq. 3): the l2-nearest image of class t in its seeded sample, x itself excluded', () => {
  const d = data(2);
  const perClass = 4;
  const src = nearestNeighbour(d, { perClass, seed: 5, chunk: 5 });
  // The sample, as the source draws it: per class, perClass i.i.d. draws from the class's indices.
  const r = new Rng(5);
  const sample = [0, 1, 2].map((c) => {
    const ix = d.ys.map((y, i) => (y === c ? i : -1)).filter((i) => i >= 0);
    return Array.from({ length: perClass }, () => ix[r.int(ix.length)]);
  });
  const q = [...sample[0].slice(0, 2), 7, 8, 20]; // two images from the pool (their copy must be skipped), three others
  const xq = tf.tensor2d(q.map((i) => d.xs[i]));
  const t = tf.tensor2d([[0, 2], [1, 0], [2, 1], [0, 0], [1, 2]], [5, 2], 'int32');
  const g = rows(src.gradients(xq, t), 5, 2, 4);
  const tv = [[0, 2], [1, 0], [2, 1], [0, 0], [1, 2]];
  q.forEach((qi, i) =>
    tv[i].forEach((c, j) => {
      let best = -1;
      let bd = Infinity;
      for (const s of sample[c]) {
        const dist = d.xs[s].reduce((a, v, m) => a + (v - d.xs[qi][m]) ** 2, 0);
        if (dist > 0 && dist < bd) [best, bd] = [s, dist];
      }
      assertClose(g[i][j], d.xs[best].map((v, m) => v - d.xs[qi][m]), 1e-6, 0, `image ${qi} target ${c}`);
      assert.ok(g[i][j].some((v) => v !== 0), `image ${qi} is not its own neighbour`);
    }),
  );
  tf.dispose([xq, t, d.x, d.y]);
  src.dispose();
});

test('RIGD: g(x, t) is the teacher\'s targeted input gradient in eval mode; the teacher stays usable', () => {
  const teacher = mlp({ inputShape: [4], hidden: [5], numClasses: 3, seed: 9 });
  const src = rigd(teacher, { name: 'RIGD-l2' });
  assert.is(src.name, 'RIGD-l2');
  const x = tf.tensor2d([[0.1, 0.2, 0.3, 0.4], [0.9, 0.1, 0.5, 0.2]]);
  const t = tf.tensor2d([[2, 0], [1, 1]], [2, 2], 'int32');
  const g = src.gradients(x, t);
  const ref = targetedInputGradients(teacher, x, t, { training: false });
  assertClose(g.dataSync(), ref.dataSync(), 1e-6);
  src.dispose();
  assert.is(teacher.trainableVariables()[0].isDisposed, false);
  tf.dispose([x, t, g, ref]);
  teacher.dispose();
});

test('sources reject a class without images', () => {
  const x = tf.zeros([4, 2]);
  const y = tf.tensor1d([0, 0, 2, 2], 'int32');
  assert.throws(() => classMean({ x, y }), /class 1 has no training images/);
  assert.throws(() => nearestNeighbour({ x, y }), /class 1 has no training images/);
  tf.dispose([x, y]);
});

test.run();
