/**
 * Winograd 3x3 stride-1 convolutions (F(2x2, 3x3), F(4x4, 3x3)) and filter gradients (F(3x3, 2x2)) on the wasm heap:
 * SIMD transforms (simd.ts) around products. Where the transformed filter is small (the fused forms), blocks of
 * tiles go through all their steps in cache, on robustlab's plane products; else whole chunks go through the
 * transforms and XNNPACK's products (convolutions) or the plane products (filter gradients). The work is shared
 * out with the heap workers. Used by Conv2D.ts, Conv2DBias.ts and Conv2DBackpropFilter.ts.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { heapSimd, type HeapSimd } from '../simd';
import { flag } from './flags';
import { heapOffset, heapViews, matMulInto, runShares, runSplit, taskWorkers, type Info, type WasmBackend } from './heap';
import type { HeapTaskName } from './tasks';

/**
 * 3x3 stride-1 convolutions by Winograd F(2x2, 3x3) or F(4x4, 3x3): each (m+2)x(m+2) input tile d and the
 * filter g are transformed (B^T d B, G g G^T: SIMD loops on the heap), the (m+2)^2 transformed planes are
 * multiplied as that many products [tiles, Ci] x [Ci, Co] (XNNPACK's fully connected operator, packed once per
 * call for all chunks) and each tile's m x m outputs come back by A^T M A: 2.25x (4x) fewer multiplications than
 * the direct convolution, which XNNPACK runs at about the same rate per multiplication. Used for the forward
 * convolution (plus `bias`, added by the output transform) and, through it, the stride-1 input gradient;
 * relative error vs direct up to 2.4e-5 (F(4x4), 512 channels). Each product is a parallel region, which is
 * what keeps F(4x4) to layers with many tiles (`ROBUSTLAB_WASM_WINOGRAD_F4_MIN_TILES`; timings: environment.md).
 * Output channels a multiple of 8 and a transformed filter of at most `ROBUSTLAB_WASM_WINOGRAD_FUSED_MAX_FILTER_BYTES`
 * take the fused form instead. Returns undefined where it does not apply.
 */
export function winogradConv2D(x: Info, filter: Info, info: tf.backend_util.Conv2DInfo, backend: WasmBackend, bias?: Info): Info | undefined {
  const [n, h, w, ci] = x.shape;
  const co = filter.shape[3];
  const { outHeight: oh, outWidth: ow } = info;
  const { top, left } = info.padInfo;
  const simd = heapSimd(backend);
  if (!simd || n === 0 || oh === 0 || ow === 0) return undefined;
  // F(4x4, 3x3) where its 36 packed [Ci, Co] filter planes are worth it (enough tiles), else F(2x2, 3x3).
  const big = flag('ROBUSTLAB_WASM_WINOGRAD_F4') && n * Math.ceil(oh / 4) * Math.ceil(ow / 4) >= flag('ROBUSTLAB_WASM_WINOGRAD_F4_MIN_TILES');
  const m = big ? 4 : 2;
  const planes = (m + 2) * (m + 2);
  const fFilter = big ? simd.wino4Filter : simd.winoFilter;
  const th = Math.ceil(oh / m);
  const tw = Math.ceil(ow / m);
  if (flag('ROBUSTLAB_WASM_WINOGRAD_FUSED') && co % 8 === 0 && planes * ci * co * 4 <= flag('ROBUSTLAB_WASM_WINOGRAD_FUSED_MAX_FILTER_BYTES')) {
    return fusedWinograd(x, filter, bias, { m, n, h, w, ci, co, oh, ow, th, tw, top, left }, backend, simd);
  }
  const nc = Math.max(1, Math.min(n, Math.floor(flag('ROBUSTLAB_WASM_WINOGRAD_CHUNK') / (planes * th * tw * Math.max(ci, co) * 4))));
  const U = backend.makeOutput([planes * ci * co], 'float32');
  const V = backend.makeOutput([planes * nc * th * tw * ci], 'float32');
  const M = backend.makeOutput([planes * nc * th * tw * co], 'float32');
  const out = backend.makeOutput([n, oh, ow, co], 'float32');
  const views = heapViews(backend);
  try {
    fFilter(heapOffset(backend, filter), heapOffset(backend, U), ci, co);
    const us = Array.from({ length: planes }, (_, k) => views.view(U, k * ci * co * 4, [1, ci, co]));
    const keep = views.count();
    for (let n0 = 0; n0 < n; n0 += nc) {
      const c = Math.min(nc, n - n0);
      const tiles = c * th * tw;
      // The transforms are memory-bound passes: shared out by images with the heap workers.
      const [xo, vo, mo, yo] = [heapOffset(backend, x) + n0 * h * w * ci * 4, heapOffset(backend, V), heapOffset(backend, M), heapOffset(backend, out) + n0 * oh * ow * co * 4];
      runSplit(backend, 'winoConvIn', c, (a, b) => [big ? 1 : 0, xo, vo, a, b, h, w, ci, th, tw, top, left, tiles], planes * tiles * ci * 4);
      for (let k = 0; k < planes; k++) matMulInto(backend, views.view(V, k * tiles * ci * 4, [1, tiles, ci]), us[k], views.view(M, k * tiles * co * 4, [1, tiles, co]));
      views.drop(keep);
      runSplit(backend, 'winoConvOut', c, (a, b) => [big ? 1 : 0, mo, yo, a, b, oh, ow, co, th, tw, tiles, bias ? heapOffset(backend, bias) : 0], planes * tiles * co * 4);
    }
  } catch (e) {
    backend.disposeData(out.dataId);
    throw e;
  } finally {
    views.drop();
    for (const t of [U, V, M]) backend.disposeData(t.dataId);
  }
  return out;
}

/** How many of a 32 KiB 8-way L1's 64 sets `count` accesses `stride` bytes apart touch. */
function setsHit(stride: number, count: number): number {
  const sets = new Set<number>();
  for (let k = 0; k < count; k++) sets.add(Math.floor((k * stride) / 64) % 64);
  return sets.size;
}

/**
 * The row count in [rows, rows + 16) whose planes (`rowBytes` a row) spread over the most cache sets, the least
 * of those: the transforms touch one vector of every plane per tile, and planes a power of two bytes apart
 * share a few sets (a 16-tile block of 64 channels: 4 KiB apart, one set, 6x slower).
 */
function spreadRows(rows: number, rowBytes: number, planes: number): number {
  let best = rows;
  for (let r = rows + 1; r < rows + 16; r++) if (setsHit(r * rowBytes, planes) > setsHit(best * rowBytes, planes)) best = r;
  return best;
}

/** Blocks of about `tiles` tiles: nb whole images (nr = th) where an image has fewer, else nr tile rows of one. */
function blocks(g: WinogradShape, tiles: number): { nb: number; nr: number } {
  const perImage = g.th * g.tw;
  if (perImage <= tiles) return { nb: Math.min(g.n, Math.floor(tiles / perImage)), nr: g.th };
  return { nb: 1, nr: Math.max(1, Math.floor(tiles / g.tw)) };
}

/**
 * The fused form of {@link winogradFilterGrad} (tasks.ts `winoFusedFilterGrad`): each block's transforms of x
 * and dy stay in cache for its 16 plane products, which are added into the share's own planes; the batch is
 * split into the fixed shares of the direct filter gradient (`ROBUSTLAB_WASM_DW_SHARES`), run by the calling
 * thread and the heap workers, and the shares' planes are added in share order, so the result does not depend
 * on the thread count.
 */
function fusedWinogradFilterGrad(x: Info, dy: Info, g: WinogradShape, backend: WasmBackend, simd: HeapSimd): Info {
  const { n, h, w, ci, co, oh, ow, th, tw, top, left } = g;
  const { nb, nr } = blocks(g, Math.max(1, Math.floor(flag('ROBUSTLAB_WASM_WINOGRAD_BLOCK_BYTES') / (16 * (ci + co) * 4))));
  const rowsA = spreadRows(nb * nr * tw, ci * 4, 16);
  const rowsG = spreadRows(nb * nr * tw, co * 4, 16);
  const shares = Math.max(1, Math.min(n, flag('ROBUSTLAB_WASM_DW_SHARES')));
  const planes = 16 * ci * co;
  const scratch = planes + 16 * (rowsA * ci + rowsG * co);
  const [xo, dyo] = [heapOffset(backend, x), heapOffset(backend, dy)];
  return byImageShares(backend, 'winoFusedFilterGrad', n, shares, scratch, (mo, first, last) => {
    const ao = mo + planes * 4;
    return [xo, dyo, mo, ao, ao + 16 * rowsA * ci * 4, first, last, h, w, ci, oh, ow, co, th, tw, top, left, nb, nr, rowsA, rowsG];
  }, (so) => {
    for (let k = 1; k < shares; k++) simd.addInto(so, so + k * scratch * 4, planes * 4);
    const out = backend.makeOutput([3, 3, ci, co], 'float32');
    simd.winoOutW(so, heapOffset(backend, out), ci * co);
    return out;
  });
}

/**
 * Runs `task` on `shares` shares of n images (share k: images [kn/shares, (k+1)n/shares)), each with its own
 * zeroed scratch of `scratch` floats (`params(scratchOffset, first, last)` are its parameters), then `finish`
 * with the first scratch's offset; frees the scratch whatever happens.
 */
function byImageShares(backend: WasmBackend, task: HeapTaskName, n: number, shares: number, scratch: number, params: (own: number, first: number, last: number) => number[], finish: (first: number) => Info): Info {
  const S = backend.makeOutput([shares * scratch], 'float32');
  try {
    backend.typedArrayFromHeap(S).fill(0);
    const so = heapOffset(backend, S);
    const at = (k: number) => Math.floor((k * n) / shares);
    runShares(backend, task, Array.from({ length: shares }, (_, k) => params(so + k * scratch * 4, at(k), at(k + 1))));
    return finish(so);
  } finally {
    backend.disposeData(S.dataId);
  }
}

/** A Winograd convolution's geometry. */
interface WinogradShape {
  m: 2 | 4;
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  oh: number;
  ow: number;
  th: number;
  tw: number;
  top: number;
  left: number;
}

/**
 * The fused form of {@link winogradConv2D} (tasks.ts `winoFused`): blocks of tiles small enough to stay in
 * cache go through the input transform, the products (robustlab's plane products, no packing) and the output
 * transform (with the bias) before the next block, so the transformed tiles never travel to memory and the
 * whole convolution is one parallel region, the images shared out between the calling thread and the heap
 * workers. Each block's tiles are computed the same way whichever thread takes them.
 */
function fusedWinograd(x: Info, filter: Info, bias: Info | undefined, g: WinogradShape, backend: WasmBackend, simd: HeapSimd): Info {
  const { m, n, h, w, ci, co, oh, ow, th, tw, top, left } = g;
  const planes = (m + 2) * (m + 2);
  const { nb, nr } = blocks(g, Math.max(4, Math.floor(flag('ROBUSTLAB_WASM_WINOGRAD_BLOCK_BYTES') / (planes * (2 * ci + co) * 4))));
  const rows = 4 * Math.ceil((nb * nr * tw) / 4);
  // The transforms step through the planes: rows padded so that those do not crowd a few cache sets.
  const rowsA = spreadRows(rows, ci * 4, planes);
  const rowsM = spreadRows(rows, co * 4, planes);
  const workers = n > 1 ? taskWorkers(backend) : undefined;
  const shares = Math.min(n, 1 + (workers?.size ?? 0));
  const sizeA = planes * rowsA * ci;
  const U = backend.makeOutput([planes * ci * co], 'float32');
  const out = backend.makeOutput([n, oh, ow, co], 'float32');
  try {
    (m === 4 ? simd.wino4Filter : simd.winoFilter)(heapOffset(backend, filter), heapOffset(backend, U), ci, co);
    const [xo, uo, yo] = [heapOffset(backend, x), heapOffset(backend, U), heapOffset(backend, out)];
    const bo = bias ? heapOffset(backend, bias) : 0;
    // Rows past a block's tiles are multiplied but never read back: zeroed scratch keeps them finite and cheap.
    return byImageShares(backend, 'winoFused', n, shares, 2 * sizeA + planes * rowsM * co, (a, first, last) => {
      const b = a + sizeA * 4;
      return [m === 4 ? 1 : 0, xo, uo, yo, bo, a, b, b + sizeA * 4, first, last, h, w, ci, co, oh, ow, th, tw, top, left, nb, nr, rows, rowsA, rowsM];
    }, () => out);
  } catch (e) {
    backend.disposeData(out.dataId);
    throw e;
  } finally {
    backend.disposeData(U.dataId);
  }
}

/**
 * dW of a 3x3 stride-1 convolution by Winograd F(3x3, 2x2): every 2x2 tile g of dy and its 4x4 input patch d
 * contribute A'^T [(G' g G'^T) * (B^T d B)] A' (simd.ts); summed over tiles that is 16 products, one per
 * transformed plane, M_k[Ci, Co] = V_k^T G_k over the tiles, then one output transform straight into
 * [3, 3, Ci, Co]. The products run on the plane products (simd.ts `planeProductsAdd`; no packing; the planes are shared
 * out between the calling thread and the heap workers, each plane computed whole by one thread, so the result
 * does not depend on the split), and so do the transforms, by images; 2.25x fewer multiplications than the
 * direct filter gradient. Where the 16 planes hold at most `ROBUSTLAB_WASM_WINOGRAD_FUSED_MAX_FILTER_BYTES`,
 * the fused form runs instead. Needs Ci a multiple of 4 and Co of 8; returns undefined where it does not apply.
 */
export function winogradFilterGrad(x: Info, dy: Info, info: tf.backend_util.Conv2DInfo, backend: WasmBackend): Info | undefined {
  const [n, h, w, ci] = x.shape;
  const co = dy.shape[3];
  const { outHeight: oh, outWidth: ow } = info;
  const { top, left } = info.padInfo;
  const simd = heapSimd(backend);
  if (!simd || n === 0 || oh === 0 || ow === 0 || ci % 4 !== 0 || co % 8 !== 0) return undefined;
  const th = Math.ceil(oh / 2);
  const tw = Math.ceil(ow / 2);
  if (flag('ROBUSTLAB_WASM_WINOGRAD_FUSED') && 16 * ci * co * 4 <= flag('ROBUSTLAB_WASM_WINOGRAD_FUSED_MAX_FILTER_BYTES')) {
    return fusedWinogradFilterGrad(x, dy, { m: 2, n, h, w, ci, co, oh, ow, th, tw, top, left }, backend, simd);
  }
  const nc = Math.max(1, Math.min(n, Math.floor(flag('ROBUSTLAB_WASM_WINOGRAD_CHUNK') / (16 * th * tw * Math.max(ci, co) * 4))));
  // Tiles per product pass whose rows of both operands fill about half of a 1 MiB L2.
  const chunk = Math.max(16, Math.floor((512 << 10) / ((ci + co) * 4)));
  const V = backend.makeOutput([16 * nc * th * tw * ci], 'float32');
  const G = backend.makeOutput([16 * nc * th * tw * co], 'float32');
  const M = backend.makeOutput([16 * ci * co], 'float32');
  let out: Info | undefined;
  try {
    backend.typedArrayFromHeap(M).fill(0);
    const [vo, go, mo] = [heapOffset(backend, V), heapOffset(backend, G), heapOffset(backend, M)];
    for (let n0 = 0; n0 < n; n0 += nc) {
      const c = Math.min(nc, n - n0);
      const tiles = c * th * tw;
      const [xo, dyo] = [heapOffset(backend, x) + n0 * h * w * ci * 4, heapOffset(backend, dy) + n0 * oh * ow * co * 4];
      runSplit(backend, 'winoFilterTransforms', c, (a, b) => [xo, vo, dyo, go, a, b, h, w, ci, oh, ow, co, th, tw, top, left, tiles], tiles * 16 * (ci + co) * 4);
      runSplit(backend, 'winoFilterProducts', 16, (k0, k1) => [vo, go, mo, k0, k1, tiles, ci, co, chunk]);
    }
    out = backend.makeOutput([3, 3, ci, co], 'float32');
    simd.winoOutW(mo, heapOffset(backend, out), ci * co);
  } catch (e) {
    if (out) backend.disposeData(out.dataId);
    throw e;
  } finally {
    for (const t of [V, G, M]) backend.disposeData(t.dataId);
  }
  return out;
}
