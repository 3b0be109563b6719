// CI's proof that every paper notebook runs: notebooks/*.ipynb executed with the smoke profile through the real
// kernel (the main job, `npm run reproduce -- --profile smoke`), each writing its results JSON with the three
// verdict counts and the data provenance. Skips with a message when Jupyter is absent.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../..');
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'robustlab-smoke-'));
const books = fs.readdirSync(path.join(root, 'notebooks')).filter((f) => f.endsWith('.ipynb')).map((f) => f.replace(/\.ipynb$/, ''));

test('every notebook runs with the smoke profile and saves its verdict counts and provenance', () => {
  const py = spawnSync(process.env.ROBUSTLAB_PYTHON ?? '/usr/bin/python3', ['-c', 'import nbclient, nbformat'], { encoding: 'utf8' });
  if (py.status !== 0) {
    console.log('\n  SKIPPED notebook smoke run: no nbclient (npm run kernel:setup installs Jupyter)');
    return;
  }
  const r = spawnSync(process.execPath, [path.join(root, 'scripts/reproduce.mjs'), '--profile', 'smoke', '--out', out], { encoding: 'utf8', timeout: 1_500_000 });
  assert.is(r.status, 0, `${r.stdout.slice(-3000)}\n${r.stderr.slice(-2000)}`);
  for (const b of books) {
    const j = JSON.parse(fs.readFileSync(path.join(out, `${b}.json`), 'utf8'));
    assert.is(j.profile, 'smoke', b);
    assert.is(j.counts.total, j.claims.length, b);
    assert.is(j.counts.holds + j.counts.doesNotHold + j.counts.inconclusive, j.counts.total, b);
    assert.ok(['cifar10', 'mnist', 'shapes10'].includes(j.provenance?.dataset), `${b}: provenance ${JSON.stringify(j.provenance)}`);
  }
  const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
  assert.match(md, /Claims over all notebooks: \*\*\d+ hold, \d+ do not, \d+ inconclusive of \d+\*\*/);
});

test.after(() => fs.rmSync(out, { recursive: true, force: true }));

test.run();
