// Verdicts on constructed cases: a large real difference holds, a tiny one is inconclusive, a reversed one does
// not hold, chance-level models make every claim inconclusive; over seeds Welch's t decides.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { claimGreater, claimMostly, claimNotWorse, claimValuesGreater, countVerdicts, learned, verdictSummary } from '../../lib/notebook/claims';
import type { Evaluation } from '../../lib/notebook/evaluation';

/** An evaluation whose first `clean` of n examples are right clean and first `robust` right under PGD. */
function ev(name: string, n: number, clean: number, robust: number, opts: { seed?: number; offset?: number } = {}): Evaluation {
  const off = opts.offset ?? 0;
  const at = (k: number) => Uint8Array.from({ length: n }, (_, i) => ((i + off) % n < k ? 1 : 0));
  return { name, seed: opts.seed ?? 0, numClasses: 10, clean: at(clean), correct: { PGD: Uint8Array.from(at(robust), (v, i) => v & at(clean)[i]) }, seconds: 0 };
}

test('a large real difference on the same images holds (McNemar), with the test and p-value stated', () => {
  const v = claimGreater('HE raises PGD accuracy', ev('HE', 400, 300, 200), ev('plain', 400, 300, 120), 'PGD');
  assert.is(v.verdict, 'holds');
  assert.match(v.test, /McNemar exact on 400 paired test images, two-sided, alpha 0.05/);
  assert.ok(v.p !== null && v.p < 1e-6);
  assert.is(v.evidence['right only under HE'], 80);
  assert.is(v.evidence['difference (points)'], 20);
});

test('a tiny difference is inconclusive, a reversed one does not hold', () => {
  const tiny = claimGreater('c', ev('HE', 400, 300, 122), ev('plain', 400, 300, 120), 'PGD');
  assert.is(tiny.verdict, 'inconclusive');
  assert.ok(tiny.p !== null && tiny.p > 0.4);
  assert.match(tiny.reason, /within noise/);
  const rev = claimGreater('c', ev('HE', 400, 300, 100), ev('plain', 400, 300, 160), 'PGD');
  assert.is(rev.verdict, 'does not hold');
  assert.match(rev.reason, /the opposite: plain higher by 15 points/);
});

test('chance-level models make the claim inconclusive: model did not learn (binomial test vs 1/K)', () => {
  // 44 of 400 right is 11%: p(X >= 44 | Bin(400, 0.1)) is about 0.28.
  const chance = ev('HE', 400, 44, 30);
  assert.is(learned(chance).learned, false);
  const v = claimGreater('c', chance, ev('plain', 400, 300, 0), 'PGD');
  assert.is(v.verdict, 'inconclusive');
  assert.match(v.reason, /^model did not learn: HE \(seed 0\) clean 11% vs chance 10%/);
  assert.ok(learned(ev('x', 400, 80, 0)).learned, '20% of 400 on ten classes is clearly above chance');
  const zero = claimGreater('c', ev('a', 400, 300, 0), ev('b', 400, 300, 0), 'PGD');
  assert.match(zero.reason, /robust accuracy under PGD is 0 for every model/);
});

test('over seeds: Welch t on the seeds accuracies decides', () => {
  const a = [0, 1, 2].map((s) => ev('HE', 400, 300, 200 + 4 * s, { seed: s }));
  const b = [0, 1, 2].map((s) => ev('plain', 400, 300, 150 + 4 * s, { seed: s }));
  const v = claimGreater('c', a, b, 'PGD');
  assert.is(v.verdict, 'holds');
  assert.match(v.test, /Welch t over seeds \(3 and 3\)/);
  const noisy = claimGreater('c', [0, 1, 2].map((s) => ev('HE', 400, 300, [150, 200, 170][s], { seed: s })), [0, 1, 2].map((s) => ev('plain', 400, 300, [160, 190, 150][s], { seed: s })), 'PGD');
  assert.is(noisy.verdict, 'inconclusive');
});

test('not worse by more than a margin: paired bootstrap interval against -margin', () => {
  const same = claimNotWorse('keeps clean', ev('HE', 1000, 800, 0), ev('plain', 1000, 800, 0, { offset: 1 }), 'clean', 2);
  assert.is(same.verdict, 'holds');
  const worse = claimNotWorse('keeps clean', ev('HE', 1000, 600, 0), ev('plain', 1000, 800, 0), 'clean', 2);
  assert.is(worse.verdict, 'does not hold');
  const unsure = claimNotWorse('keeps clean', ev('HE', 200, 150, 0, { offset: 7 }), ev('plain', 200, 152, 0), 'clean', 1);
  assert.is(unsure.verdict, 'inconclusive');
});

test('values over seeds and the sign test; counts of the three outcomes', () => {
  assert.is(claimValuesGreater('c', [10, 11, 10.5], [5, 5.5, 6], ['a', 'b']).verdict, 'holds');
  assert.is(claimValuesGreater('c', [10], [5], ['a', 'b']).verdict, 'inconclusive');
  assert.is(claimMostly('c', 9, 10).verdict, 'holds'); // p = 2 * 11/1024
  assert.is(claimMostly('c', 5, 10).verdict, 'inconclusive');
  assert.is(claimMostly('c', 1, 10).verdict, 'does not hold');
  const c = countVerdicts([{ verdict: 'holds' }, { verdict: 'inconclusive' }, { verdict: 'inconclusive' }, { verdict: 'does not hold' }]);
  assert.equal(c, { holds: 1, doesNotHold: 1, inconclusive: 2, total: 4 });
  assert.is(verdictSummary(c), '1 hold, 1 do not, 2 inconclusive of 4');
});

test.run();
