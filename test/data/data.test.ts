import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { createHash } from 'node:crypto';
import { readIdx } from '../../lib/data/idx';
import { mnistTestSet, hasMnist } from '../../lib/data/mnist';
import { shapes10 } from '../../lib/data/shapes10';
import { stratifiedSplit, balancedSubset, toTensors } from '../../lib/data/dataset';
import { engine } from '../helpers/setup';

test.before(engine);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'robustlab-data-'));

function idxBytes(shape: number[], data: number[]): Buffer {
  const head = Buffer.alloc(4 + 4 * shape.length);
  head[2] = 0x08;
  head[3] = shape.length;
  shape.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(data)]);
}

test('IDX: round trip on written files, gzipped and raw', () => {
  const bytes = idxBytes([2, 2, 3], [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);
  fs.writeFileSync(path.join(tmp, 'a.idx'), bytes);
  fs.writeFileSync(path.join(tmp, 'a.idx.gz'), zlib.gzipSync(bytes));
  for (const f of ['a.idx', 'a.idx.gz']) {
    const r = readIdx(path.join(tmp, f));
    assert.equal(r.shape, [2, 2, 3]);
    assert.equal(Array.from(r.data), [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);
  }
});

test('IDX: truncated, bad magic and wrong MD5 fail naming the file', () => {
  const bytes = idxBytes([2, 3], [1, 2, 3, 4, 5, 6]);
  fs.writeFileSync(path.join(tmp, 't.idx'), bytes.subarray(0, bytes.length - 2));
  assert.throws(() => readIdx(path.join(tmp, 't.idx')), /t\.idx: expected 6 data bytes for shape \[2,3\], found 4/);
  fs.writeFileSync(path.join(tmp, 'm.idx'), Buffer.from([1, 2, 3, 4, 5]));
  assert.throws(() => readIdx(path.join(tmp, 'm.idx')), /m\.idx: not an IDX file/);
  fs.writeFileSync(path.join(tmp, 'ok.idx'), bytes);
  const md5 = createHash('md5').update(bytes).digest('hex');
  assert.is(readIdx(path.join(tmp, 'ok.idx'), md5).shape[1], 3);
  assert.throws(() => readIdx(path.join(tmp, 'ok.idx'), '0'.repeat(32)), /ok\.idx: MD5 .* does not match/);
});

test('MNIST: the test set at ROBUSTLAB_DATA loads with verified MD5s', () => {
  if (!hasMnist()) {
    console.log('  (skipped: ROBUSTLAB_DATA/mnist not present; CI sets ROBUSTLAB_DATA=../shared/data)');
    return;
  }
  const ds = mnistTestSet();
  assert.equal(ds.shape, [10000, 28, 28, 1]);
  const counts = new Array(10).fill(0);
  ds.y.forEach((k) => counts[k]++);
  // The official test set has 980 zeros and 1135 ones.
  assert.is(counts[0], 980);
  assert.is(counts[1], 1135);
  assert.ok(Math.max(...ds.x.subarray(0, 784)) === 255);
});

test('MNIST: a missing directory says where to put the files', () => {
  assert.throws(() => mnistTestSet(tmp), /MNIST: files not found in .*mnist; put t10k-images-idx3-ubyte\.gz/);
});

test('shapes10: same seed same images, another seed differs; range and balance', () => {
  const a = shapes10({ n: 40, seed: 1 });
  const b = shapes10({ n: 40, seed: 1 });
  const c = shapes10({ n: 40, seed: 2 });
  assert.equal(a.shape, [40, 32, 32, 3]);
  assert.ok(a.x.every((v, i) => v === b.x[i]));
  assert.not.ok(a.x.every((v, i) => v === c.x[i]));
  assert.instance(a.x, Uint8Array);
  assert.ok(new Set(a.x).size > 50, 'many grey levels');
  assert.equal(Array.from(a.y.slice(0, 10)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('stratified split is deterministic and keeps class proportions', () => {
  const ds = shapes10({ n: 200, seed: 4, size: 8 });
  const a = stratifiedSplit(ds, 0.75, 9);
  const b = stratifiedSplit(ds, 0.75, 9);
  assert.equal(Array.from(a.train.y), Array.from(b.train.y));
  assert.is(a.train.shape[0], 150);
  assert.is(a.test.shape[0], 50);
  for (let k = 0; k < 10; k++) assert.is(Array.from(a.test.y).filter((v) => v === k).length, 5);
  assert.throws(() => stratifiedSplit(ds, 1.5), /trainFraction: must be in \(0, 1\), got 1.5/);
  const s = balancedSubset(ds, 3, 1);
  assert.is(s.shape[0], 30);
  const t = toTensors(s);
  assert.equal(t.x.shape, [30, 8, 8, 3]);
  t.x.dispose();
  t.y.dispose();
});

test.run();
