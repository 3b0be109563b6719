import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as http from 'node:http';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { downloadCifar10, readTar, progressBar } from '../../lib/data/download';
import { cifar10 } from '../../lib/data/cifar10';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'robustlab-download-'));

/** A ustar archive of the given files (the layout of `tar cf`), built by hand so the test needs no tar. */
function tar(files: { name: string; data: Buffer }[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    const h = Buffer.alloc(512);
    h.write(f.name, 0, 'latin1');
    h.write('0000644\0', 100, 'latin1');
    h.write('0000000\0', 108, 'latin1');
    h.write('0000000\0', 116, 'latin1');
    h.write(`${f.data.length.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
    h.write('00000000000\0', 136, 'latin1');
    h.write('        ', 148, 'latin1');
    h[156] = 48; // '0': a regular file
    h.write('ustar\0', 257, 'latin1');
    h.write('00', 263, 'latin1');
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    parts.push(h, f.data, Buffer.alloc((512 - (f.data.length % 512)) % 512));
  }
  return Buffer.concat([...parts, Buffer.alloc(1024)]);
}

// a CIFAR-10 binary archive of 2 records per batch: label i % 10, pixel bytes (i + j) % 256
const rec = (i: number) => Buffer.from([i % 10, ...Array.from({ length: 3072 }, (_, j) => (i + j) % 256)]);
const batch = (first: number) => Buffer.concat([rec(first), rec(first + 1)]);
const archive = gzipSync(
  tar([
    ...[1, 2, 3, 4, 5].map((k) => ({ name: `cifar-10-batches-bin/data_batch_${k}.bin`, data: batch(2 * k) })),
    { name: 'cifar-10-batches-bin/test_batch.bin', data: batch(0) },
    { name: 'cifar-10-batches-bin/batches.meta.txt', data: Buffer.from('airplane\nautomobile\n') },
  ]),
);
const md5 = createHash('md5').update(archive).digest('hex');

type Mode = 'good' | 'truncate' | 'error' | 'wrong';
let mode: Mode = 'good';
const ranges: string[] = [];
const server = http.createServer((req, res) => {
  if (mode === 'error') {
    res.writeHead(500, 'Internal Server Error');
    res.end('boom');
    return;
  }
  const body = mode === 'wrong' ? Buffer.from(archive).fill(7, 100, 200) : archive;
  const m = /bytes=(\d+)-/.exec(req.headers.range ?? '');
  ranges.push(req.headers.range ?? '');
  const start = m ? Number(m[1]) : 0;
  if (start >= body.length) {
    res.writeHead(416);
    res.end();
    return;
  }
  res.writeHead(m ? 206 : 200, { 'content-length': body.length - start, ...(m ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}) });
  if (mode === 'truncate') {
    // promise the whole body, send half, then drop the connection
    res.write(body.subarray(start, start + Math.floor((body.length - start) / 2)));
    setTimeout(() => res.destroy(), 20);
    return;
  }
  res.end(body.subarray(start));
});
let url = '';

test.before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cifar-10-binary.tar.gz`;
});
test.after(() => {
  server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const finalName = (dir: string) => path.join(dir, 'cifar-10-binary.tar.gz');

test('good file: downloaded with progress, MD5 checked, unpacked to cifar-10-batches-bin, read by cifar10()', async () => {
  const dir = path.join(tmp, 'good');
  mode = 'good';
  const lines: string[] = [];
  const out = await downloadCifar10(dir, { url, md5, progress: (l) => lines.push(l) });
  assert.is(out, path.join(dir, 'cifar-10-batches-bin'));
  assert.match(lines[lines.length - 1], /\[#+\] 100%/);
  const ds = cifar10({ dir, split: 'train' });
  assert.is(ds.source, 'binary');
  assert.equal(Array.from(ds.y), [2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
  assert.is(ds.x[3 * 3072 + 1 * 3 + 2], (5 + 2 * 1024 + 1) % 256); // train image 3 is record i = 5, pixel 1, channel 2
  assert.equal(fs.readdirSync(dir).sort(), ['cifar-10-batches-bin', 'cifar-10-binary.tar.gz']);
  // a second run finds the archive whole and does not fetch it again
  const before = ranges.length;
  await downloadCifar10(dir, { url, md5 });
  assert.is(ranges.length, before);
});

test('wrong MD5: an error naming both digests, and neither the archive nor its part file is left', async () => {
  const dir = path.join(tmp, 'wrong');
  mode = 'wrong';
  try {
    await downloadCifar10(dir, { url, md5 });
    assert.unreachable('should throw');
  } catch (e) {
    assert.match((e as Error).message, new RegExp(`MD5 [0-9a-f]{32}, expected ${md5}`));
  }
  assert.equal(fs.readdirSync(dir), []);
});

test('truncated transfer: an error, only the .part file is left, and the next run resumes with a Range request', async () => {
  const dir = path.join(tmp, 'trunc');
  mode = 'truncate';
  try {
    await downloadCifar10(dir, { url, md5 });
    assert.unreachable('should throw');
  } catch (e) {
    assert.match((e as Error).message, /transfer interrupted after \d+ bytes|got \d+ of \d+ bytes/);
  }
  assert.equal(fs.readdirSync(dir), ['cifar-10-binary.tar.gz.part']);
  assert.ok(!fs.existsSync(finalName(dir)));
  const have = fs.statSync(path.join(dir, 'cifar-10-binary.tar.gz.part')).size;
  assert.ok(have > 0 && have < archive.length);
  mode = 'good';
  ranges.length = 0;
  await downloadCifar10(dir, { url, md5 });
  assert.equal(ranges, [`bytes=${have}-`]);
  assert.equal(fs.readFileSync(finalName(dir)), archive);
  assert.is(cifar10({ dir }).shape[0], 2);
});

test('server error: the status in the message, nothing written', async () => {
  const dir = path.join(tmp, 'err');
  mode = 'error';
  try {
    await downloadCifar10(dir, { url, md5 });
    assert.unreachable('should throw');
  } catch (e) {
    assert.match((e as Error).message, /download of http:\/\/127\.0\.0\.1:\d+\/cifar-10-binary\.tar\.gz failed: HTTP 500/);
  }
  assert.equal(fs.readdirSync(dir), []);
});

test('tar reader: names and contents; a corrupted header or a truncated archive is an error naming the file', () => {
  const t = tar([{ name: 'a/b.txt', data: Buffer.from('hello') }]);
  assert.equal(readTar(t).map((e) => [e.name, e.data.toString()]), [['a/b.txt', 'hello']]);
  const bad = Buffer.from(t);
  bad[10] ^= 1;
  assert.throws(() => readTar(bad, 'x.tar'), /x\.tar: not a tar archive or corrupt/);
  assert.throws(() => readTar(t.subarray(0, 514), 'y.tar'), /y\.tar: truncated tar archive/);
  assert.is(progressBar(50, 100, 10), '[#####.....]  50%  0.0 / 0.0 MB');
});

test.run();
