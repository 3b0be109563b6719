import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine } from '../helpers/setup';
import { gatedClaim, claimRankCorrelation, pagToyPanel, targetedRows } from '../../lib/notebook/pag';
import type { ClaimVerdict } from '../../lib/notebook/claims';
import type { Evaluation } from '../../lib/notebook/evaluation';
import { pagToyModel, pagToyTensors } from '../../lib/training/pagToy';
import { smallCnn } from '../../lib/models/smallCnn';

test.before(engine);

const ev = (name: string, clean: number[], k = 2): Evaluation =>
  ({ name, seed: 0, numClasses: k, clean: Uint8Array.from(clean), correct: {}, seconds: 0 });
const made: ClaimVerdict = { claim: 'c', verdict: 'holds', test: 't', p: 0.01, reason: 'r', evidence: {} };

test('gatedClaim: runs the test only when every model learned, else inconclusive naming the model', () => {
  const good = ev('good', Array(40).fill(1));
  const chance = ev('chance', Array.from({ length: 40 }, (_, i) => i % 2));
  assert.is(gatedClaim('c', { good }, () => made), made);
  let ran = false;
  const g = gatedClaim('c', { good, chance }, () => ((ran = true), made));
  assert.is(ran, false);
  assert.is(g.verdict, 'inconclusive');
  assert.match(g.reason, /did not learn: chance$/);
});

test('claimRankCorrelation: monotone holds, reversed does not hold, shuffled small sample inconclusive', () => {
  const a = [1, 2, 3, 4, 5, 6, 7, 8];
  const up = claimRankCorrelation('up', a, a.map((v) => 10 * v));
  assert.is(up.verdict, 'holds');
  assert.is(up.evidence.rho, 1);
  // exact test over 8! orders: p = 2 / 8! for |rho| = 1
  assert.ok(Math.abs((up.p as number) - 2 / 40320) < 1e-12, String(up.p));
  assert.is(claimRankCorrelation('down', a, a.map((v) => -v)).verdict, 'does not hold');
  assert.is(claimRankCorrelation('flat', [1, 2, 3, 4], [2, 4, 1, 3]).verdict, 'inconclusive');
});

test('pagToyPanel: every fourth test point in the paper coordinates, regions and an arrow layer', () => {
  const before = tf.memory().numTensors;
  const model = pagToyModel(0);
  const t = pagToyTensors({ perMode: 4, seed: 1 });
  const spec = pagToyPanel(model, t, 'panel') as { layer: { data: { values: Record<string, unknown>[] } }[] };
  assert.is(spec.layer.length >= 3, true);
  const pts = spec.layer.flatMap((l) => l.data?.values ?? []).filter((r) => 'class' in r && !('x1end' in r));
  const x = t.x.arraySync();
  const first = pts.find((r) => Math.abs((r.x1 as number) - (x[0][0] - 0.5) * 240) < 1e-4);
  assert.ok(first, 'test point 0 shown in the paper coordinates');
  assert.ok(pts.some((r) => Math.abs((r.x1 as number) - (x[4][0] - 0.5) * 240) < 1e-4), 'test point 4 shown');
  assert.ok(!pts.some((r) => Math.abs((r.x1 as number) - (x[1][0] - 0.5) * 240) < 1e-4), 'test point 1 not shown');
  model.dispose();
  tf.dispose([t.x, t.y]);
  assert.is(tf.memory().numTensors, before);
});

test('targetedRows: originals then one row per class of the input shape, no tensors left over', () => {
  const model = smallCnn({ channels: [2, 2], hidden: 0, seed: 0 });
  const x = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 1);
  const before = tf.memory().numTensors;
  const names = Array.from({ length: 10 }, (_, k) => `c${k}`);
  const rows = targetedRows('m', model, x, names, { eps: 1, steps: 2 });
  assert.is(rows.length, 11);
  assert.is(rows[0].images, x);
  assert.equal(rows[3].images.shape, [2, 32, 32, 3]);
  assert.is(rows[3].label, 'm: target c2');
  tf.dispose(rows.slice(1).map((r) => r.images));
  assert.is(tf.memory().numTensors, before);
  x.dispose();
  model.dispose();
});

test.run();
