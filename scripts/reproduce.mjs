#!/usr/bin/env node
// The main job: execute every notebook headless through the robustlab tslab kernel and write
//   OUT/notebooks/NAME.ipynb (executed), OUT/html/NAME.html, OUT/NAME.json (measured results),
//   OUT/report.md and OUT/report.html (per paper: our numbers beside the paper's, claim verdicts).
// usage: npm run reproduce [-- --profile smoke|quick|full] [--only NAME] [--out DIR] [--notebooks DIR] [--timeout SECONDS] [--no-build]
//                          [--shard i/n | --merge] [--store DIR]
// --shard i/n (i in 0..n-1) computes only shard i's tasks into the task-result store and renders nothing; --merge
// renders from the store and fails naming any missing task (lib/notebook/tasks.ts); --store DIR (default
// $ROBUSTLAB_STORE, else OUT/store when sharding or merging) is that store.
// A failing notebook (an error in a cell, a dead kernel, a cell over --timeout seconds, an unhandled promise
// rejection) is one FAILED line naming the notebook and the cell; its partial notebook is kept and the others
// still run. SIGTERM/SIGINT stop the run: they reach execute.py, which kills the kernel's process group; the
// report is written for what ran and the exit status is 128 + the signal.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setup, KERNEL_NAME } from '../kernel-setup/setup.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const profile = opt('profile', process.env.ROBUSTLAB_PROFILE ?? 'quick');
if (!['smoke', 'quick', 'full'].includes(profile)) {
  console.error(`--profile: must be smoke, quick or full, got "${profile}"`);
  process.exit(2);
}
const only = opt('only', undefined);
const timeoutArg = opt('timeout', undefined);
const timeout = timeoutArg === undefined ? undefined : Number(timeoutArg);
if (timeout !== undefined && !(Number.isInteger(timeout) && timeout >= 1)) {
  console.error(`--timeout: must be a whole number of seconds >= 1 (per cell), got "${timeoutArg}"`);
  process.exit(2);
}
const out = path.resolve(opt('out', path.join(root, 'results')));
const shard = opt('shard', undefined);
const merge = args.includes('--merge');
if (shard !== undefined && !(/^\d+\/\d+$/.test(shard) && Number(shard.split('/')[0]) < Number(shard.split('/')[1]))) {
  console.error(`--shard: expected i/n with i in 0..n-1, got "${shard}"`);
  process.exit(2);
}
if (shard !== undefined && merge) {
  console.error('--shard and --merge: a run either computes one shard or merges them all');
  process.exit(2);
}
const storeArg = opt('store', process.env.ROBUSTLAB_STORE ?? (shard !== undefined || merge ? path.join(out, 'store') : undefined));

// Notebooks import the compiled library (dist/lib), so it is built first; --no-build when it just was.
if (!args.includes('--no-build')) {
  console.log('reproduce: compiling lib (tsc)');
  const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', root], { encoding: 'utf8' });
  // tsc emits despite type errors; the notebooks then say whether what they use works.
  const errors = (tsc.stdout ?? '').split('\n').filter((l) => /error TS\d+/.test(l));
  if (errors.length) console.log(`reproduce: tsc reported ${errors.length} type error(s), first: ${errors[0]}\n  (output emitted anyway; \`npx tsc --noEmit -p .\` lists them)`);
}
if (!fs.existsSync(path.join(root, 'dist/lib/index.js'))) {
  console.error('reproduce: no dist/lib/index.js: the TypeScript build failed (run `npx tsc -p .` to see why)');
  process.exit(1);
}
const kernel = setup();
if (!kernel) process.exit(1);

// --notebooks DIR runs another folder of notebooks (the runner's own tests use it).
const nbDir = path.resolve(opt('notebooks', path.join(root, 'notebooks')));
const names = fs.readdirSync(nbDir).filter((f) => f.endsWith('.ipynb')).map((f) => f.replace(/\.ipynb$/, '')).filter((n) => !only || n === only || n.includes(only)).sort();
if (names.length === 0) {
  console.error(`reproduce: no notebook matches ${only ?? '*'} in ${nbDir}`);
  process.exit(2);
}
for (const d of ['notebooks', 'html']) fs.mkdirSync(path.join(out, d), { recursive: true });

const env = { ...process.env, ROBUSTLAB_PROFILE: profile, ROBUSTLAB_RESULTS_DIR: out };
delete env.ROBUSTLAB_SHARD;
delete env.ROBUSTLAB_MERGE;
if (storeArg) env.ROBUSTLAB_STORE = path.resolve(storeArg);
if (shard !== undefined) env.ROBUSTLAB_SHARD = shard;
if (merge) env.ROBUSTLAB_MERGE = '1';
if (!env.ROBUSTLAB_DATA && fs.existsSync(path.join(root, '..', 'shared', 'data'))) env.ROBUSTLAB_DATA = path.join(root, '..', 'shared', 'data');
const status = [];
// Signals stop the run: forwarded to the running execute.py (its own handler kills the kernel's group).
let child;
let stopSignal;
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    stopSignal ??= sig;
    child?.kill(sig);
  });
}
/** Runs `cmd args` with stdout passed through; resolves {code, signal, stderr}. */
const run = (cmd, argv) =>
  new Promise((resolve) => {
    child = spawn(cmd, argv, { stdio: ['ignore', 'inherit', 'pipe'], env });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', (e) => resolve({ code: null, signal: null, stderr: `${stderr}${e.message}\n` }));
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  }).finally(() => (child = undefined));
const readStatus = (file) => {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
};
for (const name of names) {
  if (stopSignal) break;
  console.log(`\n[${status.length + 1}/${names.length}] ${name} (profile ${profile}${shard !== undefined ? `, shard ${shard}` : merge ? ', merge' : ''})`);
  const t0 = Date.now();
  const executed = path.join(out, 'notebooks', `${name}.ipynb`);
  const html = path.join(out, 'html', `${name}.html`);
  const statusFile = path.join(out, 'notebooks', `.${name}.status.json`);
  // A notebook that fails before saving must not be reported with an earlier run's numbers.
  for (const stale of [executed, path.join(out, `${name}.json`), html, statusFile]) fs.rmSync(stale, { force: true });
  const argv = [path.join(root, 'kernel-setup/execute.py'), path.join(nbDir, `${name}.ipynb`), executed, '--kernel', KERNEL_NAME, '--cwd', nbDir, '--status-file', statusFile];
  if (timeout !== undefined) argv.push('--timeout', String(timeout));
  const r = await run(kernel.python, argv);
  const st = readStatus(statusFile);
  fs.rmSync(statusFile, { force: true });
  const ok = r.code === 0 && st?.ok === true;
  if (!ok) {
    const lines = r.stderr.split('\n').filter((l) => l.trim() && !/MissingIDFieldWarning|validate\(nb\)/.test(l));
    // A Python traceback without a status record is execute.py's own crash: keep its last line only.
    if (lines.length) process.stderr.write((st ? lines : lines.slice(-1)).join('\n') + '\n');
  }
  if (fs.existsSync(executed) && !stopSignal) {
    // Our template: Debian's nbconvert 6.5 strips inline SVG elements, which left every plot blank.
    const h = spawnSync(kernel.python, [path.join(root, 'kernel-setup/export_html.py'), executed, html], { encoding: 'utf8' });
    if (h.status !== 0) console.error(`reproduce: HTML export of ${name} failed: ${(h.stderr ?? '').trim().split('\n').slice(-3).join(' ')}`);
  }
  const why = st?.reason ?? (r.signal ? `execute.py was killed by ${r.signal}` : `execute.py exited with status ${r.code} without a status record`);
  const cell = st?.cell ? `cell ${st.cell}/${st.cells}` : undefined;
  status.push({ name, ok, seconds: (Date.now() - t0) / 1000, why: ok ? undefined : why, cell, interrupted: Boolean(st?.signal || stopSignal) });
  console.log(ok ? `ok ${name} in ${((Date.now() - t0) / 1000).toFixed(1)}s` : `FAILED ${name}${cell ? ` in ${cell}` : ''} after ${((Date.now() - t0) / 1000).toFixed(1)}s: ${why}`);
}
if (stopSignal) console.log(`\nreproduce: stopped by ${stopSignal}; ${names.length - status.length} notebook(s) not run`);

// The report (lib/notebook/report.ts): data provenance and the three verdict counts first, then per notebook.
const { writeReport } = await import(pathToFileURL(path.join(root, 'dist/lib/notebook/report.js')).href);
await writeReport({ status, out, nbDir, profile });
console.log(`\nreproduce: wrote ${path.relative(process.cwd(), out) || '.'}/report.md and report.html; ${status.filter((s) => s.ok).length}/${status.length} notebooks ok`);
process.exit(stopSignal ? 128 + os.constants.signals[stopSignal] : status.every((s) => s.ok) ? 0 : 1);
