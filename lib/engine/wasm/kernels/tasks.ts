/**
 * The tasks the wasm heap workers run (heapWorkers.ts): each is a plain function of the SIMD loops and
 * integer parameters (heap byte offsets and sizes), run by the calling thread and the workers alike on their
 * shares. Tasks touch the heap only through the SIMD module: a worker's JavaScript view of the memory can lag
 * behind a growth the calling thread just made, wasm's own accesses cannot. The workers load this module
 * themselves, so it and its imports stay free of TF.js.
 * @module
 */
import type { HeapSimd } from '../simd';
import { filterGradTiles } from './filterGradTiles';

/**
 * pool2x2Rows(xo, go, dxo, first, last, oh, ow, c, h, w): MaxPoolGrad of 2x2/2 windows (simd.ts `pool2x2`) for
 * the window rows [first, last) of all images (row k is image k / oh, window row k % oh); offsets in bytes.
 */
export function pool2x2Rows(simd: HeapSimd, params: readonly number[]): void {
  const [xo, go, dxo, first, last, oh, ow, c, h, w] = params;
  for (let k = first; k < last; k++) {
    const b = Math.floor(k / oh);
    const r = k - b * oh;
    const at = (b * h + 2 * r) * w * c * 4;
    simd.pool2x2(xo + at, go + k * ow * c * 4, dxo + at, ow, c * 4, w * c * 4);
  }
}

/**
 * winoFilterProducts(V, G, M, k0, k1, tiles, ci, co, chunk): for the Winograd planes k in [k0, k1),
 * M_k[ci, co] += sum over tiles t of V_k[t, ci] G_k[t, co] (V, G: planes of [tiles, ci] and [tiles, co], M:
 * planes of [ci, co]; ci a multiple of 4, co of 8) by simd.ts `planeProductsAdd`, `chunk` tiles at a time so
 * that both operands' rows stay in cache across the tiles of a plane.
 */
export function winoFilterProducts(simd: HeapSimd, params: readonly number[]): void {
  const [V, G, M, k0, k1, tiles, ci, co, chunk] = params;
  for (let k = k0; k < k1; k++)
    for (let t0 = 0; t0 < tiles; t0 += chunk) {
      const tn = Math.min(chunk, tiles - t0);
      simd.planeProductsAdd(V + (k * tiles + t0) * ci * 4, G + (k * tiles + t0) * co * 4, M + k * ci * co * 4, 1, ci, tn, co, ci * 4, 0, 0, 0);
    }
}

/**
 * Calls `step(b, c, i0, r)` for the blocks of images [first, last): c = nb images from image b (nr = th), or
 * the r tile rows from tile row i0 of image b.
 */
function eachBlock(first: number, last: number, th: number, nb: number, nr: number, step: (b: number, c: number, i0: number, r: number) => void): void {
  for (let b = first; b < last; b += nb) for (let i0 = 0; i0 < th; i0 += nr) step(b, Math.min(nb, last - b), i0, Math.min(nr, th - i0));
}

/**
 * winoFilterTransforms(x, V, dy, G, first, last, h, w, ci, oh, ow, co, th, tw, top, left, tiles): the Winograd
 * filter gradient's transforms (simd.ts `winoIn`, `winoDy`) of images [first, last) of a pass of `tiles` tiles,
 * written to their own rows of every plane.
 */
export function winoFilterTransforms(simd: HeapSimd, params: readonly number[]): void {
  const [x, V, dy, G, first, last, h, w, ci, oh, ow, co, th, tw, top, left, tiles] = params;
  const row = first * th * tw;
  simd.winoIn(x + first * h * w * ci * 4, V + row * ci * 4, last - first, h, w, ci, th, tw, top, left, tiles);
  simd.winoDy(dy + first * oh * ow * co * 4, G + row * co * 4, last - first, oh, ow, co, th, tw, tiles);
}

/**
 * winoConvIn(f4, x, V, first, last, h, w, ci, th, tw, top, left, tiles): the input transform of a Winograd
 * convolution (simd.ts `winoIn`, or `wino4In` for f4 = 1) for images [first, last) of a pass of `tiles` tiles.
 */
export function winoConvIn(simd: HeapSimd, params: readonly number[]): void {
  const [f4, x, V, first, last, h, w, ci, th, tw, top, left, tiles] = params;
  (f4 ? simd.wino4In : simd.winoIn)(x + first * h * w * ci * 4, V + first * th * tw * ci * 4, last - first, h, w, ci, th, tw, top, left, tiles);
}

/**
 * winoConvOut(f4, M, y, first, last, oh, ow, co, th, tw, tiles, bias): the output transform of a Winograd
 * convolution (simd.ts `winoOut`, or `wino4Out` for f4 = 1; plus the bias where `bias` is not 0) for images
 * [first, last) of a pass, from planes `tiles` rows apart.
 */
export function winoConvOut(simd: HeapSimd, params: readonly number[]): void {
  const [f4, M, y, first, last, oh, ow, co, th, tw, tiles, bias] = params;
  (f4 ? simd.wino4Out : simd.winoOut)(M + first * th * tw * co * 4, y + first * oh * ow * co * 4, last - first, oh, ow, co, th, tw, tiles, bias);
}

/**
 * winoFused(f4, x, U, y, bias, A, B, M, first, last, h, w, ci, co, oh, ow, th, tw, top, left, nb, nr, rows, rowsA,
 * rowsM): a Winograd convolution of images [first, last) block by block, each block (nb whole images, or nr tile
 * rows of one image) taken through all its steps while it is in cache: input transform into A (planes of [rows, ci]),
 * one transpose into B (each plane's columns, so that the products read consecutive tiles), the plane
 * products with the transformed filter U into M, and the output transform (plus the bias where `bias` is not
 * 0) into y. A, B and M are this share's own scratch; `rows` is the block's tile count rounded up to 4, `rowsA`
 * and `rowsM` (at least `rows`) the rows between planes of A and of M.
 */
export function winoFused(simd: HeapSimd, params: readonly number[]): void {
  const [f4, x, U, y, bias, A, B, M, first, last, h, w, ci, co, oh, ow, th, tw, top, left, nb, nr, rows, rowsA, rowsM] = params;
  const m = f4 ? 4 : 2;
  const planes = (m + 2) * (m + 2);
  const into = f4 ? simd.wino4BlockIn : simd.winoBlockIn;
  const out = f4 ? simd.wino4BlockOut : simd.winoBlockOut;
  eachBlock(first, last, th, nb, nr, (b, c, i0, r) => {
    into(x + b * h * w * ci * 4, A, c, h, w, ci, r, tw, top - m * i0, left, rowsA);
    simd.transpose(A, B, planes * rowsA, ci);
    simd.planeProducts(B, U, M, planes, rows, ci, co, planes * rowsA * 4, rowsA * 4, ci * co * 4, rowsM * co * 4);
    out(M, y + (b * oh + m * i0) * ow * co * 4, c, oh - m * i0, ow, co, r, tw, rowsM, bias);
  });
}

/**
 * winoFusedFilterGrad(x, dy, M, A, G, first, last, h, w, ci, oh, ow, co, th, tw, top, left, nb, nr, rowsA,
 * rowsG): the Winograd F(3x3, 2x2) filter gradient's 16 planes M_k[ci, co] += sum over the tiles of images
 * [first, last) of V_k^T G_k, block by block (nb whole images, or nr tile rows of one image): x's tiles
 * transformed into A (planes of [tiles, ci], rowsA rows apart), dy's into G (rowsG apart), and the block's
 * products added to M while both are in cache. M is this share's own.
 */
export function winoFusedFilterGrad(simd: HeapSimd, params: readonly number[]): void {
  const [x, dy, M, A, G, first, last, h, w, ci, oh, ow, co, th, tw, top, left, nb, nr, rowsA, rowsG] = params;
  eachBlock(first, last, th, nb, nr, (b, c, i0, r) => {
    simd.winoBlockIn(x + b * h * w * ci * 4, A, c, h, w, ci, r, tw, top - 2 * i0, left, rowsA);
    simd.winoDy(dy + (b * oh + 2 * i0) * ow * co * 4, G, c, oh - 2 * i0, ow, co, r, tw, rowsG);
    simd.planeProductsAdd(A, G, M, 16, ci, c * r * tw, co, ci * 4, rowsA * ci * 4, rowsG * co * 4, ci * co * 4);
  });
}

/**
 * affineRowRange(two, x, s, v, m, u, t, y, first, last, c): simd.ts `affineRows` (two = 0: y = (x - m) u + t)
 * or `affine2Rows` (two = 1: y = x s + (v - m) u + t) over the rows [first, last) of c bytes each.
 */
export function affineRowRange(simd: HeapSimd, params: readonly number[]): void {
  const [two, x, sc, v, m, u, t, y, first, last, c] = params;
  const at = first * c;
  if (two) simd.affine2Rows(x + at, sc, v + at, m, u, t, y + at, last - first, c);
  else simd.affineRows(x + at, m, u, t, y + at, last - first, c);
}

/** sumRowRange(x, acc, first, last, c): simd.ts `sumRows` over the rows [first, last) of c bytes each. */
export function sumRowRange(simd: HeapSimd, params: readonly number[]): void {
  const [x, acc, first, last, c] = params;
  simd.sumRows(x + first * c, acc, last - first, c);
}

/** sumProdDevRowRange(a, ma, b, mb, acc, first, last, c): simd.ts `sumProdDevRows` over the rows [first, last). */
export function sumProdDevRowRange(simd: HeapSimd, params: readonly number[]): void {
  const [a, ma, b, mb, acc, first, last, c] = params;
  simd.sumProdDevRows(a + first * c, ma, b + first * c, mb, acc, last - first, c);
}

/** The tasks by name. */
export const HEAP_TASKS = { filterGradTiles, pool2x2Rows, winoFilterProducts, winoFilterTransforms, winoConvIn, winoConvOut, winoFused, winoFusedFilterGrad, affineRowRange, sumRowRange, sumProdDevRowRange };

/** A task's name. */
export type HeapTaskName = keyof typeof HEAP_TASKS;

/** This module's path, for the workers to load. */
export const HEAP_TASKS_MODULE = __filename;
