import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { sgdStep, SGD_STEP } from '../../lib/engine/sgdStep';
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

test('sgdStep matches hand values on every backend (aten through its fused kernel)', async () => {
  const names = await backends();
  if (names.includes('aten')) assert.ok(tf.getKernel(SGD_STEP, 'aten'), 'aten registers the fused SGD kernel');
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

test('the fused step equals the composite on cpu bit for bit on a parameter-sized tensor', async () => {
  const n = 70_000;
  const mk = (seed: number) => tf.randomNormal([n], 0, 1, 'float32', seed);
  const diff = await compareWithCpu(() => {
    const r = sgdStep(mk(1), mk(2), mk(3), 0.05, 0.9, 5e-4);
    return [r.value, r.buffer as tf.Tensor];
  }, { atol: 0, rtol: 0 });
  for (const [b, lines] of Object.entries(diff)) assert.equal(lines, [], `${b}: ${lines.join('; ')}`);
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

test.run();
