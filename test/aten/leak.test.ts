// No leak across 1,000 small training steps on aten: TF.js tensor count, aten data ids, the addon's tensor
// store and the process RSS stay flat after a warm-up.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { atenBuilt, rand, randInt, restore, skipReason, useAten } from './common';
import { loadAddon } from '../../lib/engine/aten/addon';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

// RSS includes V8's heap, which grows with garbage until a major collection; collecting first leaves the
// native side (ATen storages) as what RSS tracks.
v8.setFlagsFromString('--expose_gc');
const gc = vm.runInNewContext('gc') as () => void;

const test = suite('aten leaks');

if (!atenBuilt) {
  console.log(skipReason);
} else {
  // One thread keeps 1,000 steps short on a shared two-core machine.
  test.before(() => useAten(1));
  test.after(restore);

  test('1,000 SGD-momentum steps of a small CNN: tensors, data ids, native store and RSS stable', () => {
    const addon = loadAddon();
    const w = tf.variable(rand([3, 3, 3, 8], 1, -0.3, 0.3));
    const v = tf.variable(rand([8 * 4 * 4, 10], 2, -0.1, 0.1));
    const x = rand([16, 8, 8, 3], 3, 0, 1);
    const y = tf.oneHot(randInt([16], 10, 4), 10);
    const opt = tf.train.momentum(0.01, 0.9);
    const step = () =>
      opt.minimize(() => {
        const h = tf.maxPool(tf.relu(tf.conv2d(x as tf.Tensor4D, w as tf.Variable<tf.Rank.R4>, 1, 'same')), 2, 2, 'valid');
        return tf.losses.softmaxCrossEntropy(y, tf.matMul(h.reshape([16, -1]), v)) as tf.Scalar;
      }, false);
    for (let i = 0; i < 200; i++) step();
    gc();
    const tensors = tf.memory().numTensors;
    const ids = tf.engine().backend.numDataIds();
    const store = addon.count();
    const rss = process.memoryUsage().rss;
    const loss0 = tf.tidy(() => opt.minimize(() => tf.losses.softmaxCrossEntropy(y, tf.matMul(tf.maxPool(tf.relu(tf.conv2d(x as tf.Tensor4D, w as tf.Variable<tf.Rank.R4>, 1, 'same')), 2, 2, 'valid').reshape([16, -1]), v)) as tf.Scalar, true)!.dataSync()[0]);
    for (let i = 0; i < 800; i++) step();
    gc();
    const grown = (process.memoryUsage().rss - rss) / 2 ** 20;
    assert.is(tf.memory().numTensors, tensors, 'numTensors');
    assert.is(tf.engine().backend.numDataIds(), ids, 'numDataIds');
    assert.is(addon.count(), store, 'native store size');
    // One leaked activation (16x8x8x8 floats, 32 KiB) per step would add 25 MiB over 800 steps.
    assert.ok(grown < 8, `RSS grew by ${grown.toFixed(1)} MiB over 800 steps`);
    const loss1 = tf.tidy(() => tf.losses.softmaxCrossEntropy(y, tf.matMul(tf.maxPool(tf.relu(tf.conv2d(x as tf.Tensor4D, w as tf.Variable<tf.Rank.R4>, 1, 'same')), 2, 2, 'valid').reshape([16, -1]), v)).dataSync()[0]);
    assert.ok(loss1 < loss0, `training lowers the loss: ${loss0} -> ${loss1}`);
    tf.dispose([w, v, x, y]);
    opt.dispose();
  });
}

test.run();
