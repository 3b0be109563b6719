// Profiles from ROBUSTLAB_PROFILE (validated: own names only, the same settings everywhere), and the results
// JSON with three-valued claims and their counts, written where the runner looks for it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { profile, profileRows, Results } from '../../lib/notebook/profile';
import { claimMostly } from '../../lib/notebook/claims';

const P = { smoke: { epochs: 1, seeds: [0] }, quick: { epochs: 3, seeds: [0, 1] }, full: { epochs: 30, seeds: [0, 1, 2] } };
const saved = { ...process.env };
test.after.each(() => {
  for (const k of ['ROBUSTLAB_PROFILE', 'ROBUSTLAB_RESULTS_DIR']) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

test('profile() picks ROBUSTLAB_PROFILE, defaults to quick, and rejects unknown and inherited names', () => {
  delete process.env.ROBUSTLAB_PROFILE;
  assert.equal(profile(P), { epochs: 3, seeds: [0, 1], name: 'quick' });
  assert.ok(Object.isFrozen(profile(P)));
  process.env.ROBUSTLAB_PROFILE = 'smoke';
  assert.equal(profile(P), { epochs: 1, seeds: [0], name: 'smoke' });
  for (const bad of ['huge', 'constructor', 'toString', '__proto__']) {
    process.env.ROBUSTLAB_PROFILE = bad;
    assert.throws(() => profile(P), new RegExp(`ROBUSTLAB_PROFILE: must be one of smoke, quick, full, got "${bad}"`));
  }
});

test('profile() needs the same settings in every profile, each finite', () => {
  delete process.env.ROBUSTLAB_PROFILE;
  assert.throws(() => profile({ ...P, full: { epochs: 30 } } as never), /profile full: must have the same settings as the others; missing seeds, extra none/);
  assert.throws(() => profile({ ...P, smoke: { epochs: NaN, seeds: [0] } }), /profile smoke: setting epochs must be a finite number/);
  assert.equal(profileRows(profile(P)), [{ setting: 'epochs', value: '3' }, { setting: 'seeds', value: '0 1' }, { setting: 'name', value: 'quick' }]);
});

test('save() writes NAME.json atomically with verdict counts, tables, figures and cost; no machine path in its line', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'robustlab-results-'));
  process.env.ROBUSTLAB_RESULTS_DIR = dir;
  process.env.ROBUSTLAB_PROFILE = 'smoke';
  const r = new Results('03-demo', 'Demo paper');
  r.add(claimMostly('most layers', 9, 10), claimMostly('half', 5, 10));
  r.table('t', [{ a: 1 }]);
  assert.equal(r.figure('f', { mark: 'bar' }), { mark: 'bar' });
  r.lap('section one');
  const line = r.save({ engine: 'cpu' });
  assert.is(line, 'results saved to 03-demo.json in the results folder: claims 1 hold, 0 do not, 1 inconclusive of 2');
  assert.not.ok(line.includes(dir));
  const j = JSON.parse(fs.readFileSync(path.join(dir, '03-demo.json'), 'utf8'));
  assert.is(j.profile, 'smoke');
  assert.equal(j.counts, { holds: 1, doesNotHold: 0, inconclusive: 1, total: 2 });
  assert.is(j.summary, '1 hold, 0 do not, 1 inconclusive of 2');
  assert.equal(j.claims.map((c: { verdict: string }) => c.verdict), ['holds', 'inconclusive']);
  assert.equal(j.tables, { t: [{ a: 1 }] });
  assert.equal(Object.keys(j.cost), ['section one']);
  assert.is(j.engine, 'cpu');
  assert.equal(fs.readdirSync(dir), ['03-demo.json']);
  fs.rmSync(dir, { recursive: true });
});

test.run();
