import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import * as jpeg from 'jpeg-js';
import * as tf from '@tensorflow/tfjs-core';
import { cifar10, findCifar10, readCifarPickle } from '../../lib/data/cifar10';
import { CIFAR10_CLASSES, imageFolder } from '../../lib/data/loaders';
import { encodePng } from '../../lib/data/image';
import { batches, toTensors, subset } from '../../lib/data/dataset';
import { parsePickle } from '../../lib/data/pickle';
import { decodeImages } from '../../lib/data/decodePool';
import { engine } from '../helpers/setup';

test.before(engine);
const fixtures = path.join(__dirname, 'fixtures');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'robustlab-cifar10-'));
// the synthetic trees cache their decoded sets here, not in the user's cache directory
const scratchCache = path.join(tmp, 'scratch-cache');

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
  const ds = cifar10({ cacheDir: scratchCache, dir: root, split: 'test' });
  assert.is(ds.source, 'jpeg-copy');
  assert.equal(ds.shape, [30, 32, 32, 3]);
  assert.equal(ds.classNames, CIFAR10_CLASSES);
  // index i = 10 j + k holds image j of class k: label k, red byte 20 k + j
  for (let i = 0; i < 30; i++) {
    const k = i % 10;
    const j = Math.floor(i / 10);
    assert.is(ds.y[i], k, `label of ${i}`);
    assert.is(ds.x[i * 3072], 20 * k + j, `red byte of ${i}`);
    assert.is(ds.x[i * 3072 + 1], 7, `green byte of ${i}`);
  }
  assert.throws(() => cifar10({ cacheDir: scratchCache, dir: root, split: 'train' }), /CIFAR-10 \(train\): not found/);
});

test('image tree: a missing class folder, an unknown folder, a non-image file, a wrong-size image and a truncated JPEG are errors naming the path', () => {
  const root = path.join(tmp, 'bad');
  const split = writeTree(root, 'test', 2);
  fs.renameSync(path.join(split, 'frog'), path.join(tmp, 'frog-aside'));
  assert.throws(() => cifar10({ cacheDir: scratchCache, dir: root }), /test\/frog: class folder missing/);
  fs.renameSync(path.join(tmp, 'frog-aside'), path.join(split, 'frog'));
  fs.mkdirSync(path.join(split, 'frogs'));
  assert.throws(() => cifar10({ cacheDir: scratchCache, dir: root }), /test\/frogs: is not a CIFAR-10 class folder/);
  fs.rmdirSync(path.join(split, 'frogs'));
  fs.writeFileSync(path.join(split, 'cat', 'notes.txt'), 'hello');
  assert.throws(() => cifar10({ cacheDir: scratchCache, dir: root }), /cat\/notes\.txt: is not a PNG or JPEG image file/);
  fs.rmSync(path.join(split, 'cat', 'notes.txt'));
  fs.writeFileSync(path.join(split, 'dog', '0001.png'), flatPng(1, 31));
  assert.throws(() => cifar10({ cacheDir: scratchCache, dir: root }), /dog\/0001\.png: is 31x31, expected 32x32/);
  const jpg = Buffer.from(jpeg.encode({ width: 32, height: 32, data: new Uint8Array(32 * 32 * 4).fill(128) }, 90).data);
  fs.writeFileSync(path.join(split, 'dog', '0001.png'), flatPng(1));
  fs.writeFileSync(path.join(split, 'dog', '0002.jpg'), jpg.subarray(0, 200));
  assert.throws(() => cifar10({ cacheDir: scratchCache, dir: root }), /dog\/0002\.jpg: could not decode the JPEG image/);
});

test('pickle form: protocols 2 and 4 written by Python (test/data/fixtures/make_cifar_pickles.py) read as NHWC bytes', () => {
  for (const proto of [2, 4]) {
    const file = path.join(fixtures, `pickle-p${proto}.bin`);
    const r = readCifarPickle(file);
    assert.equal(Array.from(r.y), [7, 0, 9]);
    // image i, channel ch, pixel p is CHW byte j = ch * 1024 + p: (17 i + 3 j) % 256
    for (const [i, p, ch] of [[0, 0, 0], [1, 5, 2], [2, 1023, 1], [2, 33, 0]]) assert.is(r.x[i * 3072 + p * 3 + ch], (17 * i + 3 * (ch * 1024 + p)) % 256, `p${proto} ${i} ${p} ${ch}`);
    const d = parsePickle(fs.readFileSync(file)) as Map<string, unknown>;
    assert.is(d.get('batch_label'), 'testing batch 1 of 1');
  }
  // the batch files of cifar-10-batches-py: the test split is found as the pickle form
  const dir = path.join(tmp, 'py', 'cifar-10-batches-py');
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(path.join(fixtures, 'pickle-p2.bin'), path.join(dir, 'test_batch'));
  const ds = cifar10({ dir: path.join(tmp, 'py') });
  assert.is(ds.source, 'pickle');
  assert.equal(ds.shape, [3, 32, 32, 3]);
  const full = fs.readFileSync(path.join(fixtures, 'pickle-p4.bin'));
  fs.writeFileSync(path.join(dir, 'test_batch'), full.subarray(0, 4000));
  assert.throws(() => cifar10({ dir: path.join(tmp, 'py') }), /test_batch: not a readable CIFAR-10 pickle: truncated/);
  fs.writeFileSync(path.join(dir, 'test_batch'), Buffer.from('\x80\x02cos\nsystem\n(U\x02lst\x85R.', 'latin1'));
  assert.throws(() => cifar10({ dir: path.join(tmp, 'py') }), /refuses to call os\.system/);
});

test('cache: a second load is served from the cache, a changed source is decoded again, a corrupt cache file is replaced', () => {
  const root = path.join(tmp, 'cached');
  const split = writeTree(root, 'test', 2);
  const cacheDir = path.join(tmp, 'cache');
  const warnings: string[] = [];
  const opts = { dir: root, cacheDir, warn: (l: string) => warnings.push(l) };
  const f = path.join(split, 'cat', '0000.png');
  fs.utimesSync(f, 1.7e9, 1.7e9); // whole seconds, so that the test can put the same mtime back
  const first = cifar10(opts);
  const files = fs.readdirSync(cacheDir);
  assert.equal(files.length, 1);
  // same size, same mtime, other pixels: the key cannot see it, so a hit returns the old pixels
  const st = fs.statSync(f);
  fs.writeFileSync(f, flatPng(99));
  assert.is(fs.statSync(f).size, st.size);
  fs.utimesSync(f, 1.7e9, 1.7e9);
  const hit = cifar10(opts);
  assert.equal(Array.from(hit.x), Array.from(first.x));
  assert.equal(warnings, []);
  // a new mtime: stale, decoded again (cat is class 3, image 0: index 3)
  fs.utimesSync(f, 1.7e9, 1.7e9 + 5);
  const fresh = cifar10(opts);
  assert.is(fresh.x[3 * 3072], 99);
  assert.match(warnings.join('\n'), /is not valid \(its sources changed\); decoding again/);
  // one flipped payload byte: CRC mismatch, decoded again and rewritten
  const cf = path.join(cacheDir, files[0]);
  const buf = fs.readFileSync(cf);
  buf[buf.length - 100] ^= 1;
  fs.writeFileSync(cf, buf);
  warnings.length = 0;
  assert.equal(Array.from(cifar10(opts).x), Array.from(fresh.x));
  assert.match(warnings.join('\n'), /CRC-32 mismatch/);
  warnings.length = 0;
  fs.writeFileSync(cf, buf.subarray(0, 1000));
  assert.equal(Array.from(cifar10(opts).x), Array.from(fresh.x));
  assert.match(warnings.join('\n'), /payload is \d+ bytes, expected/);
  warnings.length = 0;
  cifar10(opts);
  assert.equal(warnings, []);
  assert.equal(fs.readdirSync(cacheDir), files, 'no temporary file left');
});

test('uint8 dataset: 1 byte per pixel, batches convert to [0, 1] float32 per batch, no leaked tensors', () => {
  const root = path.join(tmp, 'mem');
  writeTree(root, 'test', 3);
  const ds = cifar10({ cacheDir: scratchCache, dir: root, cache: false });
  assert.instance(ds.x, Uint8Array);
  assert.is(ds.x.byteLength, 30 * 3072);
  const before = tf.memory().numTensors;
  let start = 0;
  for (const { x, y } of batches(ds, 8)) {
    assert.is(x.dtype, 'float32');
    assert.ok(x.dataSync().every((v, i) => v === Math.fround(ds.x[start * 3072 + i] / 255)));
    start += x.shape[0];
    tf.dispose([x, y]);
  }
  assert.is(start, 30);
  const t = toTensors(ds, [29]);
  assert.is(t.x.dataSync()[0], Math.fround((20 * 9 + 2) / 255));
  tf.dispose([t.x, t.y]);
  assert.is(tf.memory().numTensors, before);
  assert.instance(subset(ds, [1, 2]).x, Uint8Array);
  assert.throws(() => subset(ds, [30]), /idx\[0\]: must be an integer in \[0, 29\], got 30/);
});

test('imageFolder: an empty class folder is not a class', () => {
  const d = path.join(tmp, 'folder');
  for (const c of ['ant', 'bee', 'cow']) fs.mkdirSync(path.join(d, c), { recursive: true });
  fs.writeFileSync(path.join(d, 'ant', 'a.png'), flatPng(1, 4));
  fs.writeFileSync(path.join(d, 'cow', 'c.png'), flatPng(2, 4));
  fs.writeFileSync(path.join(d, 'bee', 'notes.txt'), 'no images here');
  const ds = imageFolder(d);
  assert.equal(ds.classNames, ['ant', 'cow']);
  assert.is(ds.numClasses, 2);
  assert.equal(Array.from(ds.y), [0, 1]);
});

test('worker-thread decoding: same bytes as one thread, and a bad file in the second thread is named', () => {
  const d = path.join(tmp, 'pool');
  fs.mkdirSync(d, { recursive: true });
  const files = Array.from({ length: 6 }, (_, k) => path.join(d, `${k}.png`));
  files.forEach((f, k) => fs.writeFileSync(f, flatPng(40 * k)));
  const list = Array.from({ length: 2400 }, (_, i) => files[(i * 7) % 6]);
  const two = decodeImages(list, 32, 32, 2);
  assert.equal(Array.from(two.subarray(0, 20 * 3072)), Array.from(decodeImages(list.slice(0, 20), 32, 32, 1)));
  for (const i of [0, 1234, 2399]) assert.is(two[i * 3072], 40 * ((i * 7) % 6));
  const bad = path.join(d, 'small.png');
  fs.writeFileSync(bad, flatPng(1, 16));
  list[2000] = bad;
  assert.throws(() => decodeImages(list, 32, 32, 2), /small\.png: is 16x16, expected 32x32/);
});

const hasRealCifar = (split: string) => !!process.env.ROBUSTLAB_DATA && fs.existsSync(path.join(process.env.ROBUSTLAB_DATA, 'cifar10', split));

test('real data: the JPEG copy under ROBUSTLAB_DATA has 50,000 / 10,000 images, 5,000 / 1,000 per class', () => {
  for (const [split, n] of [['train', 50000], ['test', 10000]] as const) {
    if (!hasRealCifar(split)) {
      console.log(`  (skipped: ROBUSTLAB_DATA/cifar10/${split} not present)`);
      continue;
    }
    const ds = cifar10({ split });
    assert.is(ds.source, 'jpeg-copy');
    assert.equal(ds.shape, [n, 32, 32, 3]);
    const counts = new Array(10).fill(0);
    for (const k of ds.y) counts[k]++;
    assert.equal(counts, new Array(10).fill(n / 10));
    // image k is the first file of class k (class-interleaved order); its pixels are PIL's
    // (test/data/fixtures/make_cifar10_checksums.py)
    const want = JSON.parse(fs.readFileSync(path.join(fixtures, 'cifar10-first-images.json'), 'utf8'))[split];
    CIFAR10_CLASSES.forEach((c, k) => {
      assert.is(ds.y[k], k);
      assert.is(createHash('sha256').update(ds.x.subarray(k * 3072, (k + 1) * 3072)).digest('hex'), want[c].sha256, `${split} ${c}/${want[c].file}`);
    });
  }
});

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
test.run();
