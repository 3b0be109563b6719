#!/usr/bin/env node
// Runs the whole test suite: a strict type check of the project, then every test/**/*.test.ts with uvu in one
// process (through tsx), and closes with the line `N passed, N failed` that CI reads.
// Usage: node scripts/test.mjs [pattern]   (pattern: a regex on test file paths, e.g. 'attacks')
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pattern = process.argv[2];
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

const re = pattern ? `${pattern}.*\\.test\\.ts$` : '\\.test\\.ts$';
const uvu = spawnSync(process.execPath, [path.join(root, 'node_modules/uvu/bin.js'), '-r', 'tsx/cjs', 'test', re], {
  cwd: root,
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
  env: (({ FORCE_COLOR, ...rest }) => ({ ...rest, NO_COLOR: '1' }))(process.env),
  maxBuffer: 1 << 28,
});
process.stdout.write(uvu.stdout ?? '');
const num = (label) => Number((uvu.stdout ?? '').match(new RegExp(`${label}:\\s+(\\d+)`))?.[1] ?? NaN);
const total = num('Total');
const ok = num('Passed');
if (Number.isFinite(total) && Number.isFinite(ok)) {
  // uvu's Total counts the tests that ran; skipped ones (test.skip, or a suite's .only elsewhere) are outside it.
  passed += ok;
  failed += total - ok;
  const skipped = num('Skipped');
  if (skipped > 0) console.log(`(${skipped} skipped, counted in neither)`);
} else {
  failed++;
  console.log(`uvu did not finish (exit ${uvu.status}${uvu.signal ? `, signal ${uvu.signal}` : ''})`);
}
if (uvu.status !== 0 && failed === 0) failed++;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
