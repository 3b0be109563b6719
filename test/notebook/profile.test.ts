// Profiles from ROBUSTLAB_PROFILE, claim verdicts with their margins, the results JSON where the runner
// looks for it, and the paper's reported numbers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { profile, Results, reported } from '../../lib/notebook/profile';

const P = { smoke: { epochs: 1 }, quick: { epochs: 3 }, full: { epochs: 30 } };
const saved = { ...process.env };
test.after.each(() => {
  for (const k of ['ROBUSTLAB_PROFILE', 'ROBUSTLAB_RESULTS_DIR']) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

test('profile() picks ROBUSTLAB_PROFILE, defaults to quick, and rejects unknown names', () => {
  delete process.env.ROBUSTLAB_PROFILE;
  assert.equal(profile(P), { epochs: 3, name: 'quick' });
  process.env.ROBUSTLAB_PROFILE = 'smoke';
  assert.equal(profile(P), { epochs: 1, name: 'smoke' });
  process.env.ROBUSTLAB_PROFILE = 'huge';
  assert.throws(() => profile(P), /ROBUSTLAB_PROFILE: must be one of smoke, quick, full, got "huge"/);
});

test('claimGreater records both numbers, the difference and the margin; fails inside the margin', () => {
  const r = new Results('x', 'X');
  const a = r.claimGreater('HE helps', ['HE', 0.52], ['plain', 0.5], { margin: 0.01 });
  assert.is(a.holds, true);
  assert.is(a.evidence.HE, 0.52);
  assert.ok(Math.abs((a.evidence.difference as number) - 0.02) < 1e-12);
  const b = r.claimGreater('HE helps a lot', ['HE', 0.52], ['plain', 0.5], { margin: 0.05, note: 'small model' });
  assert.is(b.holds, false);
  assert.is(b.note, 'small model');
  assert.is(r.claims.length, 2);
});

test('save() writes NAME.json into ROBUSTLAB_RESULTS_DIR with claims, tables, figures and cost', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'robustlab-results-'));
  process.env.ROBUSTLAB_RESULTS_DIR = dir;
  process.env.ROBUSTLAB_PROFILE = 'smoke';
  const r = new Results('03-demo', 'Demo paper');
  r.claim('c', true, { a: 1 });
  r.table('t', [{ a: 1 }]);
  const spec = r.figure('f', { mark: 'bar' });
  assert.equal(spec, { mark: 'bar' });
  r.lap('section one');
  const file = r.save({ engine: 'cpu' });
  assert.is(file, path.join(dir, '03-demo.json'));
  const j = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.is(j.profile, 'smoke');
  assert.is(j.title, 'Demo paper');
  assert.equal(j.tables, { t: [{ a: 1 }] });
  assert.equal(j.figures, { f: { mark: 'bar' } });
  assert.equal(Object.keys(j.cost), ['section one']);
  assert.is(j.engine, 'cpu');
  fs.rmSync(dir, { recursive: true });
});

test('reported() reads notebooks/reported/NAME.json and names the places it looked when missing', () => {
  const name = `test-${process.pid}`;
  const file = path.resolve(__dirname, '../../notebooks/reported', `${name}.json`);
  fs.writeFileSync(file, JSON.stringify({ tables: { t: [{ acc: 0.5 }] } }));
  try {
    assert.equal(reported(name), { tables: { t: [{ acc: 0.5 }] } });
  } finally {
    fs.rmSync(file);
  }
  assert.throws(() => reported('no-such-paper'), /no file notebooks\/reported\/no-such-paper\.json/);
});

test.run();
