/**
 * The per-image toolkit the corruptions are built from: a float image record and NumPy/SciPy/OpenCV/PIL
 * equivalents (Gaussian filters with SciPy's border modes, OpenCV's reflect-101 correlation, SciPy's
 * linear zoom, HSV as in scikit-image, PIL's box resize, the Poisson sampler of NumPy), all on typed arrays.
 * @module
 */
import { exactExp } from './exactExp';
import type { Rng } from '../../engine/seed';

/** One image, HWC, values nominally in [0, 1] (intermediate values may leave it). */
export interface Img {
  /** Height. */
  h: number;
  /** Width. */
  w: number;
  /** Channels (1 or 3). */
  c: number;
  /** h * w * c values. */
  d: Float64Array;
}

/** A new zero image of the given size. */
export function blank(h: number, w: number, c: number): Img {
  return { h, w, c, d: new Float64Array(h * w * c) };
}

/** Border modes by their SciPy names: `nearest` (edge), `reflect` (d c b a | a b c d), `mirror` (OpenCV reflect-101, d c b | a b c d). */
export type Border = 'nearest' | 'reflect' | 'mirror';

/** Maps an out-of-range index into [0, n) under a border mode. */
export function borderIndex(i: number, n: number, mode: Border): number {
  if (i >= 0 && i < n) return i;
  if (n === 1) return 0;
  if (mode === 'nearest') return i < 0 ? 0 : n - 1;
  if (mode === 'reflect') {
    const p = 2 * n;
    let j = ((i % p) + p) % p;
    return j < n ? j : p - 1 - j;
  }
  const p = 2 * n - 2;
  const j = ((i % p) + p) % p;
  return j < n ? j : p - j;
}

/**
 * NumPy's float64 `sum` of a contiguous array up to 128 long: a plain loop below 8 elements, else eight
 * strided partial sums combined pairwise, then the tail (`pairwise_sum` in NumPy's loops).
 */
export function numpySum(a: ArrayLike<number>): number {
  const n = a.length;
  if (n > 128) throw new Error(`numpySum: only arrays of at most 128 values are supported, got ${n}`);
  if (n < 8) {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[i];
    return s;
  }
  const r = [a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]];
  let i = 8;
  for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += a[i + j];
  let s = r[0] + r[1] + (r[2] + r[3]) + (r[4] + r[5] + (r[6] + r[7]));
  for (; i < n; i++) s += a[i];
  return s;
}

/**
 * SciPy's 1-D Gaussian weights (`_gaussian_kernel1d`): radius int(truncate * sigma + 0.5),
 * exp(-0.5 / sigma^2 * x^2) (libm's correctly rounded exp), divided by their NumPy sum, in that arithmetic order.
 */
export function gaussianWeights(sigma: number, truncate = 4): Float64Array {
  const r = Math.floor(truncate * sigma + 0.5);
  const k = new Float64Array(2 * r + 1);
  const a = -0.5 / (sigma * sigma);
  for (let x = -r; x <= r; x++) k[x + r] = exactExp(a * (x * x));
  const s = numpySum(k);
  for (let i = 0; i < k.length; i++) k[i] /= s;
  return k;
}

/** Source index table for taps -r..r at every position of an axis of length n (borders resolved once). */
function tapIndex(n: number, r: number, mode: Border): Int32Array {
  const t = new Int32Array(n * (2 * r + 1));
  for (let i = 0; i < n; i++) for (let k = -r; k <= r; k++) t[i * (2 * r + 1) + k + r] = borderIndex(i + k, n, mode);
  return t;
}

/** Correlates every channel with a 1-D kernel along rows (axis 1) or columns (axis 0). */
export function correlate1d(img: Img, k: Float64Array, axis: 0 | 1, mode: Border): Img {
  const { h, w, c, d } = img;
  const out = blank(h, w, c);
  const kl = k.length;
  const r = (kl - 1) >> 1;
  const symmetric = kl % 2 === 1 && Array.from(k).every((v, i) => v === k[kl - 1 - i]);
  const idx = tapIndex(axis === 0 ? h : w, r, mode);
  const off = new Int32Array(kl);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * c;
      const base = axis === 0 ? y * kl : x * kl;
      // source offsets of the taps: along columns a tap moves by rows (w * c), along rows by pixels (c)
      for (let t = 0; t < kl; t++) off[t] = (axis === 0 ? idx[base + t] * w + x : y * w + idx[base + t]) * c;
      for (let ch = 0; ch < c; ch++) {
        let s: number;
        if (symmetric) {
          // SciPy's correlate1d for a symmetric kernel: the centre tap, then the pairs from the outside in
          s = d[off[r] + ch] * k[r];
          for (let t = 0; t < r; t++) s += (d[off[t] + ch] + d[off[kl - 1 - t] + ch]) * k[t];
        } else {
          s = 0;
          for (let t = 0; t < kl; t++) s += k[t] * d[off[t] + ch];
        }
        out.d[o + ch] = s;
      }
    }
  return out;
}

/** `skimage.filters.gaussian` / `scipy.ndimage.gaussian_filter` over the two spatial axes, per channel. */
export function gaussianFilter(img: Img, sigma: number, mode: Border = 'nearest', truncate = 4): Img {
  if (sigma <= 0) return { ...img, d: img.d.slice() };
  const k = gaussianWeights(sigma, truncate);
  return correlate1d(correlate1d(img, k, 0, mode), k, 1, mode);
}

/** `cv2.filter2D` (correlation, anchor at the centre) with a 2-D kernel (kh x kw, odd) and reflect-101 borders. */
export function filter2d(img: Img, k: Float64Array, kh: number, kw: number): Img {
  const { h, w, c, d } = img;
  const out = blank(h, w, c);
  const ry = (kh - 1) >> 1;
  const rx = (kw - 1) >> 1;
  const iy = tapIndex(h, ry, 'mirror');
  const ix = tapIndex(w, rx, 'mirror');
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let i = 0; i < kh; i++) {
          const row = iy[y * kh + i] * w;
          for (let j = 0; j < kw; j++) {
            const kv = k[i * kw + j];
            if (kv !== 0) s += kv * d[(row + ix[x * kw + j]) * c + ch];
          }
        }
        out.d[(y * w + x) * c + ch] = s;
      }
  return out;
}

/** OpenCV's Gaussian kernel for `cv2.GaussianBlur` with an explicit sigma: exp(-x^2 / 2 sigma^2) on |x| <= (size-1)/2, normalised. */
export function cvGaussianKernel(size: number, sigma: number): Float64Array {
  const k = new Float64Array(size);
  let s = 0;
  for (let i = 0; i < size; i++) {
    const x = i - (size - 1) / 2;
    s += k[i] = Math.exp((-x * x) / (2 * sigma * sigma));
  }
  for (let i = 0; i < size; i++) k[i] /= s;
  return k;
}

/** Linear-interpolation taps along one axis: for output o, samples `i0[o]`, `i1[o]` with weight `t[o]` on `i1`. */
function taps(outSize: number, inSize: number, scale: number): { i0: Int32Array; i1: Int32Array; t: Float64Array } {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const t = new Float64Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const src = o * scale;
    i0[o] = Math.min(Math.floor(src), inSize - 1);
    i1[o] = Math.min(i0[o] + 1, inSize - 1);
    t[o] = src - i0[o];
  }
  return { i0, i1, t };
}

/**
 * `scipy.ndimage.zoom(order=1)` of the crop [top0, top0+ch0) x [top1, top1+ch1) to round(ch * z) pixels per
 * side: output index o samples input o * (in - 1) / (out - 1) (SciPy's default, grid_mode=False).
 */
export function zoomCrop(img: Img, top0: number, ch0: number, top1: number, ch1: number, z: number): Img {
  const oh = Math.round(ch0 * z);
  const ow = Math.round(ch1 * z);
  const c = img.c;
  const out = blank(oh, ow, c);
  const ty = taps(oh, ch0, oh > 1 ? (ch0 - 1) / (oh - 1) : 0);
  const tx = taps(ow, ch1, ow > 1 ? (ch1 - 1) / (ow - 1) : 0);
  const d = img.d;
  for (let y = 0; y < oh; y++) {
    const r0 = (top0 + ty.i0[y]) * img.w + top1;
    const r1 = (top0 + ty.i1[y]) * img.w + top1;
    const wy = ty.t[y];
    for (let x = 0; x < ow; x++) {
      const a0 = (r0 + tx.i0[x]) * c;
      const a1 = (r0 + tx.i1[x]) * c;
      const b0 = (r1 + tx.i0[x]) * c;
      const b1 = (r1 + tx.i1[x]) * c;
      const wx = tx.t[x];
      const o = (y * ow + x) * c;
      for (let ch = 0; ch < c; ch++)
        out.d[o + ch] = (1 - wy) * ((1 - wx) * d[a0 + ch] + wx * d[a1 + ch]) + wy * ((1 - wx) * d[b0 + ch] + wx * d[b1 + ch]);
    }
  }
  return out;
}

/**
 * The CIFAR code's `clipped_zoom`: crop the centre ceil(n / z) pixels, zoom by z, and trim the centre back
 * to the input size.
 */
export function clippedZoom(img: Img, z: number): Img {
  const ch0 = Math.ceil(img.h / z);
  const ch1 = Math.ceil(img.w / z);
  const zz = zoomCrop(img, (img.h - ch0) >> 1, ch0, (img.w - ch1) >> 1, ch1, z);
  if (zz.h === img.h && zz.w === img.w) return zz;
  const t0 = (zz.h - img.h) >> 1;
  const t1 = (zz.w - img.w) >> 1;
  const c = img.c;
  const out = blank(img.h, img.w, c);
  for (let y = 0; y < img.h; y++) {
    const yy = Math.min(y + t0, zz.h - 1);
    for (let x = 0; x < img.w; x++) {
      const xx = Math.min(x + t1, zz.w - 1);
      for (let ch = 0; ch < c; ch++) out.d[(y * img.w + x) * c + ch] = zz.d[(yy * zz.w + xx) * c + ch];
    }
  }
  return out;
}

/** scikit-image `rgb2hsv` of one pixel (later channel maxima win ties, as there). */
export function rgbToHsv(r: number, g: number, b: number): [number, number, number] {
  const v = Math.max(r, g, b);
  const delta = v - Math.min(r, g, b);
  const s = delta === 0 ? 0 : delta / v;
  let hh = 0;
  if (delta !== 0) {
    if (b === v) hh = 4 + (r - g) / delta;
    else if (g === v) hh = 2 + (b - r) / delta;
    else hh = (g - b) / delta;
    // Python's floor modulo (h / 6) % 1, bit for bit
    hh = hh / 6 - Math.floor(hh / 6);
  }
  return [hh, s, v];
}

/** scikit-image `hsv2rgb` of one pixel. */
export function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const hi0 = Math.floor(h * 6);
  const f = h * 6 - hi0;
  const p = v * (1 - s);
  const q = v * (1 - f * s);
  const t = v * (1 - (1 - f) * s);
  switch (((hi0 % 6) + 6) % 6) {
    case 0:
      return [v, t, p];
    case 1:
      return [q, v, p];
    case 2:
      return [p, v, t];
    case 3:
      return [p, q, v];
    case 4:
      return [t, p, v];
    default:
      return [v, p, q];
  }
}

/** PIL's resampling coefficients for one axis with the BOX filter (support 0.5, scaled when shrinking). */
function boxCoeffs(inSize: number, outSize: number): { start: number; w: Float64Array }[] {
  const scale = inSize / outSize;
  const fs = Math.max(scale, 1);
  const support = 0.5 * fs;
  const out: { start: number; w: Float64Array }[] = [];
  for (let o = 0; o < outSize; o++) {
    const centre = (o + 0.5) * scale;
    const xmin = Math.max(Math.trunc(centre - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(centre + support + 0.5), inSize);
    const w = new Float64Array(xmax - xmin);
    let s = 0;
    for (let x = xmin; x < xmax; x++) {
      const u = (x - centre + 0.5) / fs;
      s += w[x - xmin] = u > -0.5 && u <= 0.5 ? 1 : 0;
    }
    for (let i = 0; i < w.length; i++) w[i] = s ? w[i] / s : 0;
    out.push({ start: xmin, w });
  }
  return out;
}

/**
 * `PIL.Image.resize(..., BOX)` of an 8-bit image: horizontal pass, rounding to 8 bits, vertical pass,
 * rounding again (as PIL does). Input and output hold byte values 0..255.
 */
export function pilBoxResize(img: Img, oh: number, ow: number): Img {
  const cx = boxCoeffs(img.w, ow);
  const cy = boxCoeffs(img.h, oh);
  const c = img.c;
  const round8 = (v: number) => Math.min(255, Math.max(0, Math.floor(v + 0.5)));
  const mid = blank(img.h, ow, c);
  for (let y = 0; y < img.h; y++)
    for (let x = 0; x < ow; x++)
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        const { start, w } = cx[x];
        for (let i = 0; i < w.length; i++) s += w[i] * img.d[(y * img.w + start + i) * c + ch];
        mid.d[(y * ow + x) * c + ch] = round8(s);
      }
  const out = blank(oh, ow, c);
  for (let y = 0; y < oh; y++)
    for (let x = 0; x < ow; x++)
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        const { start, w } = cy[y];
        for (let i = 0; i < w.length; i++) s += w[i] * mid.d[((start + i) * ow + x) * c + ch];
        out.d[(y * ow + x) * c + ch] = round8(s);
      }
  return out;
}

/** `cv2.resize(INTER_LINEAR)` to (oh, ow): half-pixel centres, source clamped to the edges. */
export function cvResizeLinear(img: Img, oh: number, ow: number): Img {
  const out = blank(oh, ow, img.c);
  const sy = img.h / oh;
  const sx = img.w / ow;
  for (let y = 0; y < oh; y++) {
    const fy = Math.max(0, (y + 0.5) * sy - 0.5);
    const y0 = Math.min(Math.floor(fy), img.h - 1);
    const y1 = Math.min(y0 + 1, img.h - 1);
    const ty = fy - y0;
    for (let x = 0; x < ow; x++) {
      const fx = Math.max(0, (x + 0.5) * sx - 0.5);
      const x0 = Math.min(Math.floor(fx), img.w - 1);
      const x1 = Math.min(x0 + 1, img.w - 1);
      const tx = fx - x0;
      for (let ch = 0; ch < img.c; ch++) {
        const g = (yy: number, xx: number) => img.d[(yy * img.w + xx) * img.c + ch];
        out.d[(y * ow + x) * img.c + ch] = (1 - ty) * ((1 - tx) * g(y0, x0) + tx * g(y0, x1)) + ty * ((1 - tx) * g(y1, x0) + tx * g(y1, x1));
      }
    }
  }
  return out;
}

const LOG_FACT: Float64Array = (() => {
  const t = new Float64Array(4096);
  for (let i = 1; i < t.length; i++) t[i] = t[i - 1] + Math.log(i);
  return t;
})();

/** log(k!) from a table, Stirling's series beyond it. */
function logFactorial(k: number): number {
  if (k < LOG_FACT.length) return LOG_FACT[k];
  const x = k + 1;
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x ** 3);
}

/** A Poisson draw with NumPy's algorithms: multiplication for lam < 10, Hormann's PTRS rejection above. */
export function poisson(lam: number, rng: Rng): number {
  if (lam <= 0) return 0;
  if (lam < 10) {
    const enlam = Math.exp(-lam);
    let k = 0;
    let prod = 1;
    for (;;) {
      prod *= rng.next();
      if (prod > enlam) k++;
      else return k;
    }
  }
  const slam = Math.sqrt(lam);
  const loglam = Math.log(lam);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invalpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = rng.next() - 0.5;
    const v = rng.next();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + lam + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b) <= -lam + k * loglam - logFactorial(k)) return k;
  }
}

/**
 * The motion-blur line kernel of bethgelab/imagecorruptions (standing in for ImageMagick's): weights of a
 * one-sided Gaussian N(0, sigma) at 0..2r, each applied to the image shifted by i steps along `angleDeg`,
 * edges replicated; stops once a shift leaves the image.
 */
export function motionBlur(img: Img, radius: number, sigma: number, angleDeg: number): Img {
  const width = 2 * radius + 1;
  const k = new Float64Array(width);
  let z = 0;
  for (let i = 0; i < width; i++) z += k[i] = Math.exp(-(i * i) / (2 * sigma * sigma)) / (Math.sqrt(2 * Math.PI) * sigma);
  const a = (angleDeg * Math.PI) / 180;
  const py = width * Math.sin(a);
  const px = width * Math.cos(a);
  const hyp = Math.hypot(py, px);
  const { h, w, c } = img;
  const out = blank(h, w, c);
  for (let i = 0; i < width; i++) {
    const dy = -Math.ceil((i * py) / hyp - 0.5);
    const dx = -Math.ceil((i * px) / hyp - 0.5);
    if (Math.abs(dy) >= h || Math.abs(dx) >= w) break;
    const wt = k[i] / z;
    for (let y = 0; y < h; y++) {
      const sy = Math.min(h - 1, Math.max(0, y - dy));
      for (let x = 0; x < w; x++) {
        const sx = Math.min(w - 1, Math.max(0, x - dx));
        for (let ch = 0; ch < c; ch++) out.d[(y * w + x) * c + ch] += wt * img.d[(sy * w + sx) * c + ch];
      }
    }
  }
  return out;
}

/**
 * The diamond-square plasma of the CIFAR code (`plasma_fractal`): a mapsize x mapsize height map in [0, 1],
 * wibble starting at 100 and divided by `decay` per level, uniform draws in NumPy's row-major order.
 */
export function plasmaFractal(mapsize: number, decay: number, rng: Rng): Float64Array {
  const n = mapsize;
  const m = new Float64Array(n * n);
  const at = (i: number, j: number) => (((i % n) + n) % n) * n + (((j % n) + n) % n);
  let step = n;
  let wibble = 100;
  const noise = () => wibble * (-wibble + 2 * wibble * rng.next());
  while (step >= 2) {
    const half = step >> 1;
    // squares: centre = mean of the 4 corners (np.roll wraps around)
    for (let i = 0; i < n; i += step)
      for (let j = 0; j < n; j += step) {
        const s = m[at(i, j)] + m[at(i + step, j)] + m[at(i, j + step)] + m[at(i + step, j + step)];
        m[at(i + half, j + half)] = s / 4 + noise();
      }
    // diamonds on the rows of the corners, then on the rows of the centres
    for (let i = 0; i < n; i += step)
      for (let j = 0; j < n; j += step) {
        const s = m[at(i + half, j + half)] + m[at(i - half, j + half)] + m[at(i, j)] + m[at(i, j + step)];
        m[at(i, j + half)] = s / 4 + noise();
      }
    for (let i = 0; i < n; i += step)
      for (let j = 0; j < n; j += step) {
        const s = m[at(i + half, j + half)] + m[at(i + half, j - half)] + m[at(i, j)] + m[at(i + step, j)];
        m[at(i + half, j)] = s / 4 + noise();
      }
    step = half;
    wibble /= decay;
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of m) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  for (let i = 0; i < m.length; i++) m[i] = (m[i] - lo) / (hi - lo);
  return m;
}
