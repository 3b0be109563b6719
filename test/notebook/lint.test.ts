// Notebook lint over notebooks/*.ipynb: short cells and lines, no italics from stray underscores in Markdown,
// and in the committed (executed) outputs: no bare trailing values, no errors, no TF.js Node banner, no
// machine paths, and the data provenance line near the top.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';

interface Output { output_type: string; name?: string; text?: string | string[]; data?: Record<string, unknown> }
interface Cell { cell_type: string; source: string | string[]; outputs?: Output[] }
const dir = path.resolve(__dirname, '../../notebooks');
const books = fs.readdirSync(dir).filter((f) => f.endsWith('.ipynb')).sort();
const read = (f: string) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { cells: Cell[] };
const text = (v: unknown) => (Array.isArray(v) ? v.join('') : typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v));
const source = (c: Cell) => text(c.source);
const outputText = (o: Output) => text(o.text) + Object.entries(o.data ?? {}).filter(([k]) => k.startsWith('text/')).map(([, v]) => text(v)).join('');
export const MAX_CELL_LINES = 25;
export const MAX_LINE = 120;

test('notebooks exist', () => assert.ok(books.length >= 3, books.join(', ')));

for (const f of books) {
  test(`${f}: code cells of at most ${MAX_CELL_LINES} lines, code lines of at most ${MAX_LINE} characters`, () => {
    const bad = read(f).cells.flatMap((c, i) => {
      if (c.cell_type !== 'code') return [];
      const lines = source(c).split('\n');
      const long = lines.filter((l) => l.length > MAX_LINE).map((l) => `cell ${i}: line of ${l.length}: ${l.slice(0, 50)}`);
      return lines.length > MAX_CELL_LINES ? [`cell ${i}: ${lines.length} lines`, ...long] : long;
    });
    assert.equal(bad, []);
  });

  test(`${f}: Markdown has no bare underscores (they italicise the text between them)`, () => {
    const bad = read(f).cells.flatMap((c, i) => {
      if (c.cell_type !== 'markdown') return [];
      // Code spans and escaped underscores are fine.
      const plain = source(c).replace(/```[\s\S]*?```/g, '').replace(/`[^`]*`/g, '').replace(/\\_/g, '');
      return plain.includes('_') ? [`cell ${i}: ${plain.slice(Math.max(0, plain.indexOf('_') - 30), plain.indexOf('_') + 30)}`] : [];
    });
    assert.equal(bad, []);
  });

  test(`${f}: outputs have no bare values, errors, TF.js banner or machine paths, and say the data near the top`, () => {
    const cells = read(f).cells.filter((c) => c.cell_type === 'code');
    const outs = cells.flatMap((c, i) => (c.outputs ?? []).map((o) => ({ i, o })));
    assert.ok(outs.length > 0, 'the committed notebook is executed');
    const bad: string[] = [];
    for (const { i, o } of outs) {
      const t = outputText(o);
      if (o.output_type === 'execute_result') bad.push(`cell ${i}: bare trailing value ${t.slice(0, 40)}`);
      if (o.output_type === 'error') bad.push(`cell ${i}: error output`);
      if (/looks like you are running TensorFlow\.js in Node/.test(t)) bad.push(`cell ${i}: TF.js banner`);
      if (o.name === 'stderr' && /Error|error TS/.test(t)) bad.push(`cell ${i}: error text on stderr: ${t.slice(0, 80)}`);
      const p = t.match(/(file:\/\/|\/work\/|\/home\/|\/tmp\/|\/usr\/)[^\s"')]*/);
      if (p) bad.push(`cell ${i}: machine path ${p[0]}`);
    }
    assert.equal(bad, []);
    const top = outs.filter(({ i }) => i <= 3).map(({ o }) => outputText(o)).join('\n');
    assert.match(top, /\*\*Data: [^*]+\.\*\*/, 'a provenance line in the first cells');
  });
}

test.run();
