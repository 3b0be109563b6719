// aten's float32 products on oneDNN's sgemm (lib/engine/aten/addon.ts GemmName): each layout the engine
// produces (plain, transposed views from the matMul gradients, slices with a row stride, batches of one)
// against cpu, the same products on the BLAS, the switch and the note that names it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { atenSuite, atenVsCpu, outputsOn, rand } from './common';
import { engineInfo, initEngine } from '../../lib/engine/backend';
import { atenGemm } from '../../lib/engine/aten';

const test = suite('aten gemm');
const TOL = 1e-5;

/** Products in every layout the kernels pass on, with sizes that are not multiples of any vector width. */
const CASES: [string, () => tf.Tensor][] = [
  ['a b', () => tf.matMul(rand([37, 53], 1), rand([53, 29], 2))],
  ['a^T b (the weight gradient)', () => tf.matMul(rand([53, 37], 3), rand([53, 29], 4), true, false)],
  ['a b^T (the input gradient: stays on the BLAS)', () => tf.matMul(rand([37, 53], 5), rand([29, 53], 6), false, true)],
  ['a b^T with 512 rows (a distance matrix: oneDNN)', () => tf.matMul(rand([515, 33], 22), rand([29, 33], 23), false, true)],
  ['a^T b^T', () => tf.matMul(rand([53, 37], 7), rand([29, 53], 8), true, true)],
  ['a batch of one', () => tf.matMul(rand([1, 37, 53], 9), rand([1, 53, 29], 10))],
  ['a batch of three (the BLAS)', () => tf.matMul(rand([3, 7, 5], 11), rand([3, 5, 4], 12))],
  ['a row vector', () => tf.matMul(rand([1, 300], 13), rand([300, 17], 14))],
  ['a column of outputs', () => tf.matMul(rand([40, 300], 15), rand([300, 1], 16))],
  ['a sliced operand (row stride above its width)', () => tf.matMul(rand([37, 80], 17).slice([0, 10], [37, 53]), rand([53, 29], 18))],
  ['a dense layer: matMul + bias + relu (fused)', () => tf.fused.matMul({ a: rand([33, 64], 19), b: rand([64, 20], 20), bias: rand([20], 21), activation: 'relu' })],
  ['an empty inner dimension', () => tf.matMul(tf.zeros([4, 0]), tf.zeros([0, 3]))],
];

atenSuite(test, () => {
  /** Whether this libtorch's oneDNN has an sgemm (the switch to it succeeds); the path in use is kept. */
  const onednn = (): boolean => {
    const start = atenGemm();
    try {
      atenGemm('onednn');
      return true;
    } catch {
      return false;
    } finally {
      atenGemm(start);
    }
  };

  test('engineInfo says where products run, and the switch changes it', async () => {
    await initEngine({ backend: 'aten', threads: 2, verbose: false });
    const start = atenGemm();
    assert.ok(start === 'onednn' || start === 'blas', start);
    assert.ok(engineInfo().notes.some((n) => n.startsWith('aten: float32 products on')), engineInfo().notes.join('\n'));
    assert.is(atenGemm('blas'), 'blas');
    if (onednn()) assert.is(atenGemm('onednn'), 'onednn');
    else assert.throws(() => atenGemm('onednn'), /no dnnl_sgemm/);
    assert.throws(() => atenGemm('mkl' as never), /onednn or blas, got 'mkl'/);
    atenGemm(start);
  });

  for (const [what, f] of CASES) {
    test(`${what}: equal to cpu on either product path`, async () => {
      const start = atenGemm();
      try {
        for (const path of onednn() ? (['onednn', 'blas'] as const) : (['blas'] as const)) {
          atenGemm(path);
          const before = tf.memory().numTensors;
          const e = await atenVsCpu(f);
          assert.ok(e <= TOL, `${path}: relative error ${e} > ${TOL}`);
          assert.is(tf.memory().numTensors, before, `${path}: numTensors`);
        }
      } finally {
        atenGemm(start);
      }
    });
  }

  test("products on oneDNN survive a profiler's signals (dnnl_sgemm corrupted the heap when one arrived)", () => {
    if (!onednn()) return;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'robustlab-gemm-'));
    try {
      const probe = path.join(__dirname, 'gemmSignalProbe.ts');
      const r = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', dir, '--import', 'tsx', probe, '1500'], {
        encoding: 'utf8', cwd: path.join(__dirname, '..', '..'), timeout: 60_000,
      });
      assert.is(r.status, 0, `probe died (signal ${r.signal}): ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`);
      const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { products: number; gemm: string; worst: number };
      assert.is(out.gemm, 'onednn');
      assert.ok(out.products > 50, `only ${out.products} products`);
      assert.ok(out.worst < 1e-4, `largest difference from the BLAS ${out.worst}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('oneDNN and the BLAS give the same product of a dense layer to float32 rounding', async () => {
    if (!onednn()) return;
    const start = atenGemm();
    const f = () => tf.matMul(rand([128, 3072], 30, 0, 1), rand([3072, 256], 31, -0.02, 0.02));
    try {
      atenGemm('onednn');
      const [a] = await outputsOn('aten', f);
      atenGemm('blas');
      const [b] = await outputsOn('aten', f);
      let worst = 0;
      for (let i = 0; i < a.values.length; i++) worst = Math.max(worst, Math.abs(a.values[i] - b.values[i]));
      assert.ok(worst < 1e-5, `largest difference ${worst}`);
      assert.ok(a.values.some((v, i) => v !== b.values[i]) || a.values.length === 0, 'the two paths are distinct code (some rounding differs)');
    } finally {
      atenGemm(start);
    }
  });
});

test.run();
