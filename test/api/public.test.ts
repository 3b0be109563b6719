// Compile-time check of the public API's shapes (the typecheck step fails if they drift), plus a run-time
// check that the index exports what the README's examples use.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as rl from '../../lib/index';
import * as nb from '../../lib/notebook/index';
import type { Attack, Loss, ExampleLoss, TrainingMethod, Metric, AccuracyRecord, Classifier } from '../../lib/index';
import { engine, assertClose } from '../helpers/setup';
import { halves } from '../helpers/fixtures';

// A user-written loss, method, attack and metric must type-check against the public types.
const logitSqueeze: Loss = (ctx) => rl.tf.tidy(() => rl.crossEntropy(ctx.logits, ctx.y).mean().add(ctx.logits.square().mean().mul(0.05)) as rl.tf.Scalar);
const margin: ExampleLoss = (ctx) => rl.crossEntropy(ctx.logits, ctx.y);
const myMethod: TrainingMethod = { name: 'mine', outer: (ctx) => logitSqueeze({ ...ctx.clean(), model: ctx.model, x: ctx.x, y: ctx.y }) };
const myAttack: Attack = (m, x, y, o) => rl.pgd(m, x, y, { ...o, loss: margin });
const myMetric: Metric<AccuracyRecord> = (m, x, y) => rl.accuracy(m, x, y);

test.before(engine);

test('public API: the README example runs end to end and a seed repeats a run exactly', async () => {
  const run = async () => {
    const d = halves(64, 3);
    const model: Classifier = rl.smallCnn({ inputShape: [8, 8, 1], channels: [4, 8], numClasses: 2, seed: 0 });
    await rl.train(model, d, { method: rl.pgdAT({ eps: 0.1, steps: 2 }), epochs: 1, batchSize: 16, seed: 5 });
    const w = Array.from(model.trainableVariables()[0].dataSync());
    const r = await rl.robustAccuracy(model, d.x, d.y, (m, x, y) => myAttack(m, x, y, { eps: 0.1, steps: 3 }));
    model.dispose();
    return { w, r };
  };
  const a = await run();
  const b = await run();
  assertClose(a.w, b.w, 0);
  assert.equal(a.r, b.r);
  assert.ok(a.r.robust.accuracy <= a.r.clean.accuracy);
  assert.type(myMethod.outer, 'function');
  assert.type(myMetric, 'function');
});

test('public API: the index re-exports every notebook helper (a notebook needs one import)', () => {
  const missing = Object.keys(nb).filter((k) => !(k in rl));
  assert.equal(missing, [], `lib/index.ts lacks: ${missing.join(', ')}`);
});

test.run();
