import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine } from '../helpers/setup';
import type { Dataset } from '../../lib/data/dataset';
import {
  allBinaryPairs, pairsOf, spacedIndices, spacedByClass, nnSetOf, percentOf, meanOf, figs45Rows, figs45Bars, fig6Rows, pooledEvaluation, nnProblem,
  type Comparison, type Vectors,
} from '../../lib/notebook/nnVsTrades';

test.before(engine);

const u8 = (v: number[]) => Uint8Array.from(v);
/** Vectors with every measure of both splits equal to `v`. */
const same = (v: number[]): Vectors =>
  Object.fromEntries(['train', 'test'].flatMap((s) => ['clean', 'l2', 'linf', 'both'].map((k) => [`${s} ${k}`, u8(v)])));

test('allBinaryPairs, pairsOf, spacedIndices', () => {
  const all = allBinaryPairs();
  assert.is(all.length, 45);
  assert.equal(all[0], [0, 1]);
  assert.equal(all[16], [1, 9]);
  assert.equal(all[44], [8, 9]);
  assert.equal(pairsOf([1, 9, 3, 5], all), [[1, 9], [3, 5]]);
  assert.is(pairsOf([], all), all);
  assert.equal(spacedIndices(10, 4), [0, 2, 5, 7]);
  assert.equal(spacedIndices(3, 8), [0, 1, 2]);
  // Alternating labels (as a pair's rows): every other row of the whole set would be class 0 only.
  const alt = Array.from({ length: 20 }, (_, i) => i % 2);
  assert.equal(spacedIndices(20, 10).map((i) => alt[i]), Array(10).fill(0));
  const picked = spacedByClass(alt, 2, 10);
  assert.equal(picked, [0, 1, 4, 5, 8, 9, 12, 13, 16, 17]);
  assert.equal(picked.filter((i) => alt[i] === 1).length, 5);
  // The remainder goes to the first classes; a small class gives all it has.
  assert.equal(spacedByClass([0, 0, 0, 0, 1, 2, 2], 3, 7).map((i) => [0, 0, 0, 0, 1, 2, 2][i]), [0, 0, 0, 1, 2, 2]);
  assert.throws(() => spacedByClass([0, 3], 2, 2), /y/);
});

test('percentOf, meanOf; nnSetOf maps bytes to [0, 1]', () => {
  assert.is(percentOf(u8([1, 0, 1])), 66.67);
  assert.is(percentOf(u8([])), 0);
  assert.is(meanOf([1, 2, 4]), 2.33);
  const ds: Dataset = { name: 't', x: u8([0, 255, 51, 102]), y: Int32Array.from([0, 1]), shape: [2, 1, 1, 2], classNames: ['a', 'b'] } as Dataset;
  const s = nnSetOf(ds, [1]);
  assert.is(s.n, 1);
  assert.is(s.dim, 2);
  assert.ok(Math.abs(s.x[0] - 0.2) < 1e-6 && Math.abs(s.x[1] - 0.4) < 1e-6);
});

test('figs45Rows, fig6Rows and pooledEvaluation on hand-made vectors', () => {
  const cnn = (v: number[]) => ({ S: same(v), E_S: same(v), T_R: same(v), T_B: same(v), T_B_A: same(v) });
  const c: Comparison = {
    nn: { p: same([1, 1, 0, 0]), q: same([1, 1, 1, 1]), r: same([0, 0, 0, 0]) },
    nnRows: [{ 'test l2 %': 50 }, { 'test l2 %': 100 }],
    cnn: { p: cnn([1, 0, 0, 0]), q: cnn([1, 1, 0, 0]) },
  };
  const rows = figs45Rows(c);
  // 1NN on p and q: (50 + 100) / 2; the CNNs: (25 + 50) / 2; the last row: 1NN over its rows.
  assert.is(rows[0]['test l2 %'], 75);
  assert.is(rows[1]['test l2 %'], 37.5);
  assert.is(rows[6]['test l2 %'], 75);
  assert.is(figs45Bars(rows).length, 6 * 7);
  assert.equal(fig6Rows(c).map((r) => [r['1NN l2+linf RA / 2'], r['best TRADES l2+linf RA / 2']]), [[0.5, 0.25], [1, 0.5]]);
  const e = pooledEvaluation(c, '1NN', 'test', 2);
  // The first 2 images of p and of q.
  assert.equal(Array.from(e.correct.l2), [1, 1, 1, 1]);
  assert.equal(Array.from(pooledEvaluation(c, 'S', 'train', 2).clean), [1, 0, 0, 0, 1, 1, 0, 0]);
});

test('nnProblem: two separated clusters are robust at 1.74 and 8/255; no tensors left', async () => {
  // Class 0 all-zero images, class 1 all-one images (4 x 4 x 1 pixels): distance 4 in l2 and 1 in l-inf, so half the
  // distance (2 and 0.5) is beyond both radii (1.74 and 8/255).
  const img = (v: number) => Array.from({ length: 16 }, () => v);
  const ds = (n: number): Dataset => ({
    name: 'c', x: u8(Array.from({ length: n }, (_, i) => img(i % 2 ? 255 : 0)).flat()), y: Int32Array.from({ length: n }, (_, i) => i % 2),
    shape: [n, 4, 4, 1], numClasses: 2, classNames: ['a', 'b'],
  } as Dataset);
  const before = tf.memory().numTensors;
  const r = await nnProblem('a-b', { train: ds(6), test: ds(4) }, 4, 4, { maxCandidates: 4, maxConstraints: 8 });
  assert.is(tf.memory().numTensors, before);
  for (const k of ['train l2 %', 'train linf %', 'test l2 %', 'test linf %', 'test both %', 'test clean %']) assert.is(r.row[k], 100, k);
  assert.equal(Array.from(r.vectors['test both']), [1, 1, 1, 1]);
  assert.is(r.settled.misclassified, 0);
});

test.run();
