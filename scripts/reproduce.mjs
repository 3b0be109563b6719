#!/usr/bin/env node
// The main job: execute every notebook headless through the robustlab tslab kernel and write
//   OUT/notebooks/NAME.ipynb (executed), OUT/html/NAME.html, OUT/NAME.json (measured results),
//   OUT/report.md and OUT/report.html (per paper: our numbers beside the paper's, claim verdicts).
// usage: npm run reproduce [-- --profile smoke|quick|full] [--only NAME] [--out DIR] [--notebooks DIR] [--no-build]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
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
const out = path.resolve(opt('out', path.join(root, 'results')));

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
if (!env.ROBUSTLAB_DATA && fs.existsSync(path.join(root, '..', 'shared', 'data'))) env.ROBUSTLAB_DATA = path.join(root, '..', 'shared', 'data');
const status = [];
for (const name of names) {
  console.log(`\n[${status.length + 1}/${names.length}] ${name} (profile ${profile})`);
  const t0 = Date.now();
  const executed = path.join(out, 'notebooks', `${name}.ipynb`);
  // A notebook that fails before saving must not be reported with an earlier run's numbers.
  for (const stale of [executed, path.join(out, `${name}.json`), path.join(out, 'html', `${name}.html`)]) fs.rmSync(stale, { force: true });
  const r = spawnSync(kernel.python, [path.join(root, 'kernel-setup/execute.py'), path.join(nbDir, `${name}.ipynb`), executed, '--kernel', KERNEL_NAME, '--cwd', nbDir], { stdio: ['ignore', 'inherit', 'pipe'], env, encoding: 'utf8' });
  const ok = r.status === 0;
  if (!ok) process.stderr.write((r.stderr ?? '').split('\n').filter((l) => !/MissingIDFieldWarning|validate\(nb\)/.test(l)).join('\n'));
  if (fs.existsSync(executed)) {
    // Our template: Debian's nbconvert 6.5 strips inline SVG elements, which left every plot blank.
    const h = spawnSync(kernel.python, [path.join(root, 'kernel-setup/export_html.py'), executed, path.join(out, 'html', `${name}.html`)], { encoding: 'utf8' });
    if (h.status !== 0) console.error(`reproduce: HTML export of ${name} failed: ${(h.stderr ?? '').trim().split('\n').slice(-3).join(' ')}`);
  }
  status.push({ name, ok, seconds: (Date.now() - t0) / 1000 });
  console.log(`${ok ? 'ok' : 'FAILED'} ${name} in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
}

// The report (lib/notebook/report.ts): data provenance and the three verdict counts first, then per notebook.
const { writeReport } = await import(pathToFileURL(path.join(root, 'dist/lib/notebook/report.js')).href);
await writeReport({ status, out, nbDir, profile });
console.log(`\nreproduce: wrote ${path.relative(process.cwd(), out) || '.'}/report.md and report.html; ${status.filter((s) => s.ok).length}/${status.length} notebooks ok`);
process.exit(status.every((s) => s.ok) ? 0 : 1);
