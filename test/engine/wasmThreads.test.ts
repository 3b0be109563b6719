// The threaded wasm build in Node: starts with the threads asked for, computes what the one-thread build
// computes, and lets the process exit on its own. Run in child processes: a backend starts once per process.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../..');
const script = `
const tf = require('@tensorflow/tfjs-core');
const { initEngine } = require('./lib/engine/backend');
const { wasmThreads } = require('./lib/engine/wasm');
const { uniform, normal } = require('./lib/engine/seed');
initEngine({ backend: 'wasm', verbose: false }).then((info) => {
  const x = uniform([4, 16, 16, 8], -1, 1, 1);
  const w = normal([3, 3, 8, 16], 0.3, 2);
  const g = tf.grads((a, b) => tf.conv2d(a, b, 1, 'same').square().sum())([x, w]);
  // 5 images, 16 output channels: the direct filter gradient, split into the same shares on any thread count.
  const x5 = uniform([5, 9, 9, 8], -1, 1, 3);
  const dwOf = () => tf.grad((b) => tf.conv2d(x5, b, 1, 'same').square().sum())(w);
  const dw = dwOf();
  // The same by the fused Winograd filter gradient (its fixed shares too).
  tf.env().set('ROBUSTLAB_WASM_WINOGRAD_MIN_FILTER_GRAD_CHANNELS', 1);
  const dwWinograd = dwOf();
  console.log(JSON.stringify({ threads: wasmThreads(), reported: info.threads, sums: g.map((t) => t.abs().sum().dataSync()[0]), dw: Array.from(dw.dataSync()), dwWinograd: Array.from(dwWinograd.dataSync()) }));
});
`;

function run(threads: number): { threads: number; reported: number; sums: number[]; dw: number[]; dwWinograd: number[] } {
  const r = spawnSync(process.execPath, ['-r', 'tsx/cjs', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...process.env, ROBUSTLAB_THREADS: String(threads) } });
  // A timeout here means the pool's workers kept Node alive after the work was done.
  assert.is(r.signal, null, `child with ${threads} threads did not exit by itself: ${r.stderr}`);
  assert.is(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

test('ROBUSTLAB_THREADS=2 starts the threaded build with 2 threads; results equal the 1-thread build (the filter gradient bit for bit); the process exits', () => {
  const one = run(1);
  const two = run(2);
  assert.is(one.threads, 1);
  assert.is(two.threads, 2);
  assert.is(one.reported, 1, 'engineInfo().threads with 1 thread');
  assert.is(two.reported, 2, 'engineInfo().threads with 2 threads');
  two.sums.forEach((s, i) => assert.ok(Math.abs(s - one.sums[i]) <= 1e-4 * Math.abs(one.sums[i]), `sum ${i}: ${s} vs ${one.sums[i]}`));
  // The heap worker computes one share with 2 threads, the calling thread both with 1: the same bits.
  assert.equal(two.dw, one.dw, 'filter gradient bit for bit');
  assert.equal(two.dwWinograd, one.dwWinograd, 'Winograd filter gradient bit for bit');
  assert.ok(two.dwWinograd.some((v, i) => v !== two.dw[i]), 'the Winograd filter gradient ran (its sums differ in rounding from the direct one)');
});

test.run();
