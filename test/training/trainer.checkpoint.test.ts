// Issue 13 item 2: corrupt checkpoints are refused naming the file (and the tensor), stale temporary files
// of killed writers are removed, old-format files still load.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
import { engine } from '../helpers/setup';
import { mlp } from '../../lib/models/mlp';
import { Sgd } from '../../lib/training/sgd';
import { saveCheckpoint, loadCheckpoint, removeStaleTemporaries } from '../../lib/training/checkpoint';

test.before(engine);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'robustlab-ckpt-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const model = (seed = 1) => mlp({ inputShape: [4], hidden: [8], numClasses: 2, seed });
const weights = (m: ReturnType<typeof model>) => m.trainableVariables().map((v) => Array.from(v.dataSync()));

async function saved(name: string): Promise<{ file: string; bytes: Buffer; payload: number }> {
  const m = model();
  const file = path.join(tmp, name);
  await saveCheckpoint(file, m, undefined, { epoch: 1 });
  m.dispose();
  const bytes = fs.readFileSync(file);
  return { file, bytes, payload: 12 + bytes.readUInt32LE(8) };
}

function refused(file: string, re: RegExp): void {
  const m = model(7);
  const w = weights(m);
  assert.throws(() => loadCheckpoint(file, m), re);
  assert.equal(weights(m), w, 'a refused file leaves the model untouched');
  m.dispose();
}

test('a checkpoint round-trips and loads into a fresh model', async () => {
  const { file } = await saved('ok.ckpt');
  const a = model();
  const b = model(7);
  assert.is(loadCheckpoint(file, b).epoch, 1);
  assert.equal(weights(b), weights(a));
  [a, b].forEach((m) => m.dispose());
});

test('64 payload bytes overwritten with 0xff: checksum mismatch naming the file', async () => {
  const { file, bytes, payload } = await saved('flipped.ckpt');
  bytes.fill(0xff, payload + 16, payload + 80);
  fs.writeFileSync(file, bytes);
  refused(file, /checkpoint .*flipped\.ckpt: payload checksum mismatch/);
});

test('trailing bytes and truncation are refused', async () => {
  const { file, bytes } = await saved('junk.ckpt');
  fs.writeFileSync(file, Buffer.concat([bytes, Buffer.from('junk')]));
  refused(file, /checkpoint .*junk\.ckpt: 4 trailing bytes after the \d+ payload bytes/);
  fs.writeFileSync(file, bytes.subarray(0, bytes.length - 8));
  refused(file, /checkpoint .*junk\.ckpt: truncated data/);
});

test('a corrupted header is an error naming the file, not a bare SyntaxError', async () => {
  const { file, bytes } = await saved('header.ckpt');
  bytes.write('#', 18, 'latin1');
  fs.writeFileSync(file, bytes);
  refused(file, /checkpoint .*header\.ckpt: corrupt header \(/);
  fs.writeFileSync(file, Buffer.from('RLCKPT02\x02\x00\x00\x00{}', 'latin1'));
  refused(file, /checkpoint .*header\.ckpt: corrupt header \(entries or meta.epoch malformed\)/);
  fs.writeFileSync(file, Buffer.from('hello'));
  refused(file, /checkpoint .*header\.ckpt: not a robustlab checkpoint \(bad magic\)/);
  refused(path.join(tmp, 'absent.ckpt'), /checkpoint .*absent\.ckpt: cannot be read \(ENOENT/);
});

/** Writes a file of the older RLCKPT01 format (no checksum) by hand. */
function writeV1(file: string, m: ReturnType<typeof model>, poison?: string): void {
  const entries = Object.entries(m.namedVariables()).map(([name, v]) => ({ name, shape: v.shape, kind: 'var' }));
  const data = Object.entries(m.namedVariables()).map(([name, v]) => {
    const a = Float32Array.from(v.dataSync());
    if (name === poison) a.fill(NaN, 0, 16);
    return Buffer.from(a.buffer);
  });
  const header = Buffer.from(JSON.stringify({ entries, meta: { epoch: 3 }, model: m.name }));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  fs.writeFileSync(file, Buffer.concat([Buffer.from('RLCKPT01'), len, header, ...data]));
}

test('old-format files still load; NaN weights in them are refused naming the tensor', () => {
  const a = model();
  const file = path.join(tmp, 'v1.ckpt');
  writeV1(file, a);
  const b = model(7);
  assert.is(loadCheckpoint(file, b).epoch, 3);
  assert.equal(weights(b), weights(a));
  writeV1(file, a, 'fc0.w');
  refused(file, /checkpoint .*v1\.ckpt: variable 'fc0\.w' holds NaN at flat index 0/);
  [a, b].forEach((m) => m.dispose());
});

test('saving NaN weights or optimiser buffers is refused naming the tensor, and the old file stays', async () => {
  const { file, bytes } = await saved('diverged.ckpt');
  const m = model();
  const [lastName, v] = Object.entries(m.namedVariables()).at(-1)!;
  v.assign(tf.fill(v.shape, Infinity));
  await saveCheckpoint(file, m, undefined, { epoch: 2 }).then(
    () => assert.unreachable('should throw'),
    (e: Error) => assert.match(e.message, new RegExp(`checkpoint .*diverged\\.ckpt: variable '${lastName}' holds Infinity at flat index 0`)),
  );
  assert.ok(fs.readFileSync(file).equals(bytes), 'the previous checkpoint is intact');
  const ok = model();
  const opt = new Sgd();
  const w = ok.namedVariables()['fc0.w'];
  opt.setBuffer(w, tf.fill(w.shape, NaN));
  await saveCheckpoint(file, ok, opt, { epoch: 2 }).then(
    () => assert.unreachable('should throw'),
    (e: Error) => assert.match(e.message, /optimiser buffer of 'fc0\.w' holds NaN/),
  );
  assert.not.ok(fs.readdirSync(tmp).some((f) => f.startsWith('diverged.ckpt.tmp-')), 'no temporary file left');
  [m, ok, opt].forEach((t) => t.dispose());
});

test('stale temporary files of dead writers are removed, those of live processes kept', async () => {
  const file = path.join(tmp, 'run.ckpt');
  // A pid that surely is dead: a child that has exited and been reaped.
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
  const stale = `${file}.tmp-${dead}`;
  const live = `${file}.tmp-${process.ppid}`;
  const other = path.join(tmp, 'other.ckpt.tmp-' + dead);
  for (const f of [stale, live, other]) fs.writeFileSync(f, Buffer.alloc(1024));
  assert.equal(removeStaleTemporaries(file), [stale]);
  fs.writeFileSync(stale, Buffer.alloc(1024));
  const m = model();
  await saveCheckpoint(file, m, undefined, { epoch: 1 });
  assert.not.ok(fs.existsSync(stale), 'saveCheckpoint removes the stale file');
  assert.ok(fs.existsSync(live) && fs.existsSync(other), 'a live writer and another checkpoint are left alone');
  m.dispose();
});

test('checkpoint work leaks no tensors', async () => {
  const { file } = await saved('leak.ckpt');
  const m = model();
  const opt = new Sgd();
  const n0 = tf.memory().numTensors;
  await saveCheckpoint(file, m, opt, { epoch: 1 });
  loadCheckpoint(file, m, opt);
  assert.is(tf.memory().numTensors, n0);
  [m, opt].forEach((t) => t.dispose());
});

test.run();
