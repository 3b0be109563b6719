/**
 * A baseline JPEG decoder that gives libjpeg's pixels (what PIL, and so torchvision, reads): Huffman
 * decoding of sequential 8-bit scans, then libjpeg's integer IDCT, fancy upsampling and YCbCr -> RGB from
 * `libjpeg.ts`. It takes grey images and colour images with 1x1 or 2x2 luma sampling over 1x1 chroma
 * (4:4:4, 4:2:0); anything else (progressive, 12-bit, other samplings) returns undefined, and the caller
 * decodes with jpeg-js instead.
 * @module
 */
import { fancyUpsample, idct, yccToRgb } from './libjpeg';

/** Zigzag position k -> natural (row-major) index. */
const ZIGZAG = [
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30,
  37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

interface Huffman {
  /** code length -> [first code, first index, count] */
  maxcode: Int32Array;
  valptr: Int32Array;
  mincode: Int32Array;
  values: Uint8Array;
}

function buildHuffman(counts: Uint8Array, values: Uint8Array): Huffman {
  const maxcode = new Int32Array(18).fill(-1);
  const valptr = new Int32Array(17);
  const mincode = new Int32Array(17);
  let code = 0;
  let k = 0;
  for (let l = 1; l <= 16; l++) {
    valptr[l] = k;
    mincode[l] = code;
    code += counts[l - 1];
    k += counts[l - 1];
    maxcode[l] = counts[l - 1] ? code - 1 : -1;
    code <<= 1;
  }
  maxcode[17] = 0x7fffffff;
  return { maxcode, valptr, mincode, values };
}

interface Component {
  id: number;
  h: number;
  v: number;
  tq: number;
  td: number;
  ta: number;
  /** blocks across and down the component's plane (whole MCUs) */
  bw: number;
  bh: number;
  coef: Int32Array;
}

class Bad extends Error {}

/**
 * Decodes JPEG bytes to RGB as libjpeg does with its default settings, or returns undefined for a form
 * it does not take (see the module note). Throws on a corrupt or truncated stream.
 */
export function decodeJpegLibjpeg(buf: Uint8Array): { width: number; height: number; data: Uint8Array } | undefined {
  const qt: Int32Array[] = [];
  const dc: Huffman[] = [];
  const ac: Huffman[] = [];
  let comps: Component[] = [];
  let width = 0;
  let height = 0;
  let hmax = 1;
  let vmax = 1;
  let restart = 0;
  let p = 2;
  let scanned = false;
  const u16 = (o: number) => {
    if (o + 2 > buf.length) throw new Bad('truncated');
    return (buf[o] << 8) | buf[o + 1];
  };
  if (buf[0] !== 0xff || buf[1] !== 0xd8) throw new Bad('no SOI marker');
  for (;;) {
    if (p + 2 > buf.length) throw new Bad('truncated before the end of the image');
    if (buf[p] !== 0xff) throw new Bad(`expected a marker at byte ${p}`);
    const m = buf[p + 1];
    if (m === 0xff) {
      p++;
      continue;
    }
    if (m === 0xd9) break;
    const len = u16(p + 2);
    const seg = p + 4;
    const end = p + 2 + len;
    if (end > buf.length) throw new Bad('truncated segment');
    if (m === 0xdb) {
      for (let o = seg; o < end; ) {
        const pq = buf[o] >> 4;
        const tq = buf[o] & 15;
        o++;
        const t = new Int32Array(64);
        for (let k = 0; k < 64; k++) t[ZIGZAG[k]] = pq ? u16(o + 2 * k) : buf[o + k];
        o += pq ? 128 : 64;
        qt[tq] = t;
      }
    } else if (m === 0xc0 || m === 0xc1) {
      if (buf[seg] !== 8) return undefined;
      height = u16(seg + 1);
      width = u16(seg + 3);
      const n = buf[seg + 5];
      comps = [];
      for (let i = 0; i < n; i++) {
        const o = seg + 6 + 3 * i;
        comps.push({ id: buf[o], h: buf[o + 1] >> 4, v: buf[o + 1] & 15, tq: buf[o + 2], td: 0, ta: 0, bw: 0, bh: 0, coef: new Int32Array(0) });
      }
    } else if (m >= 0xc2 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      return undefined; // progressive, lossless or arithmetic-coded
    } else if (m === 0xc4) {
      for (let o = seg; o < end; ) {
        const tc = buf[o] >> 4;
        const th = buf[o] & 15;
        const counts = buf.subarray(o + 1, o + 17);
        const total = counts.reduce((a, b) => a + b, 0);
        const t = buildHuffman(counts, buf.slice(o + 17, o + 17 + total));
        (tc === 0 ? dc : ac)[th] = t;
        o += 17 + total;
      }
    } else if (m === 0xdd) {
      restart = u16(seg);
    } else if (m === 0xda) {
      if (scanned || comps.length === 0) return undefined; // several scans: not a single sequential scan
      const ns = buf[seg];
      if (ns !== comps.length) return undefined;
      for (let i = 0; i < ns; i++) {
        const c = comps.find((k) => k.id === buf[seg + 1 + 2 * i]);
        if (!c) throw new Bad('scan names an unknown component');
        c.td = buf[seg + 2 + 2 * i] >> 4;
        c.ta = buf[seg + 2 + 2 * i] & 15;
      }
      if (!sampling(comps)) return undefined;
      hmax = Math.max(...comps.map((c) => c.h));
      vmax = Math.max(...comps.map((c) => c.v));
      p = scan(buf, end, comps, width, height, hmax, vmax, dc, ac, restart);
      scanned = true;
      continue;
    }
    p = end;
  }
  if (!scanned) throw new Bad('no image data');
  const planes = comps.map((c) => {
    const q = qt[c.tq];
    if (!q) throw new Bad(`quantisation table ${c.tq} missing`);
    const pw = c.bw * 8;
    const plane = new Uint8Array(pw * c.bh * 8);
    const blk = new Int32Array(64);
    const px = new Uint8Array(64);
    for (let by = 0; by < c.bh; by++)
      for (let bx = 0; bx < c.bw; bx++) {
        const o = (by * c.bw + bx) * 64;
        for (let k = 0; k < 64; k++) blk[k] = c.coef[o + k] * q[k];
        idct(blk, px);
        for (let r = 0; r < 8; r++) plane.set(px.subarray(r * 8, r * 8 + 8), (by * 8 + r) * pw + bx * 8);
      }
    return { plane, stride: pw };
  });
  if (comps.length === 1) {
    const data = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.fill(planes[0].plane[y * planes[0].stride + x], (y * width + x) * 3, (y * width + x) * 3 + 3);
    return { width, height, data };
  }
  const full = planes.map((pl, i) => {
    const c = comps[i];
    if (c.h === hmax && c.v === vmax) return pl;
    return { plane: fancyUpsample(pl.plane, pl.stride, Math.ceil(width / 2), Math.ceil(height / 2)), stride: 2 * Math.ceil(width / 2) };
  });
  if (full[1].stride !== full[2].stride) return undefined;
  return { width, height, data: yccToRgb(full[0].plane, full[0].stride, full[1].plane, full[2].plane, full[1].stride, height, width) };
}

/** The samplings taken: grey, or luma 1x1 / 2x2 with both chroma components 1x1. */
function sampling(comps: Component[]): boolean {
  if (comps.length === 1) return true;
  if (comps.length !== 3) return false;
  const [y, cb, cr] = comps;
  return cb.h === 1 && cb.v === 1 && cr.h === 1 && cr.v === 1 && ((y.h === 1 && y.v === 1) || (y.h === 2 && y.v === 2));
}

/** Decodes one sequential scan into the components' coefficient arrays; returns the offset after it. */
function scan(buf: Uint8Array, start: number, comps: Component[], width: number, height: number, hmax: number, vmax: number, dc: Huffman[], ac: Huffman[], restart: number): number {
  const single = comps.length === 1;
  const mcux = single ? Math.ceil(width / 8) : Math.ceil(width / (8 * hmax));
  const mcuy = single ? Math.ceil(height / 8) : Math.ceil(height / (8 * vmax));
  for (const c of comps) {
    c.bw = single ? mcux : mcux * c.h;
    c.bh = single ? mcuy : mcuy * c.v;
    c.coef = new Int32Array(c.bw * c.bh * 64);
    if (!dc[c.td] || !ac[c.ta]) throw new Bad('Huffman table missing');
  }
  let p = start;
  let bits = 0;
  let nbits = 0;
  let marker = false;
  const bit = (): number => {
    if (nbits === 0) {
      if (marker || p >= buf.length) {
        // libjpeg pads a stream that ends early with zero bits (and warns); past the data is corrupt
        if (p >= buf.length) throw new Bad('truncated image data');
        bits = 0;
      } else {
        bits = buf[p++];
        if (bits === 0xff) {
          const n = buf[p];
          if (n === 0) p++;
          else {
            marker = true;
            p--;
            bits = 0;
          }
        }
      }
      nbits = 8;
    }
    nbits--;
    return (bits >> nbits) & 1;
  };
  const decode = (t: Huffman): number => {
    let code = bit();
    let l = 1;
    while (code > t.maxcode[l]) {
      code = (code << 1) | bit();
      if (++l > 16) throw new Bad('bad Huffman code');
    }
    return t.values[t.valptr[l] + code - t.mincode[l]];
  };
  const receive = (s: number): number => {
    let v = 0;
    for (let i = 0; i < s; i++) v = (v << 1) | bit();
    return v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
  };
  const pred = new Int32Array(comps.length);
  const block = (c: Component, ci: number, bx: number, by: number) => {
    const o = (by * c.bw + bx) * 64;
    const s = decode(dc[c.td]);
    pred[ci] += s ? receive(s) : 0;
    c.coef[o] = pred[ci];
    for (let k = 1; k < 64; ) {
      const rs = decode(ac[c.ta]);
      const r = rs >> 4;
      const sz = rs & 15;
      if (sz === 0) {
        if (r === 15) {
          k += 16;
          continue;
        }
        break;
      }
      k += r;
      if (k > 63) throw new Bad('coefficient index out of range');
      c.coef[o + ZIGZAG[k]] = receive(sz);
      k++;
    }
  };
  let count = 0;
  for (let my = 0; my < mcuy; my++)
    for (let mx = 0; mx < mcux; mx++) {
      if (restart && count > 0 && count % restart === 0) {
        // byte-align, expect RSTn, reset the DC predictions
        nbits = 0;
        marker = false;
        if (buf[p] !== 0xff || (buf[p + 1] & 0xf8) !== 0xd0) throw new Bad('restart marker missing');
        p += 2;
        pred.fill(0);
      }
      count++;
      comps.forEach((c, ci) => {
        if (single) block(c, ci, mx, my);
        else for (let v = 0; v < c.v; v++) for (let h = 0; h < c.h; h++) block(c, ci, mx * c.h + h, my * c.v + v);
      });
    }
  // skip to the next marker (EOI)
  while (p < buf.length && !(buf[p] === 0xff && buf[p + 1] !== 0 && buf[p + 1] !== 0xff)) p++;
  if (p >= buf.length) throw new Bad('truncated after the image data');
  return p;
}
