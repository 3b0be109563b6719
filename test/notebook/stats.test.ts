// The tests behind verdicts against values derived by hand or read from printed tables.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { binomialLower, binomialUpper, incompleteBeta, logGamma, mcnemarExact, pairedBootstrap, studentUpper, welchT } from '../../lib/notebook/stats';

const close = (a: number, b: number, tol: number) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b} (tol ${tol})`);

test('logGamma matches factorials; binomial tails are exact sums', () => {
  close(logGamma(11), Math.log(3628800), 1e-10);
  close(logGamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-12);
  // P(X >= 9), X ~ Bin(10, 1/2): (C(10,9) + C(10,10)) / 1024.
  close(binomialUpper(9, 10, 0.5), 11 / 1024, 1e-14);
  close(binomialLower(1, 10, 0.5), 11 / 1024, 1e-14);
  assert.is(binomialUpper(0, 10, 0.3), 1);
  assert.is(binomialUpper(11, 10, 0.3), 0);
  // P(X >= 15), X ~ Bin(100, 0.1): the upper tail of a chance-level ten-class model (about 0.073).
  close(binomialUpper(15, 100, 0.1), 0.0726, 5e-4);
  assert.throws(() => binomialUpper(1, 10, 1.5), /p: values must lie in \[0, 1\]/);
});

test('incomplete beta and Student t match printed tables', () => {
  // I_0.5(2, 3) = sum_{j=2..4} C(4, j) / 16 = 11/16.
  close(incompleteBeta(0.5, 2, 3), 11 / 16, 1e-12);
  close(studentUpper(2.015, 5), 0.05, 5e-4); // t_{0.95, 5} = 2.015
  close(studentUpper(2.228, 10), 0.025, 3e-4); // t_{0.975, 10} = 2.228
  close(studentUpper(-2.228, 10), 0.975, 3e-4);
  close(studentUpper(1.96, 1e6), 0.025, 1e-4);
});

test('McNemar exact counts the discordant pairs and gives both one-sided p-values', () => {
  const m = mcnemarExact([1, 1, 1, 0], [0, 0, 1, 0]);
  assert.equal([m.aOnly, m.bOnly, m.n], [2, 0, 4]);
  close(m.pGreater, 0.25, 1e-12);
  close(m.pLess, 1, 1e-12);
  close(m.pTwoSided, 0.5, 1e-12);
  close(m.difference, 0.5, 1e-12);
  assert.throws(() => mcnemarExact([1, 0], [1]), /same length \(the same test images\), got 2 and 1/);
});

test('paired bootstrap: a constant difference has a point interval; no difference an interval around 0', () => {
  const one = pairedBootstrap(new Array(50).fill(1), new Array(50).fill(0), { resamples: 200 });
  assert.equal([one.difference, one.ci], [1, [1, 1]]);
  const a = Array.from({ length: 400 }, (_, i) => i % 2);
  const b = Array.from({ length: 400 }, (_, i) => (i + 1) % 2);
  const z = pairedBootstrap(a, b, { resamples: 500, seed: 3 });
  assert.is(z.difference, 0);
  assert.ok(z.ci[0] < 0 && z.ci[1] > 0 && z.ci[1] < 0.15, `interval ${z.ci}`);
});

test('Welch t: statistic and degrees of freedom by hand; zero spread decided by the sign', () => {
  // a: mean 2.5, var 5/3, n 4; b: mean 6, var 10, n 5 -> t = -3.5 / sqrt(5/12 + 2), df = (29/12)^2 / ((5/12)^2/3 + 1).
  const w = welchT([1, 2, 3, 4], [2, 4, 6, 8, 10]);
  close(w.t, -3.5 / Math.sqrt(5 / 12 + 2), 1e-12);
  close(w.df, (29 / 12) ** 2 / ((5 / 12) ** 2 / 3 + 1), 1e-12);
  assert.ok(w.pLess < 0.05 && w.pGreater > 0.95 && w.pTwoSided > 0.05 && w.pTwoSided < 0.1, `p ${w.pTwoSided}`);
  assert.equal([welchT([1, 1], [0, 0]).pGreater, welchT([1, 1], [0, 0]).pTwoSided], [0, 0]);
  assert.throws(() => welchT([1], [1, 2]), /welchT: needs at least 2 values per group, got 1/);
});

test.run();
