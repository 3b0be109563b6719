// The experiment kit on a tiny model: a named training labels its progress bar, evaluations keep per-example
// correctness that agrees with robustAccuracy, rows aggregate over seeds, and the paper-beside-ours table has
// every cell filled.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine } from '../helpers/setup';
import { halves } from '../helpers/fixtures';
import { smallCnn } from '../../lib/models/smallCnn';
import { pgdAT } from '../../lib/training/pgdAT';
import { pgd } from '../../lib/attacks/pgd';
import { robustAccuracy } from '../../lib/metrics/accuracy';
import { trainNamed, runSeeds, aggregate, compareRows, spreadNote, plainRow } from '../../lib/notebook/experiment';
import { evaluateModel } from '../../lib/notebook/evaluation';
import { parseReported } from '../../lib/notebook/reported';
import type { ProgressSink } from '../../lib/training/progress';

test.before(engine);

const net = (seed: number) => smallCnn({ inputShape: [8, 8, 1], numClasses: 2, channels: [4, 8], seed });
const attack = (m: Parameters<typeof pgd>[0], x: tf.Tensor, y: tf.Tensor1D) => pgd(m, x, y, { eps: 0.1, steps: 3, seed: 0 });

test('trainNamed labels the bar with name and seed; evaluateModel agrees with robustAccuracy and leaks nothing', async () => {
  const data = halves(64, 1);
  const testSet = halves(40, 2);
  const labels: string[] = [];
  const sink: ProgressSink = { start: (_n, l) => labels.push(l), tick: () => {}, done: () => {} };
  const before = tf.memory().numTensors;
  const t = await trainNamed({ name: 'PGD-AT tiny', model: net, method: () => pgdAT({ eps: 0.1, steps: 2 }), data, epochs: 1, batchSize: 32, optimizer: { lr: 0.05 }, seed: 3, progress: sink });
  assert.equal(labels, ['train PGD-AT tiny (seed 3)']);
  assert.is(t.seed, 3);
  const ev = await evaluateModel(t, testSet, { PGD: attack, 'PGD first 10': { attack, n: 10 } }, { batchSize: 16 });
  const ref = await robustAccuracy(t.model, testSet.x, testSet.y, attack, { batchSize: 16 });
  assert.is(ev.clean.reduce((s, v) => s + v, 0) / 40, ref.clean.accuracy);
  assert.is(ev.correct.PGD.reduce((s, v) => s + v, 0) / 40, ref.robust.accuracy);
  assert.is(ev.correct['PGD first 10'].length, 10);
  assert.ok(ev.correct.PGD.every((v, i) => v <= ev.clean[i]), 'robust implies right clean');
  t.model.dispose();
  assert.is(tf.memory().numTensors, before, 'no tensor left behind');
  tf.dispose([data.x, data.y, testSet.x, testSet.y]);
});

test('aggregate over seeds, compareRows beside the paper with "–" where the paper has no number', async () => {
  const evals = await runSeeds([0, 1], async (seed) => ({ name: 'a', seed, numClasses: 2, clean: Uint8Array.from([1, 1, 1, seed]), correct: { PGD: Uint8Array.from([1, seed, 0, 0]) }, seconds: 0 }));
  const row = aggregate(evals);
  assert.equal(row.values.clean, { mean: 87.5, spread: 17.68, seeds: 2 });
  assert.equal(plainRow(row), { defense: 'a', clean: 87.5, PGD: 37.5 });
  const one = aggregate(evals.slice(0, 1), ['clean']);
  assert.ok(one.values.clean.spread > 20, 'one seed: the Wilson half-width');
  const paper = parseReported({ title: 'T', source: 's', units: '%', tables: { 'Table 1': [{ defense: 'a', clean: 90 }] } }, 'x.json');
  const rows = compareRows(paper, 'Table 1', [row], ['clean', 'PGD']);
  assert.equal(rows, [
    { defense: 'a', measure: 'clean', paper: 90, ours: 87.5, '±': 17.68, 'ours − paper': -2.5 },
    { defense: 'a', measure: 'PGD', paper: '–', ours: 37.5, '±': 17.68, 'ours − paper': '–' },
  ]);
  assert.ok(rows.every((r) => Object.values(r).every((v) => v !== undefined)));
  assert.match(spreadNote([row]), /sd over seeds \(2 seeds/);
  assert.throws(() => compareRows(paper, 'Table 1', [row], ['FGSM']), /no measure "FGSM"; measured: clean, PGD/);
});

test.run();
