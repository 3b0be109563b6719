// A real single-node Slurm (issue 21): scripts/slurm-local.sh starts munged, slurmctld and slurmd; a smoke
// sweep of notebook 01 in 3 shards runs as an sbatch array, the merge runs after it (afterok), and the merged
// results JSON equals a plain, non-sharded smoke run's (same seeds; only the wall-time `cost` differs).
// Skips only when slurm-wlm (or Jupyter) is not installed, and says so; fails, saying why, when Slurm cannot start.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'robustlab-slurm-test-'));
const name = '01-prototype-a-loss';
const slurmDir = path.join(tmp, 'slurm');
const env: NodeJS.ProcessEnv = { ...process.env, ROBUSTLAB_SLURM_DIR: slurmDir, ROBUSTLAB_SLURM_PORT: '16917', SLURM_CONF: path.join(slurmDir, 'slurm.conf') };
delete env.ROBUSTLAB_STORE;
delete env.ROBUSTLAB_SHARD;
delete env.ROBUSTLAB_MERGE;
const installed = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
let started = false;

/** Runs a command to its end (asynchronously, so uvu's process stays responsive); resolves status, output, seconds. */
const run = (cmd: string, argv: string[], timeoutMs: number) =>
  new Promise<{ status: number | null; out: string; seconds: number }>((resolve) => {
    const t0 = Date.now();
    const p = spawn(cmd, argv, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    p.stderr.setEncoding('utf8').on('data', (d) => (out += d));
    const timer = setTimeout(() => p.kill('SIGTERM'), timeoutMs);
    p.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, out, seconds: (Date.now() - t0) / 1000 });
    });
  });

const withoutCost = (file: string) => {
  const j = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  delete j.cost;
  return j;
};

test('a 3-shard smoke sweep on a real Slurm, merged, equals a plain smoke run', async () => {
  if (!installed('slurmctld') || !installed('slurmd') || !installed('munged')) {
    console.log('\n  SKIPPED the Slurm sweep test: slurm-wlm or munge is not installed (apt-get install -y slurm-wlm munge)');
    return;
  }
  if (spawnSync(process.env.ROBUSTLAB_PYTHON ?? '/usr/bin/python3', ['-c', 'import nbclient, nbformat']).status !== 0) {
    console.log('\n  SKIPPED the Slurm sweep test: no nbclient (npm run kernel:setup installs Jupyter)');
    return;
  }
  const s = spawnSync('bash', [path.join(root, 'scripts/slurm-local.sh'), 'start'], { encoding: 'utf8', env });
  started = true;
  assert.is(s.status, 0, `Slurm could not start:\n${s.stdout}${s.stderr}`);

  const sweepOut = path.join(tmp, 'sweep');
  const sw = await run(process.execPath, [path.join(root, 'scripts/sweep.mjs'), '--only', name, '--slurm', '--shards', '3', '--profile', 'smoke', '--out', sweepOut, '--wait'], 1_800_000);
  assert.is(sw.status, 0, `the sweep failed:\n${sw.out.slice(-4000)}`);
  assert.match(sw.out, /submitted array job \d+ \(3 shards\) and merge job \d+ \(afterok:\d+\)/);
  for (let i = 0; i < 3; i++) assert.is(fs.readFileSync(path.join(sweepOut, 'sweep', 'status', `shard-${i}.rc`), 'utf8').trim(), '0', `shard ${i}`);
  const merged = fs.readFileSync(path.join(sweepOut, 'notebooks', `${name}.ipynb`), 'utf8');
  assert.match(merged, /training: 2 of 2 tasks from the store/, 'the merge computed nothing');

  const plainOut = path.join(tmp, 'plain');
  const plain = await run(process.execPath, [path.join(root, 'scripts/reproduce.mjs'), '--no-build', '--profile', 'smoke', '--only', name, '--out', plainOut], 1_200_000);
  assert.is(plain.status, 0, `the plain run failed:\n${plain.out.slice(-4000)}`);
  assert.equal(withoutCost(path.join(sweepOut, `${name}.json`)), withoutCost(path.join(plainOut, `${name}.json`)));
  const submitToEnd = /merged after ([\d.]+) s/.exec(sw.out)?.[1];
  console.log(`\n  Slurm sweep: ${sw.seconds.toFixed(1)} s with the one build, ${submitToEnd} s from submission to merged (3 shards, merge); plain smoke run (no build): ${plain.seconds.toFixed(1)} s; ${os.cpus().length} cores`);
});

test.after(() => {
  if (started) spawnSync('bash', [path.join(root, 'scripts/slurm-local.sh'), 'stop'], { env, stdio: 'inherit' });
  fs.rmSync(tmp, { recursive: true, force: true });
});

test.run();
