// The schema of notebooks/reported/*.json: every committed file passes it, and broken files are refused with the
// file, the field and what was seen.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseReported, paperValue, reported } from '../../lib/notebook/reported';

const dir = path.resolve(__dirname, '../../notebooks/reported');
const ok = { title: 'T', source: 'paper.txt, Table 1', units: 'accuracy (%)', tables: { 'Table 1': [{ defense: 'a', clean: 80.5, PGD: null }] } };

test('every committed reported JSON passes the schema and has at least one table', () => {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
  assert.ok(files.length >= 1);
  for (const f of files) {
    const p = parseReported(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')), f);
    assert.ok(Object.keys(p.tables).length >= 1, f);
    assert.equal(reported(f.replace(/\.json$/, '')), p);
  }
});

test('parseReported fills the optional fields and reads values without casts', () => {
  const p = parseReported(ok, 'x.json');
  assert.equal([p.notes, p.figures, p.setting], [{}, {}, {}]);
  assert.is(paperValue(p, 'Table 1', 'a', 'clean'), 80.5);
  assert.is(paperValue(p, 'Table 1', 'a', 'PGD'), undefined);
  assert.is(paperValue(p, 'Table 9', 'a', 'clean'), undefined);
});

test('broken files are refused naming the field', () => {
  const cases: [unknown, RegExp][] = [
    [[], /x.json: the top level must be an object/],
    [{ ...ok, title: '' }, /x.json: "title" must be a non-empty string/],
    [{ ...ok, extra: 1 }, /field "extra" must be one of title, source/],
    [{ ...ok, tables: { 'Table 1': [] } }, /table "Table 1" must be a non-empty array of rows/],
    [{ ...ok, tables: { 'Table 1': [{ clean: '8' }, { clean: Number.NaN }] } }, /table "Table 1" row 1 column "clean" must be a finite number, a string or null/],
    [{ ...ok, notes: { 'Table 1': 3 } }, /note "Table 1" must be a string/],
  ];
  for (const [v, re] of cases) assert.throws(() => parseReported(v, 'x.json'), re);
  assert.throws(() => reported('no-such-paper'), /no file notebooks\/reported\/no-such-paper\.json/);
});

test.run();
