// Every plot builder returns a spec that vega-lite compiles without a warning and that vega renders to a
// non-empty SVG; each builder's encoding says what it promises (bands, diagonal, per-pixel colours).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { groupedBars, linesWithBands, heatmap, histogram, scatterWithDiagonal, decisionRegions, imageGrid } from '../../lib/plots/index';
import { renderSvg, type VegaLiteSpec } from '../../lib/notebook/display';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

async function compileWarnings(spec: VegaLiteSpec): Promise<string[]> {
  const vl = await import('vega-lite');
  const warnings: string[] = [];
  const logger = {
    level: () => logger,
    warn: (...m: unknown[]) => (warnings.push(m.join(' ')), logger),
    error: (...m: unknown[]) => (warnings.push(m.join(' ')), logger),
    info: () => logger,
    debug: () => logger,
  };
  vl.compile({ $schema: SCHEMA, ...spec } as never, { logger: logger as never });
  return warnings;
}

const rows = [
  { m: 'PGD-AT', a: 'PGD-20', v: 0.5, x: 1, lo: 0.4, hi: 0.6, s: 1, k: 'a' },
  { m: 'TRADES', a: 'FGSM', v: 0.7, x: 2, lo: 0.6, hi: 0.8, s: 3, k: 'b' },
  { m: 'TRADES', a: 'PGD-20', v: 0.45, x: 3, lo: 0.35, hi: 0.55, s: 2, k: 'a' },
];
// A 2x2 RGB image and a 2x2 grey one: pixel (0,0) of the first is pure red.
const rgb = { data: [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1], shape: [1, 2, 2, 3] };
const grey = { data: [0, 0.5, 1, 0.25, 0, 0.5, 1, 0.25], shape: [2, 2, 2, 1] };

const specs: [string, VegaLiteSpec][] = [
  ['groupedBars', groupedBars(rows, { x: 'm', y: 'v', color: 'a' })],
  ['linesWithBands', linesWithBands(rows, { x: 'x', y: 'v', lo: 'lo', hi: 'hi', color: 'm' })],
  ['linesWithBands (no band)', linesWithBands(rows, { x: 'x', y: 'v' })],
  ['heatmap', heatmap(rows, { x: 'm', y: 'a', value: 'v' })],
  ['histogram', histogram(rows, { field: 's', color: 'k' })],
  ['scatterWithDiagonal', scatterWithDiagonal(rows, { x: 'v', y: 'lo', label: 'm' })],
  ['decisionRegions', decisionRegions(rows, rows, { x: 'x', y: 'v', cls: 'k' })],
  ['imageGrid rgb', imageGrid(rgb)],
  ['imageGrid grey', imageGrid(grey, { labels: ['3', '7'], columns: 2 })],
];

for (const [name, spec] of specs) {
  test(`${name}: compiles with vega-lite without warnings and renders a non-empty SVG`, async () => {
    assert.equal(await compileWarnings(spec), []);
    const svg = await renderSvg(spec);
    assert.ok(svg.startsWith('<svg') && svg.length > 1000, `svg of ${svg.length} characters`);
    assert.ok(/<path|<rect|<line/.test(svg.replace(/<rect width="\d+" height="\d+" fill="white"\/>/, '')), 'svg has marks');
  });
}

test('the warning check itself catches a bad spec (an unknown field type)', async () => {
  const w = await compileWarnings({ data: { values: rows }, mark: 'bar', encoding: { x: { field: 'm', type: 'nominal' }, y: { field: 'v', aggregate: 'nonsense' } } });
  assert.ok(w.length > 0, 'expected a warning');
});

test('linesWithBands layers a band from lo to hi under the line; without lo/hi it is one layer', () => {
  const s = linesWithBands(rows, { x: 'x', y: 'v', lo: 'lo', hi: 'hi' }) as { layer: { mark: { type: string }; encoding: Record<string, { field: string }> }[] };
  assert.equal(s.layer.map((l) => l.mark.type), ['area', 'line']);
  assert.is(s.layer[0].encoding.y.field, 'lo');
  assert.is(s.layer[0].encoding.y2.field, 'hi');
  assert.is((linesWithBands(rows, { x: 'x', y: 'v' }) as { layer: unknown[] }).layer.length, 1);
});

test('scatterWithDiagonal draws y = x from 0 to 1', () => {
  const s = scatterWithDiagonal(rows, { x: 'v', y: 'lo' }) as { layer: { data: { values: { d: number }[] } }[] };
  assert.equal(s.layer[1].data.values, [{ d: 0 }, { d: 1 }]);
});

test('imageGrid: one rect per pixel with its colour, facets in image order, labels kept', () => {
  const s = imageGrid(rgb) as { data: { values: { image: string; row: number; col: number; color: string }[] } };
  assert.is(s.data.values.length, 4);
  assert.equal(s.data.values.map((v) => v.color), ['#ff0000', '#00ff00', '#0000ff', '#ffffff']);
  const g = imageGrid(grey, { labels: ['3', '7'] }) as { data: { values: { image: string; color: string }[] }; facet: { sort: string[] } };
  assert.equal(g.facet.sort, ['0: 3', '1: 7']);
  assert.equal(g.data.values.slice(0, 4).map((v) => v.color), ['#000000', '#808080', '#ffffff', '#404040']);
  assert.is(g.data.values[4].image, '1: 7');
});

test.run();
