import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as jpeg from 'jpeg-js';
import { stl10, cifar10c, imageFolder, readCifarBatch } from '../../lib/data/loaders';
import { cifar10 } from '../../lib/data/cifar10';
import { parseNpy, readNpy, encodeNpy } from '../../lib/data/npy';
import { encodePng } from '../../lib/data/image';
import { mnist, hasMnist, downloadMnist, MNIST_FILES } from '../../lib/data/mnist';
import { engine } from '../helpers/setup';

test.before(engine);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'robustlab-loaders-'));
const mk = (...p: string[]) => {
  const d = path.join(tmp, ...p);
  fs.mkdirSync(d, { recursive: true });
  return d;
};

test('CIFAR-10 binary: CHW records become NHWC, labels kept; truncated batch is rejected by name', () => {
  const d = mk('c', 'cifar-10-batches-bin');
  // two records: label 3 then 7; pixel byte = (ch*1024 + p) % 251 for record 0, +1 for record 1
  const rec = (label: number, add: number) => Buffer.from([label, ...Array.from({ length: 3072 }, (_, j) => (j + add) % 251)]);
  fs.writeFileSync(path.join(d, 'test_batch.bin'), Buffer.concat([rec(3, 0), rec(7, 1)]));
  const ds = cifar10({ dir: path.join(tmp, 'c'), split: 'test' });
  assert.equal(ds.shape, [2, 32, 32, 3]);
  assert.equal(Array.from(ds.y), [3, 7]);
  // pixel p=5 (row 0, col 5), channel 2 of record 1: file byte 2*1024+5 (+1) -> (2053+1) % 251 = 46
  assert.is(ds.x[3072 + 5 * 3 + 2], Math.fround(46 / 255));
  // pixel p=33 (row 1, col 1), channel 0 of record 0: byte 33
  assert.is(ds.x[33 * 3], Math.fround(33 / 255));
  const full = fs.readFileSync(path.join(d, 'test_batch.bin'));
  fs.writeFileSync(path.join(d, 'bad.bin'), full.subarray(0, full.length - 10));
  assert.throws(() => readCifarBatch(path.join(d, 'bad.bin')), /bad\.bin: size 6136 bytes is not a positive multiple of 3073/);
  assert.throws(() => cifar10({ dir: path.join(tmp, 'c'), split: 'train' }), /CIFAR-10 \(train\): not found in .*cifar-10-batches-bin; put data_batch_1\.bin.*cs\.toronto\.edu/);
});

test('STL-10 binary: column-major 96x96x3 images and labels 1..10', () => {
  const d = mk('s', 'stl10_binary');
  const xb = Buffer.alloc(2 * 27648);
  // image 1, channel 1, column 2, row 5 -> byte 27648 + 9216 + 2*96 + 5; set it to 200
  xb[27648 + 9216 + 2 * 96 + 5] = 200;
  fs.writeFileSync(path.join(d, 'test_X.bin'), xb);
  fs.writeFileSync(path.join(d, 'test_y.bin'), Buffer.from([1, 10]));
  const ds = stl10({ dir: path.join(tmp, 's') });
  assert.equal(ds.shape, [2, 96, 96, 3]);
  assert.equal(Array.from(ds.y), [0, 9]);
  assert.is(ds.x[27648 + (5 * 96 + 2) * 3 + 1], Math.fround(200 / 255));
  assert.is(ds.x.reduce((a, v) => a + v, 0), Math.fround(200 / 255));
  fs.writeFileSync(path.join(d, 'test_y.bin'), Buffer.from([1]));
  assert.throws(() => stl10({ dir: path.join(tmp, 's') }), /test_y\.bin: has 1 labels, but test_X\.bin has 2 images/);
  fs.writeFileSync(path.join(d, 'test_X.bin'), xb.subarray(0, 1000));
  assert.throws(() => stl10({ dir: path.join(tmp, 's') }), /test_X\.bin: size 1000 bytes/);
});

test('npy: v1 and v2 headers, uint8 and float32 round trip; truncated and bad magic rejected', () => {
  const u = Uint8Array.from([1, 2, 3, 250, 251, 252]);
  const a = parseNpy(encodeNpy(u, [2, 3]));
  assert.equal(a.shape, [2, 3]);
  assert.is(a.dtype, '|u1');
  assert.equal(Array.from(a.data), [1, 2, 3, 250, 251, 252]);
  const f = Float32Array.from([0.5, -1.25, 3]);
  const b = encodeNpy(f, [3]);
  assert.equal(Array.from(parseNpy(b).data), [0.5, -1.25, 3]);
  assert.equal(parseNpy(b).shape, [3]);
  // v2: same header text, 4-byte length
  const hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }".padEnd(115) + '\n';
  const pre = Buffer.alloc(12);
  pre[0] = 0x93;
  pre.write('NUMPY', 1, 'latin1');
  pre[6] = 2;
  pre.writeUInt32LE(hdr.length, 8);
  const v2 = Buffer.concat([pre, Buffer.from(hdr, 'latin1'), Buffer.from(f.buffer)]);
  assert.equal(Array.from(parseNpy(v2).data), [0.5, -1.25, 3]);
  assert.throws(() => parseNpy(b.subarray(0, b.length - 1), 'x.npy'), /x\.npy: expected 12 data bytes for shape \[3\] of <f4, found 11 \(truncated\)/);
  assert.throws(() => parseNpy(Buffer.from('hello world!'), 'y.npy'), /y\.npy: not a \.npy file/);
  const fo = Buffer.from(encodeNpy(u, [2, 3]).toString('latin1').replace("'fortran_order': False", "'fortran_order': True "), 'latin1');
  assert.throws(() => parseNpy(fo, 'z.npy'), /z\.npy: Fortran-order/);
});

test('CIFAR-10-C layout: severity s is rows (s-1)m..sm; a wrong layout is rejected', () => {
  const d = mk('cc', 'CIFAR-10-C');
  const m = 2;
  const x = new Uint8Array(5 * m * 4 * 4 * 3);
  for (let i = 0; i < 5 * m; i++) x.fill(10 * i, i * 48, (i + 1) * 48);
  fs.writeFileSync(path.join(d, 'fog.npy'), encodeNpy(x, [5 * m, 4, 4, 3]));
  fs.writeFileSync(path.join(d, 'labels.npy'), encodeNpy(Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), [10]));
  const s3 = cifar10c({ corruption: 'fog', severity: 3, dir: path.join(tmp, 'cc') });
  assert.equal(s3.shape, [2, 4, 4, 3]);
  assert.equal(Array.from(s3.y), [4, 5]);
  assert.is(s3.x[0], Math.fround(40 / 255));
  assert.is(s3.x[48], Math.fround(50 / 255));
  fs.writeFileSync(path.join(d, 'snow.npy'), encodeNpy(x.subarray(0, 9 * 48), [9, 4, 4, 3]));
  assert.throws(() => cifar10c({ corruption: 'snow', severity: 1, dir: path.join(tmp, 'cc') }), /snow\.npy: expected uint8 images of shape \[5\*m, h, w, 3\]/);
  assert.throws(() => cifar10c({ corruption: 'frost', severity: 1, dir: path.join(tmp, 'cc') }), /CIFAR-10-C frost: not found .*zenodo/);
  assert.throws(() => cifar10c({ corruption: 'fog', severity: 6, dir: path.join(tmp, 'cc') }), /severity: must be one of 1, 2, 3, 4, 5, got 6/);
});

test('image folder: PNG and JPEG per class; a truncated file is named', () => {
  const d = mk('img');
  mk('img', 'cat');
  mk('img', 'dog');
  const px = Uint8Array.from({ length: 4 * 3 * 3 }, (_, i) => (i * 7) % 256);
  fs.writeFileSync(path.join(d, 'cat', 'a.png'), encodePng({ width: 4, height: 3, data: px }));
  const rgba = Buffer.alloc(4 * 3 * 4, 128);
  fs.writeFileSync(path.join(d, 'dog', 'b.jpg'), jpeg.encode({ data: rgba, width: 4, height: 3 }, 95).data);
  const ds = imageFolder(d);
  assert.equal(ds.classNames, ['cat', 'dog']);
  assert.equal(ds.shape, [2, 3, 4, 3]);
  assert.equal(Array.from(ds.y), [0, 1]);
  assert.equal(Array.from(ds.x.subarray(0, 36), (v) => Math.round(v * 255)), Array.from(px)); // PNG is lossless
  assert.ok(Math.abs(ds.x[40] * 255 - 128) <= 2); // flat grey JPEG decodes to about 128
  const png = fs.readFileSync(path.join(d, 'cat', 'a.png'));
  fs.writeFileSync(path.join(d, 'cat', 'c.png'), png.subarray(0, png.length - 20));
  assert.throws(() => imageFolder(d), /c\.png: could not decode the PNG image/);
});

test('MNIST experiment split: stratified 80/20 of the 10,000 test images, deterministic', () => {
  if (!hasMnist()) {
    console.log('  (skipped: ROBUSTLAB_DATA/mnist not present; set ROBUSTLAB_DATA=../shared/data)');
    return;
  }
  const tr = mnist({ split: 'train' });
  const te = mnist({ split: 'test' });
  assert.is(tr.shape[0] + te.shape[0], 10000);
  // 980 zeros -> round(0.8 * 980) = 784 in train
  assert.is(Array.from(tr.y).filter((k) => k === 0).length, 784);
  const te2 = mnist({ split: 'test', seed: 0 });
  assert.ok(te.x.every((v, i) => v === te2.x[i]));
  const te3 = mnist({ split: 'test', seed: 1 });
  assert.not.ok(te.x.every((v, i) => v === te3.x[i]));
});

test('MNIST download: unreachable mirrors give a clear message and leave no file; present files are verified', async () => {
  const d = mk('dl');
  let err = '';
  try {
    await downloadMnist(d, { urls: ['http://127.0.0.1:9/'] });
  } catch (e) {
    err = (e as Error).message;
  }
  assert.match(err, /download of t10k-images-idx3-ubyte\.gz failed: http:\/\/127\.0\.0\.1:9\/t10k-images-idx3-ubyte\.gz: .*are you offline\? put the file in/);
  assert.equal(fs.readdirSync(path.join(d, 'mnist')), []);
  if (!hasMnist()) {
    console.log('  (skipped the present-file check: ROBUSTLAB_DATA/mnist not present)');
    return;
  }
  for (const { file } of Object.values(MNIST_FILES)) fs.copyFileSync(path.join(process.env.ROBUSTLAB_DATA!, 'mnist', file), path.join(d, 'mnist', file));
  const lines: string[] = [];
  await downloadMnist(d, { urls: ['http://127.0.0.1:9/'], log: (l) => lines.push(l) });
  assert.is(lines.filter((l) => /present, MD5 ok/.test(l)).length, 2);
});

test.run();
