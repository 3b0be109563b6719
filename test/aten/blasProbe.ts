/**
 * Throughput of aten's matrix product against its convolution in the same process: the product goes through
 * the BLAS libtorch resolved (the probe switches products from oneDNN's sgemm to the BLAS while it measures),
 * the convolution through oneDNN, so their ratio shows the BLAS without trusting
 * absolute times on a shared machine. Measured here (two loaded cores): 0.5-0.7 with OpenBLAS, 0.05 with
 * netlib's reference BLAS. Run as a script (`node --import tsx test/aten/blasProbe.ts`) it prints one JSON
 * line, for the test that checks a reference BLAS is caught.
 */
import * as tf from '@tensorflow/tfjs-core';
import { atenGemm, registerAtenBackend } from '../../lib/engine/aten';
import '../../lib/engine/backend';

/** The product's GFLOP/s over the convolution's below which the BLAS counts as a reference one. */
export const MIN_MATMUL_TO_CONV = 0.2;

/** GFLOP/s of a 512x1024 by 1024x512 product and of a 3x3 convolution (16x32x32x64 -> 64), medians of 7. */
export function matmulVsConv(): { matmul: number; conv: number; ratio: number } {
  const gemm = atenGemm('blas');
  try {
    return measure();
  } finally {
    atenGemm(gemm);
  }
}

function measure(): { matmul: number; conv: number; ratio: number } {
  const a = tf.randomUniform([512, 1024], -1, 1, 'float32', 1);
  const b = tf.randomUniform([1024, 512], -1, 1, 'float32', 2);
  const x = tf.randomUniform([16, 32, 32, 64], -1, 1, 'float32', 3) as tf.Tensor4D;
  const w = tf.randomUniform([3, 3, 64, 64], -1, 1, 'float32', 4) as tf.Tensor4D;
  const ms = (f: () => tf.Tensor): number => {
    const t0 = performance.now();
    const y = f();
    y.dataSync();
    y.dispose();
    return performance.now() - t0;
  };
  const mm: number[] = [];
  const cv: number[] = [];
  ms(() => tf.matMul(a, b));
  ms(() => tf.conv2d(x, w, 1, 'same'));
  // Interleaved, so a burst of load from elsewhere hits both sides alike.
  for (let i = 0; i < 7; i++) {
    mm.push(ms(() => tf.matMul(a, b)));
    cv.push(ms(() => tf.conv2d(x, w, 1, 'same')));
  }
  tf.dispose([a, b, x, w]);
  const median = (v: number[]) => v.sort((p, q) => p - q)[3];
  const matmul = (2 * 512 * 1024 * 512) / median(mm) / 1e6;
  const conv = (2 * 16 * 32 * 32 * 64 * 64 * 9) / median(cv) / 1e6;
  return { matmul, conv, ratio: matmul / conv };
}

if (require.main === module) {
  (async () => {
    const prev = tf.getBackend();
    const { versions, notes } = await registerAtenBackend({ threads: 2 });
    await tf.setBackend('aten');
    console.log(JSON.stringify({ blas: versions.blas, notes, ...matmulVsConv() }));
    if (prev) await tf.setBackend(prev);
  })();
}
