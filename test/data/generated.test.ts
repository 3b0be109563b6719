import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { pagToy, xorBlobs, pointsToTensors } from '../../lib/data/toys';
import { shapes10, SHAPES10_CLASSES } from '../../lib/data/shapes10';
import { batches, binaryPair, binaryPairs, subset } from '../../lib/data/dataset';
import { randomCropFlip } from '../../lib/data/augment';
import { engine } from '../helpers/setup';

test.before(engine);

test('PAG toy: 6 modes of 1000 on x2 = 2 x1, mode means near the centres, seeded', () => {
  const a = pagToy({ seed: 3 });
  assert.is(a.n, 6000);
  const centres = [-50, -10, 30, -30, 10, 50];
  for (let m = 0; m < 6; m++) {
    let s = 0;
    let ss = 0;
    for (let j = 0; j < 1000; j++) {
      const i = m * 1000 + j;
      assert.is(a.x[2 * i + 1], Math.fround(2 * a.x[2 * i]));
      assert.is(a.y[i], m < 3 ? 0 : 1);
      s += a.x[2 * i];
      ss += a.x[2 * i] ** 2;
    }
    const mean = s / 1000;
    // the mean of 1000 N(c, 1) draws is within 4 standard errors (4/sqrt(1000) = 0.13) of c
    assert.ok(Math.abs(mean - centres[m]) < 0.13, `mode ${m} mean ${mean}`);
    assert.ok(Math.abs(ss / 1000 - mean * mean - 1) < 0.2);
  }
  assert.ok(pagToy({ seed: 3 }).x.every((v, i) => v === a.x[i]));
  assert.not.ok(pagToy({ seed: 4 }).x.every((v, i) => v === a.x[i]));
  const t = pointsToTensors(a);
  assert.equal(t.x.shape, [6000, 2]);
  tf.dispose([t.x, t.y]);
});

test('1NN Figure-2 toy: 40 points, XOR labels with exactly 4 flipped', () => {
  const a = xorBlobs({ seed: 1 });
  assert.is(a.n, 40);
  let flipped = 0;
  for (let i = 0; i < 40; i++) {
    // the blob a point came from is fixed by its index: centre signs (i%2, i%4<2)
    const sx = i % 2 === 0 ? 1 : -1;
    const sy = i % 4 < 2 ? 1 : -1;
    if (a.y[i] !== (sx * sy < 0 ? 1 : 0)) flipped++;
  }
  assert.is(flipped, 4);
  assert.ok(xorBlobs({ seed: 1 }).x.every((v, i) => v === a.x[i]));
  assert.not.ok(xorBlobs({ seed: 2 }).x.every((v, i) => v === a.x[i]));
});

test('shapes10: fast; graded similarity: same-shape pairs are the closest classes, neighbouring hues next', () => {
  const t0 = Date.now();
  const ds = shapes10({ n: 2000, seed: 0 });
  const ms = Date.now() - t0;
  console.log(`  shapes10: 2,000 32x32x3 images in ${ms} ms`);
  assert.ok(ms < 4000);
  // class-mean images: textures and positions average out, shape and hue range remain
  const mean = Array.from({ length: 10 }, () => new Float64Array(3072));
  for (let i = 0; i < 2000; i++) for (let p = 0; p < 3072; p++) mean[ds.y[i]][p] += ds.x[i * 3072 + p] / 200;
  const dist = (a: number, b: number) => Math.sqrt(mean[a].reduce((s, v, p) => s + (v - mean[b][p]) ** 2, 0));
  for (let k = 0; k < 10; k++) {
    const pair = k ^ 1;
    const others = Array.from({ length: 10 }, (_, j) => j).filter((j) => j !== k && j !== pair);
    const nearestOther = Math.min(...others.map((j) => dist(k, j)));
    assert.ok(dist(k, pair) < nearestOther, `class ${k}: pair ${dist(k, pair)} vs others ${nearestOther}`);
  }
  // graded: shapes 0 and 1 (hues 0.2 apart) are nearer than shapes 0 and 2 (0.4 apart)
  assert.ok(dist(0, 2) < dist(0, 4));
  // the pair differs: texture separates them (class-mean of |horizontal gradient| differs)
  assert.not.equal(SHAPES10_CLASSES[0].split('-')[0], SHAPES10_CLASSES[2].split('-')[0]);
  assert.is(SHAPES10_CLASSES[0].split('-')[0], SHAPES10_CLASSES[1].split('-')[0]);
});

test('binary pairs: 45 pairs, labels 0/1, balanced subsampling', () => {
  const ds = shapes10({ n: 100, size: 4, seed: 0 });
  // make class 3 rarer: drop 6 of its 10 examples
  const keep = Array.from({ length: 100 }, (_, i) => i).filter((i) => !(i % 10 === 3 && i < 60));
  const uneven = subset(ds, keep);
  const p = binaryPair(uneven, 2, 3, { balance: true, seed: 1 });
  assert.equal(p.classNames, [ds.classNames[2], ds.classNames[3]]);
  assert.is(p.shape[0], 8);
  assert.is(Array.from(p.y).filter((v) => v === 0).length, 4);
  assert.is(binaryPair(uneven, 2, 3).shape[0], 14);
  assert.is([...binaryPairs(ds, { perClass: 5 })].length, 45);
  assert.throws(() => binaryPair(ds, 2, 10), /b: labels must be integers in \[0, 9\]/);
});

test('batches: covers every example once, shuffled by seed, no leaked tensors', () => {
  const ds = shapes10({ n: 25, size: 4, seed: 0 });
  const before = tf.memory().numTensors;
  const seen: number[] = [];
  const sizes: number[] = [];
  for (const { x, y } of batches(ds, 10, { shuffle: true, seed: 5 })) {
    sizes.push(x.shape[0]);
    // recover the example index from its bytes; bytes become v / 255
    assert.ok(x.dataSync().every((v) => v >= 0 && v <= 1 && Math.abs(v * 255 - Math.round(v * 255)) < 1e-4));
    const first = x.arraySync() as number[][][][];
    for (const img of first) {
      const bytes = img.flat(2).map((v) => Math.round(v * 255));
      seen.push(Array.from({ length: 25 }, (_, i) => i).find((i) => bytes.every((v, p) => v === ds.x[i * 48 + p]))!);
    }
    tf.dispose([x, y]);
  }
  assert.equal(sizes, [10, 10, 5]);
  assert.equal([...seen].sort((a, b) => a - b), Array.from({ length: 25 }, (_, i) => i));
  assert.not.equal(seen, Array.from({ length: 25 }, (_, i) => i));
  assert.is(tf.memory().numTensors, before);
});

test('random crop + flip: a shifted/flipped copy with zero padding, seeded', () => {
  // one 3x3 single-channel image with values 1..9
  const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const outs = new Set<string>();
  for (let s = 0; s < 200; s++) {
    const o = randomCropFlip(x, [1, 3, 3, 1], { pad: 1, seed: s });
    outs.add(Array.from(o).join(','));
    // every output value is 0 (padding) or one of the inputs, and no input repeats
    const nz = Array.from(o).filter((v) => v !== 0);
    assert.is(new Set(nz).size, nz.length);
  }
  // 3 x 3 shifts x 2 flips = 18 distinct outputs, all reached in 200 draws
  assert.is(outs.size, 18);
  assert.ok(outs.has('3,2,1,6,5,4,9,8,7')); // flip, no shift
  assert.ok(outs.has('0,0,0,0,1,2,0,4,5')); // shift down-right, no flip
  const a = randomCropFlip(x, [1, 3, 3, 1], { seed: 9 });
  assert.equal(Array.from(randomCropFlip(x, [1, 3, 3, 1], { seed: 9 })), Array.from(a));
});

test.run();
