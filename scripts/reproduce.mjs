#!/usr/bin/env node
// The main job: execute every notebook headless through the robustlab tslab kernel and write
//   OUT/notebooks/NAME.ipynb (executed), OUT/html/NAME.html, OUT/NAME.json (measured results),
//   OUT/report.md and OUT/report.html (per paper: our numbers beside the paper's, claim verdicts).
// usage: npm run reproduce [-- --profile smoke|quick|full] [--only NAME] [--out DIR] [--notebooks DIR] [--timeout SECONDS] [--no-build]
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
  console.log(`\n[${status.length + 1}/${names.length}] ${name} (profile ${profile})`);
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

// The report: per notebook its claims, then per table and figure the paper's (notebooks/reported/NAME.json,
// when it has one of the same name) beside ours (OUT/NAME.json).
const { renderSvg } = await import(pathToFileURL(path.join(root, 'dist/lib/notebook/display.js')).href);
const esc = (v) => String(v).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const num = (v) => (typeof v === 'number' ? String(+v.toFixed(4)) : v ?? '');
const mdTable = (rows) => {
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return [`| ${cols.join(' | ')} |`, `| ${cols.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${cols.map((c) => String(num(r[c])).replace(/\|/g, '\\|')).join(' | ')} |`)];
};
const htmlTable = (rows) => {
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return `<table><tr>${cols.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${cols.map((c) => `<td>${esc(num(r[c]))}</td>`).join('')}</tr>`).join('')}</table>`;
};
const side = (paper, ours) => `<div class="pair"><div><h4>paper</h4>${paper ?? '<p class="none">not reported</p>'}</div><div><h4>ours</h4>${ours ?? '<p class="none">not measured</p>'}</div></div>`;
const figDir = path.join(out, 'figures');
const md = ['# robustlab reproduction report', '', `Profile: ${profile}. Generated ${new Date().toISOString()}.`, ''];
const html = [`<h1>robustlab reproduction report</h1><p>Profile: ${profile}. Generated ${new Date().toISOString()}.</p>`];
const failure = (s) => (s.ok ? '' : `${s.cell ? `${s.cell}: ` : ''}${s.why}`);
md.push('| notebook | status | seconds | failure |', '| --- | --- | --- | --- |', ...status.map((s) => `| ${s.name} | ${s.ok ? 'ok' : 'FAILED'} | ${s.seconds.toFixed(1)} | ${failure(s).replace(/\|/g, '\\|')} |`), '');
html.push(htmlTable(status.map((s) => ({ notebook: s.name, status: s.ok ? 'ok' : 'FAILED', seconds: +s.seconds.toFixed(1), failure: failure(s) }))));
/** The executed notebook and its HTML export, those of them that exist. */
const outputsOf = (name) => [['notebook', `notebooks/${name}.ipynb`], ['HTML', `html/${name}.html`]].filter(([, rel]) => fs.existsSync(path.join(out, rel)));
for (const s of status) {
  const f = path.join(out, `${s.name}.json`);
  const rf = path.join(nbDir, 'reported', `${s.name}.json`);
  const res = fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, 'utf8')) : undefined;
  const rep = fs.existsSync(rf) ? JSON.parse(fs.readFileSync(rf, 'utf8')) : {};
  const title = res?.title ?? rep.title ?? s.name;
  const files = outputsOf(s.name);
  const mdFiles = files.length ? files.map(([what, rel]) => `${what} \`${rel}\``).join(', ') : 'no executed copy was written';
  const htmlFiles = files.length ? files.map(([what, rel]) => `<a href="${esc(rel)}">${what}</a>`).join(', ') : 'no executed copy was written';
  md.push(`## ${title}`, '', `Notebook \`${s.name}\`: ${s.ok ? 'ran' : `**FAILED** (${failure(s)}; numbers below, if any, are partial)`}; ${mdFiles}.`, '');
  html.push(`<h2>${esc(title)}</h2><p>Notebook <code>${esc(s.name)}</code>: ${s.ok ? 'ran' : `<b>FAILED</b> (${esc(failure(s))})`}; ${htmlFiles}.</p>`);
  if (!res) {
    md.push('No results JSON was written.', '');
    html.push('<p>No results JSON was written.</p>');
    continue;
  }
  if (rep.source) {
    md.push(`Paper's numbers: ${rep.source}${rep.units ? ` (${rep.units})` : ''}.`, '');
    html.push(`<p>Paper's numbers: ${esc(rep.source)}${rep.units ? ` (${esc(rep.units)})` : ''}.</p>`);
  }
  if (res.claims?.length) {
    const held = res.claims.filter((c) => c.holds).length;
    md.push(`${held} of ${res.claims.length} claims hold at this run's scale (profile ${res.profile ?? profile}).`, '');
    html.push(`<p>${held} of ${res.claims.length} claims hold at this run's scale (profile ${esc(res.profile ?? profile)}).</p>`);
    const rows = res.claims.map((c) => ({ claim: c.claim, verdict: c.holds ? 'holds' : 'does not hold', evidence: Object.entries(c.evidence).map(([k, v]) => `${k}: ${num(v)}`).join(', ') + (c.note ? ` (${c.note})` : '') }));
    md.push('### Claims', '', ...mdTable(rows), '');
    html.push(`<h3>Claims</h3>${htmlTable(rows).replace(/<td>holds<\/td>/g, '<td class="ok">holds</td>').replace(/<td>does not hold<\/td>/g, '<td class="no">does not hold</td>')}`);
  }
  const tableNames = [...new Set([...Object.keys(rep.tables ?? {}), ...Object.keys(res.tables ?? {})])];
  for (const t of tableNames) {
    const paper = rep.tables?.[t];
    const ours = res.tables?.[t];
    md.push(`### ${t}`, '');
    if (typeof rep.notes?.[t] === 'string') md.push(`Paper's note: ${rep.notes[t]}`, '');
    if (Array.isArray(paper) && paper.length) md.push('Paper:', '', ...mdTable(paper), '');
    if (Array.isArray(ours) && ours.length) md.push('Ours:', '', ...mdTable(ours), '');
    html.push(`<h3>${esc(t)}</h3>${typeof rep.notes?.[t] === 'string' ? `<p>Paper's note: ${esc(rep.notes[t])}</p>` : ''}${side(Array.isArray(paper) && paper.length ? htmlTable(paper) : undefined, Array.isArray(ours) && ours.length ? htmlTable(ours) : undefined)}`);
  }
  const figNames = [...new Set([...Object.keys(rep.figures ?? {}), ...Object.keys(res.figures ?? {})])];
  for (const g of figNames) {
    const svgs = {};
    for (const [who, spec] of [['paper', rep.figures?.[g]], ['ours', res.figures?.[g]]]) {
      if (!spec) continue;
      try {
        svgs[who] = await renderSvg(spec);
        fs.mkdirSync(figDir, { recursive: true });
        fs.writeFileSync(path.join(figDir, `${s.name}-${g.replace(/[^\w.-]+/g, '_')}-${who}.svg`), svgs[who]);
      } catch (e) {
        svgs[who] = `<p class="none">figure failed to render: ${esc(e.message)}</p>`;
      }
    }
    const link = (who) => `figures/${s.name}-${g.replace(/[^\w.-]+/g, '_')}-${who}.svg`;
    md.push(`### Figure: ${g}`, '', ...['paper', 'ours'].filter((w) => svgs[w]).map((w) => `${w}: ![${g} (${w})](${link(w)})`), '');
    html.push(`<h3>Figure: ${esc(g)}</h3>${side(svgs.paper, svgs.ours)}`);
  }
  if (res.cost && Object.keys(res.cost).length) {
    md.push('Cost (wall seconds): ' + Object.entries(res.cost).map(([k, v]) => `${k} ${num(v)}`).join(', '), '');
    html.push(`<p>Cost (wall seconds): ${esc(Object.entries(res.cost).map(([k, v]) => `${k} ${num(v)}`).join(', '))}</p>`);
  }
}
fs.writeFileSync(path.join(out, 'report.md'), md.join('\n'));
const css = 'body{font-family:sans-serif;max-width:1200px;margin:auto}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #bbb;padding:3px 6px;text-align:left}.pair{display:flex;gap:2em;align-items:flex-start}.pair>div{flex:1;overflow:auto}.ok{color:#070}.no{color:#b00}.none{color:#888}';
fs.writeFileSync(path.join(out, 'report.html'), `<!doctype html><meta charset="utf-8"><title>robustlab report</title><style>${css}</style><body>${html.join('\n')}</body>`);
console.log(`\nreproduce: wrote ${path.relative(process.cwd(), out) || '.'}/report.md and report.html; ${status.filter((s) => s.ok).length}/${status.length} notebooks ok`);
process.exit(stopSignal ? 128 + os.constants.signals[stopSignal] : status.every((s) => s.ok) ? 0 : 1);
