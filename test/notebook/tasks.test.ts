// Task keys and the task-result store (issue 21): keys stable across processes and distinct for any changed
// part; shards cover every task exactly once; two processes writing one key leave one whole entry; a corrupt
// entry is recomputed with a warning; weights come back bit for bit; a merge names every missing task.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { engine } from '../helpers/setup';
import { smallCnn } from '../../lib/models/smallCnn';
import { Tasks, taskKey, shardOf, parseShard, canonicalJson, readTask, writeTask, libraryHash } from '../../lib/notebook/tasks';

test.before(engine);

const root = path.resolve(__dirname, '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'robustlab-tasks-'));
let n = 0;
const freshStore = () => path.join(tmp, `store-${n++}`);
const spec = { notebook: '01-x', profile: { epochs: 2, lambda: 0.05 }, params: { train: 'PGD-AT', seed: 0 }, version: 'v1' };

test('task keys: stable across processes and key order, distinct for any changed part', () => {
  const k = taskKey(spec);
  assert.match(k, /^01-x-[0-9a-f]{24}$/);
  assert.is(taskKey({ ...spec, profile: { lambda: 0.05, epochs: 2 } }), k, 'key order does not matter');
  const code = `const { taskKey } = require(${JSON.stringify(path.join(root, 'lib/notebook/tasks.ts'))}); process.stdout.write(taskKey(${JSON.stringify(spec)}));`;
  const other = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { encoding: 'utf8', cwd: root });
  assert.is(other.stdout, k, `another process: ${other.stderr.slice(-500)}`);
  const variants = [
    { ...spec, notebook: '01-y' },
    { ...spec, profile: { epochs: 3, lambda: 0.05 } },
    { ...spec, params: { train: 'PGD-AT', seed: 1 } },
    { ...spec, params: { train: 'PGD-AT + LS', seed: 0 } },
    { ...spec, version: 'v2' },
  ];
  const keys = new Set([k, ...variants.map(taskKey)]);
  assert.is(keys.size, 6);
  assert.match(libraryHash(), /^[0-9a-f]{16}$/);
  assert.is(libraryHash(), libraryHash());
  assert.throws(() => canonicalJson({ a: NaN }), /a task's parameters and result must be plain JSON.*NaN/);
  assert.throws(() => canonicalJson({ f: new Float32Array(2) }), /value\.f.*Float32Array/);
});

test('shards: every task in exactly one shard; bad shard strings are refused naming the argument', () => {
  const keys = Array.from({ length: 200 }, (_, i) => taskKey({ ...spec, params: { seed: i } }));
  for (const count of [1, 2, 3, 7]) {
    const seen = new Map<string, number>();
    for (let s = 0; s < count; s++) for (const k of keys) if (shardOf(k, count) === s) seen.set(k, (seen.get(k) ?? 0) + 1);
    assert.is(seen.size, keys.length, `count ${count}: every key assigned`);
    assert.ok([...seen.values()].every((v) => v === 1), `count ${count}: each exactly once`);
    // Not all in one shard (a constant assignment would pass the lines above).
    if (count > 1) assert.ok(new Set(keys.map((k) => shardOf(k, count))).size === count, `count ${count}: all shards used`);
  }
  assert.equal(parseShard('2/3'), { index: 2, count: 3 });
  assert.is(parseShard(undefined), undefined);
  for (const bad of ['3/3', '1', 'a/b', '-1/2', '0/0']) assert.throws(() => parseShard(bad, '--shard'), /--shard: expected a shard "i\/n"/);
});

test('cached: computes once, then serves from the store (another Tasks, same store); the line says so', async () => {
  const store = freshStore();
  let calls = 0;
  const compute = () => ({ calls: ++calls, curve: [0.1, 0.25] });
  const a = new Tasks('01-x', { epochs: 1 }, { ROBUSTLAB_STORE: store });
  assert.equal(await a.cached({ m: 'A' }, compute), { calls: 1, curve: [0.1, 0.25] });
  assert.is(a.line('training'), 'training: 0 of 1 task from the store, 1 computed');
  const b = new Tasks('01-x', { epochs: 1 }, { ROBUSTLAB_STORE: store });
  assert.equal(await b.cached({ m: 'A' }, compute), { calls: 1, curve: [0.1, 0.25] });
  assert.equal(await b.cached({ m: 'B' }, compute), { calls: 2, curve: [0.1, 0.25] });
  assert.is(b.line('training'), 'training: 1 of 2 tasks from the store, 1 computed');
  const c = new Tasks('01-x', { epochs: 2 }, { ROBUSTLAB_STORE: store });
  await c.cached({ m: 'A' }, compute);
  assert.is(calls, 3, 'another profile is another task');
});

test('a corrupt entry is recomputed with a warning naming it', async () => {
  const store = freshStore();
  const warnings: string[] = [];
  const t = new Tasks('01-x', {}, { ROBUSTLAB_STORE: store }, (l) => warnings.push(l));
  await t.cached({ m: 'A' }, () => ({ acc: 0.5 }));
  const key = t.key({ m: 'A' });
  const file = path.join(store, `${key}.json`);
  for (const corrupt of [(s: string) => s.replace('0.5', '0.75'), (s: string) => s.slice(0, s.length - 5)]) {
    fs.writeFileSync(file, corrupt(fs.readFileSync(file, 'utf8')));
    assert.is(readTask(store, key).found, false);
    let recomputed = 0;
    const v = await t.cached({ m: 'A' }, () => (recomputed++, { acc: 0.5 }));
    assert.equal(v, { acc: 0.5 });
    assert.is(recomputed, 1);
    assert.equal(readTask(store, key), { found: true, value: { acc: 0.5 }, weights: false }, 'rewritten whole');
  }
  assert.is(warnings.length, 2);
  assert.match(warnings[0], new RegExp(`entry ${key} \\(\\{"m":"A"\\}\\) is corrupt: value does not match its digest; recomputing it`));
  assert.match(warnings[1], /is corrupt: not JSON/);
});

test('two processes writing the same key concurrently leave one whole, verified entry', async () => {
  const store = freshStore();
  const key = 'race-0123';
  // Each writer stores a large value of its own 300 times; a torn or interleaved write would fail the digest.
  const writer = (id: number) =>
    new Promise<number | null>((resolve) => {
      const code = `const { writeTask } = require(${JSON.stringify(path.join(root, 'lib/notebook/tasks.ts'))});
        (async () => { const v = { id: ${id}, xs: Array.from({ length: 20000 }, (_, i) => i * ${id} + 0.5) };
        for (let i = 0; i < 300; i++) await writeTask(${JSON.stringify(store)}, ${JSON.stringify(key)}, v); })();`;
      const p = spawn(process.execPath, ['--import', 'tsx', '-e', code], { cwd: root, stdio: 'inherit' });
      p.on('close', resolve);
    });
  // A reader polling meanwhile must only ever see a whole entry once the file exists (rename never removes it).
  const torn: string[] = [];
  let reads = 0;
  const poll = setInterval(() => {
    if (!fs.existsSync(path.join(store, `${key}.json`))) return;
    reads++;
    const r = readTask(store, key);
    if (!r.found) torn.push(JSON.stringify(r));
  }, 5);
  const codes = await Promise.all([writer(1), writer(2)]);
  clearInterval(poll);
  assert.equal(codes, [0, 0]);
  assert.equal(torn, [], `torn reads among ${reads}`);
  const r = readTask(store, key);
  assert.ok(r.found);
  const v = (r as { value: unknown }).value as { id: number; xs: number[] };
  assert.ok(v.id === 1 || v.id === 2);
  assert.is(v.xs.length, 20000);
  assert.is(v.xs[7], 7 * v.id + 0.5);
  assert.equal(fs.readdirSync(store), [`${key}.json`], 'no temporary files left');
});

test('withModel: weights stored and loaded back bit for bit; no tensors leak', async () => {
  const store = freshStore();
  const build = () => smallCnn({ inputShape: [8, 8, 1], numClasses: 2, channels: [4, 8], seed: 0 });
  const before = tf.memory().numTensors;
  const a = new Tasks('01-x', {}, { ROBUSTLAB_STORE: store });
  const trained = await a.withModel({ m: 'A' }, build, (m) => {
    // "Training": move every weight so that loading the untrained build would be visible.
    for (const v of Object.values(m.namedVariables())) {
      const moved = tf.tidy(() => v.add(0.125));
      v.assign(moved);
      moved.dispose();
    }
    return { epochs: 1 };
  });
  assert.ok(trained);
  const b = new Tasks('01-x', {}, { ROBUSTLAB_STORE: store, ROBUSTLAB_MERGE: '1' });
  const back = await b.withModel({ m: 'A' }, build, () => assert.unreachable('a merge computes nothing'));
  assert.ok(back);
  assert.equal(back!.value, { epochs: 1 });
  const wa = trained!.model.namedVariables();
  const wb = back!.model.namedVariables();
  for (const k of Object.keys(wa)) assert.equal(Array.from(wb[k].dataSync()), Array.from(wa[k].dataSync()), k);
  assert.is(b.line('training'), 'training: 1 of 1 task from the store');
  trained!.model.dispose();
  back!.model.dispose();
  assert.is(tf.memory().numTensors, before);
});

test('shard mode computes only its shard; merge with a missing task names it and fails', async () => {
  const store = freshStore();
  const params = Array.from({ length: 6 }, (_, i) => ({ seed: i }));
  const probe = new Tasks('01-x', {}, { ROBUSTLAB_STORE: store });
  const owner = params.map((p) => shardOf(probe.key(p), 3));
  const computedBy: number[][] = [[], [], []];
  for (let s = 0; s < 3; s++) {
    const t = new Tasks('01-x', {}, { ROBUSTLAB_STORE: store, ROBUSTLAB_SHARD: `${s}/3` });
    assert.is(t.rendering, false);
    for (const p of params) {
      const v = await t.cached(p, () => (computedBy[s].push(p.seed), { seed: p.seed }));
      // Earlier shards' tasks are already stored; later shards' are skipped.
      assert.is(v === undefined, owner[p.seed] > s, `seed ${p.seed} in shard ${s}`);
    }
    const stored = owner.filter((o) => o < s).length;
    const skipped = owner.filter((o) => o > s).length;
    assert.is(t.line('grid'), `grid (shard ${s}/3): ${computedBy[s].length} computed, ${stored} already in the store, ${skipped} left to other shards; rendering skipped`);
  }
  assert.equal(computedBy.flat().sort(), [0, 1, 2, 3, 4, 5], 'each task computed by exactly one shard');
  const m = new Tasks('01-x', {}, { ROBUSTLAB_STORE: store, ROBUSTLAB_MERGE: '1' });
  for (const p of params) assert.equal(await m.cached(p, () => assert.unreachable('merge computes')), { seed: p.seed });
  assert.is(m.line('grid'), 'grid: 6 of 6 tasks from the store');
  const gone = probe.key({ seed: 4 });
  fs.rmSync(path.join(store, `${gone}.json`));
  const m2 = new Tasks('01-x', {}, { ROBUSTLAB_STORE: store, ROBUSTLAB_MERGE: '1' });
  for (const p of params) await m2.cached(p, () => assert.unreachable('merge computes'));
  assert.throws(() => m2.line('grid'), (e: Error) => e.message.includes(`grid: 1 task(s) missing from the store`) && e.message.includes(`{"seed":4} [${gone}]`));
  assert.throws(() => new Tasks('01-x', {}, { ROBUSTLAB_SHARD: '0/2' }), /ROBUSTLAB_SHARD needs ROBUSTLAB_STORE/);
  assert.throws(() => new Tasks('01-x', {}, { ROBUSTLAB_STORE: store, ROBUSTLAB_SHARD: '0/2', ROBUSTLAB_MERGE: '1' }), /both set/);
  await writeTask(store, 'x', { ok: true });
  assert.equal(readTask(store, 'x'), { found: true, value: { ok: true }, weights: false });
});

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test.run();
