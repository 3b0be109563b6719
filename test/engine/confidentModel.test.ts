// The confident-model case of issue 13: PGD's l-inf step is sign(gradient), and a confident model's input
// gradients are tiny, far below the 1.19e-7 under which tfjs-backend-wasm 4.22's Sign returned 0. Robust
// accuracy must not depend on the backend.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine } from '../helpers/setup';
import { backends, withBackend } from '../helpers/backends';
import { halves } from '../helpers/fixtures';
import { confidentLinear } from '../helpers/models';
import { pgd } from '../../lib/attacks/pgd';

test.before(engine);

test('PGD-20 on a confident model: robust accuracy on wasm and aten within 1 point of cpu, and below clean accuracy', async () => {
  const { x, y } = halves(100, 5);
  const model = confidentLinear(60);
  // eps 0.15 moves the half-means' difference by up to 0.3: about half of the examples can be flipped.
  const robust = async (backend: string) =>
    withBackend(backend, () =>
      tf.tidy(() => {
        const xAdv = pgd(model, x, y, { eps: 0.15, steps: 20, seed: 3 });
        const pred = model.apply(xAdv).logits.argMax(1);
        const moved = xAdv.sub(x).abs().greater(1e-3).mean().dataSync()[0];
        return { accuracy: pred.equal(y).mean().dataSync()[0], clean: model.apply(x).logits.argMax(1).equal(y).mean().dataSync()[0], moved };
      }),
    );
  try {
    const cpu = await robust('cpu');
    assert.ok(cpu.clean >= 0.95, `the fixture classifies: clean accuracy ${cpu.clean}`);
    assert.ok(cpu.accuracy <= cpu.clean - 0.2, `PGD finds adversarials on cpu: robust ${cpu.accuracy}, clean ${cpu.clean}`);
    for (const b of (await backends()).filter((n) => n !== 'cpu')) {
      const r = await robust(b);
      assert.ok(Math.abs(r.accuracy - cpu.accuracy) <= 0.01, `${b}: robust accuracy ${r.accuracy} vs cpu ${cpu.accuracy} (pixels moved ${r.moved} vs ${cpu.moved})`);
      assert.ok(Math.abs(r.moved - cpu.moved) <= 0.01, `${b}: fraction of pixels moved ${r.moved} vs cpu ${cpu.moved}`);
    }
  } finally {
    model.dispose();
    tf.dispose([x, y]);
  }
});

test.run();
