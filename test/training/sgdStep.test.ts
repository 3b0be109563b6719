import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { sgdStep, sgdStepInPlace, SGD_STEP } from '../../lib/engine/sgdStep';
import { Sgd } from '../../lib/training/sgd';
import { backends, compareWithCpu, withBackend } from '../helpers/backends';
import { engine } from '../helpers/setup';

test.before(engine);

const V = [1, -2, 0.5, 3];
const G = [1, 1, -4, 0.25];
const B = [0.5, -1, 2, 0];

/** PyTorch's SGD step by hand: d = g + wd v; b' = m b + d (d on the first step); v' = v - lr b'. */
function byHand(lr: number, m: number, wd: number, withBuffer: boolean): { v: number[]; b: number[] } {
  const d = G.map((g, i) => g + wd * V[i]);
  const b = m > 0 ? d.map((di, i) => (withBuffer ? m * B[i] : 0) + di) : d;
  return { v: V.map((v, i) => v - lr * b[i]), b };
}

const CASES: [string, number, number, number, boolean][] = [
  ['momentum, decay, buffer', 0.1, 0.9, 0.5, true],
  ['momentum, decay, first step', 0.1, 0.9, 0.5, false],
  ['momentum, no decay, first step', 0.2, 0.9, 0, false],
  ['no momentum, decay', 0.05, 0, 2e-4, false],
];

test('sgdStep matches hand values on every backend (aten and wasm through their fused kernels)', async () => {
  const names = await backends();
  if (names.includes('aten')) assert.ok(tf.getKernel(SGD_STEP, 'aten'), 'aten registers the fused SGD kernel');
  if (names.includes('wasm')) assert.ok(tf.getKernel(SGD_STEP, 'wasm'), 'wasm registers the fused SGD kernel');
  for (const [what, lr, m, wd, withBuffer] of CASES) {
    const want = byHand(lr, m, wd, withBuffer);
    for (const name of names) {
      await withBackend(name, () => {
        const before = tf.memory().numTensors;
        const [v, g, b] = [tf.tensor1d(V), tf.tensor1d(G), tf.tensor1d(B)];
        const r = sgdStep(v, g, withBuffer ? b : undefined, lr, m, wd);
        const got = Array.from(r.value.dataSync());
        got.forEach((x, i) => assert.ok(Math.abs(x - want.v[i]) < 1e-6, `${name} ${what}: v[${i}] ${x} vs ${want.v[i]}`));
        if (m > 0) {
          assert.ok(r.buffer, `${name} ${what}: a buffer with momentum`);
          Array.from(r.buffer.dataSync()).forEach((x, i) =>
            assert.ok(Math.abs(x - want.b[i]) < 1e-6, `${name} ${what}: b[${i}] ${x} vs ${want.b[i]}`));
        } else assert.is(r.buffer, undefined, `${name} ${what}: no buffer without momentum`);
        assert.ok(r.value !== v && r.buffer !== g, `${name} ${what}: new tensors, inputs untouched`);
        assert.equal(Array.from(v.dataSync()), V.map(Math.fround));
        tf.dispose([v, g, b, r.value, r.buffer as tf.Tensor]);
        assert.is(tf.memory().numTensors, before, `${name} ${what}: no tensor left behind`);
      });
    }
  }
});

test('the fused step equals the composite on cpu bit for bit on a parameter-sized tensor, in every mode', async () => {
  // 70,003 values: wasm's vector loop and its scalar tail.
  const n = 70_003;
  const mk = (seed: number) => tf.randomNormal([n], 0, 1, 'float32', seed);
  for (const [what, lr, m, wd, withBuffer] of CASES) {
    const diff = await compareWithCpu(() => {
      const r = sgdStep(mk(1), mk(2), withBuffer ? mk(3) : undefined, lr, m, wd);
      return r.buffer ? [r.value, r.buffer] : [r.value];
    }, { atol: 0, rtol: 0 });
    for (const [b, lines] of Object.entries(diff)) assert.equal(lines, [], `${b} ${what}: ${lines.join('; ')}`);
  }
});

test('Sgd.apply over many steps keeps the tensor count and matches cpu', async () => {
  const run = async (name: string) =>
    withBackend(name, () => {
      const v = tf.variable(tf.tensor1d(V), true, `sgdStep-${name}`);
      const opt = new Sgd({ lr: 0.1, momentum: 0.9, weightDecay: 0.01 });
      const g = tf.tensor1d(G);
      opt.apply([v], { [v.name]: g });
      const count = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) opt.apply([v], { [v.name]: g });
      assert.is(tf.memory().numTensors, count, `${name}: the step count does not grow the tensors`);
      const out = Array.from(v.dataSync());
      opt.dispose();
      tf.dispose([v, g]);
      return out;
    });
  const want = await run('cpu');
  for (const name of (await backends()).filter((b) => b !== 'cpu')) {
    const got = await run(name);
    got.forEach((x, i) => assert.ok(Math.abs(x - want[i]) < 1e-5, `${name}: v[${i}] ${x} vs cpu ${want[i]}`));
  }
});

/** Three Sgd steps on a parameter-sized variable; `hold` may take a second handle on v's data before each step. */
function threeSteps(hold?: (v: tf.Variable) => tf.Tensor): { values: tf.TypedArray; kept: boolean[]; held: tf.TypedArray[] } {
  const n = 50_000;
  const init = tf.randomNormal([n], 0, 1, 'float32', 7);
  const v = tf.variable(init, true, `inPlace-${tf.getBackend()}-${Math.random()}`);
  init.dispose();
  const g = tf.randomNormal([n], 0, 1, 'float32', 8);
  const opt = new Sgd({ lr: 0.05, momentum: 0.9, weightDecay: 5e-4 });
  const kept: boolean[] = [];
  const held: tf.TypedArray[] = [];
  for (let i = 0; i < 3; i++) {
    const h = hold?.(v);
    const before = h ? h.dataSync().slice() : undefined;
    const id = v.dataId;
    opt.apply([v], { [v.name]: g });
    kept.push(v.dataId === id);
    if (h) {
      const after = h.dataSync();
      assert.ok(after.every((x, j) => Object.is(x, before![j])), `step ${i}: a held handle on v's old data changed`);
      held.push(after.slice());
      h.dispose();
    }
  }
  const values = v.dataSync().slice();
  opt.dispose();
  tf.dispose([v, g]);
  return { values, kept, held };
}

test('aten updates in place after the first step, bit for bit as the composite on cpu', async () => {
  const want = await withBackend('cpu', () => threeSteps());
  assert.equal(want.kept, [false, false, false], 'cpu assigns new tensors');
  if (!(await backends()).includes('aten')) return;
  const got = await withBackend('aten', () => {
    const before = tf.memory().numTensors;
    const r = threeSteps();
    assert.is(tf.memory().numTensors, before, 'no tensor left behind');
    return r;
  });
  assert.equal(got.kept, [false, true, true], 'the first step creates the buffer; the next two write in place');
  const bad = got.values.findIndex((x, i) => !Object.is(x, want.values[i]));
  assert.is(bad, -1, `v[${bad}] ${got.values[bad]} vs cpu ${want.values[bad]}`);
});

test('a clone or a reshape of the variable keeps its values: the step then allocates', async () => {
  if (!(await backends()).includes('aten')) return;
  for (const [what, hold] of [['clone', (v: tf.Variable) => v.clone()], ['reshape', (v: tf.Variable) => v.reshape([250, 200])]] as const) {
    const r = await withBackend('aten', () => threeSteps(hold));
    assert.equal(r.kept, [false, false, false], `${what}: never in place while another tensor shares v's data`);
    const plain = await withBackend('aten', () => threeSteps());
    assert.equal(Array.from(r.values), Array.from(plain.values), `${what}: same values as without the held handle`);
  }
});

test('sgdStepInPlace refuses what it cannot do in place', async () => {
  for (const name of await backends()) {
    await withBackend(name, () => {
      const v = tf.variable(tf.tensor1d(V), true, `refuse-${name}`);
      const b = tf.variable(tf.tensor1d(B), true, `refuseB-${name}`);
      const g = tf.tensor1d(G);
      assert.not.ok(sgdStepInPlace(v, g, undefined, 0.1, 0.9, 0), `${name}: momentum without a buffer`);
      assert.not.ok(sgdStepInPlace(v, g, b, 0.1, 0, 0), `${name}: a buffer without momentum`);
      assert.not.ok(sgdStepInPlace(v, tf.tensor1d([1, 2]), b, 0.1, 0.9, 0), `${name}: a gradient of another shape`);
      assert.equal(Array.from(v.dataSync()), V.map(Math.fround), `${name}: v untouched`);
      tf.dispose([v, b, g]);
    });
  }
});

test.run();
