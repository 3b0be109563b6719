import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as os from 'node:os';
import { corrupt, CORRUPTIONS, corruptedSets, corruptionArrays, clearFrostCache, diskKernel, type ImageBatch } from '../../lib/data/corruptions/index';
import { corruptionGrid, intensityHistogram, cleanVsCorruptedHistogram } from '../../lib/data/figures';
import { shapes10 } from '../../lib/data/shapes10';
import { cvResizeLinear, poisson, type Img } from '../../lib/data/corruptions/image';
import { Rng } from '../../lib/engine/seed';
import { engine, assertClose } from '../helpers/setup';

test.before(engine);

const names = CORRUPTIONS.map((c) => c.name);
const byte = (v: number) => Math.round(v * 255);
/** A 32x32 RGB image, black, with a few pixels set (bytes). */
function image(h: number, w: number, c: number, set: [number, number, number[]][] = [], fill = 0): ImageBatch {
  const x = new Float32Array(h * w * c).fill(fill / 255);
  for (const [r, col, v] of set) for (let ch = 0; ch < c; ch++) x[(r * w + col) * c + ch] = v[ch] / 255;
  return { x, shape: [1, h, w, c] };
}

test('every corruption x severity keeps the shape and bytes for a byte dataset, [0, 1] byte levels for floats; same seed same output', () => {
  const ds = shapes10({ n: 2, seed: 3 });
  for (const name of names)
    for (let s = 1; s <= 5; s++) {
      const a = corrupt(ds, name, s, 7);
      assert.equal(a.shape, ds.shape, `${name} ${s}`);
      assert.equal(a.y, ds.y);
      assert.instance(a.x, Uint8Array);
      const f = corrupt({ x: Float32Array.from(ds.x, (v) => v / 255), shape: ds.shape }, name, s, 7);
      assert.ok(f.x.every((v, i) => v === Math.fround(a.x[i] / 255)), `${name} ${s}: floats and bytes agree`);
      for (const v of f.x) if (!(v >= 0 && v <= 1 && Math.abs(v * 255 - Math.round(v * 255)) < 1e-4)) assert.unreachable(`${name} ${s}: value ${v}`);
      if (s === 3) {
        const b = corrupt(ds, name, s, 7);
        assert.ok(a.x.every((v, i) => v === b.x[i]), `${name} deterministic`);
      }
    }
});

test('random corruptions differ with another seed; all change the image at severity 5', () => {
  const ds = shapes10({ n: 2, seed: 3 });
  const deterministic = new Set(['defocus_blur', 'zoom_blur', 'brightness', 'contrast', 'pixelate', 'jpeg_compression', 'gaussian_blur', 'saturate']);
  for (const name of names) {
    const a = corrupt(ds, name, 5, 1);
    assert.not.ok(a.x.every((v, i) => Math.abs(v - ds.x[i]) < 1e-6), `${name} changes the image`);
    const b = corrupt(ds, name, 5, 2);
    if (deterministic.has(name)) assert.ok(a.x.every((v, i) => v === b.x[i]), `${name} has no randomness`);
    else assert.not.ok(a.x.every((v, i) => v === b.x[i]), `${name} depends on the seed`);
  }
  // a batch gives the same images whole or in parts (per-image streams)
  const whole = corrupt(ds, 'gaussian_noise', 2, 4);
  const second = corrupt({ x: ds.x.slice(3072), shape: [1, 32, 32, 3] as [number, number, number, number] }, 'gaussian_noise', 2, 4);
  assert.not.ok(second.x.every((v, i) => v === whole.x[3072 + i]), 'stream is per index, so index 0 of the part differs');
  assert.throws(() => corrupt(ds, 'rain', 1), /name: must be one of "gaussian_noise"/);
  assert.throws(() => corrupt(ds, 'fog', 0), /severity: must be one of 1, 2, 3, 4, 5, got 0/);
});

test('28x28 grey images: shape kept for all 19, colour ones go through luma', () => {
  const g = image(28, 28, 1, [[5, 5, [51]]], 51);
  for (const name of names) {
    const a = corrupt(g, name, 3, 0);
    assert.equal(a.shape, [1, 28, 28, 1]);
    assert.ok(a.x.every((v) => v >= 0 && v <= 1), name);
  }
  // brightness 1 on grey 0.2: V + 0.05 = 0.25 on all three channels; luma 0.25 -> 63.75 -> 63
  assert.is(byte(corrupt(g, 'brightness', 1).x[0]), 63);
});

test('brightness and saturate follow scikit-image HSV (hand-derived)', () => {
  // pixel (51, 102, 153) = (0.2, 0.4, 0.6): V = 0.6, S = 0.4 / 0.6 = 2/3, H = (4 + (0.2 - 0.4) / 0.4) / 6 = 3.5 / 6
  const img = image(32, 32, 3, [[0, 0, [51, 102, 153]]]);
  // brightness 1: V = 0.65; hsv2rgb sector 3, f = 0.5: p = 0.65 / 3 = 0.21667, q = 0.65 (1 - 0.5 * 2/3) = 0.43333
  //   -> (p, q, V) * 255 = (55.25, 110.5, 165.75) -> truncated (55, 110, 165)
  assert.equal(Array.from(corrupt(img, 'brightness', 1).x.subarray(0, 3), byte), [55, 110, 165]);
  // brightness 5 (+0.3): V = 0.9, p = 0.3, q = 0.6 -> (76.5, 153, 229.5) -> (76, 153, 229)
  assert.equal(Array.from(corrupt(img, 'brightness', 5).x.subarray(0, 3), byte), [76, 153, 229]);
  // saturate 3 (S * 1.5 = 1): p = 0, q = 0.6 * 0.5 = 0.3 -> (0, 76.5, 153) -> (0, 76, 153)
  assert.equal(Array.from(corrupt(img, 'saturate', 3).x.subarray(0, 3), byte), [0, 76, 153]);
  // saturate 2 (S * 0.1 = 1/15): p = 0.6 (1 - 1/15) = 0.56, q = 0.6 (1 - 0.5/15) = 0.58 -> (142.8, 147.9, 153) -> (142, 147, 153)
  assert.equal(Array.from(corrupt(img, 'saturate', 2).x.subarray(0, 3), byte), [142, 147, 153]);
  // saturate 5 (S * 2.5 + 0.2 -> 1) on a black pixel: S = 0 * 2.5 + 0.2 = 0.2 but V = 0 -> stays black
  assert.equal(Array.from(corrupt(img, 'saturate', 5).x.subarray(3, 6), byte), [0, 0, 0]);
});

test('contrast scales around the per-channel mean and truncates (hand-derived)', () => {
  // 32x32, channel 0: half the pixels 51 (0.2), half 153 (0.6): mean 0.4. Severity 2 (c = 0.5):
  //   0.2 -> (0.2 - 0.4) 0.5 + 0.4 = 0.3 -> 76.5 -> 76;  0.6 -> 0.5 -> 127.5 -> 127
  const x = new Float32Array(32 * 32 * 3);
  for (let p = 0; p < 1024; p++) x[3 * p] = (p < 512 ? 51 : 153) / 255;
  const out = corrupt({ x, shape: [1, 32, 32, 3] }, 'contrast', 2);
  assert.is(byte(out.x[0]), 76);
  assert.is(byte(out.x[3 * 600]), 127);
  assert.is(byte(out.x[1]), 0); // channel 1 is all 0: mean 0, stays 0
});

test('gaussian_blur and defocus_blur on one bright pixel (hand-derived kernels)', () => {
  const img = image(32, 32, 3, [[10, 10, [255, 255, 255]]]);
  // gaussian_blur 1: sigma 0.4, SciPy radius int(4 * 0.4 + 0.5) = 2, weights ~ exp(-x^2 / 0.32):
  //   w1/w0 = e^-3.125 = 0.043937, w2/w0 = e^-12.5; w0 = 1 / (1 + 2 (0.043937 + 3.7e-6)) = 0.919217
  //   centre w0^2 * 255 = 215.47 -> 215; side w0 w1 * 255 = 9.47 -> 9; diagonal w1^2 * 255 = 0.42 -> 0
  const g = corrupt(img, 'gaussian_blur', 1).x;
  const at = (x: ArrayLike<number>, r: number, c: number) => byte(x[(r * 32 + c) * 3]);
  assert.equal([at(g, 10, 10), at(g, 10, 11), at(g, 9, 10), at(g, 11, 11)], [215, 9, 9, 0]);
  // defocus_blur 1: radius 0.3 -> the disk is the centre pixel alone; cv2.GaussianBlur 3x3, sigma 0.4:
  //   weights [e, 1, e] / (1 + 2e), e = e^-3.125 -> [0.040388, 0.919224, 0.040388]: same 215 / 9 / 0
  const d = corrupt(img, 'defocus_blur', 1).x;
  assert.equal([at(d, 10, 10), at(d, 10, 11), at(d, 11, 11)], [215, 9, 0]);
  // defocus_blur 4: radius 1 -> the disk is a plus of 5 pixels of 1/5; alias sigma 0.2 (e^-12.5 ~ 0):
  //   pixel 128 spreads 128 / 5 = 25.6 -> 25 onto itself and its 4 neighbours, 0 on the diagonal
  const img2 = image(32, 32, 3, [[10, 10, [128, 128, 128]]]);
  const d4 = corrupt(img2, 'defocus_blur', 4).x;
  assert.equal([at(d4, 10, 10), at(d4, 9, 10), at(d4, 10, 11), at(d4, 9, 9), at(d4, 10, 12)], [25, 25, 25, 0, 0]);
  // defocus 5: radius 1.5 -> the 3x3 block (x^2 + y^2 <= 2.25), 9 pixels of 1/9
  const k = diskKernel(1.5, 0.1);
  assertClose(k.k[8 * 17 + 8], 1 / 9, 1e-6);
  assertClose(k.k[7 * 17 + 7], 1 / 9, 1e-6);
  assertClose(k.k[6 * 17 + 8], 0, 1e-6);
});

test('scale rule: blur sigma scales with min(h, w) / 32 (hand-derived)', () => {
  // 64x64: gaussian_blur 1 has sigma 0.4 * 2 = 0.8, radius int(3.2 + 0.5) = 3, w_k ~ exp(-k^2 / 1.28):
  //   (1, 0.45841, 0.04416, 0.00088) / 2.00689 -> w0 = 0.49828, w1 = 0.22842; centre w0^2 255 = 63.4 -> 63, side 29.0 -> 29
  const big = image(64, 64, 3, [[20, 20, [255, 255, 255]]]);
  const g = corrupt(big, 'gaussian_blur', 1).x;
  assert.equal([byte(g[(20 * 64 + 20) * 3]), byte(g[(20 * 64 + 21) * 3])], [63, 29]);
  // 28x28 grey: sigma 0.35, radius int(1.4 + 0.5) = 1, e = exp(-1 / 0.245) = 0.016878, w0 = 1 / (1 + 2e) = 0.96735:
  //   centre 0.93577 * 255 = 238.6 -> 238, side w0 e w0... = 0.015794 * 255 = 4.03 -> 4
  const grey = image(28, 28, 1, [[10, 10, [255]]]);
  const q = corrupt(grey, 'gaussian_blur', 1).x;
  assert.equal([byte(q[10 * 28 + 10]), byte(q[10 * 28 + 11])], [238, 4]);
});

test('normalised kernels and pure geometry: a constant image stays constant', () => {
  const flat = image(32, 32, 3, [], 100);
  for (const name of ['zoom_blur', 'motion_blur', 'glass_blur', 'defocus_blur', 'gaussian_blur', 'elastic_transform', 'pixelate'])
    for (const s of [1, 5]) {
      const out = corrupt(flat, name, s, 2).x;
      // blurs sum weights to 1 (up to float error, which truncation may turn into 99)
      assert.ok(out.every((v) => byte(v) === 100 || byte(v) === 99), `${name} ${s}: ${Array.from(new Set(Array.from(out, byte)))}`);
    }
});

test('pixelate follows PIL BOX resizing (hand-derived)', () => {
  // severity 5: 32 -> int(32 * 0.65) = 20 -> 32. Columns hold bytes 8 * col, rows equal.
  // Down (scale 1.6): output o averages the inputs whose centres lie in ((o + 0.5) 1.6 - 0.8, (o + 0.5) 1.6 + 0.8]:
  //   o = 0 -> cols 0, 1 -> (0 + 8) / 2 = 4; o = 1 -> col 2 -> 16; o = 2 -> cols 3, 4 -> 28
  // Up (scale 0.625): output o takes input floor((o + 0.5) 0.625): 0, 0, 1, 2, 2 -> 4, 4, 16, 28, 28
  const x = new Float32Array(32 * 32 * 3);
  for (let r = 0; r < 32; r++) for (let col = 0; col < 32; col++) for (let ch = 0; ch < 3; ch++) x[(r * 32 + col) * 3 + ch] = (8 * col) / 255;
  const out = corrupt({ x, shape: [1, 32, 32, 3] }, 'pixelate', 5).x;
  assert.equal([0, 1, 2, 3, 4].map((col) => byte(out[(7 * 32 + col) * 3 + 1])), [4, 4, 16, 28, 28]);
  // severity 1: 32 -> 30: output 7 covers (7.47, 8.53] -> cols 7, 8 averaged: (56 + 64) / 2 = 60
  const o1 = corrupt({ x, shape: [1, 32, 32, 3] }, 'pixelate', 1).x;
  assert.ok([0, 1, 2, 3, 4, 5, 6].every((col) => byte(o1[col * 3]) === 8 * col));
});

test('jpeg_compression: roughly the identity on flat images, error grows as quality falls', () => {
  const flat = image(32, 32, 3, [], 128);
  assert.ok(corrupt(flat, 'jpeg_compression', 5).x.every((v) => Math.abs(byte(v) - 128) <= 1));
  const ds = shapes10({ n: 4, seed: 1 });
  const err = (s: number) => corrupt(ds, 'jpeg_compression', s).x.reduce((a, v, i) => a + Math.abs(v - ds.x[i]), 0);
  assert.ok(err(1) < err(5), `quality 80 error ${err(1)} vs quality 40 ${err(5)}`);
  assert.ok(err(1) > 0);
});

test('noise corruptions have the original parameters (statistics on a mid-grey image)', () => {
  const grey = { x: new Float32Array(4 * 32 * 32 * 3).fill(128 / 255), shape: [4, 32, 32, 3] as [number, number, number, number] };
  const stats = (name: string, s: number) => {
    const d = Array.from(corrupt(grey, name, s, 0).x, (v) => v - 128 / 255);
    const m = d.reduce((a, b) => a + b, 0) / d.length;
    return { m, sd: Math.sqrt(d.reduce((a, b) => a + (b - m) ** 2, 0) / d.length), changed: d.filter((v) => Math.abs(v) > 0.4).length / d.length };
  };
  // gaussian sigma 0.08 (severity 3); truncation to bytes biases the mean by about -0.5/255
  assertClose(stats('gaussian_noise', 3).sd, 0.08, 0.004, 0, 'gaussian sd');
  // shot: Poisson(0.502 * 50) / 50 has sd sqrt(0.502 / 50) = 0.1002 (severity 5)
  assertClose(stats('shot_noise', 5).sd, 0.1002, 0.005, 0, 'shot sd');
  // speckle: 0.502 * N(0, 0.2): sd 0.1004 (severity 5)
  assertClose(stats('speckle_noise', 5).sd, 0.1004, 0.005, 0, 'speckle sd');
  // impulse: 7% of values set to 0 or 1 (severity 5)
  assertClose(stats('impulse_noise', 5).changed, 0.07, 0.01, 0, 'impulse fraction');
});

test('fog on a constant image: the plasma spans [0, 1], so bytes span exactly [91, 127] (hand-derived)', () => {
  // x = 0.502 (128), a = 0.2 (severity 1): out = (x + a P) x / (x + a), P in [0, 1] with both ends attained
  //   P = 0: 0.502^2 / 0.702 * 255 = 91.5 -> 91;  P = 1: 0.502 * 255 = 128 -> 128 (float: 127.99.. -> 127 or 128)
  const out = Array.from(corrupt(image(32, 32, 3, [], 128), 'fog', 1, 3).x, byte);
  assert.is(Math.min(...out), 91);
  assert.ok(Math.max(...out) >= 127 && Math.max(...out) <= 128);
  // a black image stays black: max(x) = 0 multiplies everything
  assert.ok(corrupt(image(32, 32, 3), 'fog', 5, 3).x.every((v) => v === 0));
});

test('helpers: cv2 linear resize by 0.2 samples pixel 5i + 2; Poisson sampler mean and variance', () => {
  // cv2 INTER_LINEAR maps dst x to src (x + 0.5) / 0.2 - 0.5 = 5x + 2: an integer, so no interpolation
  const src: Img = { h: 20, w: 30, c: 1, d: Float64Array.from({ length: 600 }, (_, i) => (i * 13) % 97) };
  const small = cvResizeLinear(src, 4, 6);
  for (let y = 0; y < 4; y++) for (let x = 0; x < 6; x++) assert.is(small.d[y * 6 + x], src.d[(5 * y + 2) * 30 + 5 * x + 2]);
  // multiplication method below 10, PTRS above: mean and variance both lam (20,000 draws: within 4 s.e.)
  const rng = new Rng(11);
  for (const lam of [0.5, 5, 25, 300]) {
    const k = Array.from({ length: 20000 }, () => poisson(lam, rng));
    const m = k.reduce((a, b) => a + b, 0) / k.length;
    const v = k.reduce((a, b) => a + (b - m) ** 2, 0) / k.length;
    assertClose(m, lam, 4 * Math.sqrt(lam / 20000), 0, `mean at ${lam}`);
    assertClose(v, lam, 4 * lam * Math.sqrt(2 / 20000) + 0.02, 0, `variance at ${lam}`);
    assert.ok(k.every((x) => Number.isInteger(x) && x >= 0));
  }
});

test('frost blends a*x + b*frost: bounded by b on black, 1 on white at severity 1', () => {
  clearFrostCache();
  const black = corrupt(image(32, 32, 3), 'frost', 5, 0).x;
  assert.ok(black.every((v) => v <= 0.45 + 1e-6));
  assert.ok(black.some((v) => v > 0.05));
  assert.ok(corrupt(image(32, 32, 3, [], 255), 'frost', 1, 0).x.every((v) => v === 1));
  // the procedural fallback when no frost photographs exist (a note is printed)
  clearFrostCache();
  const warn = console.warn;
  const notes: string[] = [];
  console.warn = (m: string) => notes.push(m);
  try {
    const out = corrupt(image(32, 32, 3), 'frost', 3, 0, { frostDir: os.tmpdir() }).x;
    assert.ok(out.some((v) => v > 0.05) && out.every((v) => v <= 0.4 + 1e-6));
  } finally {
    console.warn = warn;
    clearFrostCache();
  }
  assert.match(notes.join('\n'), /frost: no frost photographs .* using a procedural frost texture/);
});

test('whole -C generation: generator order, CIFAR-10-C layout, grid and histograms', () => {
  const ds = shapes10({ n: 3, size: 8, seed: 0 });
  const seen = [...corruptedSets(ds, { corruptions: ['fog', 'contrast'], severities: [1, 5] })].map((s) => `${s.corruption}-${s.severity}-${s.family}`);
  assert.equal(seen, ['fog-1-weather', 'fog-5-weather', 'contrast-1-digital', 'contrast-5-digital']);
  const arr = corruptionArrays(ds, 'contrast');
  assert.equal(arr.shape, [15, 8, 8, 3]);
  assert.equal(Array.from(arr.labels), [...ds.y, ...ds.y, ...ds.y, ...ds.y, ...ds.y]);
  const c4 = corrupt(ds, 'contrast', 4).x;
  assert.ok(c4.every((v, i) => v === arr.images[3 * ds.x.length + i]));
  const grid = corruptionGrid(ds, 1, { corruptions: ['brightness', 'fog'] });
  assert.equal(grid.images.shape, [11, 8, 8, 3]);
  assert.equal(grid.cells[0], { corruption: 'clean', family: 'clean', severity: 0, row: 0, col: 0 });
  assert.equal(grid.cells[7], { corruption: 'fog', family: 'weather', severity: 2, row: 2, col: 1 });
  assert.ok(grid.images.x.subarray(0, 192).every((v, i) => v === ds.x[192 + i]));
  const full = corruptionGrid(ds, 0);
  assert.equal(full.images.shape, [96, 8, 8, 3]);
  assert.equal(full.cells.filter((c) => c.family === 'extra').length, 20);
  // contrast 5 (c = 0.15) pulls values to the channel means: the outer bins empty out
  const hc = cleanVsCorruptedHistogram(ds, ['contrast'], { severity: 5, bins: 4 });
  const count = (set: string, bin: number) => hc.find((r) => r.set === set && r.bin === bin)!.count;
  assert.is(hc.filter((r) => r.set === 'clean').reduce((a, r) => a + r.count, 0), ds.x.length);
  assert.ok(count('contrast-5', 0.875) < count('clean', 0.875) || count('clean', 0.875) === 0);
  assert.ok(count('contrast-5', 0.125) < count('clean', 0.125));
  const hist = intensityHistogram([{ set: 'a', x: [0, 0.1, 0.6, 1] }], 2);
  assert.equal(hist, [{ bin: 0.25, count: 2, set: 'a' }, { bin: 0.75, count: 2, set: 'a' }]);
  // bytes are read as v / 255: 127 is below one half, 128 above
  assert.equal(intensityHistogram([{ set: 'a', x: Uint8Array.from([0, 127, 128, 255]) }], 2), hist);
});

test.run();
