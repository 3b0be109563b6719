// PAG training on the shared trainer: target draws, and that training on Eq. (1) aligns the model's input
// gradients with the source (the measured effect the paper's method is for), without leaking tensors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine } from '../helpers/setup';
import { Rng } from '../../lib/engine/seed';
import { pag, drawTargets } from '../../lib/training/pag';
import { oneImage } from '../../lib/training/pagSources';
import { train } from '../../lib/training/trainer';
import { standard } from '../../lib/training/standard';
import { mlp } from '../../lib/models/mlp';
import { gradientAlignment } from '../../lib/metrics/gradientAlignment';
import { accuracy } from '../../lib/metrics/accuracy';

test.before(engine);

/** Three Gaussian blobs in [0, 1]^6 (class c brighter in coordinates 2c and 2c + 1), sd 0.12. */
function blobs(n: number, seed: number): { x: tf.Tensor2D; y: tf.Tensor1D } {
  const r = new Rng(seed);
  const y = Array.from({ length: n }, (_, i) => i % 3);
  const x = y.map((c) => Array.from({ length: 6 }, (_, j) => Math.min(1, Math.max(0, (Math.floor(j / 2) === c ? 0.65 : 0.35) + 0.12 * r.normal()))));
  return { x: tf.tensor2d(x), y: tf.tensor1d(y, 'int32') };
}

test("drawTargets: 'all' lists every class; k < C draws k distinct classes per image, fixed by the seed", () => {
  assert.equal(Array.from(drawTargets(2, 3, 'all', 0)), [0, 1, 2, 0, 1, 2]);
  const a = drawTargets(50, 10, 3, 7);
  assert.equal(Array.from(a), Array.from(drawTargets(50, 10, 3, 7)));
  assert.not.equal(Array.from(a), Array.from(drawTargets(50, 10, 3, 8)));
  const seen = new Set<number>();
  for (let i = 0; i < 50; i++) {
    const row = Array.from(a.slice(3 * i, 3 * i + 3));
    assert.is(new Set(row).size, 3, `image ${i}: distinct targets`);
    row.forEach((t) => (assert.ok(t >= 0 && t < 10), seen.add(t)));
  }
  assert.is(seen.size, 10, 'every class is drawn somewhere (the code draws from all classes)');
  assert.throws(() => drawTargets(2, 3, 4, 0), /targetsPerImage: must be 'all' or an integer in \[1, 3\]/);
});

test('PAG training with One Image aligns input gradients with r_t - x more than standard training', async () => {
  const data = blobs(240, 1);
  const test_ = blobs(90, 2);
  const src = oneImage(data, { seed: 2 });
  const before = tf.memory().numTensors;
  const run = async (method: ReturnType<typeof standard>) => {
    const model = mlp({ inputShape: [6], hidden: [16], numClasses: 3, seed: 4 });
    const { history, optimizer } = await train(model, data, { method, epochs: 15, batchSize: 32, optimizer: { lr: 0.05, weightDecay: 1e-4 }, seed: 3 });
    optimizer.dispose();
    const al = gradientAlignment(model, test_.x, src);
    const acc = (await accuracy(model, test_.x, test_.y)).accuracy;
    model.dispose();
    return { al, acc, history };
  };
  const vanilla = await run(standard());
  const withPag = await run(pag(src, { lambda: 2, targetsPerImage: 2 }));
  assert.ok(withPag.history.every((h) => Number.isFinite(h.loss)), 'finite losses');
  assert.ok(withPag.history.at(-1)!.loss < withPag.history[0].loss, `the PAG loss falls: ${withPag.history.map((h) => h.loss.toFixed(3))}`);
  assert.ok(withPag.al.mean > vanilla.al.mean + 0.1, `alignment PAG ${withPag.al.mean} vs standard ${vanilla.al.mean}`);
  assert.ok(vanilla.acc > 0.8 && withPag.acc > 0.6, `both learn the task (accuracy standard ${vanilla.acc}, PAG ${withPag.acc})`);
  assert.is(tf.memory().numTensors, before, 'no tensors left behind by training');
  src.dispose();
  tf.dispose([data.x, data.y, test_.x, test_.y]);
});

test('the outer loss without its inner step says so', () => {
  const m = pag({ name: 'x', gradients: (x) => x, dispose: () => undefined });
  assert.throws(() => m.outer({} as never), /PAG: the outer loss ran without/);
});

test.run();
