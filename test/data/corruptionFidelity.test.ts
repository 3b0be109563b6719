import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { corrupt } from '../../lib/data/corruptions/index';
import { gaussianFilter } from '../../lib/data/corruptions/image';

// The inputs of test/data/fixtures/make_corruption_fixtures.py (see its docstring), and its outputs:
// the original make_cifar_c.py formulas run with PIL, OpenCV and SciPy.
function images(): Uint8Array[] {
  const a = new Uint8Array(3072);
  for (let r = 0; r < 32; r++)
    for (let c = 0; c < 32; c++)
      for (let ch = 0; ch < 3; ch++) {
        const flat = r >= 8 && r < 20 && c >= 10 && c < 22;
        const white = r >= 24 && c < 8;
        a[(r * 32 + c) * 3 + ch] = white ? 255 : flat ? [200, 60, 120][ch] : (8 * r + 3 * c + 40 * ch) % 256;
      }
  const b = new Uint8Array(3072);
  let s = 1;
  for (let i = 0; i < b.length; i++) {
    s = (Math.imul(1103515245, s) + 12345) & 0x7fffffff;
    b[i] = (s >> 16) & 255;
  }
  return [a, b];
}
const fixtures = path.join(__dirname, 'fixtures');
const reference = fs.readFileSync(path.join(fixtures, 'corruption-fixtures.u8'));
const NAMES = ['jpeg_compression', 'defocus_blur', 'gaussian_blur'] as const;
const expected = (img: number, name: (typeof NAMES)[number], s: number) => reference.subarray(((img * 3 + NAMES.indexOf(name)) * 5 + s - 1) * 3072).subarray(0, 3072);

/** Max |ours - reference| in levels, and how many bytes differ, over both images and all severities. */
function diff(name: (typeof NAMES)[number]): { max: number; count: number } {
  let max = 0;
  let count = 0;
  images().forEach((x, i) => {
    for (let s = 1; s <= 5; s++) {
      const ours = corrupt({ x, shape: [1, 32, 32, 3] }, name, s).x;
      const want = expected(i, name, s);
      for (let p = 0; p < 3072; p++) {
        const d = Math.abs(ours[p] - want[p]);
        if (d > 0) count++;
        max = Math.max(max, d);
      }
    }
  });
  return { max, count };
}

for (const name of NAMES)
  test(`${name} reproduces the original (PIL / OpenCV / SciPy) byte for byte on both fixture images, severities 1..5`, () => {
    const d = diff(name);
    console.log(`  ${name}: max difference ${d.max} levels, ${d.count} of ${2 * 5 * 3072} bytes differ`);
    assert.equal(d, { max: 0, count: 0 });
  });

test("gaussianFilter equals SciPy's gaussian_filter bit for bit (symmetric-pair sums, NumPy's weight normalisation)", () => {
  const ref = fs.readFileSync(path.join(fixtures, 'gaussian-filter-fixtures.f64'));
  const x = images()[1];
  [0.6, 1.0].forEach((sigma, k) => {
    const want = new Float64Array(ref.buffer.slice(ref.byteOffset + k * 3072 * 8, ref.byteOffset + (k + 1) * 3072 * 8));
    const got = gaussianFilter({ h: 32, w: 32, c: 3, d: Float64Array.from(x, (v) => v / 255) }, sigma).d;
    let bad = 0;
    for (let i = 0; i < 3072; i++) if (got[i] !== want[i]) bad++;
    assert.is(bad, 0, `sigma ${sigma}: ${bad} values differ`);
  });
});

test.run();
