/**
 * The filter gradient's share of one thread (the calling thread's or a heap worker's, heapWorkers.ts): dW
 * accumulated over a range of images by register-blocked SIMD tiles read straight from x and dy, a chunk of
 * images at a time. Kept free of TF.js so that workers load it cheaply.
 * @module
 */
import { DW_TILE_ROWS, type HeapSimd } from '../simd';

/** The parameters of {@link filterGradTiles}, in order (heap byte offsets, then the geometry). */
export const FILTER_GRAD_PARAMS = ['x', 'dy', 'out', 'buf', 'n0', 'n1', 'nc', 'h', 'w', 'ci', 'oh', 'ow', 'sh', 'sw', 'top', 'left', 'hp', 'wp', 'kh', 'kw', 'co'] as const;

/**
 * out[kh, kw, ci, co] += dW of images [n0, n1) of x [N, h, w, ci] and dy [N, oh, ow, co] (co a multiple of
 * 8). Where the convolution pads (`buf` nonzero), each chunk of `nc` images is first copied into `buf`, a
 * zero-bordered [nc, hp, wp, ci] buffer whose borders the caller zeroed, so that every tap of a tile is a
 * plain load; else x is read in place (hp = h, wp = w). A tile is `DW_TILE_ROWS` consecutive (kernel column,
 * channel) taps of one kernel row by 8 output channels, accumulated over all pixels of the chunk in registers.
 */
export function filterGradTiles(simd: HeapSimd, params: readonly number[]): void {
  const [x, dy, out, buf, n0, n1, nc, h, w, ci, oh, ow, sh, sw, top, left, hp, wp, kh, kw, co] = params;
  const img = hp * wp * ci;
  const seg = kw * ci;
  const row = w * ci;
  for (let a = n0; a < n1; a += nc) {
    const c = Math.min(nc, n1 - a);
    let base = x + a * img * 4;
    if (buf !== 0) {
      // In wasm, not through a JavaScript view: a worker's view of the heap can lag behind its growth.
      base = buf;
      for (let b = 0; b < c; b++) simd.copyRows(x + (a + b) * h * row * 4, buf + (b * img + (top * wp + left) * ci) * 4, h, row * 4, row * 4, wp * ci * 4);
    }
    const dyc = dy + a * oh * ow * co * 4;
    for (let cb = 0; cb < co; cb += 8)
      for (let i = 0; i < kh; i++)
        for (let r0 = 0; r0 < seg; r0 += DW_TILE_ROWS) {
          const rows = Math.min(DW_TILE_ROWS, seg - r0);
          simd[`dwTile${rows}`](base + (i * wp * ci + r0) * 4, dyc + cb * 4, out + ((i * seg + r0) * co + cb) * 4, c, oh, ow, sw * ci * 4, sh * wp * ci * 4, img * 4, co * 4);
        }
  }
}
