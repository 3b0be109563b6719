#!/usr/bin/env node
// The main job: execute every notebook headless through the robustlab tslab kernel and write
//   OUT/notebooks/NAME.ipynb (executed), OUT/html/NAME.html, OUT/NAME.json (measured results),
//   OUT/report.md and OUT/report.html (per paper: our numbers beside the paper's, claim verdicts).
// usage: npm run reproduce [-- --profile smoke|quick|full] [--only NAME] [--out DIR]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
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

console.log('reproduce: compiling lib (tsc)');
const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', root], { stdio: 'inherit' });
if (!fs.existsSync(path.join(root, 'dist/lib/index.js'))) {
  console.error(`reproduce: tsc produced no dist/lib (exit ${tsc.status})`);
  process.exit(1);
}
const kernel = setup();
if (!kernel) process.exit(1);

const nbDir = path.join(root, 'notebooks');
const names = fs.readdirSync(nbDir).filter((f) => f.endsWith('.ipynb')).map((f) => f.replace(/\.ipynb$/, '')).filter((n) => !only || n === only || n.includes(only)).sort();
if (names.length === 0) {
  console.error(`reproduce: no notebook matches ${only ?? '*'} in notebooks/`);
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
  const r = spawnSync(kernel.python, [path.join(root, 'kernel-setup/execute.py'), path.join(nbDir, `${name}.ipynb`), executed, '--kernel', KERNEL_NAME, '--cwd', nbDir], { stdio: ['ignore', 'inherit', 'pipe'], env, encoding: 'utf8' });
  const ok = r.status === 0;
  if (!ok) process.stderr.write((r.stderr ?? '').split('\n').filter((l) => !/MissingIDFieldWarning|validate\(nb\)/.test(l)).join('\n'));
  if (fs.existsSync(executed)) {
    spawnSync(kernel.python, ['-m', 'nbconvert', '--to', 'html', '--output-dir', path.join(out, 'html'), executed], { stdio: 'ignore' });
  }
  status.push({ name, ok, seconds: (Date.now() - t0) / 1000 });
  console.log(`${ok ? 'ok' : 'FAILED'} ${name} in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
}

// The report: per notebook its claims and tables from OUT/NAME.json.
const md = [`# robustlab reproduction report`, '', `Profile: ${profile}. Generated ${new Date().toISOString()}.`, ''];
md.push('| notebook | status | seconds |', '| --- | --- | --- |', ...status.map((s) => `| ${s.name} | ${s.ok ? 'ok' : 'FAILED'} | ${s.seconds.toFixed(1)} |`), '');
for (const s of status) {
  const f = path.join(out, `${s.name}.json`);
  if (!fs.existsSync(f)) continue;
  const res = JSON.parse(fs.readFileSync(f, 'utf8'));
  md.push(`## ${res.title ?? s.name}`, '');
  if (res.claims?.length) {
    md.push('| claim | verdict | evidence |', '| --- | --- | --- |');
    for (const c of res.claims) md.push(`| ${c.claim} | ${c.holds ? 'holds' : 'does not hold'} | ${Object.entries(c.evidence).map(([k, v]) => `${k}: ${typeof v === 'number' ? +v.toFixed(4) : v}`).join(', ')}${c.note ? ` (${c.note})` : ''} |`);
    md.push('');
  }
  for (const [t, rows] of Object.entries(res.tables ?? {})) {
    if (!Array.isArray(rows) || rows.length === 0) continue;
    const cols = Object.keys(rows[0]);
    md.push(`### ${t}`, '', `| ${cols.join(' | ')} |`, `| ${cols.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${cols.map((c) => (typeof r[c] === 'number' ? +r[c].toFixed(4) : r[c] ?? '')).join(' | ')} |`), '');
  }
}
fs.writeFileSync(path.join(out, 'report.md'), md.join('\n'));
const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const html = md
  .map((l) => (l.startsWith('# ') ? `<h1>${esc(l.slice(2))}</h1>` : l.startsWith('## ') ? `<h2>${esc(l.slice(3))}</h2>` : l.startsWith('### ') ? `<h3>${esc(l.slice(4))}</h3>` : l.startsWith('|') ? (/^\| ?-/.test(l) ? '' : `<tr>${l.split('|').slice(1, -1).map((c) => `<td>${esc(c.trim())}</td>`).join('')}</tr>`) : `<p>${esc(l)}</p>`))
  .join('\n')
  .replace(/((?:<tr>.*<\/tr>\n?)+)/g, '<table border="1" cellpadding="4">$1</table>');
fs.writeFileSync(path.join(out, 'report.html'), `<!doctype html><meta charset="utf-8"><title>robustlab report</title><body style="font-family:sans-serif">${html}</body>`);
console.log(`\nreproduce: wrote ${path.relative(root, out)}/report.md and report.html; ${status.filter((s) => s.ok).length}/${status.length} notebooks ok`);
process.exit(status.every((s) => s.ok) ? 0 : 1);
