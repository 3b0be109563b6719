import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeCorruptedSet } from '../../lib/data/makeC';
import { corrupt } from '../../lib/data/corruptions/index';
import { cifar10c, CIFAR10_CLASSES } from '../../lib/data/loaders';
import { shapes10 } from '../../lib/data/shapes10';
import { readNpy } from '../../lib/data/npy';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'robustlab-makec-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('make-c on worker threads: the CIFAR-10-C layout, equal to corrupt() on this thread, read back by cifar10c(), skipped when done', async () => {
  const ds = { ...shapes10({ n: 6, seed: 2 }), classNames: [...CIFAR10_CLASSES] };
  const out = path.join(tmp, 'C');
  const lines: string[] = [];
  const r = await makeCorruptedSet(ds, out, { corruptions: ['gaussian_noise', 'jpeg_compression'], threads: 2, seed: 3, log: (l) => lines.push(l) });
  assert.ok(r.seconds.gaussian_noise > 0 && r.seconds.jpeg_compression > 0);
  const a = readNpy(path.join(out, 'gaussian_noise.npy'));
  assert.equal(a.shape, [30, 32, 32, 3]);
  assert.is(a.dtype, '|u1');
  for (let s = 1; s <= 5; s++) {
    const want = corrupt(ds, 'gaussian_noise', s, 3).x;
    assert.ok(want.every((v, i) => v === a.data[(s - 1) * 6 * 3072 + i]), `severity ${s} rows`);
  }
  assert.equal(Array.from(readNpy(path.join(out, 'labels.npy')).data), [...ds.y, ...ds.y, ...ds.y, ...ds.y, ...ds.y]);
  fs.writeFileSync(path.join(out, 'source.txt'), 'shapes10\n');
  const c4 = cifar10c({ corruption: 'jpeg_compression', severity: 4, dir: path.join(tmp, 'nothing-here'), generatedDir: out });
  assert.is(c4.source, 'generated from shapes10');
  assert.equal(Array.from(c4.x), Array.from(corrupt(ds, 'jpeg_compression', 4, 3).x));
  // a rerun skips both; a damaged file is made again
  lines.length = 0;
  const again = await makeCorruptedSet(ds, out, { corruptions: ['gaussian_noise', 'jpeg_compression'], threads: 2, seed: 3, log: (l) => lines.push(l) });
  assert.equal(again.seconds, { gaussian_noise: 0, jpeg_compression: 0 });
  assert.is(lines.filter((l) => /skipped/.test(l)).length, 2);
  const f = path.join(out, 'jpeg_compression.npy');
  const good = fs.readFileSync(f);
  const buf = Buffer.from(good);
  buf[buf.length - 1] ^= 0xff;
  fs.writeFileSync(f, buf);
  const third = await makeCorruptedSet(ds, out, { corruptions: ['gaussian_noise', 'jpeg_compression'], threads: 1, seed: 3 });
  assert.is(third.seconds.gaussian_noise, 0);
  assert.ok(third.seconds.jpeg_compression > 0);
  assert.ok(fs.readFileSync(f).equals(good), 'remade byte for byte');
  assert.ok(!fs.readdirSync(out).some((n) => n.includes('.tmp-')), 'no temporary files left');
  assert.throws(() => cifar10c({ corruption: 'fog', severity: 1, dir: path.join(tmp, 'nothing-here'), generatedDir: out }), /make-c --source cifar10/);
});

test.run();
