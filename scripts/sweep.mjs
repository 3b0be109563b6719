#!/usr/bin/env node
// Sweeps beyond one machine (issue 21): one notebook run as n shards (each computes its share of the tasks
// into the task-result store, lib/notebook/tasks.ts), then one merge that renders the whole notebook from the
// store. Three engines, one shard contract (`npm run reproduce -- --only NAME --shard i/n --store DIR`):
//   npm run sweep -- --only NAME --slurm [--shards n --partition P --gres gpu:1 --time T --cpus C --dry-run --wait]
//   npm run sweep -- --only NAME --local N
//   npm run sweep -- --only NAME --k8s [--shards n --image IMG --pvc CLAIM]   (writes manifests; not run here)
// Common: --profile smoke|quick|full (default quick), --out DIR (default results/sweep-NAME), --store DIR
// (default OUT/store: on a cluster it must be on the filesystem every node shares), --no-build (dist/lib is current).
// Slurm: writes OUT/sweep/NAME.array.sbatch (one array task per shard, a log per task under OUT/sweep/logs)
// and NAME.merge.sbatch, submits the merge with --dependency=afterok on the array, prints both ids; --wait
// follows them to the end and names any failed shard with its log and the command that re-runs it alone.
// Re-submitting skips every task already in the store.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] && !args[i + 1].startsWith('--') ? args[i + 1] : dflt;
};
const flag = (name) => args.includes(`--${name}`);
const die = (line) => {
  console.error(`sweep: ${line}`);
  process.exit(2);
};
const positiveInt = (name, v) => {
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= 1)) die(`--${name}: must be a whole number >= 1, got "${v}"`);
  return n;
};

const only = opt('only', undefined);
if (!only) die('--only NAME: name the notebook to sweep (a file stem under notebooks/)');
const nbFile = fs.readdirSync(path.join(root, 'notebooks')).filter((f) => f.endsWith('.ipynb')).map((f) => f.slice(0, -6)).filter((n) => n === only || n.includes(only));
if (nbFile.length !== 1) die(`--only ${only}: must name exactly one notebook, matched ${nbFile.length ? nbFile.join(', ') : 'none'}`);
const name = nbFile[0];
const engines = ['slurm', 'local', 'k8s'].filter(flag);
if (engines.length !== 1) die(`choose one engine: --slurm, --local N or --k8s (got ${engines.length ? engines.join(', ') : 'none'})`);
const engine = engines[0];
const profile = opt('profile', process.env.ROBUSTLAB_PROFILE ?? 'quick');
if (!['smoke', 'quick', 'full'].includes(profile)) die(`--profile: must be smoke, quick or full, got "${profile}"`);
const shards = engine === 'local' ? positiveInt('local', opt('local', '')) : positiveInt('shards', opt('shards', '3'));
const out = path.resolve(opt('out', path.join(root, 'results', `sweep-${name}`)));
const store = path.resolve(opt('store', process.env.ROBUSTLAB_STORE ?? path.join(out, 'store')));
const sweepDir = path.join(out, 'sweep');
const logs = path.join(sweepDir, 'logs');
const statusDir = path.join(sweepDir, 'status');
const dryRun = flag('dry-run');

/** The reproduce command line (array of words) for shard `i` (a number or a shell expression) or the merge. */
const reproduce = (shard) => [
  process.execPath, path.join(root, 'scripts/reproduce.mjs'), '--no-build', '--profile', profile, '--only', name, '--store', store,
  ...(shard === undefined ? ['--merge', '--out', out] : ['--shard', `${shard}/${shards}`, '--out', path.join(out, `shard-${shard}`)]),
];
const q = (w) => (/^[A-Za-z0-9_./:=@%+-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`);
/** Words joined for a shell, leaving `$VAR` words expandable. */
const sh = (words) => words.map((w) => (w.includes('$') ? `"${w}"` : q(w))).join(' ');

/** Writes `text` to `file` whole (tmp + rename). */
const writeWhole = (file, text, mode = 0o644) => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(`${file}.tmp-${process.pid}`, text, { mode });
  fs.renameSync(`${file}.tmp-${process.pid}`, file);
};

// Every shard and the merge import the compiled library: build it once here, not n times in parallel.
function build() {
  if (dryRun || engine === 'k8s' || flag('no-build')) return;
  console.log('sweep: compiling lib (tsc)');
  const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', root], { encoding: 'utf8' });
  if (!fs.existsSync(path.join(root, 'dist/lib/index.js'))) die(`the TypeScript build failed:\n${(tsc.stdout ?? '').slice(-2000)}`);
}

const envLines = () =>
  ['ROBUSTLAB_DATA', 'ROBUSTLAB_BACKEND', 'ROBUSTLAB_PYTHON'].filter((k) => process.env[k]).map((k) => `export ${k}=${q(process.env[k])}`);

/** The failed shards from the status files (`shard-i.rc`); absent files count as not finished. */
function shardReport() {
  const failed = [];
  for (let i = 0; i < shards; i++) {
    const f = path.join(statusDir, `shard-${i}.rc`);
    const rc = fs.existsSync(f) ? fs.readFileSync(f, 'utf8').trim() : 'no status (killed, or never started)';
    if (rc !== '0') failed.push({ i, rc });
  }
  return failed;
}
function explainFailures(failed, logOf) {
  for (const { i, rc } of failed) {
    const log = logOf(i);
    const tail = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').slice(-8).join('\n    ') : '(no log)';
    console.log(`sweep: FAILED shard ${i}/${shards} (exit ${rc}); log ${log}:\n    ${tail}\n  re-run it alone: npm run reproduce -- --profile ${profile} --only ${name} --shard ${i}/${shards} --store ${store}`);
  }
}

async function slurm() {
  const logOf = (i) => path.join(logs, `${name}-shard-${i}.log`);
  const common = [
    '#!/bin/bash',
    ...(opt('partition') ? [`#SBATCH --partition=${opt('partition')}`] : []),
    ...(opt('gres') ? [`#SBATCH --gres=${opt('gres')}`] : []),
    ...(opt('time') ? [`#SBATCH --time=${opt('time')}`] : []),
    ...(opt('cpus') ? [`#SBATCH --cpus-per-task=${positiveInt('cpus', opt('cpus'))}`] : []),
  ];
  const array = [
    ...common,
    `#SBATCH --job-name=${name}-shards`,
    `#SBATCH --array=0-${shards - 1}`,
    `#SBATCH --output=${path.join(logs, `${name}-shard-%a.log`)}`,
    `# One array task per shard of ${name} (profile ${profile}); each computes its tasks into the store.`,
    `cd ${q(root)}`,
    ...envLines(),
    `mkdir -p ${q(statusDir)}`,
    `${sh(reproduce('$SLURM_ARRAY_TASK_ID'))}`,
    'rc=$?',
    `echo $rc > ${q(statusDir)}/shard-$SLURM_ARRAY_TASK_ID.rc`,
    'exit $rc',
    '',
  ].join('\n');
  const merge = [
    ...common.filter((l) => !l.includes('--gres')),
    `#SBATCH --job-name=${name}-merge`,
    `#SBATCH --output=${path.join(logs, `${name}-merge.log`)}`,
    `# Renders ${name} from the store once every shard succeeded (submitted with --dependency=afterok).`,
    `cd ${q(root)}`,
    ...envLines(),
    `${sh(reproduce(undefined))}`,
    'rc=$?',
    `echo $rc > ${q(statusDir)}/merge.rc`,
    'exit $rc',
    '',
  ].join('\n');
  const arrayFile = path.join(sweepDir, `${name}.array.sbatch`);
  const mergeFile = path.join(sweepDir, `${name}.merge.sbatch`);
  writeWhole(arrayFile, array, 0o755);
  writeWhole(mergeFile, merge, 0o755);
  fs.mkdirSync(logs, { recursive: true });
  // A re-submission must not read an earlier run's status.
  fs.rmSync(statusDir, { recursive: true, force: true });
  console.log(`sweep: wrote ${arrayFile} and ${mergeFile}`);
  if (dryRun) {
    console.log(`sweep: dry run; submit with:\n  id=$(sbatch --parsable ${arrayFile})\n  sbatch --parsable --dependency=afterok:$id ${mergeFile}`);
    return 0;
  }
  const sbatch = (argv) => {
    const r = spawnSync('sbatch', ['--parsable', ...argv], { encoding: 'utf8' });
    if (r.error || r.status !== 0) die(`sbatch ${argv.join(' ')} failed: ${r.error?.message ?? r.stderr.trim()}`);
    return r.stdout.trim().split(';')[0];
  };
  const arrayId = sbatch([arrayFile]);
  const mergeId = sbatch([`--dependency=afterok:${arrayId}`, mergeFile]);
  console.log(`sweep: submitted array job ${arrayId} (${shards} shards) and merge job ${mergeId} (afterok:${arrayId})`);
  if (!flag('wait')) return 0;
  const queued = (id) => {
    const r = spawnSync('squeue', ['-h', '-j', id, '-o', '%i %T %r'], { encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : '';
  };
  const t0 = Date.now();
  let last = '';
  for (;;) {
    await new Promise((r) => setTimeout(r, 2000));
    const a = queued(arrayId);
    const m = queued(mergeId);
    const line = `${a.split('\n').filter(Boolean).length} shard task(s) queued or running; merge ${m ? m.split(' ').slice(1).join(' ') : 'done'}`;
    if (line !== last) console.log(`sweep: ${((Date.now() - t0) / 1000).toFixed(0)} s: ${line}`);
    last = line;
    if (!a && shardReport().length) {
      // afterok can never be met now: the merge would wait forever.
      if (m) spawnSync('scancel', [mergeId]);
      explainFailures(shardReport(), logOf);
      return 1;
    }
    if (!a && !m) break;
  }
  const rcFile = path.join(statusDir, 'merge.rc');
  const rc = fs.existsSync(rcFile) ? fs.readFileSync(rcFile, 'utf8').trim() : 'no status';
  console.log(`sweep: ${rc === '0' ? 'merged' : `merge FAILED (exit ${rc}); log ${path.join(logs, `${name}-merge.log`)}`} after ${((Date.now() - t0) / 1000).toFixed(1)} s; results in ${out}`);
  return rc === '0' ? 0 : 1;
}

async function local() {
  const logOf = (i) => path.join(logs, `${name}-shard-${i}.log`);
  fs.mkdirSync(logs, { recursive: true });
  fs.rmSync(statusDir, { recursive: true, force: true });
  fs.mkdirSync(statusDir, { recursive: true });
  const runLogged = (argv, log) =>
    new Promise((resolve) => {
      const fd = fs.openSync(log, 'w');
      const p = spawn(argv[0], argv.slice(1), { stdio: ['ignore', fd, fd], cwd: root });
      p.on('close', (code) => {
        fs.closeSync(fd);
        resolve(code ?? 1);
      });
    });
  const t0 = Date.now();
  console.log(`sweep: running ${shards} shard process(es) of ${name} here (logs in ${logs})`);
  const codes = await Promise.all(Array.from({ length: shards }, (_, i) => runLogged(reproduce(i), logOf(i)).then((c) => (fs.writeFileSync(path.join(statusDir, `shard-${i}.rc`), String(c)), c))));
  const shardSeconds = (Date.now() - t0) / 1000;
  console.log(`sweep: shards done in ${shardSeconds.toFixed(1)} s: ${codes.map((c, i) => `${i}:${c === 0 ? 'ok' : `exit ${c}`}`).join(' ')}`);
  const failed = shardReport();
  if (failed.length) {
    explainFailures(failed, logOf);
    return 1;
  }
  const mergeLog = path.join(logs, `${name}-merge.log`);
  const rc = await runLogged(reproduce(undefined), mergeLog);
  console.log(`sweep: ${rc === 0 ? 'merged' : `merge FAILED (exit ${rc}); log ${mergeLog}`} after ${((Date.now() - t0) / 1000).toFixed(1)} s in all; results in ${out}`);
  return rc === 0 ? 0 : 1;
}

function k8s() {
  const image = opt('image', 'robustlab:latest');
  const pvc = opt('pvc', 'robustlab-store');
  const job = name.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40);
  // In the container the repository is the image's working directory and the claim is mounted at /store.
  const cmd = (shardExpr) =>
    ['node', 'scripts/reproduce.mjs', '--no-build', '--profile', profile, '--only', name, '--store', '/store/tasks', ...(shardExpr ? ['--shard', `${shardExpr}/${shards}`, '--out', `/store/out/shard-${shardExpr}`] : ['--merge', '--out', '/store/out'])];
  const container = (c, extra = '') => `      containers:
        - name: ${c}
          image: ${image}
          command: ["/bin/sh", "-c"]
          args: [${JSON.stringify(c === 'merge' ? cmd(undefined).join(' ') : cmd('$JOB_COMPLETION_INDEX').join(' '))}]${extra}
          volumeMounts:
            - { name: store, mountPath: /store }
      volumes:
        - name: store
          persistentVolumeClaim: { claimName: ${pvc} }`;
  const shardsJob = `# ${name}: ${shards} shards as a Kubernetes Indexed Job (completion index -> shard), profile ${profile}.
# The claim ${pvc} must be ReadWriteMany: every shard and the merge share the task-result store on it.
apiVersion: batch/v1
kind: Job
metadata: { name: ${job}-shards }
spec:
  completionMode: Indexed
  completions: ${shards}
  parallelism: ${shards}
  backoffLimitPerIndex: 1
  template:
    spec:
      restartPolicy: Never
${container('shard')}
`;
  const mergeJob = `# ${name}: the merge; apply once ${job}-shards is complete (Kubernetes Jobs have no afterok).
apiVersion: batch/v1
kind: Job
metadata: { name: ${job}-merge }
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
${container('merge')}
`;
  const a = path.join(sweepDir, `${name}.k8s-shards.yaml`);
  const b = path.join(sweepDir, `${name}.k8s-merge.yaml`);
  writeWhole(a, shardsJob);
  writeWhole(b, mergeJob);
  console.log(`sweep: wrote ${a} and ${b}; run them with:
  kubectl apply -f ${a}
  kubectl wait --for=condition=complete --timeout=24h job/${job}-shards
  kubectl apply -f ${b}`);
  return 0;
}

build();
process.exit(engine === 'slurm' ? await slurm() : engine === 'local' ? await local() : k8s());
