// The notebook platform end to end: the smoke notebook through the real tslab kernel (Vega-Lite JSON object,
// non-empty SVG, a table, no error output), and every plot builder's spec compiling with vega-lite.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as path from 'node:path';
import { groupedBars, linesWithBands, heatmap, histogram, scatterWithDiagonal, decisionRegions } from '../../lib/plots/specs';
import { plotBundle } from '../../lib/notebook/display';

test('every plot builder compiles with vega-lite without warnings and renders a non-empty SVG', async () => {
  const vl = await import('vega-lite');
  const rows = [
    { m: 'PGD-AT', a: 'PGD-20', v: 0.5, x: 1, lo: 0.4, hi: 0.6, s: 1, k: 'a' },
    { m: 'TRADES', a: 'FGSM', v: 0.7, x: 2, lo: 0.6, hi: 0.8, s: 3, k: 'b' },
  ];
  const specs = [
    groupedBars(rows, { x: 'm', y: 'v', color: 'a' }),
    linesWithBands(rows, { x: 'x', y: 'v', lo: 'lo', hi: 'hi', color: 'm' }),
    heatmap(rows, { x: 'm', y: 'a', value: 'v' }),
    histogram(rows, { field: 's', color: 'k' }),
    scatterWithDiagonal(rows, { x: 'v', y: 'lo', label: 'm' }),
    decisionRegions(rows, rows, { x: 'x', y: 'v', cls: 'k' }),
  ];
  for (const spec of specs) {
    const warnings: string[] = [];
    const logger = { level: () => logger, warn: (...m: unknown[]) => (warnings.push(m.join(' ')), logger), info: () => logger, debug: () => logger, error: (...m: unknown[]) => (warnings.push(m.join(' ')), logger) };
    vl.compile({ $schema: 'https://vega.github.io/schema/vega-lite/v5.json', ...spec } as never, { logger: logger as never });
    assert.equal(warnings, [], `${spec.title}: ${warnings.join('; ')}`);
    const b = await plotBundle(spec);
    assert.ok(String(b['image/svg+xml']).includes('<svg') && String(b['image/svg+xml']).length > 1000, `${spec.title}: svg`);
  }
});

test('the smoke notebook runs through the real kernel with a Vega-Lite object, an SVG, a table and no errors', async () => {
  const { check } = (await import(path.resolve(__dirname, '../../kernel-setup/check.mjs'))) as { check: () => { ok: boolean; problems: string[]; skipped?: boolean } };
  const r = check();
  if (r.skipped) {
    console.log(`  (skipped: ${r.problems.join('; ')}; .ci/run installs Jupyter)`);
    return;
  }
  assert.ok(r.ok, r.problems.join('\n'));
});

test.run();
