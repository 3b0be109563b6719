/**
 * The pixel path of a baseline JPEG as libjpeg (and libjpeg-turbo, which PIL links) computes it with its
 * default settings: RGB -> YCbCr in 16-bit fixed point, 4:2:0 chroma downsampling (2x2 averages with the
 * alternating 1, 2 bias), the accurate integer forward DCT (`jfdctint.c`), quantisation with the Annex K
 * tables scaled by `jpeg_set_quality`, then the accurate integer inverse DCT (`jidctint.c`), "fancy"
 * (triangle) upsampling of the chroma and fixed-point YCbCr -> RGB. The entropy coding is lossless, so it
 * is skipped: `jpegRoundTrip` returns exactly the pixels that saving with PIL at that quality and reading
 * back gives, which is what `jpeg_compression` of CIFAR-10-C does. Facts from the IJG code, written anew.
 * @module
 */

const CONST_BITS = 13;
const PASS1_BITS = 2;
const F0_298 = 2446;
const F0_390 = 3196;
const F0_541 = 4433;
const F0_765 = 6270;
const F0_899 = 7373;
const F1_175 = 9633;
const F1_501 = 12299;
const F1_847 = 15137;
const F1_961 = 16069;
const F2_053 = 16819;
const F2_562 = 20995;
const F3_072 = 25172;

/** The Annex K luminance and chrominance quantisation tables, natural (row-major) order. */
const STD_LUMA = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35,
  55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
const STD_CHROMA = [
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99, ...new Array<number>(32).fill(99),
];

/** `jpeg_set_quality(q, force_baseline = TRUE)`: the table scaled by 5000 / q (q < 50) or 200 - 2q, in 1..255. */
export function quantTable(quality: number, chroma: boolean): Int32Array {
  const q = Math.min(100, Math.max(1, Math.trunc(quality)));
  const scale = q < 50 ? Math.trunc(5000 / q) : 200 - 2 * q;
  return Int32Array.from(chroma ? STD_CHROMA : STD_LUMA, (b) => Math.min(255, Math.max(1, Math.trunc((b * scale + 50) / 100))));
}

const descale = (x: number, n: number) => (x + (1 << (n - 1))) >> n;

/** `jpeg_fdct_islow` on one 8x8 block of centred samples, in place (the output is 8x the true DCT). */
function fdct(d: Int32Array): void {
  for (let pass = 0; pass < 2; pass++) {
    const step = pass === 0 ? 1 : 8;
    const stride = pass === 0 ? 8 : 1;
    for (let i = 0; i < 8; i++) {
      const o = i * stride;
      const at = (k: number) => d[o + k * step];
      const tmp0 = at(0) + at(7);
      const tmp7 = at(0) - at(7);
      const tmp1 = at(1) + at(6);
      const tmp6 = at(1) - at(6);
      const tmp2 = at(2) + at(5);
      const tmp5 = at(2) - at(5);
      const tmp3 = at(3) + at(4);
      const tmp4 = at(3) - at(4);
      const tmp10 = tmp0 + tmp3;
      const tmp13 = tmp0 - tmp3;
      const tmp11 = tmp1 + tmp2;
      const tmp12 = tmp1 - tmp2;
      const n = pass === 0 ? CONST_BITS - PASS1_BITS : CONST_BITS + PASS1_BITS;
      d[o] = pass === 0 ? (tmp10 + tmp11) << PASS1_BITS : descale(tmp10 + tmp11, PASS1_BITS);
      d[o + 4 * step] = pass === 0 ? (tmp10 - tmp11) << PASS1_BITS : descale(tmp10 - tmp11, PASS1_BITS);
      const z1 = (tmp12 + tmp13) * F0_541;
      d[o + 2 * step] = descale(z1 + tmp13 * F0_765, n);
      d[o + 6 * step] = descale(z1 - tmp12 * F1_847, n);
      const z5 = (tmp4 + tmp6 + tmp5 + tmp7) * F1_175;
      const a1 = -(tmp4 + tmp7) * F0_899;
      const a2 = -(tmp5 + tmp6) * F2_562;
      const a3 = -(tmp4 + tmp6) * F1_961 + z5;
      const a4 = -(tmp5 + tmp7) * F0_390 + z5;
      d[o + 7 * step] = descale(tmp4 * F0_298 + a1 + a3, n);
      d[o + 5 * step] = descale(tmp5 * F2_053 + a2 + a4, n);
      d[o + 3 * step] = descale(tmp6 * F3_072 + a2 + a3, n);
      d[o + step] = descale(tmp7 * F1_501 + a1 + a4, n);
    }
  }
}

/** libjpeg's sample range limit after the IDCT: the value wraps modulo 1024 around 0, then is clamped. */
const rangeLimit = (x: number) => {
  const v = ((x + 512) & 1023) - 512 + 128;
  return v < 0 ? 0 : v > 255 ? 255 : v;
};

const WS = new Int32Array(64);

/** `jpeg_idct_islow`: dequantised coefficients of one block (natural order) to 64 samples (row-major), 0..255. */
export function idct(coef: Int32Array, out: Uint8Array): void {
  const ws = WS;
  // pass 1: columns of the input (elements 8 apart) into the workspace
  for (let i = 0; i < 8; i++) {
    if (coef[i + 8] === 0 && coef[i + 16] === 0 && coef[i + 24] === 0 && coef[i + 32] === 0 && coef[i + 40] === 0 && coef[i + 48] === 0 && coef[i + 56] === 0) {
      // the column shortcut of jidctint.c: same values as the full computation
      const dc = coef[i] << PASS1_BITS;
      for (let k = 0; k < 64; k += 8) ws[i + k] = dc;
      continue;
    }
    one(coef[i], coef[i + 8], coef[i + 16], coef[i + 24], coef[i + 32], coef[i + 40], coef[i + 48], coef[i + 56]);
    const n = CONST_BITS - PASS1_BITS;
    ws[i] = descale(R0, n);
    ws[i + 8] = descale(R1, n);
    ws[i + 16] = descale(R2, n);
    ws[i + 24] = descale(R3, n);
    ws[i + 32] = descale(R4, n);
    ws[i + 40] = descale(R5, n);
    ws[i + 48] = descale(R6, n);
    ws[i + 56] = descale(R7, n);
  }
  // pass 2: rows of the workspace into samples
  for (let i = 0; i < 64; i += 8) {
    one(ws[i], ws[i + 1], ws[i + 2], ws[i + 3], ws[i + 4], ws[i + 5], ws[i + 6], ws[i + 7]);
    const n = CONST_BITS + PASS1_BITS + 3;
    out[i] = rangeLimit(descale(R0, n));
    out[i + 1] = rangeLimit(descale(R1, n));
    out[i + 2] = rangeLimit(descale(R2, n));
    out[i + 3] = rangeLimit(descale(R3, n));
    out[i + 4] = rangeLimit(descale(R4, n));
    out[i + 5] = rangeLimit(descale(R5, n));
    out[i + 6] = rangeLimit(descale(R6, n));
    out[i + 7] = rangeLimit(descale(R7, n));
  }
}

// the eight outputs of one 1-D IDCT, before descaling (module variables: no allocation per call)
let R0 = 0;
let R1 = 0;
let R2 = 0;
let R3 = 0;
let R4 = 0;
let R5 = 0;
let R6 = 0;
let R7 = 0;

/** One 1-D islow IDCT of inputs d0..d7 (jidctint.c's even and odd parts), into R0..R7. */
function one(d0: number, d1: number, d2: number, d3: number, d4: number, d5: number, d6: number, d7: number): void {
  let z1 = (d2 + d6) * F0_541;
  const tmp2e = z1 - d6 * F1_847;
  const tmp3e = z1 + d2 * F0_765;
  const tmp0e = (d0 + d4) << CONST_BITS;
  const tmp1e = (d0 - d4) << CONST_BITS;
  const tmp10 = tmp0e + tmp3e;
  const tmp13 = tmp0e - tmp3e;
  const tmp11 = tmp1e + tmp2e;
  const tmp12 = tmp1e - tmp2e;
  z1 = d7 + d1;
  let z2 = d5 + d3;
  let z3 = d7 + d3;
  let z4 = d5 + d1;
  const z5 = (z3 + z4) * F1_175;
  z1 *= -F0_899;
  z2 *= -F2_562;
  z3 = z3 * -F1_961 + z5;
  z4 = z4 * -F0_390 + z5;
  const tmp0 = d7 * F0_298 + z1 + z3;
  const tmp1 = d5 * F2_053 + z2 + z4;
  const tmp2 = d3 * F3_072 + z2 + z3;
  const tmp3 = d1 * F1_501 + z1 + z4;
  R0 = tmp10 + tmp3;
  R7 = tmp10 - tmp3;
  R1 = tmp11 + tmp2;
  R6 = tmp11 - tmp2;
  R2 = tmp12 + tmp1;
  R5 = tmp12 - tmp1;
  R3 = tmp13 + tmp0;
  R4 = tmp13 - tmp0;
}

/** One component plane (bytes, `w` x `h`) through FDCT, quantisation by `q`, dequantisation and IDCT. */
function codePlane(plane: Uint8Array, w: number, h: number, q: Int32Array): Uint8Array {
  const out = new Uint8Array(w * h);
  const blk = new Int32Array(64);
  const px = new Uint8Array(64);
  for (let by = 0; by < h; by += 8)
    for (let bx = 0; bx < w; bx += 8) {
      for (let r = 0; r < 8; r++) for (let c = 0; c < 8; c++) blk[r * 8 + c] = plane[(by + r) * w + bx + c] - 128;
      fdct(blk);
      for (let k = 0; k < 64; k++) {
        // jcdctmgr.c: round half away from zero by the divisor q * 8, then the decoder multiplies by q
        const qv = q[k] * 8;
        const t = blk[k];
        const m = Math.trunc((Math.abs(t) + (qv >> 1)) / qv);
        blk[k] = (t < 0 ? -m : m) * q[k];
      }
      idct(blk, px);
      for (let r = 0; r < 8; r++) for (let c = 0; c < 8; c++) out[(by + r) * w + bx + c] = px[r * 8 + c];
    }
  return out;
}

/** h2v2 fancy upsampling (jdsample.c) of a `cw` x `ch` plane (stride `stride`) to 2cw x 2ch. */
export function fancyUpsample(p: Uint8Array, stride: number, cw: number, ch: number): Uint8Array {
  const ow = 2 * cw;
  const out = new Uint8Array(ow * 2 * ch);
  for (let r = 0; r < ch; r++)
    for (let v = 0; v < 2; v++) {
      // the nearer row counts 3, the next nearest (above for the upper output row, below for the lower) 1;
      // beyond the edges the edge row is repeated
      const nr = v === 0 ? Math.max(0, r - 1) : Math.min(ch - 1, r + 1);
      const colsum = (c: number) => 3 * p[r * stride + c] + p[nr * stride + c];
      const o = (2 * r + v) * ow;
      if (cw === 1) {
        const s = colsum(0);
        out[o] = (s * 4 + 8) >> 4;
        out[o + 1] = (s * 4 + 7) >> 4;
        continue;
      }
      let last = colsum(0);
      let cur = last;
      let next = colsum(1);
      out[o] = (cur * 4 + 8) >> 4;
      out[o + 1] = (cur * 3 + next + 7) >> 4;
      for (let c = 1; c < cw - 1; c++) {
        last = cur;
        cur = next;
        next = colsum(c + 1);
        out[o + 2 * c] = (cur * 3 + last + 8) >> 4;
        out[o + 2 * c + 1] = (cur * 3 + next + 7) >> 4;
      }
      last = cur;
      cur = next;
      out[o + 2 * cw - 2] = (cur * 3 + last + 8) >> 4;
      out[o + 2 * cw - 1] = (cur * 4 + 7) >> 4;
    }
  return out;
}

const FIX = (x: number) => Math.round(x * 65536);
const F1_402 = FIX(1.402);
const F0_344 = FIX(0.34414);
const F0_714 = FIX(0.71414);
const F1_772 = FIX(1.772);
const clamp255 = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);

/**
 * An RGB image (HWC bytes, `h` x `w`) saved as a baseline 4:2:0 JPEG at `quality` by libjpeg with its
 * defaults (as `PIL.Image.save(f, 'JPEG', quality=q)` does) and decoded again by libjpeg's defaults.
 * @example const out = jpegRoundTrip(rgb, 32, 32, 80);
 */
export function jpegRoundTrip(rgb: Uint8Array, h: number, w: number, quality: number): Uint8Array {
  // the compressor pads the image to whole 16x16 MCUs by repeating the last column and row
  const pw = Math.ceil(w / 16) * 16;
  const ph = Math.ceil(h / 16) * 16;
  const Y = new Uint8Array(pw * ph);
  const Cb = new Uint8Array(pw * ph);
  const Cr = new Uint8Array(pw * ph);
  for (let y = 0; y < ph; y++)
    for (let x = 0; x < pw; x++) {
      const s = (Math.min(y, h - 1) * w + Math.min(x, w - 1)) * 3;
      const r = rgb[s];
      const g = rgb[s + 1];
      const b = rgb[s + 2];
      const o = y * pw + x;
      // jccolor.c: 16-bit fixed point, chroma offset 128 (+ ONE_HALF - 1 on the positive 0.5 term)
      Y[o] = (FIX(0.299) * r + FIX(0.587) * g + FIX(0.114) * b + 32768) >> 16;
      Cb[o] = (-FIX(0.16874) * r - FIX(0.33126) * g + FIX(0.5) * b + (128 << 16) + 32767) >> 16;
      Cr[o] = (FIX(0.5) * r - FIX(0.41869) * g - FIX(0.08131) * b + (128 << 16) + 32767) >> 16;
    }
  // jcsample.c h2v2_downsample: 2x2 sums with a bias alternating 1, 2 along each row
  const cw = pw / 2;
  const chh = ph / 2;
  const down = (p: Uint8Array) => {
    const o = new Uint8Array(cw * chh);
    for (let y = 0; y < chh; y++)
      for (let x = 0; x < cw; x++) {
        const i = 2 * y * pw + 2 * x;
        o[y * cw + x] = (p[i] + p[i + 1] + p[i + pw] + p[i + pw + 1] + (x % 2 === 0 ? 1 : 2)) >> 2;
      }
    return o;
  };
  const lq = quantTable(quality, false);
  const cq = quantTable(quality, true);
  const yd = codePlane(Y, pw, ph, lq);
  // chroma planes are coded whole-block (padded to 8 already), upsampled over the real downsampled size
  const dw = Math.ceil(w / 2);
  const dh = Math.ceil(h / 2);
  const cbu = fancyUpsample(codePlane(down(Cb), cw, chh, cq), cw, dw, dh);
  const cru = fancyUpsample(codePlane(down(Cr), cw, chh, cq), cw, dw, dh);
  return yccToRgb(yd, pw, cbu, cru, 2 * dw, h, w);
}

/**
 * libjpeg's YCbCr -> RGB (jdcolor.c tables) of full-size planes: Y with row stride `ys`, Cb and Cr with
 * row stride `cs`, into h x w HWC bytes.
 */
export function yccToRgb(yd: Uint8Array, ys: number, cbu: Uint8Array, cru: Uint8Array, cs: number, h: number, w: number): Uint8Array {
  const out = new Uint8Array(h * w * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const yy = yd[y * ys + x];
      const cb = cbu[y * cs + x] - 128;
      const cr = cru[y * cs + x] - 128;
      const o = (y * w + x) * 3;
      out[o] = clamp255(yy + ((F1_402 * cr + 32768) >> 16));
      out[o + 1] = clamp255(yy + ((-F0_344 * cb + 32768 - F0_714 * cr) >> 16));
      out[o + 2] = clamp255(yy + ((F1_772 * cb + 32768) >> 16));
    }
  return out;
}
