/**
 * WebAssembly SIMD loops that run directly on the tfjs-backend-wasm heap. The backend's own memory-bound
 * kernels (max-pool gradient, the ReLU gradient's Step + Cast + Multiply, leading-axis sums) run generic
 * scalar loops, and the same loops in JavaScript over heap views run at a few ns per element. This module
 * assembles a small wasm module (no toolchain: the binary is written out below) that imports the backend's
 * own `WebAssembly.Memory` and exports a handful of 128-bit SIMD loops; they take byte offsets into the heap
 * (`dataIdMap.get(dataId).memoryOffset`) and run on the calling thread.
 * @module
 */

// ---------------------------------------------------------------------------------------------------------
// Binary encoding (WebAssembly core spec 5.x, SIMD proposal opcodes under the 0xfd prefix).

type Op = number | Op[];

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function flat(ops: Op[], out: number[] = []): number[] {
  for (const o of ops) {
    if (typeof o === 'number') out.push(o);
    else flat(o, out);
  }
  return out;
}
const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

const I32 = 0x7f;
const V128 = 0x7b;

const get = (i: number): Op => [0x20, uleb(i)];
const set = (i: number): Op => [0x21, uleb(i)];
/** local.tee: set and keep the value on the stack. */
const tee = (i: number): Op => [0x22, uleb(i)];
const i32 = (v: number): Op => [0x41, sleb(v)];
const add = 0x6a;
const sub = 0x6b;
const mul = 0x6c;
const geU = 0x4f;
const ltU = 0x49;
/** `a += b` for locals a and the ops b. */
const inc = (a: number, b: Op): Op => [get(a), b, add, set(a)];
/** The sum of locals (byte address). */
const sum = (...ls: number[]): Op => [get(ls[0]), ls.slice(1).map((l) => [get(l), add])];

const simd = (op: number, ...imm: number[]): Op => [0xfd, uleb(op), imm];
const vload = (offset = 0): Op => simd(0x00, 4, ...uleb(offset));
const vstore = (offset = 0): Op => simd(0x0b, 4, ...uleb(offset));
const vconst = (f: number): Op => simd(0x0c, ...new Uint8Array(new Float32Array([f, f, f, f]).buffer));
const fEq = simd(0x41);
const fNe = simd(0x42);
const fGt = simd(0x44);
const fLt = simd(0x43);
const fMin = simd(0xe8);
const fMax = simd(0xe9);
const i32Splat = simd(0x11);
const vload32Splat = (offset = 0): Op => simd(0x09, 2, ...uleb(offset));
const fAdd = simd(0xe4);
const fSub = simd(0xe5);
const fMul = simd(0xe6);
const vAnd = simd(0x4e);
const vAndNot = simd(0x4f);
const vOr = simd(0x50);
const bitselect = simd(0x52);
const dAdd = simd(0xf0);
const promoteLow = simd(0x5f);
/** i8x16.shuffle taking the high 8 bytes of the first operand into the low half. */
const highHalf = simd(0x0d, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15);
const f32load = (offset = 0): Op => [0x2a, 2, uleb(offset)];
const f32store = (offset = 0): Op => [0x38, 2, uleb(offset)];
const f32zero: Op = [0x43, 0, 0, 0, 0];

/** `for (v = 0; v < limit; v += step) body`, v a local, limit a local, step ops pushing an i32. */
function loop(v: number, limit: number, step: Op, body: Op[]): Op {
  return [i32(0), set(v), 0x02, 0x40, 0x03, 0x40, get(v), get(limit), geU, 0x0d, 1, body, get(v), step, add, set(v), 0x0c, 0, 0x0b, 0x0b];
}

interface Fn {
  name: string;
  params: number;
  locals: [count: number, type: number][];
  body: Op[];
}

function assemble(fns: Fn[], shared: boolean): Uint8Array {
  const arities = [...new Set(fns.map((f) => f.params))];
  const types = section(1, vec(arities.map((n) => [0x60, ...vec(Array.from({ length: n }, () => [I32])), 0])));
  const limits = shared ? [0x03, 0, ...uleb(65536)] : [0x00, 0];
  const imports = section(2, vec([[...name('env'), ...name('memory'), 0x02, ...limits]]));
  const funcs = section(3, vec(fns.map((f) => uleb(arities.indexOf(f.params)))));
  const exports = section(7, vec(fns.map((f, i) => [...name(f.name), 0x00, ...uleb(i)])));
  const bodies = fns.map((f) => {
    const body = [...vec(f.locals.map(([n, t]) => [...uleb(n), t])), ...flat(f.body), 0x0b];
    return [...uleb(body.length), ...body];
  });
  const code = section(10, vec(bodies));
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...types, ...imports, ...funcs, ...exports, ...code]);
}

// ---------------------------------------------------------------------------------------------------------
// The loops. Pointers and lengths are byte offsets and byte counts; vector loops need multiples of 16 bytes.

/** `m = v > best || (best is NaN && v is not)`: v replaces the running maximum (first arg-max kept). */
const beats = (v: number, best: number): Op => [get(v), get(best), fGt, get(best), get(best), fNe, get(v), get(v), fEq, vAnd, vOr];

/**
 * pool2x2(x, g, dx, ow, c, rs): one row of 2x2/2 max-pool windows. x and dx point at the window row's top-left
 * cell, g at the row of dy; c is the channel stride and rs the input row stride (bytes). Each window's four
 * cells are written: dy at the first arg-max (row major, NaN-aware as the cpu backend), zero elsewhere.
 */
const pool2x2: Fn = (() => {
  const [x, g, dx, ow, c, rs, q, k, p, d] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [best, v, m1, m2, m3, gv] = [10, 11, 12, 13, 14, 15];
  const step = (m: number, at: Op): Op => [get(p), at, add, vload(), set(v), beats(v, best), set(m), get(v), get(best), get(m), bitselect, set(best)];
  const put = (at: Op, value: Op): Op => [get(d), at, add, value, vstore()];
  return {
    name: 'pool2x2',
    params: 6,
    locals: [[4, I32], [6, V128]],
    body: [
      loop(q, ow, i32(1), [
        loop(k, c, i32(16), [
          sum(x, k), set(p),
          sum(dx, k), set(d),
          get(p), vload(), set(best),
          step(m1, get(c)),
          step(m2, get(rs)),
          step(m3, [get(rs), get(c), add]),
          sum(g, k), vload(), set(gv),
          put(i32(0), [get(gv), get(m1), get(m2), vOr, get(m3), vOr, vAndNot]),
          put(get(c), [get(gv), get(m1), get(m2), vAndNot, get(m3), vAndNot, vAnd]),
          put(get(rs), [get(gv), get(m2), get(m3), vAndNot, vAnd]),
          put([get(rs), get(c), add], [get(gv), get(m3), vAnd]),
        ]),
        inc(x, [get(c), get(c), add]),
        inc(dx, [get(c), get(c), add]),
        inc(g, get(c)),
      ]),
    ],
  };
})();

/** reluGrad(dy, x, out, n): out = dy * step(x), step(x) = 1 for x > 0, NaN for NaN x, else 0 (TF.js's formula). */
const reluGrad: Fn = (() => {
  const [dy, x, out, n, k] = [0, 1, 2, 3, 4];
  const xv = 5;
  return {
    name: 'reluGrad',
    params: 4,
    locals: [[1, I32], [1, V128]],
    body: [
      loop(k, n, i32(16), [
        sum(out, k),
        sum(dy, k), vload(),
        sum(x, k), vload(), set(xv),
        get(xv), vconst(1), get(xv), vconst(0), fGt, vAnd, get(xv), get(xv), fNe, bitselect,
        fMul,
        vstore(),
      ]),
    ],
  };
})();

/**
 * The loop of the float64 row sums: for each of `rows` rows of c bytes, the 4-lane vectors k of the row (`load`
 * sets the locals the halves read), acc[j] += half(low) and acc[j + 2] += half(high) as float64 pairs; the
 * locals in `advance` step by c bytes per row. `p` is a scratch local for the accumulator's address.
 */
function f64RowSums(acc: number, rows: number, c: number, r: number, k: number, p: number, advance: number[], load: Op, half: (high: boolean) => Op): Op {
  return loop(r, rows, i32(1), [
    get(acc), set(p),
    loop(k, c, i32(16), [
      load,
      get(p), get(p), vload(), half(false), dAdd, vstore(),
      get(p), get(p), vload(16), half(true), dAdd, vstore(16),
      inc(p, i32(32)),
    ]),
    advance.map((a) => inc(a, get(c))),
  ]);
}

/** The float64 pair of a float32 vector local's low or high two lanes. */
const promoted = (v: number, high: boolean): Op => (high ? [get(v), get(v), highHalf, promoteLow] : [get(v), promoteLow]);

/** sumRows(x, acc, rows, c): acc[j] += sum_r x[r, j] with acc in float64 (c bytes of float32 per row). */
const sumRows: Fn = (() => {
  const [x, acc, rows, c, r, k, a] = [0, 1, 2, 3, 4, 5, 6];
  const v = 7;
  return {
    name: 'sumRows',
    params: 4,
    locals: [[3, I32], [1, V128]],
    body: [f64RowSums(acc, rows, c, r, k, a, [x], [sum(x, k), vload(), set(v)], (high) => promoted(v, high))],
  };
})();

/**
 * sumProdDevRows(a, ma, b, mb, acc, rows, c): acc[j] += sum_r (a[r, j] - ma[j]) (b[r, j] - mb[j]), the
 * differences in float32, their product and the sum in float64 (acc: float64; a row is c bytes of float32):
 * batch-norm statistics (the variance, a = b = x) and gradients (sum dy (x - mean), ma = 0).
 */
const sumProdDevRows: Fn = (() => {
  const [a, ma, b, mb, acc, rows, c, r, k, p] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [u, v] = [10, 11];
  const dMul = simd(0xf2);
  const load: Op = [sum(a, k), vload(), sum(ma, k), vload(), fSub, set(u), sum(b, k), vload(), sum(mb, k), vload(), fSub, set(v)];
  return {
    name: 'sumProdDevRows',
    params: 7,
    locals: [[3, I32], [2, V128]],
    body: [f64RowSums(acc, rows, c, r, k, p, [a, b], load, (high) => [promoted(u, high), promoted(v, high), dMul])],
  };
})();

/**
 * affineRows(x, m, s, t, y, rows, c): y[r, j] = (x[r, j] - m[j]) s[j] + t[j] (a batch norm's output);
 * affine2Rows(x, s, v, m, u, t, y, rows, c): y = x s + (v - m) u + t, v a second [rows, c] input (its input
 * gradient). m, s, u, t are per-channel float32 rows; a row is c bytes. Centring first, as the composite
 * formula does, so that a large mean cancels exactly.
 */
function makeAffineRows(two: boolean): Fn {
  const [x, sc, v, m, u, t, y, rows, c, r, k] = two ? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10] : [0, -1, -1, 1, 2, 3, 4, 5, 6, 7, 8];
  const centred = (a: number): Op => [sum(a, k), vload(), sum(m, k), vload(), fSub];
  return {
    name: two ? 'affine2Rows' : 'affineRows',
    params: two ? 9 : 7,
    locals: [[2, I32]],
    body: [
      loop(r, rows, i32(1), [
        loop(k, c, i32(16), [
          sum(y, k),
          two ? [sum(x, k), vload(), sum(sc, k), vload(), fMul, centred(v), sum(u, k), vload(), fMul, fAdd] : [centred(x), sum(u, k), vload(), fMul],
          sum(t, k), vload(), fAdd,
          vstore(),
        ]),
        inc(x, get(c)),
        two ? inc(v, get(c)) : [],
        inc(y, get(c)),
      ]),
    ],
  };
}

/**
 * clip(x, out, n, lo, hi): out = x > hi ? hi : x < lo ? lo : x (the cpu backend's rule: NaN and -0 pass), lo
 * and hi given as the bit patterns of float32 values.
 */
const clip: Fn = (() => {
  const [x, out, n, lo, hi, k] = [0, 1, 2, 3, 4, 5];
  const [v, l, h] = [6, 7, 8];
  return {
    name: 'clip',
    params: 5,
    locals: [[1, I32], [3, V128]],
    body: [
      get(lo), i32Splat, set(l),
      get(hi), i32Splat, set(h),
      loop(k, n, i32(16), [
        sum(out, k),
        sum(x, k), vload(), set(v),
        get(l), get(h), get(v), get(v), get(h), fGt, bitselect, get(v), get(l), fLt, bitselect,
        vstore(),
      ]),
    ],
  };
})();

/** sign(x, out, n): out = x < 0 ? -1 : x > 0 ? 1 : 0 (+0 for both zeros and NaN, as the cpu backend). */
const sign: Fn = (() => {
  const [x, out, n, k] = [0, 1, 2, 3];
  const v = 4;
  return {
    name: 'sign',
    params: 3,
    locals: [[1, I32], [1, V128]],
    body: [
      loop(k, n, i32(16), [
        sum(out, k),
        sum(x, k), vload(), set(v),
        get(v), vconst(0), fGt, vconst(1), vAnd, get(v), vconst(0), fLt, vconst(-1), vAnd, vOr,
        vstore(),
      ]),
    ],
  };
})();

/**
 * Element-wise max or min (wasm's f32x4.max/min: NaN if either is NaN, -0 below +0, as Math.max/min) of a and
 * b into out, n bytes; with `scalarB` b is one float32 broadcast.
 */
const extremum = (kind: 'max' | 'min', scalarB: boolean): Fn => {
  const [a, b, out, n, k] = [0, 1, 2, 3, 4];
  return {
    name: `${kind}${scalarB ? 'Scalar' : ''}`,
    params: 4,
    locals: [[1, I32]],
    body: [loop(k, n, i32(16), [sum(out, k), sum(a, k), vload(), scalarB ? [get(b), vload32Splat()] : [sum(b, k), vload()], kind === 'max' ? fMax : fMin, vstore()])],
  };
};

/** addInto(dst, src, n): dst += src. */
const addInto: Fn = (() => {
  const [dst, src, n, k] = [0, 1, 2, 3];
  return {
    name: 'addInto',
    params: 3,
    locals: [[1, I32]],
    body: [loop(k, n, i32(16), [sum(dst, k), sum(dst, k), vload(), sum(src, k), vload(), fAdd, vstore()])],
  };
})();

/** Lane indices for i8x16.shuffle of 32-bit lanes: a.0, b.0, a.1, b.1 etc. (b's lanes numbered from 4). */
const lanes = (...l: number[]): number[] => l.flatMap((k) => [4 * k, 4 * k + 1, 4 * k + 2, 4 * k + 3]);
const shuffle = (...l: number[]): Op => simd(0x0d, ...lanes(...l));

/**
 * im2colT(x, dst, nc, h, w, ci, oh, ow, s, top, left, kh, kw, row): the transposed im2col matrix of nc NHWC
 * images, dst[(i*kw + j)*ci + c][(n*oh + p)*ow + q] = x[n, p*s + i - top, q*s + j - left, c] (zero outside),
 * `row` the byte length of one dst row. Loops run image row by image row so that the source row stays in L1.
 * The vector variant (`im2colT4`, ci a multiple of 4) moves 4 channels x 4 output columns at a time: four
 * pixel loads, a 4x4 transpose by shuffles, four row stores; columns whose taps leave the image, and the last
 * ow % 4, go one at a time.
 */
function makeIm2colT(vector: boolean): Fn {
  const [x, dst, nc, h, w, ci, oh, ow, s, top, left, kh, kw, row] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
  const [n, p, i, j, c, q, y, z, src, dp, sp, col, xrow, pix, kwci, one, spix, row2, row3, cstep] = Array.from({ length: 20 }, (_, k) => 14 + k);
  const [v0, v1, v2, v3, t0, t1] = Array.from({ length: 6 }, (_, k) => 34 + k);
  /** One output column of the channels handled per step (1, or 4 at rows dp, dp+row, dp+2row, dp+3row). */
  const column = (channels: number): Op => [
    get(z), get(w), ltU,
    0x04, 0x40,
    Array.from({ length: channels }, (_, cc) => [get(dp), cc ? [get([0, row, row2, row3][cc]), add] : [], get(sp), f32load(4 * cc), f32store()]),
    0x05,
    Array.from({ length: channels }, (_, cc) => [get(dp), cc ? [get([0, row, row2, row3][cc]), add] : [], f32zero, f32store()]),
    0x0b,
    inc(dp, i32(4)), inc(z, get(s)), inc(sp, get(spix)), inc(q, i32(1)),
  ];
  /** Four output columns of 4 channels: v_k = x at column q+k (channels c..c+3), transposed into 4 rows. */
  const block: Op = [
    get(sp), vload(), set(v0),
    get(sp), get(spix), add, vload(), set(v1),
    get(sp), get(spix), get(spix), add, add, vload(), set(v2),
    get(sp), get(spix), get(spix), get(spix), add, add, add, vload(), set(v3),
    get(v0), get(v1), shuffle(0, 4, 1, 5), set(t0), // v0.c0 v1.c0 v0.c1 v1.c1
    get(v2), get(v3), shuffle(0, 4, 1, 5), set(t1), // v2.c0 v3.c0 v2.c1 v3.c1
    get(dp), get(t0), get(t1), shuffle(0, 1, 4, 5), vstore(),
    get(dp), get(row), add, get(t0), get(t1), shuffle(2, 3, 6, 7), vstore(),
    get(v0), get(v1), shuffle(2, 6, 3, 7), set(t0), // v0.c2 v1.c2 v0.c3 v1.c3
    get(v2), get(v3), shuffle(2, 6, 3, 7), set(t1),
    get(dp), get(row2), add, get(t0), get(t1), shuffle(0, 1, 4, 5), vstore(),
    get(dp), get(row3), add, get(t0), get(t1), shuffle(2, 3, 6, 7), vstore(),
    inc(dp, i32(16)), inc(z, [get(s), i32(4), mul]), inc(sp, [get(spix), i32(4), mul]), inc(q, i32(4)),
  ];
  // The columns of one (j, channel or channel block): a while loop over q.
  const columns: Op = vector
    ? [
        i32(0), set(q),
        0x02, 0x40, 0x03, 0x40,
        get(q), get(ow), geU, 0x0d, 1,
        // A block when 4 columns remain and both its first and last tap lie inside the row.
        get(q), i32(4), add, get(ow), 0x4d /* i32.le_u */,
        get(z), get(w), ltU, 0x71 /* i32.and */,
        get(z), get(s), i32(3), mul, add, get(w), ltU, 0x71,
        0x04, 0x40, block, 0x05, column(4), 0x0b,
        0x0c, 0, 0x0b, 0x0b,
      ]
    : [i32(0), set(q), 0x02, 0x40, 0x03, 0x40, get(q), get(ow), geU, 0x0d, 1, column(1), 0x0c, 0, 0x0b, 0x0b];
  return {
    name: vector ? 'im2colT4' : 'im2colT',
    params: 14,
    locals: [[20, I32], ...(vector ? ([[6, V128]] as [number, number][]) : [])],
    body: [
      i32(0), set(col), // byte offset of the current (n, p) block within a dst row
      get(w), get(ci), mul, i32(4), mul, set(xrow), // bytes of one image row
      get(ci), i32(4), mul, set(pix), // bytes of one pixel
      get(s), get(pix), mul, set(spix), // bytes between the taps of consecutive output columns
      get(kw), get(ci), mul, set(kwci),
      get(row), get(row), add, set(row2),
      get(row2), get(row), add, set(row3),
      i32(1), set(one),
      i32(vector ? 4 : 1), set(cstep),
      loop(n, nc, get(one), [
        loop(p, oh, get(one), [
          loop(i, kh, get(one), [
            get(p), get(s), mul, get(i), add, get(top), sub, set(y),
            get(y), get(h), ltU,
            0x04, 0x40, // if the source row exists
            [
              get(x), get(n), get(h), mul, get(y), add, get(xrow), mul, add, set(src),
              loop(j, kw, get(one), [
                loop(c, ci, get(cstep), [
                  get(dst), get(i), get(kwci), mul, get(j), get(ci), mul, add, get(c), add, get(row), mul, add, get(col), add, set(dp),
                  get(j), get(left), sub, set(z),
                  get(src), get(c), i32(4), mul, add, get(z), get(pix), mul, add, set(sp),
                  columns,
                ]),
              ]),
            ],
            0x05, // else: zero rows
            [
              loop(c, kwci, get(one), [
                get(dst), get(i), get(kwci), mul, get(c), add, get(row), mul, add, get(col), add, set(dp),
                loop(q, ow, get(one), [get(dp), f32zero, f32store(), inc(dp, i32(4))]),
              ]),
            ],
            0x0b,
          ]),
          inc(col, [get(ow), i32(4), mul]),
        ]),
      ]),
    ],
  };
}
const im2colT = makeIm2colT(false);
const im2colT4 = makeIm2colT(true);

/**
 * col2im(cols, dx, n, h, w, ci, oh, ow, s, top, left, kh, kw): dx[b, p*s + i - top, q*s + j - left, c] +=
 * cols[(b*oh + p)*ow + q][(i*kw + j)*ci + c] for the taps inside the image (dx zeroed by the caller). Scalar:
 * for the few-channel input gradients (an image's 3 channels) where a convolution's output tile is mostly idle.
 */
const col2im: Fn = (() => {
  const [cols, dx, n, h, w, ci, oh, ow, s, top, left, kh, kw] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  const [b, p, q, i, j, c, u, v, src, dst, one, pix, tapRow] = Array.from({ length: 13 }, (_, k) => 13 + k);
  return {
    name: 'col2im',
    params: 13,
    locals: [[13, I32]],
    body: [
      i32(1), set(one),
      get(ci), i32(4), mul, set(pix),
      get(kw), get(pix), mul, set(tapRow), // bytes of one kernel row of a cols row
      get(cols), set(src),
      loop(b, n, get(one), [
        loop(p, oh, get(one), [
          loop(q, ow, get(one), [
            loop(i, kh, get(one), [
              get(p), get(s), mul, get(i), add, get(top), sub, set(u),
              get(u), get(h), ltU,
              0x04, 0x40,
              [
                loop(j, kw, get(one), [
                  get(q), get(s), mul, get(j), add, get(left), sub, set(v),
                  get(v), get(w), ltU,
                  0x04, 0x40,
                  [
                    get(dx), get(b), get(h), mul, get(u), add, get(w), mul, get(v), add, get(pix), mul, add, set(dst),
                    loop(c, ci, get(one), [get(dst), get(dst), f32load(), get(src), f32load(), 0x92 /* f32.add */, f32store(), inc(dst, i32(4)), inc(src, i32(4))]),
                  ],
                  0x05,
                  inc(src, get(pix)),
                  0x0b,
                ]),
              ],
              0x05,
              inc(src, get(tapRow)),
              0x0b,
            ]),
          ]),
        ]),
      ]),
    ],
  };
})();

/**
 * copyRows(src, dst, count, bytes, srcStride, dstStride): copies `count` blocks of `bytes` (a multiple of 4)
 * from src to dst, the blocks `srcStride` and `dstStride` bytes apart (interleaving stride phases of a tensor,
 * padding images): 16 bytes at a time, then the last bytes % 16 four at a time.
 */
const copyRows: Fn = (() => {
  const [src, dst, count, bytes, ss, ds, r, k, b16] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  return {
    name: 'copyRows',
    params: 6,
    locals: [[3, I32]],
    body: [
      get(bytes), i32(~15), 0x71 /* i32.and */, set(b16),
      loop(r, count, i32(1), [
        loop(k, b16, i32(16), [sum(dst, k), sum(src, k), vload(), vstore()]),
        get(b16), set(k),
        0x02, 0x40, 0x03, 0x40, get(k), get(bytes), geU, 0x0d, 1, sum(dst, k), sum(src, k), f32load(), f32store(), inc(k, i32(4)), 0x0c, 0, 0x0b, 0x0b,
        inc(src, get(ss)),
        inc(dst, get(ds)),
      ]),
    ],
  };
})();

/**
 * transpose(src, dst, rows, cols): dst[cols][rows] = src[rows][cols] for rows and cols multiples of 4, by 4x4
 * blocks (four row loads, shuffles, four row stores).
 */
const transpose: Fn = (() => {
  const [src, dst, rows, cols, r, c, sp, dp, rowB, colB] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [v0, v1, v2, v3, t0, t1] = [10, 11, 12, 13, 14, 15];
  const at = (base: number, stride: number, k: number): Op => [get(base), k ? [get(stride), i32(k), mul, add] : []];
  return {
    name: 'transpose',
    params: 4,
    locals: [[6, I32], [6, V128]],
    body: [
      get(cols), i32(4), mul, set(colB), // bytes of a source row
      get(rows), i32(4), mul, set(rowB), // bytes of a destination row
      loop(r, rows, i32(4), [
        loop(c, cols, i32(4), [
          get(src), get(r), get(colB), mul, add, get(c), i32(4), mul, add, set(sp),
          get(dst), get(c), get(rowB), mul, add, get(r), i32(4), mul, add, set(dp),
          at(sp, colB, 0), vload(), set(v0),
          at(sp, colB, 1), vload(), set(v1),
          at(sp, colB, 2), vload(), set(v2),
          at(sp, colB, 3), vload(), set(v3),
          get(v0), get(v1), shuffle(0, 4, 1, 5), set(t0),
          get(v2), get(v3), shuffle(0, 4, 1, 5), set(t1),
          at(dp, rowB, 0), get(t0), get(t1), shuffle(0, 1, 4, 5), vstore(),
          at(dp, rowB, 1), get(t0), get(t1), shuffle(2, 3, 6, 7), vstore(),
          get(v0), get(v1), shuffle(2, 6, 3, 7), set(t0),
          get(v2), get(v3), shuffle(2, 6, 3, 7), set(t1),
          at(dp, rowB, 2), get(t0), get(t1), shuffle(0, 1, 4, 5), vstore(),
          at(dp, rowB, 3), get(t0), get(t1), shuffle(2, 3, 6, 7), vstore(),
        ]),
      ]),
    ],
  };
})();

/**
 * sgd{m}{w}(v, g, b, vo, bo, n, lr, momentum, wd): one SGD step over n bytes, PyTorch's formula with each
 * product and sum rounded as TF.js's composite rounds them: d = g (+ wd v with `w`); with `m` = 'b' the buffer
 * b' = momentum b + d, with 'f' (the first step) b' = d, written to bo; vo = v - lr (b' or d). lr, momentum, wd
 * are float32 bit patterns.
 */
function makeSgd(m: 'b' | 'f' | 'n', w: boolean): Fn {
  const [v, g, b, vo, bo, n, lr, mom, wd, k] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [vv, d, L, Mo, W] = [10, 11, 12, 13, 14];
  return {
    name: `sgd${m}${w ? 'w' : ''}`,
    params: 9,
    locals: [[1, I32], [5, V128]],
    body: [
      get(lr), i32Splat, set(L),
      get(mom), i32Splat, set(Mo),
      get(wd), i32Splat, set(W),
      loop(k, n, i32(16), [
        sum(v, k), vload(), set(vv),
        sum(g, k), vload(), w ? [get(vv), get(W), fMul, fAdd] : [], set(d),
        m === 'b' ? [sum(b, k), vload(), get(Mo), fMul, get(d), fAdd, set(d)] : [],
        m !== 'n' ? [sum(bo, k), get(d), vstore()] : [],
        sum(vo, k), get(vv), get(d), get(L), fMul, fSub, vstore(),
      ]),
    ],
  };
}
const sgds = (['b', 'f', 'n'] as const).flatMap((m) => [makeSgd(m, false), makeSgd(m, true)]);

/** The largest row block of {@link makeDwTile}: with 8 accumulators V8 keeps the loop in registers; 10 or 12 spill (5 or 6 rows ran at 26-31 GFLOP/s, 4 rows at 43-51, one thread). */
export const DW_TILE_ROWS = 4;

/**
 * dwTile{R}(x, dy, out, nimg, oh, ow, xPix, xRow, xImg, co4): one R x 8 block of a filter gradient,
 * out[r][0..8] += sum over the pixels (n, p, q) of x[n*xImg + p*xRow + q*xPix + 4r] * dy[pixel][0..8], with dy's
 * pixels consecutive `co4` bytes apart and out's rows `co4` bytes apart. For a stride-s convolution on a padded
 * NHWC input, the R taps of a block are consecutive (kernel column, channel) pairs of one kernel row, so they
 * lie side by side in memory and x needs no im2col. The accumulators stay in registers across all pixels.
 */
/**
 * The register tiles' inner loop, a do-while over `count` steps (at least 1): at each step 8 lanes of a row read
 * at `vp` (two vectors), times R values read at `sp`, 4 bytes apart, each splat, added into R x 2 accumulators;
 * then sp and vp advance by their steps.
 */
function tileLoop(acc: number[], sp: number, vp: number, spStep: Op, vpStep: Op, count: number, [v0, v1, t]: number[]): Op {
  return [
    0x03, 0x40,
    get(vp), vload(), set(v0),
    get(vp), vload(16), set(v1),
    Array.from({ length: acc.length / 2 }, (_, r) => [
      get(acc[2 * r]), get(sp), vload32Splat(4 * r), tee(t), get(v0), fMul, fAdd, set(acc[2 * r]),
      get(acc[2 * r + 1]), get(t), get(v1), fMul, fAdd, set(acc[2 * r + 1]),
    ]),
    inc(sp, spStep),
    inc(vp, vpStep),
    get(count), i32(1), sub, tee(count), 0x0d, 0,
    0x0b,
  ];
}

function makeDwTile(R: number): Fn {
  const [x, dy, out, nimg, oh, ow, xPix, xRow, xImg, co4] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [n, p, q, xrow, xp, dp, xr] = [10, 11, 12, 13, 14, 15, 16];
  const acc = Array.from({ length: 2 * R }, (_, k) => 17 + k);
  const [d0, d1, t] = [17 + 2 * R, 18 + 2 * R, 19 + 2 * R];
  const rowAt = (r: number): Op => [get(out), r ? [get(co4), i32(r), mul, add] : []];
  return {
    name: `dwTile${R}`,
    params: 10,
    locals: [[7, I32], [2 * R + 3, V128]],
    body: [
      acc.map((a) => [vconst(0), set(a)]),
      get(dy), set(dp),
      get(x), set(xr),
      loop(n, nimg, i32(1), [
        get(xr), set(xrow),
        loop(p, oh, i32(1), [
          get(xrow), set(xp),
          // A do-while over the row's pixels (ow >= 1): one branch per pixel.
          get(ow), set(q),
          tileLoop(acc, xp, dp, get(xPix), get(co4), q, [d0, d1, t]),
          inc(xrow, get(xRow)),
        ]),
        inc(xr, get(xImg)),
      ]),
      Array.from({ length: R }, (_, r) => [
        rowAt(r), rowAt(r), vload(), get(acc[2 * r]), fAdd, vstore(),
        rowAt(r), rowAt(r), vload(16), get(acc[2 * r + 1]), fAdd, vstore(16),
      ]),
    ],
  };
}
const dwTiles = Array.from({ length: DW_TILE_ROWS }, (_, k) => makeDwTile(k + 1));

/**
 * planeProducts(A, U, M, planes, rows, K, cols, aK, aPlane, uPlane, mPlane): M_p = A_p^T U_p for `planes`
 * products (planeProductsAdd: M_p += A_p^T U_p), A_p^T's column k (rows floats, consecutive) at A + p*aPlane +
 * k*aK bytes, U_p [K, cols] row-major at U + p*uPlane, M_p [rows, cols] row-major at M + p*mPlane (rows a
 * multiple of 4, cols of 8, K at least 1). Each 4 x 8 block of M_p is summed over K in 8 registers (the dwTile
 * shape: a row of U_p times four splats of A's consecutive values). For the fused Winograd blocks, whose
 * operands are small and already in cache, so nothing is packed.
 */
function makePlaneProducts(accumulate: boolean): Fn {
  const [A, U, M, planes, rows, K, cols, aK, aPlane, uPlane, mPlane] = Array.from({ length: 11 }, (_, i) => i);
  const [p, r0, c0, k, ap, up, mp, colsB, apl, upl, mpl] = Array.from({ length: 11 }, (_, i) => 11 + i);
  const acc = Array.from({ length: 8 }, (_, i) => 22 + i);
  const [u0, u1, t] = [30, 31, 32];
  const store = (a: number, off: number): Op => [get(mp), accumulate ? [get(mp), vload(off), get(a), fAdd] : get(a), vstore(off)];
  return {
    name: accumulate ? 'planeProductsAdd' : 'planeProducts',
    params: 11,
    locals: [[11, I32], [11, V128]],
    body: [
      get(cols), i32(4), mul, set(colsB),
      get(A), set(apl), get(U), set(upl), get(M), set(mpl),
      loop(p, planes, i32(1), [
        loop(r0, rows, i32(4), [
          loop(c0, cols, i32(8), [
            acc.map((a) => [vconst(0), set(a)]),
            get(upl), get(c0), i32(4), mul, add, set(up),
            get(apl), get(r0), i32(4), mul, add, set(ap),
            get(K), set(k),
            tileLoop(acc, ap, up, get(aK), get(colsB), k, [u0, u1, t]),
            get(mpl), get(r0), get(cols), mul, get(c0), add, i32(4), mul, add, set(mp),
            [0, 1, 2, 3].map((r) => [store(acc[2 * r], 0), store(acc[2 * r + 1], 16), r < 3 ? inc(mp, get(colsB)) : []]),
          ]),
        ]),
        inc(apl, get(aPlane)),
        inc(upl, get(uPlane)),
        inc(mpl, get(mPlane)),
      ]),
    ],
  };
}
const planeProducts = makePlaneProducts(false);
const planeProductsAdd = makePlaneProducts(true);

// Winograd F(2x2, 3x3): Y = A^T [(G g G^T) * (B^T d B)] A over 4x4 input tiles d giving 2x2 output tiles.
const vzero: Op = vconst(0);
const vhalf: Op = vconst(0.5);
/** Pushes the sum of vector locals with signs, e.g. lin([a, 1], [b, -1]) = a - b. */
const lin = (...terms: [number, 1 | -1][]): Op => [get(terms[0][0]), terms.slice(1).map(([l, sgn]) => [get(l), sgn > 0 ? fAdd : fSub])];

/** Pushes sum_k c_k v_k for vector locals v_k and constants c_k (zeros skipped; +-1 as adds and subtracts). */
function combo(terms: [number, number][]): Op {
  const nz = terms.filter(([, c]) => c !== 0);
  if (nz.length === 0) return vzero;
  const term = ([l, c]: [number, number]): Op => (Math.abs(c) === 1 ? get(l) : [get(l), vconst(Math.abs(c)), fMul]);
  return [nz[0][1] > 0 ? term(nz[0]) : [vzero, term(nz[0]), fSub], nz.slice(1).map((t) => [term(t), t[1] > 0 ? fAdd : fSub])];
}

/** Winograd F(m x m, 3x3) matrices: B^T (alpha x alpha), G (alpha x 3), A^T (m x alpha), alpha = m + 2. */
interface Winograd {
  m: number;
  BT: number[][];
  G: number[][];
  AT: number[][];
}
/** F(2x2, 3x3). */
export const F2: Winograd = {
  m: 2,
  BT: [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
  G: [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]],
  AT: [[1, 1, 1, 0], [0, 1, -1, -1]],
};
/** F(4x4, 3x3) (Lavin and Gray, points 0, +-1, +-2): 4x fewer multiplications than the direct convolution. */
export const F4: Winograd = {
  m: 4,
  BT: [[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0], [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]],
  G: [[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6], [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]],
  AT: [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]],
};

/**
 * In(x, V, n, h, w, ci, th, tw, top, left, tiles): V[k][t][c] = (B^T d B)[k] for the alpha x alpha input tile
 * d of tile t = (b*th + i)*tw + j (rows m*i - top.., columns m*j - left.., zero outside), k = alpha*r + s; V
 * holds alpha^2 matrices [tiles][ci] (ci a multiple of 4).
 */
function makeWinoIn(f: Winograd, fname: string, inPlace: boolean): Fn {
  const a = f.m + 2;
  const [x, V, n, h, w, ci, th, tw, top, left, tiles] = Array.from({ length: 11 }, (_, k) => k);
  const [b, i, j, c, t, y0, x0, base, at, pix, rowB, mat, one, inside] = Array.from({ length: 14 }, (_, k) => 11 + k);
  // In place: one column of the tile, then one row of B^T d; else the whole tile and the whole B^T d.
  const d = Array.from({ length: inPlace ? a : a * a }, (_, k) => 25 + k);
  const u = inPlace ? [] : Array.from({ length: a * a }, (_, k) => 25 + a * a + k);
  const load = (r: number, q: number, checked: boolean): Op => {
    const addr: Op = [get(base), r ? [get(rowB), i32(r), mul, add] : [], q ? [get(pix), i32(q), mul, add] : []];
    const to = d[inPlace ? r : a * r + q];
    if (!checked) return [addr, vload(), set(to)];
    return [get(y0), i32(r), add, get(h), ltU, get(x0), i32(q), add, get(w), ltU, 0x71, 0x04, V128, addr, vload(), 0x05, vzero, 0x0b, set(to)];
  };
  const column = (q: number, checked: boolean): Op => Array.from({ length: a }, (_, r) => load(r, q, checked));
  const slot = (k: number): Op => [get(at), k ? [get(mat), i32(k), mul, add] : []];
  const rc = (k: number): [number, number] => [Math.floor(k / a), k % a];
  const tile: Op = inPlace
    ? [
        // u = B^T d column by column into V's slots, then V = u B row by row in place.
        Array.from({ length: a }, (_, q) => [
          get(inside), 0x04, 0x40, column(q, false), 0x05, column(q, true), 0x0b,
          Array.from({ length: a }, (_, r) => [slot(a * r + q), combo(f.BT[r].map((co, s2) => [d[s2], co])), vstore()]),
        ]),
        Array.from({ length: a }, (_, r) => [
          Array.from({ length: a }, (_, q) => [slot(a * r + q), vload(), set(d[q])]),
          Array.from({ length: a }, (_, q) => [slot(a * r + q), combo(f.BT[q].map((co, s2) => [d[s2], co])), vstore()]),
        ]),
      ]
    : [
        get(inside), 0x04, 0x40, Array.from({ length: a }, (_, q) => column(q, false)), 0x05, Array.from({ length: a }, (_, q) => column(q, true)), 0x0b,
        // u = B^T d (rows), then V = u B (columns), each slot of V written once.
        Array.from({ length: a * a }, (_, k) => [combo(f.BT[rc(k)[0]].map((co, s2) => [d[a * s2 + rc(k)[1]], co])), set(u[k])]),
        Array.from({ length: a * a }, (_, k) => [slot(k), combo(f.BT[rc(k)[1]].map((co, s2) => [u[a * rc(k)[0] + s2], co])), vstore()]),
      ];
  return {
    name: fname,
    params: 11,
    locals: [[14, I32], [d.length + u.length, V128]],
    body: [
      i32(1), set(one),
      get(ci), i32(4), mul, set(pix),
      get(w), get(pix), mul, set(rowB),
      get(tiles), get(pix), mul, set(mat), // bytes of one of the alpha^2 matrices
      i32(0), set(t),
      loop(b, n, get(one), [
        loop(i, th, get(one), [
          loop(j, tw, get(one), [
            get(i), i32(f.m), mul, get(top), sub, set(y0),
            get(j), i32(f.m), mul, get(left), sub, set(x0),
            get(y0), get(h), ltU, get(y0), i32(a - 1), add, get(h), ltU, 0x71,
            get(x0), get(w), ltU, 0x71, get(x0), i32(a - 1), add, get(w), ltU, 0x71, set(inside),
            loop(c, ci, i32(4), [
              get(x), get(b), get(h), mul, get(y0), add, get(w), mul, get(x0), add, get(pix), mul, add, get(c), i32(4), mul, add, set(base),
              get(V), get(t), get(pix), mul, add, get(c), i32(4), mul, add, set(at),
              tile,
            ]),
            inc(t, get(one)),
          ]),
        ]),
      ]),
    ],
  };
}

/**
 * Out(M, y, n, oh, ow, co, th, tw, tiles, bias): y's m x m tile t = A^T M_t A (+ bias[c] where bias is not 0) of
 * the alpha^2 values M[k][t][c] (alpha^2 matrices [tiles][co], co a multiple of 4); rows and columns past oh, ow
 * are dropped.
 */
function makeWinoOut(f: Winograd, fname: string, inPlace: boolean): Fn {
  const a = f.m + 2;
  const m = f.m;
  const [M, y, n, oh, ow, co, th, tw, tiles, bias] = Array.from({ length: 10 }, (_, k) => k);
  const [b, i, j, c, t, at, pix, rowB, mat, one, dst] = Array.from({ length: 11 }, (_, k) => 10 + k);
  const okR = Array.from({ length: m }, (_, k) => 21 + k); // row i*m + k < oh
  const okC = Array.from({ length: m }, (_, k) => 21 + m + k);
  // In place: one column of M_t, then one row of A^T M_t; else all of M_t and all of A^T M_t.
  const mv = Array.from({ length: inPlace ? a : a * a }, (_, k) => 21 + 2 * m + k);
  const u = inPlace ? [] : Array.from({ length: m * a }, (_, k) => 21 + 2 * m + a * a + k);
  const bv = 21 + 2 * m + mv.length + u.length;
  const slot = (k: number): Op => [get(at), k ? [get(mat), i32(k), mul, add] : []];
  const rc = (k: number): [number, number] => [Math.floor(k / a), k % a];
  return {
    name: fname,
    params: 10,
    locals: [[11 + 2 * m, I32], [mv.length + u.length + 1, V128]],
    body: [
      i32(1), set(one),
      get(co), i32(4), mul, set(pix),
      get(ow), get(pix), mul, set(rowB),
      get(tiles), get(pix), mul, set(mat),
      i32(0), set(t),
      loop(b, n, get(one), [
        loop(i, th, get(one), [
          Array.from({ length: m }, (_, k) => [get(i), i32(m), mul, i32(k), add, get(oh), ltU, set(okR[k])]),
          loop(j, tw, get(one), [
            Array.from({ length: m }, (_, k) => [get(j), i32(m), mul, i32(k), add, get(ow), ltU, set(okC[k])]),
            loop(c, co, i32(4), [
              get(M), get(t), get(pix), mul, add, get(c), i32(4), mul, add, set(at),
              get(bias), 0x04, V128, get(bias), get(c), i32(4), mul, add, vload(), 0x05, vzero, 0x0b, set(bv),
              inPlace
                ? // u = A^T M_t column by column into the first m rows of M_t's slots (M is scratch), then y = u A.
                  Array.from({ length: a }, (_, q) => [
                    Array.from({ length: a }, (_, r) => [slot(a * r + q), vload(), set(mv[r])]),
                    Array.from({ length: m }, (_, r) => [slot(a * r + q), combo(f.AT[r].map((co2, s2) => [mv[s2], co2])), vstore()]),
                  ])
                : [
                    Array.from({ length: a * a }, (_, k) => [slot(k), vload(), set(mv[k])]),
                    Array.from({ length: m * a }, (_, k) => [combo(f.AT[rc(k)[0]].map((co2, s2) => [mv[a * s2 + rc(k)[1]], co2])), set(u[k])]),
                  ],
              get(y), get(b), get(oh), mul, get(i), i32(m), mul, add, get(ow), mul, get(j), i32(m), mul, add, get(pix), mul, add, get(c), i32(4), mul, add, set(dst),
              Array.from({ length: m * m }, (_, k) => {
                const [r, q] = [Math.floor(k / m), k % m];
                const row: Op = inPlace && q === 0 ? Array.from({ length: a }, (_, s2) => [slot(a * r + s2), vload(), set(mv[s2])]) : [];
                const uRow = (s2: number) => (inPlace ? mv[s2] : u[a * r + s2]);
                const store: Op = [get(dst), r ? [get(rowB), i32(r), mul, add] : [], q ? [get(pix), i32(q), mul, add] : [], combo(f.AT[q].map((co2, s2) => [uRow(s2), co2])), get(bv), fAdd, vstore()];
                const cond: Op[] = [...(r ? [get(okR[r])] : []), ...(q ? [get(okC[q])] : [])];
                if (cond.length === 0) return [row, store];
                return [row, cond[0], cond.length > 1 ? [cond[1], 0x71] : [], 0x04, 0x40, store, 0x0b];
              }),
            ]),
            inc(t, get(one)),
          ]),
        ]),
      ]),
    ],
  };
}

/** Filter(g, U, ci, co): U[k][c][o] = (G g G^T)[k] for the 3x3 HWIO filter g (co a multiple of 4). */
function makeWinoFilter(f: Winograd, fname: string): Fn {
  const a = f.m + 2;
  const [g, U, ci, co] = [0, 1, 2, 3];
  const [c, o, at, pix, one] = [4, 5, 6, 7, 8];
  const gv = Array.from({ length: 9 }, (_, k) => 9 + k);
  const u = Array.from({ length: 3 * a }, (_, k) => 18 + k); // G g: alpha rows of 3
  return {
    name: fname,
    params: 4,
    locals: [[5, I32], [9 + 3 * a, V128]],
    body: [
      i32(1), set(one),
      get(ci), get(co), mul, i32(4), mul, set(pix), // bytes of one tap's [ci][co] block
      loop(c, ci, get(one), [
        loop(o, co, i32(4), [
          get(c), get(co), mul, get(o), add, i32(4), mul, set(at),
          Array.from({ length: 9 }, (_, k) => [get(g), get(at), add, k ? [get(pix), i32(k), mul, add] : [], vload(), set(gv[k])]),
          Array.from({ length: 3 * a }, (_, k) => {
            const [r, q] = [Math.floor(k / 3), k % 3];
            return [combo(f.G[r].map((co2, s2) => [gv[3 * s2 + q], co2])), set(u[k])];
          }),
          Array.from({ length: a * a }, (_, k) => {
            const [r, q] = [Math.floor(k / a), k % a];
            return [get(U), get(at), add, k ? [get(pix), i32(k), mul, add] : [], combo(f.G[q].map((co2, s2) => [u[3 * r + s2], co2])), vstore()];
          }),
        ]),
      ]),
    ],
  };
}

const winoIn = makeWinoIn(F2, 'winoIn', false);
const winoOut = makeWinoOut(F2, 'winoOut', false);
const winoFilter = makeWinoFilter(F2, 'winoFilter');
const wino4In = makeWinoIn(F4, 'wino4In', false);
const wino4Out = makeWinoOut(F4, 'wino4Out', false);
const wino4Filter = makeWinoFilter(F4, 'wino4Filter');
// The fused convolution's transforms (in cache, so the second pass's reads are cheap and few vectors stay live).
const winoBlocks = [makeWinoIn(F2, 'winoBlockIn', true), makeWinoOut(F2, 'winoBlockOut', true), makeWinoIn(F4, 'wino4BlockIn', true), makeWinoOut(F4, 'wino4BlockOut', true)];

// Winograd F(3x3, 2x2) for filter gradients: dW[i, j] = sum over 2x2 dy tiles g and their 4x4 input patches d
// of the correlation d * g, i.e. A'^T [(G' g G'^T) * (B^T d B)] A' summed over tiles. winoIn supplies B^T d B
// with F(2x2, 3x3)'s B^T, whose last row is the negative of F(3x3, 2x2)'s; G' = D G with D = diag(1, 1, 1, -1)
// negates the matching row and column of the dy transform, so the elementwise products are unchanged.

/**
 * winoDy(dy, G, n, oh, ow, co, th, tw, tiles): G[k][t][o] = (G' g G'^T)[k] for dy's 2x2 tile g of tile t (rows
 * 2i, 2i+1, columns 2j, 2j+1, zero past oh, ow), G' = [[1, 0], [1/2, 1/2], [1/2, -1/2], [0, -1]]: 16 matrices
 * [tiles][co] (co a multiple of 4), `tiles` their row count.
 */
const winoDy: Fn = (() => {
  const [dy, G, n, oh, ow, co, th, tw, tiles] = Array.from({ length: 9 }, (_, k) => k);
  const [b, i, j, o, t, at, pix, rowB, one, okR, okC, mat, dst] = Array.from({ length: 13 }, (_, k) => 9 + k);
  const g = [22, 23, 24, 25]; // g[2r + s]
  const r = Array.from({ length: 8 }, (_, k) => 26 + k); // G' g: 4 rows of 2
  const half = (e: Op): Op => [e, vhalf, fMul];
  const neg = (e: Op): Op => [vzero, e, fSub];
  const load = (rr: number, ss: number): Op => {
    const ok: Op = rr && ss ? [get(okR), get(okC), 0x71] : rr ? get(okR) : ss ? get(okC) : i32(1);
    return [ok, 0x04, V128, get(at), rr ? [get(rowB), add] : [], ss ? [get(pix), add] : [], vload(), 0x05, vzero, 0x0b, set(g[2 * rr + ss])];
  };
  return {
    name: 'winoDy',
    params: 9,
    locals: [[13, I32], [12, V128]],
    body: [
      i32(1), set(one),
      get(co), i32(4), mul, set(pix),
      get(ow), get(pix), mul, set(rowB),
      get(tiles), get(pix), mul, set(mat), // bytes of one of the 16 matrices
      i32(0), set(t),
      loop(b, n, get(one), [
        loop(i, th, get(one), [
          get(i), get(i), add, i32(1), add, get(oh), ltU, set(okR),
          loop(j, tw, get(one), [
            get(j), get(j), add, i32(1), add, get(ow), ltU, set(okC),
            loop(o, co, i32(4), [
              get(dy), get(b), get(oh), mul, get(i), get(i), add, add, get(ow), mul, get(j), get(j), add, add, get(pix), mul, add, get(o), i32(4), mul, add, set(at),
              load(0, 0), load(0, 1), load(1, 0), load(1, 1),
              Array.from({ length: 2 }, (_, q) => [
                get(g[q]), set(r[q]),
                half(lin([g[q], 1], [g[2 + q], 1])), set(r[2 + q]),
                half(lin([g[q], 1], [g[2 + q], -1])), set(r[4 + q]),
                neg(get(g[2 + q])), set(r[6 + q]),
              ]),
              get(G), get(t), get(pix), mul, add, get(o), i32(4), mul, add, set(dst),
              Array.from({ length: 4 }, (_, k) => {
                const [a0, a1] = [r[2 * k], r[2 * k + 1]];
                const exprs = [get(a0), half(lin([a0, 1], [a1, 1])), half(lin([a0, 1], [a1, -1])), neg(get(a1))];
                return exprs.map((e, l) => [get(dst), 4 * k + l ? [get(mat), i32(4 * k + l), mul, add] : [], e, vstore()]);
              }),
            ]),
            inc(t, get(one)),
          ]),
        ]),
      ]),
    ],
  };
})();

/**
 * winoOutW(M, out, P): out[3i + j][e] = (A'^T M A')[i][j] over the 16 planes M[k][e] of P floats (P a multiple of
 * 4), A'^T = [[1, 1, 1, 0], [0, 1, -1, 0], [0, 1, 1, 1]].
 */
const winoOutW: Fn = (() => {
  const [M, out, P, e, plane] = [0, 1, 2, 3, 4];
  const m = Array.from({ length: 16 }, (_, k) => 5 + k);
  const u = Array.from({ length: 12 }, (_, k) => 21 + k);
  return {
    name: 'winoOutW',
    params: 3,
    locals: [[2, I32], [28, V128]],
    body: [
      get(P), i32(4), mul, set(plane),
      loop(e, plane, i32(16), [
        Array.from({ length: 16 }, (_, k) => [get(M), get(e), add, k ? [get(plane), i32(k), mul, add] : [], vload(), set(m[k])]),
        Array.from({ length: 4 }, (_, q) => [
          lin([m[q], 1], [m[4 + q], 1], [m[8 + q], 1]), set(u[q]),
          lin([m[4 + q], 1], [m[8 + q], -1]), set(u[4 + q]),
          lin([m[4 + q], 1], [m[8 + q], 1], [m[12 + q], 1]), set(u[8 + q]),
        ]),
        Array.from({ length: 3 }, (_, i) => {
          const [a, b2, c2, d2] = u.slice(4 * i, 4 * i + 4);
          const exprs = [lin([a, 1], [b2, 1], [c2, 1]), lin([b2, 1], [c2, -1]), lin([b2, 1], [c2, 1], [d2, 1])];
          return exprs.map((x, j) => [get(out), get(e), add, 3 * i + j ? [get(plane), i32(3 * i + j), mul, add] : [], x, vstore()]);
        }),
      ]),
    ],
  };
})();

// ---------------------------------------------------------------------------------------------------------

/** An SGD loop of {@link makeSgd}: heap offsets, a byte count, then lr, momentum, weight decay as float32 bits. */
type SgdLoop = (v: number, g: number, b: number, vo: number, bo: number, n: number, lr: number, momentum: number, wd: number) => void;

/** See {@link makePlaneProducts}. */
type PlaneProducts = (A: number, U: number, M: number, planes: number, rows: number, K: number, cols: number, aK: number, aPlane: number, uPlane: number, mPlane: number) => void;

/** The exported loops; arguments are heap byte offsets, counts and byte lengths (see each loop above). */
export interface HeapSimd {
  pool2x2(x: number, g: number, dx: number, ow: number, c: number, rs: number): void;
  reluGrad(dy: number, x: number, out: number, n: number): void;
  sumRows(x: number, acc: number, rows: number, c: number): void;
  addInto(dst: number, src: number, n: number): void;
  clip(x: number, out: number, n: number, lo: number, hi: number): void;
  sign(x: number, out: number, n: number): void;
  max(a: number, b: number, out: number, n: number): void;
  min(a: number, b: number, out: number, n: number): void;
  maxScalar(a: number, b: number, out: number, n: number): void;
  minScalar(a: number, b: number, out: number, n: number): void;
  im2colT(x: number, dst: number, nc: number, h: number, w: number, ci: number, oh: number, ow: number, s: number, top: number, left: number, kh: number, kw: number, row: number): void;
  transpose(src: number, dst: number, rows: number, cols: number): void;
  copyRows(src: number, dst: number, count: number, bytes: number, srcStride: number, dstStride: number): void;
  winoIn(x: number, V: number, n: number, h: number, w: number, ci: number, th: number, tw: number, top: number, left: number, tiles: number): void;
  winoOut(M: number, y: number, n: number, oh: number, ow: number, co: number, th: number, tw: number, tiles: number, bias: number): void;
  winoFilter(g: number, U: number, ci: number, co: number): void;
  wino4In(x: number, V: number, n: number, h: number, w: number, ci: number, th: number, tw: number, top: number, left: number, tiles: number): void;
  wino4Out(M: number, y: number, n: number, oh: number, ow: number, co: number, th: number, tw: number, tiles: number, bias: number): void;
  wino4Filter(g: number, U: number, ci: number, co: number): void;
  /** winoIn ... wino4Out for blocks in cache: two passes through V (M) in place, which they overwrite. */
  winoBlockIn: HeapSimd['winoIn'];
  winoBlockOut: HeapSimd['winoOut'];
  wino4BlockIn: HeapSimd['winoIn'];
  wino4BlockOut: HeapSimd['winoOut'];
  winoDy(dy: number, G: number, n: number, oh: number, ow: number, co: number, th: number, tw: number, tiles: number): void;
  winoOutW(M: number, out: number, P: number): void;
  col2im(cols: number, dx: number, n: number, h: number, w: number, ci: number, oh: number, ow: number, s: number, top: number, left: number, kh: number, kw: number): void;
  /** im2colT for ci a multiple of 4. */
  im2colT4(x: number, dst: number, nc: number, h: number, w: number, ci: number, oh: number, ow: number, s: number, top: number, left: number, kh: number, kw: number, row: number): void;
  /** SGD steps (see {@link makeSgd}): with a momentum buffer, on the first momentum step, without momentum; `w`: with weight decay. */
  sgdb: SgdLoop;
  sgdbw: SgdLoop;
  sgdf: SgdLoop;
  sgdfw: SgdLoop;
  sgdn: SgdLoop;
  sgdnw: SgdLoop;
  sumProdDevRows(a: number, ma: number, b: number, mb: number, acc: number, rows: number, c: number): void;
  affineRows(x: number, m: number, s: number, t: number, y: number, rows: number, c: number): void;
  affine2Rows(x: number, s: number, v: number, m: number, u: number, t: number, y: number, rows: number, c: number): void;
  planeProducts: PlaneProducts;
  planeProductsAdd: PlaneProducts;
  /** dwTile1 ... dwTile4: see {@link makeDwTile}. */
  [tile: `dwTile${number}`]: (x: number, dy: number, out: number, nimg: number, oh: number, ow: number, xPix: number, xRow: number, xImg: number, co4: number) => void;
}

/** The module's bytes for a shared (threaded build) or unshared memory; exported for tests. */
export function simdModuleBytes(shared: boolean): Uint8Array {
  return assemble([pool2x2, reluGrad, sumRows, addInto, im2colT, im2colT4, transpose, col2im, copyRows, winoIn, winoOut, winoFilter, winoDy, winoOutW, wino4In, wino4Out, wino4Filter, ...winoBlocks, clip, sign, extremum('max', false), extremum('min', false), extremum('max', true), extremum('min', true), ...dwTiles, planeProducts, planeProductsAdd, ...sgds, sumProdDevRows, makeAffineRows(false), makeAffineRows(true)], shared);
}

/** The parts of the WebAssembly JS API used here (the project's lib settings carry no WebAssembly types). */
interface WasmApi {
  Memory: abstract new (...args: never[]) => { buffer: ArrayBufferLike };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
type Memory = InstanceType<WasmApi['Memory']>;

const instances = new WeakMap<Memory, HeapSimd | null>();

/** A wasm backend's memory: the threaded build's shared one (`wasmMemory`) or the plain build's export. */
export function heapMemory(backend: unknown): Memory | undefined {
  const mod = (backend as { wasm?: { wasmMemory?: Memory; asm?: { memory?: Memory } } }).wasm;
  const memory = mod?.wasmMemory ?? mod?.asm?.memory;
  return memory instanceof WA.Memory ? memory : undefined;
}

/**
 * The SIMD loops bound to a wasm backend's heap, or undefined where the module does not validate or link
 * (no wasm SIMD, or a backend without a reachable memory); callers then keep their JavaScript loops.
 */
export function heapSimd(backend: unknown): HeapSimd | undefined {
  const memory = heapMemory(backend);
  if (!memory) return undefined;
  let inst = instances.get(memory);
  if (inst === undefined) {
    try {
      const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
      const m = new WA.Module(simdModuleBytes(shared));
      inst = new WA.Instance(m, { env: { memory } }).exports as unknown as HeapSimd;
    } catch {
      inst = null;
    }
    instances.set(memory, inst);
  }
  return inst ?? undefined;
}
