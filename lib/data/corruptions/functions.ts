/**
 * The 19 corruptions of CIFAR-10-C (Hendrycks & Dietterich 2019, `make_cifar_c.py`) on one image, with the
 * CIFAR parameters. Each takes an image in [0, 1] (byte values / 255, like the original's `x / 255.`),
 * returns the unclipped result in [0, 1] scale; the caller clips and truncates to bytes as `np.uint8` does.
 * Spatial parameters are for 32x32 and scale with `s = min(h, w) / 32` (see `corrupt`).
 * @module
 */
import { jpegRoundTrip } from '../libjpeg';
import { exactExp } from './exactExp';
import type { Rng } from '../../engine/seed';
import {
  blank, clippedZoom, cvGaussianKernel, filter2d, gaussianFilter, hsvToRgb, motionBlur, pilBoxResize, plasmaFractal, poisson, rgbToHsv, borderIndex, type Img,
} from './image';
import { frostTextures } from './frost';

/** What a corruption may need besides the image: the spatial scale and the frost directory. */
export interface CorruptionContext {
  /** min(h, w) / 32: multiplies every length in pixels. */
  scale: number;
  /** Data directory holding `frost/` (default ROBUSTLAB_DATA). */
  frostDir?: string;
}

/** One corruption of one image at a severity in 1..5. */
export type CorruptionFn = (x: Img, severity: number, rng: Rng, ctx: CorruptionContext) => Img;

/** The CIFAR-10-C parameters per corruption, severities 1..5 (from `make_cifar_c.py`). */
export const CIFAR_PARAMS = {
  gaussian_noise: [0.04, 0.06, 0.08, 0.09, 0.1],
  shot_noise: [500, 250, 100, 75, 50],
  impulse_noise: [0.01, 0.02, 0.03, 0.05, 0.07],
  speckle_noise: [0.06, 0.1, 0.12, 0.16, 0.2],
  gaussian_blur: [0.4, 0.6, 0.7, 0.8, 1],
  glass_blur: [[0.05, 1, 1], [0.25, 1, 1], [0.4, 1, 1], [0.25, 1, 2], [0.4, 1, 2]],
  defocus_blur: [[0.3, 0.4], [0.4, 0.5], [0.5, 0.6], [1, 0.2], [1.5, 0.1]],
  motion_blur: [[6, 1], [6, 1.5], [6, 2], [8, 2], [9, 2.5]],
  // np.arange(1, e, 0.01) for e = 1.06, 1.11, 1.16, 1.21, 1.26 has 7, 12, 16, 21, 26 entries (float rounding)
  zoom_blur: [7, 12, 16, 21, 26],
  snow: [[0.1, 0.2, 1, 0.6, 8, 3, 0.95], [0.1, 0.2, 1, 0.5, 10, 4, 0.9], [0.15, 0.3, 1.75, 0.55, 10, 4, 0.9], [0.25, 0.3, 2.25, 0.6, 12, 6, 0.85], [0.3, 0.3, 1.25, 0.65, 14, 12, 0.8]],
  frost: [[1, 0.2], [1, 0.3], [0.9, 0.4], [0.85, 0.4], [0.75, 0.45]],
  fog: [[0.2, 3], [0.5, 3], [0.75, 2.5], [1, 2], [1.5, 1.75]],
  spatter: [[0.62, 0.1, 0.7, 0.7, 0.5, 0], [0.65, 0.1, 0.8, 0.7, 0.5, 0], [0.65, 0.3, 1, 0.69, 0.5, 0], [0.65, 0.1, 0.7, 0.69, 0.6, 1], [0.65, 0.1, 0.5, 0.68, 0.6, 1]],
  brightness: [0.05, 0.1, 0.15, 0.2, 0.3],
  contrast: [0.75, 0.5, 0.4, 0.3, 0.15],
  saturate: [[0.3, 0], [0.1, 0], [1.5, 0], [2, 0.1], [2.5, 0.2]],
  // (alpha, sigma, affine) as fractions of the image size
  elastic_transform: [[0, 0, 0.08], [0.05, 0.2, 0.07], [0.08, 0.06, 0.06], [0.1, 0.04, 0.05], [0.1, 0.03, 0.03]],
  pixelate: [0.95, 0.9, 0.85, 0.75, 0.65],
  jpeg_compression: [80, 65, 58, 50, 40],
} as const;

const P = CIFAR_PARAMS;
const map = (x: Img, f: (v: number, i: number) => number): Img => ({ ...x, d: x.d.map(f) });

const gaussianNoise: CorruptionFn = (x, s, rng) => map(x, (v) => v + P.gaussian_noise[s - 1] * rng.normal());
const shotNoise: CorruptionFn = (x, s, rng) => {
  const c = P.shot_noise[s - 1];
  return map(x, (v) => poisson(v * c, rng) / c);
};
// skimage random_noise 's&p': each value flips with probability `amount`, then salt or pepper 50/50
const impulseNoise: CorruptionFn = (x, s, rng) => {
  const a = P.impulse_noise[s - 1];
  return map(x, (v) => (rng.next() < a ? (rng.next() < 0.5 ? 1 : 0) : v));
};
const speckleNoise: CorruptionFn = (x, s, rng) => map(x, (v) => v + v * P.speckle_noise[s - 1] * rng.normal());

const gaussianBlur: CorruptionFn = (x, s, _rng, ctx) => gaussianFilter(x, P.gaussian_blur[s - 1] * ctx.scale);

const glassBlur: CorruptionFn = (x, s, rng, ctx) => {
  const [sigma0, delta0, iters] = P.glass_blur[s - 1];
  const sigma = sigma0 * ctx.scale;
  const delta = Math.max(1, Math.round(delta0 * ctx.scale));
  const b = gaussianFilter(x, sigma);
  // np.uint8(... * 255): truncation between the two blurs
  const u = map(b, (v) => Math.floor(Math.min(255, Math.max(0, v * 255))));
  const { h, w, c } = u;
  for (let it = 0; it < iters; it++)
    for (let y = h - delta; y > delta; y--)
      for (let xx = w - delta; xx > delta; xx--) {
        // np.random.randint(-d, d, size=2) -> (dx, dy), each in [-d, d)
        const dx = -delta + rng.int(2 * delta);
        const dy = -delta + rng.int(2 * delta);
        const p = (y * w + xx) * c;
        const q = ((y + dy) * w + xx + dx) * c;
        // The original's "swap" `x[h, w], x[h', w'] = x[h', w'], x[h, w]` acts on NumPy views of RGB pixels,
        // so the second assignment writes back the already-overwritten value: pixel (h, w) takes the colour
        // of (h', w') and (h', w') keeps its own. CIFAR-10-C has that copy, so it is reproduced here.
        for (let ch = 0; ch < c; ch++) u.d[p + ch] = u.d[q + ch];
      }
  return gaussianFilter(map(u, (v) => v / 255), sigma);
};

/**
 * OpenCV's `getGaussianKernel(n, sigma, CV_32F)`: the bit-exact double kernel of OpenCV 4 (weights
 * exp(-x^2 / 2 sigma^2) for the outer taps, normalised by 1 / (2 sum + 1)), cast to float32.
 */
export function cvGaussianKernel32(n: number, sigma: number): Float32Array {
  const half = (n - 1) >> 1;
  const scale = -0.125 / (sigma * sigma);
  const t = Array.from({ length: half }, (_, i) => exactExp((2 * i + 1 - n) ** 2 * scale));
  let sum = 0;
  for (const v of t) sum += v;
  const mul = 1 / (2 * sum + 1);
  const k = new Float32Array(n);
  k[half] = mul;
  t.forEach((v, i) => (k[i] = k[n - 1 - i] = v * mul));
  return k;
}

/**
 * OpenCV's separable filter of a float32 plane with a symmetric float32 kernel (rows, then columns;
 * reflect-101 borders): each output is centre * k0 + sum_j (left_j + right_j) * k_j, rounded to float32
 * at every step, as OpenCV's symmetric row and column filters compute it.
 */
function cvSepFilter32(src: Float32Array, h: number, w: number, k: Float32Array): Float32Array {
  const r = (k.length - 1) >> 1;
  const f = Math.fround;
  const pass = (inp: Float32Array, alongRows: boolean) => {
    const out = new Float32Array(h * w);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const at = (d: number) => (alongRows ? inp[y * w + borderIndex(x + d, w, 'mirror')] : inp[borderIndex(y + d, h, 'mirror') * w + x]);
        let s = f(at(0) * k[r]);
        for (let j = 1; j <= r; j++) s = f(s + f(f(at(-j) + at(j)) * k[r + j]));
        out[y * w + x] = s;
      }
    return out;
  };
  return pass(pass(src, true), false);
}

/**
 * The CIFAR code's `disk`: a float32 aliased disk of the radius on a 17x17 grid (larger radii: +-r),
 * divided by its sum in float32, then `cv2.GaussianBlur` in float32 (3x3, or 5x5 above radius 8,
 * reflect-101 borders). Values are float32, held in a Float64Array.
 */
export function diskKernel(radius: number, aliasBlur: number): { k: Float64Array; size: number } {
  const half = radius <= 8 ? 8 : Math.ceil(radius);
  const ks = radius <= 8 ? 3 : 5;
  const size = 2 * half + 1;
  const disk = new Float32Array(size * size);
  let count = 0;
  for (let i = 0; i < size; i++)
    for (let j = 0; j < size; j++) {
      const on = (i - half) ** 2 + (j - half) ** 2 <= radius * radius ? 1 : 0;
      disk[i * size + j] = on;
      count += on;
    }
  const v = Math.fround(1 / count);
  for (let i = 0; i < disk.length; i++) if (disk[i]) disk[i] = v;
  return { k: Float64Array.from(cvSepFilter32(disk, size, size, cvGaussianKernel32(ks, aliasBlur))), size };
}

function cropKernel(k: Float64Array, size: number): { k: Float64Array; size: number } {
  // the disk kernel is mostly exact zeros; drop the zero border to save work (same result)
  let r = 0;
  const half = (size - 1) >> 1;
  for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) if (k[i * size + j] !== 0) r = Math.max(r, Math.abs(i - half), Math.abs(j - half));
  const n = 2 * r + 1;
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = k[(i + half - r) * size + j + half - r];
  return { k: out, size: n };
}

// the cropped disk kernel of each (radius, alias blur): the same for every image
const disks = new Map<string, { k: Float64Array; size: number }>();
const defocusBlur: CorruptionFn = (x, s, _rng, ctx) => {
  const [r, a] = P.defocus_blur[s - 1];
  const key = `${r * ctx.scale},${a * ctx.scale}`;
  if (!disks.has(key)) {
    const disk = diskKernel(r * ctx.scale, a * ctx.scale);
    disks.set(key, cropKernel(disk.k, disk.size));
  }
  const { k, size } = disks.get(key)!;
  return filter2d(x, k, size, size);
};

const motionBlurC: CorruptionFn = (x, s, rng, ctx) => {
  const [r, sigma] = P.motion_blur[s - 1];
  const angle = -45 + 90 * rng.next();
  return motionBlur(x, Math.max(1, Math.round(r * ctx.scale)), sigma * ctx.scale, angle);
};

const zoomBlur: CorruptionFn = (x, s) => {
  const n = P.zoom_blur[s - 1];
  // float32 sums as in the original (x is cast to float32 before zooming)
  const x32 = map(x, (v) => Math.fround(v));
  const acc = new Float64Array(x.d.length);
  for (let i = 0; i < n; i++) {
    const z = clippedZoom(x32, 1 + i * 0.01);
    for (let j = 0; j < acc.length; j++) acc[j] = Math.fround(acc[j] + Math.fround(z.d[j]));
  }
  return { ...x, d: acc.map((v, j) => Math.fround(Math.fround(x32.d[j] + v) / (n + 1))) };
};

const luma = (r: number, g: number, b: number) => 0.299 * r + 0.587 * g + 0.114 * b;

const snow: CorruptionFn = (x, s, rng, ctx) => {
  const [mu, sd, zoom, thr, br, bs, blend] = P.snow[s - 1];
  const { h, w } = x;
  const layer0 = blank(h, w, 1);
  for (let i = 0; i < h * w; i++) layer0.d[i] = mu + sd * rng.normal();
  const z = clippedZoom(layer0, zoom);
  // threshold, then the PNG round trip of the original: uint8 of clip(layer) * 255
  const layer = map(z, (v) => Math.floor(Math.min(1, Math.max(0, v < thr ? 0 : v)) * 255) / 255);
  const angle = -135 + 90 * rng.next();
  const blurred = motionBlur(layer, Math.max(1, Math.round(br * ctx.scale)), bs * ctx.scale, angle);
  // ImageMagick writes 8-bit output: round to bytes
  const sl = map(blurred, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255) / 255);
  const out = blank(h, w, 3);
  for (let p = 0; p < h * w; p++) {
    const [r, g, b] = [x.d[3 * p], x.d[3 * p + 1], x.d[3 * p + 2]];
    const grey = luma(r, g, b) * 1.5 + 0.5;
    const add = sl.d[p] + sl.d[h * w - 1 - p]; // the layer plus its 180-degree rotation
    for (let ch = 0; ch < 3; ch++) {
      const v = x.d[3 * p + ch];
      out.d[3 * p + ch] = blend * v + (1 - blend) * Math.max(v, grey) + add;
    }
  }
  return out;
};

const frost: CorruptionFn = (x, s, rng, ctx) => {
  const [a, b] = P.frost[s - 1];
  const { textures } = frostTextures(x.h, x.w, ctx.frostDir);
  const t = textures[rng.int(textures.length)];
  const y0 = rng.int(t.h - x.h);
  const x0 = rng.int(t.w - x.w);
  const out = blank(x.h, x.w, 3);
  for (let y = 0; y < x.h; y++)
    for (let xx = 0; xx < x.w; xx++)
      for (let ch = 0; ch < 3; ch++) {
        const p = (y * x.w + xx) * 3 + ch;
        out.d[p] = a * x.d[p] + (b * t.d[((y0 + y) * t.w + x0 + xx) * 3 + ch]) / 255;
      }
  return out;
};

const fog: CorruptionFn = (x, s, rng) => {
  const [a, decay] = P.fog[s - 1];
  let size = 32;
  while (size < Math.max(x.h, x.w)) size *= 2;
  const plasma = plasmaFractal(size, decay, rng);
  let mx = 0;
  for (const v of x.d) mx = Math.max(mx, v);
  return map(x, (v, i) => {
    const p = Math.floor(i / x.c);
    const yy = Math.floor(p / x.w);
    const xx = p % x.w;
    return ((v + a * plasma[yy * size + xx]) * mx) / (mx + a);
  });
};

const brightness: CorruptionFn = (x, s) => hsvMap(x, (hsv) => [hsv[0], hsv[1], Math.min(1, Math.max(0, hsv[2] + P.brightness[s - 1]))]);
const saturate: CorruptionFn = (x, s) => {
  const [m, add] = P.saturate[s - 1];
  return hsvMap(x, (hsv) => [hsv[0], Math.min(1, Math.max(0, hsv[1] * m + add)), hsv[2]]);
};
function hsvMap(x: Img, f: (hsv: [number, number, number]) => [number, number, number]): Img {
  const out = blank(x.h, x.w, 3);
  for (let p = 0; p < x.h * x.w; p++) {
    const [h, sat, v] = f(rgbToHsv(x.d[3 * p], x.d[3 * p + 1], x.d[3 * p + 2]));
    out.d.set(hsvToRgb(h, sat, v), 3 * p);
  }
  return out;
}

const contrast: CorruptionFn = (x, s) => {
  const c = P.contrast[s - 1];
  const mean = new Float64Array(x.c);
  for (let i = 0; i < x.d.length; i++) mean[i % x.c] += x.d[i];
  for (let ch = 0; ch < x.c; ch++) mean[ch] /= x.h * x.w;
  return map(x, (v, i) => (v - mean[i % x.c]) * c + mean[i % x.c]);
};

// a module-local alias: calls through the import binding cost a property lookup each in hot loops
const bIndex = borderIndex;

function bilinear(x: Img, fy: number, fx: number, ch: number, mode: 'mirror' | 'reflect'): number {
  const y0 = Math.floor(fy);
  const x0 = Math.floor(fx);
  const ty = fy - y0;
  const tx = fx - x0;
  const ya = bIndex(y0, x.h, mode) * x.w;
  const yb = bIndex(y0 + 1, x.h, mode) * x.w;
  const xa = bIndex(x0, x.w, mode);
  const xb = bIndex(x0 + 1, x.w, mode);
  const d = x.d;
  const c = x.c;
  return (1 - ty) * ((1 - tx) * d[(ya + xa) * c + ch] + tx * d[(ya + xb) * c + ch]) + ty * ((1 - tx) * d[(yb + xa) * c + ch] + tx * d[(yb + xb) * c + ch]);
}

const elastic: CorruptionFn = (x, s, rng) => {
  const size = Math.min(x.h, x.w);
  const [alpha, sigma, aff] = P.elastic_transform[s - 1].map((v) => v * size);
  // random affine from three points around the centre (cv2.getAffineTransform, points as (x, y))
  const cx = Math.floor(x.w / 2);
  const cy = Math.floor(x.h / 2);
  const q = Math.floor(size / 3);
  const src = [[cx + q, cy + q], [cx + q, cy - q], [cx - q, cy - q]];
  const dst = src.map(([a, b]) => [a + aff * (2 * rng.next() - 1), b + aff * (2 * rng.next() - 1)]);
  // inverse map dst -> src, solved from the three correspondences
  const inv = affineFrom(dst, src);
  const warped = blank(x.h, x.w, x.c);
  for (let y = 0; y < x.h; y++)
    for (let xx = 0; xx < x.w; xx++) {
      const sx = inv[0] * xx + inv[1] * y + inv[2];
      const sy = inv[3] * xx + inv[4] * y + inv[5];
      for (let ch = 0; ch < x.c; ch++) warped.d[(y * x.w + xx) * x.c + ch] = bilinear(x, sy, sx, ch, 'mirror');
    }
  const field = () => {
    const f = blank(x.h, x.w, 1);
    for (let i = 0; i < f.d.length; i++) f.d[i] = 2 * rng.next() - 1;
    return sigma > 0 ? gaussianFilter(f, sigma, 'reflect', 3).d.map((v) => v * alpha) : f.d.map((v) => v * alpha);
  };
  const dx = field();
  const dy = field();
  const out = blank(x.h, x.w, x.c);
  for (let y = 0; y < x.h; y++)
    for (let xx = 0; xx < x.w; xx++)
      for (let ch = 0; ch < x.c; ch++) {
        const p = y * x.w + xx;
        out.d[p * x.c + ch] = bilinear(warped, y + Math.fround(dy[p]), xx + Math.fround(dx[p]), ch, 'reflect');
      }
  return out;
};

/** The 2x3 affine map A (row-major) with A [p; 1] = q for three point pairs. */
function affineFrom(p: number[][], q: number[][]): number[] {
  const [[x1, y1], [x2, y2], [x3, y3]] = p;
  const det = x1 * (y2 - y3) - y1 * (x2 - x3) + (x2 * y3 - x3 * y2);
  const solve = (v1: number, v2: number, v3: number) => {
    const a = (v1 * (y2 - y3) - y1 * (v2 - v3) + (v2 * y3 - v3 * y2)) / det;
    const b = (x1 * (v2 - v3) - v1 * (x2 - x3) + (x2 * v3 - x3 * v2)) / det;
    const c = (x1 * (y2 * v3 - y3 * v2) - y1 * (x2 * v3 - x3 * v2) + v1 * (x2 * y3 - x3 * y2)) / det;
    return [a, b, c];
  };
  return [...solve(q[0][0], q[1][0], q[2][0]), ...solve(q[0][1], q[1][1], q[2][1])];
}

const pixelate: CorruptionFn = (x, s) => {
  const c = P.pixelate[s - 1];
  const bytes = map(x, (v) => Math.round(v * 255));
  const small = pilBoxResize(bytes, Math.trunc(x.h * c), Math.trunc(x.w * c));
  return map(pilBoxResize(small, x.h, x.w), (v) => v / 255);
};

// PIL's save at quality q (libjpeg defaults: 4:2:0, accurate integer DCT) and its decode, pixel for pixel
const jpegCompression: CorruptionFn = (x, s) => {
  const n = x.h * x.w;
  const rgb = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) for (let ch = 0; ch < 3; ch++) rgb[3 * p + ch] = Math.round(x.d[p * x.c + (x.c === 3 ? ch : 0)] * 255);
  const dec = jpegRoundTrip(rgb, x.h, x.w, P.jpeg_compression[s - 1]);
  const out = blank(x.h, x.w, x.c);
  for (let p = 0; p < n; p++) {
    if (x.c === 3) for (let ch = 0; ch < 3; ch++) out.d[3 * p + ch] = dec[3 * p + ch] / 255;
    // a grey image was encoded as equal channels; its luma is what a greyscale JPEG would keep
    else out.d[p] = Math.round(luma(dec[3 * p], dec[3 * p + 1], dec[3 * p + 2])) / 255;
  }
  return out;
};

/** OpenCV Canny on an 8-bit single-channel image (3x3 Sobel, L1 magnitude, replicated borders). */
function canny(img: Float64Array, h: number, w: number, low: number, high: number): Uint8Array {
  const at = (y: number, x: number) => img[Math.min(h - 1, Math.max(0, y)) * w + Math.min(w - 1, Math.max(0, x))];
  const gx = new Float64Array(h * w);
  const gy = new Float64Array(h * w);
  const mag = new Float64Array((h + 2) * (w + 2));
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      gx[y * w + x] = at(y - 1, x + 1) + 2 * at(y, x + 1) + at(y + 1, x + 1) - at(y - 1, x - 1) - 2 * at(y, x - 1) - at(y + 1, x - 1);
      gy[y * w + x] = at(y + 1, x - 1) + 2 * at(y + 1, x) + at(y + 1, x + 1) - at(y - 1, x - 1) - 2 * at(y - 1, x) - at(y - 1, x + 1);
      mag[(y + 1) * (w + 2) + x + 1] = Math.abs(gx[y * w + x]) + Math.abs(gy[y * w + x]);
    }
  const M = (y: number, x: number) => mag[(y + 1) * (w + 2) + x + 1];
  const state = new Uint8Array(h * w); // 0 none, 1 weak, 2 strong
  const tg22 = 0.4142135623730951;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const m = M(y, x);
      if (m <= low) continue;
      const ax = Math.abs(gx[y * w + x]);
      const ay = Math.abs(gy[y * w + x]);
      let keep: boolean;
      if (ay < ax * tg22) keep = m > M(y, x - 1) && m >= M(y, x + 1);
      else if (ay > ax * (tg22 + 2)) keep = m > M(y - 1, x) && m >= M(y + 1, x);
      else {
        const sgn = gx[y * w + x] * gy[y * w + x] < 0 ? -1 : 1;
        keep = m > M(y - 1, x - sgn) && m > M(y + 1, x + sgn);
      }
      if (keep) state[y * w + x] = m > high ? 2 : 1;
    }
  const out = new Uint8Array(h * w);
  const stack: number[] = [];
  for (let i = 0; i < h * w; i++) if (state[i] === 2) stack.push(i);
  while (stack.length) {
    const i = stack.pop()!;
    if (out[i]) continue;
    out[i] = 255;
    const y = Math.floor(i / w);
    const x = i % w;
    for (let dy = -1; dy <= 1; dy++)
      for (let dx = -1; dx <= 1; dx++) {
        const yy = y + dy;
        const xx = x + dx;
        if (yy >= 0 && yy < h && xx >= 0 && xx < w && state[yy * w + xx] && !out[yy * w + xx]) stack.push(yy * w + xx);
      }
  }
  return out;
}

/** cv2.distanceTransform(DIST_L2, 5): the 5x5 chamfer distance to the nearest zero pixel (a=1, b=1.4, c=2.1969). */
function chamfer(src: Uint8Array, h: number, w: number): Float64Array {
  // a 2-pixel border of +infinity removes the bounds checks from the two passes
  const W = w + 4;
  const INF = 1e9;
  const d = new Float64Array((h + 4) * W).fill(INF);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) d[(y + 2) * W + x + 2] = src[y * w + x] === 0 ? 0 : INF;
  const a = 1;
  const b = 1.4;
  const c = 2.1969;
  const offs = [-W, -1, -W - 1, -W + 1, -W - 2, -W + 2, -2 * W - 1, -2 * W + 1];
  const wts = [a, a, b, b, c, c, c, c];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const p = (y + 2) * W + x + 2;
      let v = d[p];
      for (let k = 0; k < 8; k++) v = Math.min(v, d[p + offs[k]] + wts[k]);
      d[p] = v;
    }
  for (let y = h - 1; y >= 0; y--)
    for (let x = w - 1; x >= 0; x--) {
      const p = (y + 2) * W + x + 2;
      let v = d[p];
      for (let k = 0; k < 8; k++) v = Math.min(v, d[p - offs[k]] + wts[k]);
      d[p] = v;
    }
  const out = new Float64Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = d[(y + 2) * W + x + 2];
  return out;
}

/** cv2.blur 3x3 (mean, reflect-101). */
const box3 = (v: Float64Array, h: number, w: number) => filter2d({ h, w, c: 1, d: v }, new Float64Array(9).fill(1 / 9), 3, 3).d;

/** cv2.equalizeHist of byte values. */
function equalizeHist(v: Float64Array): Float64Array {
  const hist = new Float64Array(256);
  for (const u of v) hist[u]++;
  let i = 0;
  while (!hist[i]) i++;
  const total = v.length;
  if (hist[i] === total) return v.map(() => i);
  const scale = 255 / (total - hist[i]);
  const lut = new Float64Array(256);
  let sum = 0;
  for (i++; i < 256; i++) {
    sum += hist[i];
    lut[i] = Math.min(255, Math.round(sum * scale));
  }
  return v.map((u) => lut[u]);
}

const spatter: CorruptionFn = (x, s, rng, ctx) => {
  const [mu, sd, sigma, thr, c4, mud] = P.spatter[s - 1];
  const { h, w } = x;
  const n = h * w;
  const liq0 = blank(h, w, 1);
  for (let i = 0; i < n; i++) liq0.d[i] = mu + sd * rng.normal();
  const liquid = gaussianFilter(liq0, sigma * ctx.scale).d.map((v) => (v < thr ? 0 : v));
  const out = blank(h, w, 3);
  if (mud === 0) {
    // water: emboss-like highlights along the edges of the liquid blobs (pale turquoise)
    // NumPy's astype(uint8) wraps the rare values above 1 around; they are clamped to 255 here
    const lb = liquid.map((v) => Math.min(255, Math.floor(v * 255)));
    const edges = canny(lb, h, w, 50, 150);
    let dist: Float64Array = chamfer(Uint8Array.from(edges, (e) => 255 - e), h, w).map((v) => Math.min(v, 20));
    dist = box3(dist, h, w).map((v) => Math.floor(v));
    dist = equalizeHist(dist);
    const ker = new Float64Array([-2, -1, 0, -1, 1, 1, 0, 1, 2]);
    dist = filter2d({ h, w, c: 1, d: dist }, ker, 3, 3).d.map((v) => Math.min(255, Math.max(0, Math.round(v))));
    dist = box3(dist, h, w).map((v) => Math.round(v));
    const m = lb.map((v, i) => v * dist[i]);
    let mx = 0;
    for (const v of m) mx = Math.max(mx, v);
    const colour = [175 / 255, 238 / 255, 238 / 255];
    for (let p = 0; p < n; p++) {
      const mm = mx > 0 ? (m[p] / mx) * c4 : 0;
      for (let ch = 0; ch < 3; ch++) out.d[3 * p + ch] = x.d[3 * p + ch] + mm * colour[ch];
    }
  } else {
    // mud: brown blobs replacing the image where the smoothed mask exceeds 0.8
    const mask = gaussianFilter({ h, w, c: 1, d: liquid.map((v) => (v > thr ? 1 : 0)) }, c4 * ctx.scale).d.map((v) => (v < 0.8 ? 0 : v));
    const colour = [63 / 255, 42 / 255, 20 / 255];
    for (let p = 0; p < n; p++) for (let ch = 0; ch < 3; ch++) out.d[3 * p + ch] = x.d[3 * p + ch] * (1 - mask[p]) + colour[ch] * mask[p];
  }
  return out;
};

/** The corruption functions by CIFAR-10-C file name. */
export const FUNCTIONS: Record<string, CorruptionFn> = {
  gaussian_noise: gaussianNoise,
  shot_noise: shotNoise,
  impulse_noise: impulseNoise,
  defocus_blur: defocusBlur,
  glass_blur: glassBlur,
  motion_blur: motionBlurC,
  zoom_blur: zoomBlur,
  snow,
  frost,
  fog,
  brightness,
  contrast,
  elastic_transform: elastic,
  pixelate,
  jpeg_compression: jpegCompression,
  speckle_noise: speckleNoise,
  gaussian_blur: gaussianBlur,
  spatter,
  saturate,
};

/** Corruptions that need colour: grey images go through them as grey RGB and come back as luma. */
export const NEEDS_RGB = new Set(['brightness', 'saturate', 'snow', 'frost', 'spatter']);
