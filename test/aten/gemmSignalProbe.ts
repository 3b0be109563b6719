/**
 * Products on oneDNN's sgemm under a stream of signals, for the gemm test: run with `node --cpu-prof
 * --cpu-prof-interval 100` (V8's sampler sends SIGPROF to this thread every 100 us). Before aten held signals
 * back around dnnl_sgemm this aborted within a second ("corrupted size vs. prev_size"). Prints one JSON line:
 * {products, gemm, worst} (worst: the largest difference from the same product on the BLAS).
 */
import * as tf from '@tensorflow/tfjs-core';
import { atenGemm, registerAtenBackend } from '../../lib/engine/aten';
import '../../lib/engine/backend';

(async () => {
  await registerAtenBackend({ threads: 2 });
  await tf.setBackend('aten');
  const a = tf.randomUniform([256, 384], -1, 1, 'float32', 1);
  const b = tf.randomUniform([384, 320], -1, 1, 'float32', 2);
  atenGemm('blas');
  const want = tf.matMul(a, b).dataSync();
  const gemm = atenGemm('onednn');
  let products = 0;
  let worst = 0;
  const until = performance.now() + Number(process.argv[2] ?? 1500);
  while (performance.now() < until) {
    const c = tf.matMul(a, b);
    const got = c.dataSync();
    c.dispose();
    for (let i = 0; i < got.length; i += 97) worst = Math.max(worst, Math.abs(got[i] - want[i]));
    products++;
  }
  tf.dispose([a, b]);
  console.log(JSON.stringify({ products, gemm, worst }));
})();
