/**
 * The roofline of `npm run bench`: GFLOP/s of the large single-precision product (bench/flops.ts PRODUCT) on
 * the aten backend, run by bench/run.ts in a child process whose environment lacks OPENBLAS_CORETYPE, so that
 * OpenBLAS picks its kernels for this processor (machines here force Haswell kernels for correctness on some
 * processors: the rows keep that setting, this row alone drops it). bench/run.ts runs it twice, with
 * ROBUSTLAB_ATEN_GEMM=blas (OpenBLAS's own kernels) and =onednn (oneDNN's sgemm, which picks its kernels
 * regardless), and takes the faster as the ceiling. Prints one JSON line:
 * {gflops, ms, blas, core, threads, gemm} or {error}.
 * Usage: node --import tsx bench/ceiling.ts THREADS REPS
 */
import * as tf from '@tensorflow/tfjs-core';
import { initEngine, engineInfo } from '../lib/engine/backend';
import { blasInfo } from '../lib/engine/aten';
import { loadAddon } from '../lib/engine/aten/addon';
import { PRODUCT } from './flops';

async function main(): Promise<void> {
  const threads = Number(process.argv[2] ?? 1);
  const reps = Number(process.argv[3] ?? 3);
  await initEngine({ backend: 'aten', threads, verbose: false });
  const { m, k, n } = PRODUCT;
  const a = tf.randomUniform([m, k], -1, 1, 'float32', 1);
  const b = tf.randomUniform([k, n], -1, 1, 'float32', 2);
  const ts: number[] = [];
  for (let i = 0; i <= reps; i++) {
    const t0 = performance.now();
    const c = tf.matMul(a, b);
    await c.data();
    c.dispose();
    if (i > 0) ts.push(performance.now() - t0);
  }
  tf.dispose([a, b]);
  ts.sort((p, q) => p - q);
  const ms = ts[Math.floor(ts.length / 2)];
  const blas = blasInfo(loadAddon());
  const { versions } = engineInfo();
  console.log(JSON.stringify({ gflops: (2 * m * k * n) / ms / 1e6, ms, blas: versions.blas, core: blas.core, threads: blas.threads, gemm: versions.gemm }));
}

main().catch((e) => {
  console.log(JSON.stringify({ error: (e as Error).message.split('\n')[0] }));
  process.exit(0);
});
