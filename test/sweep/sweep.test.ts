// The sweep engines' written artefacts, without a cluster (issue 21): the sbatch array has one task per shard
// and a log per task, the merge script merges, the printed submission uses afterok; the Kubernetes manifests
// map the completion index to the shard; bad arguments are refused naming them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../..');
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'robustlab-sweep-'));
const sweep = (...argv: string[]) => spawnSync(process.execPath, [path.join(root, 'scripts/sweep.mjs'), ...argv], { encoding: 'utf8', cwd: root });
const name = '01-prototype-a-loss';

test('--slurm --dry-run writes an array of 4 shards with a log each and an afterok merge, valid bash', () => {
  const r = sweep('--only', name, '--slurm', '--shards', '4', '--profile', 'smoke', '--partition', 'gpu', '--gres', 'gpu:1', '--time', '01:00:00', '--out', out, '--dry-run');
  assert.is(r.status, 0, r.stderr);
  const array = fs.readFileSync(path.join(out, 'sweep', `${name}.array.sbatch`), 'utf8');
  const merge = fs.readFileSync(path.join(out, 'sweep', `${name}.merge.sbatch`), 'utf8');
  for (const line of ['#SBATCH --array=0-3', '#SBATCH --partition=gpu', '#SBATCH --gres=gpu:1', '#SBATCH --time=01:00:00', `#SBATCH --output=${path.join(out, 'sweep', 'logs', `${name}-shard-%a.log`)}`])
    assert.ok(array.includes(line), `array script lacks ${line}:\n${array}`);
  assert.match(array, /reproduce\.mjs --no-build --profile smoke --only 01-prototype-a-loss --store \S+ --shard "\$SLURM_ARRAY_TASK_ID\/4"/);
  assert.match(merge, /reproduce\.mjs --no-build --profile smoke --only 01-prototype-a-loss --store \S+ --merge --out /);
  assert.not.match(merge, /--gres/, 'the merge renders on a CPU');
  assert.match(r.stdout, /sbatch --parsable --dependency=afterok:\$id /);
  for (const f of [array, merge]) assert.is(spawnSync('bash', ['-n'], { input: f }).status, 0, 'bash -n');
});

test('--k8s writes an Indexed Job (completion index -> shard) and a merge Job', () => {
  const r = sweep('--only', name, '--k8s', '--shards', '5', '--image', 'reg.example/robustlab:1', '--out', out);
  assert.is(r.status, 0, r.stderr);
  const job = fs.readFileSync(path.join(out, 'sweep', `${name}.k8s-shards.yaml`), 'utf8');
  const merge = fs.readFileSync(path.join(out, 'sweep', `${name}.k8s-merge.yaml`), 'utf8');
  assert.match(job, /completionMode: Indexed\n  completions: 5\n  parallelism: 5/);
  assert.match(job, /--shard \$JOB_COMPLETION_INDEX\/5/);
  assert.match(job, /image: reg\.example\/robustlab:1/);
  assert.match(merge, /--merge --out \/store\/out/);
  assert.match(r.stdout, /kubectl wait --for=condition=complete/);
});

test('bad arguments exit 2 naming the argument', () => {
  const cases: [string[], RegExp][] = [
    [['--slurm'], /--only NAME/],
    [['--only', '0', '--slurm'], /--only 0: must name exactly one notebook, matched 00-tour, 01-prototype-a-loss/],
    [['--only', name], /choose one engine/],
    [['--only', name, '--local', '0'], /--local: must be a whole number >= 1, got "0"/],
    [['--only', name, '--slurm', '--profile', 'huge'], /--profile: must be smoke, quick or full, got "huge"/],
  ];
  for (const [argv, re] of cases) {
    const r = sweep(...argv);
    assert.is(r.status, 2, argv.join(' '));
    assert.match(r.stderr, re);
  }
  for (const bad of ['1of3', '3/3']) {
    const rep = spawnSync(process.execPath, [path.join(root, 'scripts/reproduce.mjs'), '--shard', bad], { encoding: 'utf8' });
    assert.is(rep.status, 2);
    assert.ok(rep.stderr.includes(`--shard: expected i/n with i in 0..n-1, got "${bad}"`), rep.stderr);
  }
  const both = spawnSync(process.execPath, [path.join(root, 'scripts/reproduce.mjs'), '--shard', '0/2', '--merge'], { encoding: 'utf8' });
  assert.is(both.status, 2);
  assert.match(both.stderr, /either computes one shard or merges/);
});

test('--local: a failed shard is named with its log and the command that re-runs it alone; no merge runs', async () => {
  if (spawnSync(process.env.ROBUSTLAB_PYTHON ?? '/usr/bin/python3', ['-c', 'import nbclient, nbformat']).status !== 0) {
    console.log('\n  SKIPPED the failing-shard test: no nbclient (npm run kernel:setup installs Jupyter)');
    return;
  }
  // A store that is a file: every shard that owns a task fails to write it.
  const local = path.join(out, 'local');
  fs.mkdirSync(local, { recursive: true });
  const store = path.join(local, 'not-a-directory');
  fs.writeFileSync(store, 'x');
  const r = await new Promise<{ status: number | null; out: string }>((resolve) => {
    const p = spawn(process.execPath, [path.join(root, 'scripts/sweep.mjs'), '--only', name, '--local', '2', '--profile', 'smoke', '--out', local, '--store', store, '--no-build'], { cwd: root });
    let text = '';
    p.stdout.setEncoding('utf8').on('data', (d) => (text += d));
    p.stderr.setEncoding('utf8').on('data', (d) => (text += d));
    p.on('close', (status) => resolve({ status, out: text }));
  });
  assert.is(r.status, 1, r.out);
  assert.match(r.out, /sweep: FAILED shard [01]\/2 \(exit 1\); log \S+01-prototype-a-loss-shard-[01]\.log:/);
  assert.match(r.out, /re-run it alone: npm run reproduce -- --profile smoke --only 01-prototype-a-loss --shard [01]\/2 --store /);
  assert.not.ok(fs.existsSync(path.join(local, 'sweep', 'logs', `${name}-merge.log`)), 'no merge after a failed shard');
});

test.after(() => fs.rmSync(out, { recursive: true, force: true }));

test.run();
