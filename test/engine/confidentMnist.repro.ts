// Issue 13's confident-model case on real data (not a test: run with
// `ROBUSTLAB_DATA=... node --import tsx test/engine/confidentMnist.repro.ts`): a small CNN trained one epoch on
// MNIST's 8,000-image train split (aten, else wasm), its head scaled x20 (same decisions, 20x the logits),
// PGD-20 (eps 0.1, step 0.01) on 256 test images on cpu, aten, wasm with tfjs-backend-wasm's own Sign and
// wasm with robustlab's. Prints robust accuracy and the fraction of pixels moved per backend.
import * as tf from '@tensorflow/tfjs-core';
import { engine } from '../helpers/setup';
import { backends, withBackend } from '../helpers/backends';
import { mnist } from '../../lib/data/mnist';
import { smallCnn } from '../../lib/models/smallCnn';
import { train } from '../../lib/training/trainer';
import { pgd } from '../../lib/attacks/pgd';
import { signConfig } from '../../lib/engine/wasm/kernels/Sign';

(async () => {
  await engine();
  require('@tensorflow/tfjs-backend-wasm');
  const tfjsSign = tf.getKernel('Sign', 'wasm');
  const names = await backends();
  const tr = mnist({ split: 'train' });
  const te = mnist({ split: 'test' });
  const x = tf.tensor4d(tr.x, tr.shape);
  const y = tf.tensor1d(tr.y, 'int32');
  const model = smallCnn({ inputShape: [28, 28, 1], numClasses: 10, seed: 0 });
  const t0 = performance.now();
  await train(model, { x, y }, { epochs: 1, batchSize: 64, optimizer: { lr: 0.05, momentum: 0.9, weightDecay: 0 }, seed: 0 });
  console.log(`trained on ${tf.getBackend()} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  for (const [name, v] of Object.entries(model.namedVariables())) if (name.startsWith('head')) v.assign(v.mul(20));
  const n = 256;
  const xt = tf.tensor4d(te.x.subarray(0, n * 784), [n, 28, 28, 1]);
  const yt = tf.tensor1d(te.y.subarray(0, n), 'int32');
  const run = (backend: string) =>
    withBackend(backend, () =>
      tf.tidy(() => {
        const clean = model.apply(xt).logits.argMax(1).equal(yt).mean().dataSync()[0];
        const xAdv = pgd(model, xt, yt, { eps: 0.1, steps: 20, stepSize: 0.01, seed: 1 });
        const acc = model.apply(xAdv).logits.argMax(1).equal(yt).mean().dataSync()[0];
        // Pixels the attack moved beyond its random start (|delta| > eps/2 where the start is uniform in the ball).
        const moved = xAdv.sub(xt).abs().greater(0.099).mean().dataSync()[0];
        return `${backend.padEnd(22)} clean ${clean.toFixed(4)}  PGD-20 robust ${acc.toFixed(4)}  pixels at |delta| = eps ${(100 * moved).toFixed(1)}%`;
      }),
    );
  for (const b of names) console.log(await run(b));
  tf.unregisterKernel('Sign', 'wasm');
  tf.registerKernel(tfjsSign!);
  await withBackend('wasm', () => tfjsSign!.setupFunc?.(tf.backend())); // its wasm entry point, in case wasm started after the swap
  console.log(await run('wasm').then((s) => s.replace('wasm                  ', "wasm (tfjs's own Sign)")));
  tf.unregisterKernel('Sign', 'wasm');
  tf.registerKernel(signConfig);
})();
