import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as jpeg from 'jpeg-js';
import { cifar10, findCifar10 } from '../../lib/data/cifar10';
import { CIFAR10_CLASSES } from '../../lib/data/loaders';
import { encodePng } from '../../lib/data/image';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'robustlab-cifar10-'));

/** A flat 32x32 image whose red byte is `v`, as PNG (lossless, so the pixels can be checked exactly). */
const flatPng = (v: number, size = 32) => encodePng({ width: size, height: size, data: Uint8Array.from({ length: size * size * 3 }, (_, i) => (i % 3 === 0 ? v : 7)) });

/** Writes a tree `<root>/cifar10/<split>/<class>/NNNN.png`, `perClass` images per class, red byte 20k + j. */
function writeTree(root: string, split: string, perClass: number): string {
  // created in reverse class order, so a reader that trusts the directory listing would see them reversed
  for (const c of [...CIFAR10_CLASSES].reverse()) {
    const d = path.join(root, 'cifar10', split, c);
    fs.mkdirSync(d, { recursive: true });
    const k = CIFAR10_CLASSES.indexOf(c);
    for (let j = perClass - 1; j >= 0; j--) fs.writeFileSync(path.join(d, `${String(j).padStart(4, '0')}.png`), flatPng(20 * k + j));
  }
  return path.join(root, 'cifar10', split);
}

test('image tree: labels follow CIFAR-10 class order, files interleaved by class in name order, source jpeg-copy', () => {
  const root = path.join(tmp, 'ok');
  writeTree(root, 'test', 3);
  assert.equal(findCifar10('test', root)?.source, 'jpeg-copy');
  const ds = cifar10({ dir: root, split: 'test' });
  assert.is(ds.source, 'jpeg-copy');
  assert.equal(ds.shape, [30, 32, 32, 3]);
  assert.equal(ds.classNames, CIFAR10_CLASSES);
  // index i = 10 j + k holds image j of class k: label k, red byte 20 k + j
  for (let i = 0; i < 30; i++) {
    const k = i % 10;
    const j = Math.floor(i / 10);
    assert.is(ds.y[i], k, `label of ${i}`);
    assert.is(Math.round(ds.x[i * 3072] * 255), 20 * k + j, `red byte of ${i}`);
    assert.is(Math.round(ds.x[i * 3072 + 1] * 255), 7, `green byte of ${i}`);
  }
  assert.throws(() => cifar10({ dir: root, split: 'train' }), /CIFAR-10 \(train\): not found/);
});

test('image tree: a missing class folder, an unknown folder, a non-image file, a wrong-size image and a truncated JPEG are errors naming the path', () => {
  const root = path.join(tmp, 'bad');
  const split = writeTree(root, 'test', 2);
  fs.renameSync(path.join(split, 'frog'), path.join(tmp, 'frog-aside'));
  assert.throws(() => cifar10({ dir: root }), /test\/frog: class folder missing/);
  fs.renameSync(path.join(tmp, 'frog-aside'), path.join(split, 'frog'));
  fs.mkdirSync(path.join(split, 'frogs'));
  assert.throws(() => cifar10({ dir: root }), /test\/frogs: is not a CIFAR-10 class folder/);
  fs.rmdirSync(path.join(split, 'frogs'));
  fs.writeFileSync(path.join(split, 'cat', 'notes.txt'), 'hello');
  assert.throws(() => cifar10({ dir: root }), /cat\/notes\.txt: is not a PNG or JPEG image file/);
  fs.rmSync(path.join(split, 'cat', 'notes.txt'));
  fs.writeFileSync(path.join(split, 'dog', '0001.png'), flatPng(1, 31));
  assert.throws(() => cifar10({ dir: root }), /dog\/0001\.png: is 31x31, expected 32x32/);
  const jpg = Buffer.from(jpeg.encode({ width: 32, height: 32, data: new Uint8Array(32 * 32 * 4).fill(128) }, 90).data);
  fs.writeFileSync(path.join(split, 'dog', '0001.png'), flatPng(1));
  fs.writeFileSync(path.join(split, 'dog', '0002.jpg'), jpg.subarray(0, 200));
  assert.throws(() => cifar10({ dir: root }), /dog\/0002\.jpg: could not decode the JPEG image/);
});

test('real data: the JPEG copy under ROBUSTLAB_DATA has 10,000 test images, 1,000 per class', () => {
  const base = process.env.ROBUSTLAB_DATA;
  if (!base || !fs.existsSync(path.join(base, 'cifar10', 'test'))) return;
  const ds = cifar10({ split: 'test' });
  assert.is(ds.source, 'jpeg-copy');
  assert.equal(ds.shape, [10000, 32, 32, 3]);
  const counts = new Array(10).fill(0);
  for (const k of ds.y) counts[k]++;
  assert.equal(counts, new Array(10).fill(1000));
});

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
test.run();
