#!/usr/bin/env node
// `npm run kernel:check`: compiles lib, registers the kernel, executes kernel-setup/smoke.ipynb through it and
// validates the saved outputs: a Vega-Lite JSON object, a non-empty SVG, a table, a PNG, and no error output.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setup, KERNEL_NAME } from './setup.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

/**
 * Runs the smoke notebook; returns {ok, problems, outputs, executed}, or {skipped: true} when no Jupyter is
 * present and `install` is false (tests skip then; `.ci/run` installs Jupyter first).
 */
export function check({ build = true, install = false, node = process.execPath } = {}) {
  if (build) spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', root], { stdio: 'ignore' });
  const k = setup({ quiet: true, install, node });
  if (!k) return { ok: false, problems: ['no Jupyter with nbclient found (see kernel-setup message above)'], skipped: true };
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'robustlab-kcheck-')), 'smoke.ipynb');
  const r = spawnSync(k.python, [path.join(here, 'execute.py'), path.join(here, 'smoke.ipynb'), out, '--kernel', KERNEL_NAME, '--cwd', here, '--timeout', '300'], { encoding: 'utf8' });
  const problems = [];
  if (r.status !== 0) problems.push(`execution failed: ${r.stdout}${r.stderr}`.slice(0, 2000));
  const outputs = fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, 'utf8')).cells.flatMap((c) => c.outputs ?? []) : [];
  const datas = outputs.filter((o) => o.output_type === 'display_data').map((o) => o.data);
  const vl = datas.find((d) => d['application/vnd.vegalite.v5+json']);
  if (!vl || typeof vl['application/vnd.vegalite.v5+json'] !== 'object') problems.push('no Vega-Lite output as a JSON object');
  const svg = vl && [].concat(vl['image/svg+xml']).join('');
  if (!svg || !svg.includes('<svg') || svg.length < 500) problems.push('no non-empty SVG rendering');
  if (!datas.some((d) => d['text/html'] && [].concat(d['text/html']).join('').includes('<table'))) problems.push('no HTML table');
  const png = datas.find((d) => d['image/png']);
  if (!png || !Buffer.from([].concat(png['image/png']).join(''), 'base64').subarray(1, 4).equals(Buffer.from('PNG'))) problems.push('no PNG image grid');
  const errors = outputs.filter((o) => o.output_type === 'error' || (o.output_type === 'stream' && o.name === 'stderr' && /Error/.test([].concat(o.text).join(''))));
  if (errors.length) problems.push(`error output: ${JSON.stringify(errors[0]).slice(0, 500)}`);
  return { ok: problems.length === 0, problems, outputs, executed: out };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // --node PATH: the kernel runs on that Node (kernel-setup/setup.mjs --node).
  const i = process.argv.indexOf('--node');
  const node = i >= 0 ? process.argv[i + 1] : process.execPath;
  const r = check({ install: true, node });
  const on = `Node ${spawnSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout?.trim()}`;
  console.log(r.ok ? `kernel:check ok (${on}): Vega-Lite object, SVG, table, PNG, no errors` : `kernel:check FAILED (${on}):\n- ${r.problems.join('\n- ')}`);
  process.exit(r.ok ? 0 : 1);
}
