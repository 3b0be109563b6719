/**
 * Conv2DBackpropFilter for the wasm backend, which has none: Winograd for large 3x3 stride-1 layers
 * (winograd.ts), else SIMD tiles straight from x and dy on all wasm threads (filterGradTiles.ts), else chunked
 * im2col products on the heap, else a forward convolution with dy as its filter.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { heapSimd } from '../simd';
import { flag } from './flags';
import { call, heapOffset, heapViews, runShares, scoped, type ConvAttrs, type Info, type KernelArgs, type WasmBackend } from './heap';
import { winogradFilterGrad } from './winograd';

/**
 * dW: by Winograd for large 3x3 stride-1 layers, else by SIMD tiles ('direct', Co a multiple of 8), else by
 * chunked im2col products ('gemm'), else (or with mode 'conv') as a forward convolution of x (batch and
 * channels swapped) with dy as the filter.
 */
export function conv2DBackpropFilter(args: KernelArgs): Info {
  const { x, dy } = args.inputs as { x: Info; dy: Info };
  const attrs = args.attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
  const backend = args.backend as WasmBackend;
  if (attrs.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter (robustlab wasm): only NHWC is supported');
  const [fh, fw, fci, fco] = attrs.filterShape;
  if (flag('ROBUSTLAB_WASM_FILTER_GRAD') !== 'conv' && flag('ROBUSTLAB_WASM_WINOGRAD') && fh === 3 && fw === 3 && fci * fco >= flag('ROBUSTLAB_WASM_WINOGRAD_MIN_FILTER_GRAD_CHANNELS') && x.dtype === 'float32' && dy.dtype === 'float32') {
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
    if (info.strideHeight === 1 && info.strideWidth === 1) {
      const out = winogradFilterGrad(x, dy, info, backend);
      if (out) return out;
    }
  }
  if (flag('ROBUSTLAB_WASM_FILTER_GRAD') === 'direct') {
    const out = conv2DBackpropFilterDirect(x, dy, attrs, backend);
    if (out) return out;
  }
  if (flag('ROBUSTLAB_WASM_FILTER_GRAD') !== 'conv') {
    const out = conv2DBackpropFilterGemm(x, dy, attrs, backend);
    if (out) return out;
  }
  const [kh, kw, ci, co] = attrs.filterShape;
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const { top, left } = info.padInfo;
  const [, h, w] = x.shape;
  const bottom = Math.max(0, kh + (info.outHeight - 1) * info.strideHeight - h - top);
  const right = Math.max(0, kw + (info.outWidth - 1) * info.strideWidth - w - left);
  return scoped(backend, (keep) => {
    const xT = keep(call('Transpose', { x }, { perm: [3, 1, 2, 0] }, backend)); // [Ci, H, W, N]
    const dyT = keep(call('Transpose', { x: dy }, { perm: [1, 2, 0, 3] }, backend)); // [OH, OW, N, Co]
    // The forward stride becomes the dilation of the dy-filter.
    let out = keep(
      call('Conv2D', { x: xT, filter: dyT }, { strides: [1, 1], pad: [[0, 0], [top, bottom], [left, right], [0, 0]], dataFormat: 'NHWC', dilations: [info.strideHeight, info.strideWidth] }, backend),
    ); // [Ci, KH', KW', Co]
    if (out.shape[1] !== kh || out.shape[2] !== kw) out = keep(call('Slice', { x: out }, { begin: [0, 0, 0, 0], size: [ci, kh, kw, co] }, backend));
    return keep(call('Transpose', { x: out }, { perm: [1, 2, 0, 3] }, backend));
  });
}

/**
 * dW as products of the transposed im2col matrix with dy, a few images at a time:
 * dW[(i, j, c), o] = sum_m cols[(i, j, c), m] dy[m, o] over the output pixels m of the chunk. The product is
 * XNNPACK's fully connected operator with dy's rows as its (packed) weights, read in place through a view of
 * dy's buffer; the transposed im2col is a wasm loop over the heap (4x4 SIMD transposes for channel counts that
 * are multiples of 4). The convolution with dy as its filter (the 'conv' mode) runs the same product but first
 * transposes x and dy and repacks dy in HWIO -> OHWI order, which costs more. Chunks of
 * `ROBUSTLAB_WASM_DW_CHUNK` bytes of dy also bound the im2col buffer (timings: environment.md). Returns
 * undefined where the heap loops are unavailable.
 */
export function conv2DBackpropFilterGemm(x: Info, dy: Info, attrs: ConvAttrs & { filterShape: [number, number, number, number] }, backend: WasmBackend): Info | undefined {
  const simd = heapSimd(backend);
  if (!simd || x.dtype !== 'float32' || dy.dtype !== 'float32') return undefined;
  const [kh, kw, ci, co] = attrs.filterShape;
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const [n, h, w] = x.shape;
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  if (sh !== sw || n === 0) return undefined;
  const { top, left } = info.padInfo;
  const k = kh * kw * ci;
  const m = oh * ow; // output pixels per image
  const nc = Math.max(1, Math.min(n, Math.floor(flag('ROBUSTLAB_WASM_DW_CHUNK') / (m * co * 4))));
  const cols = backend.makeOutput([k * nc * m], 'float32');
  const views = heapViews(backend);
  let result: Info | undefined;
  try {
    for (let n0 = 0; n0 < n; n0 += nc) {
      const c = Math.min(nc, n - n0);
      (ci % 4 === 0 ? simd.im2colT4 : simd.im2colT)(heapOffset(backend, x) + n0 * h * w * ci * 4, heapOffset(backend, cols), c, h, w, ci, oh, ow, sh, top, left, kh, kw, c * m * 4);
      const a = views.view(cols, 0, [1, k, c * m]);
      const b = views.view(dy, n0 * m * co * 4, [1, c * m, co]);
      const part = call('BatchMatMul', { a, b }, { transposeA: false, transposeB: false }, backend); // [1, K, Co]
      views.drop();
      if (!result) result = part;
      else {
        simd.addInto(heapOffset(backend, result), heapOffset(backend, part), (k * co * 4) & ~15);
        const rv = backend.typedArrayFromHeap(result);
        const pv = backend.typedArrayFromHeap(part);
        for (let i = (k * co) & ~3; i < k * co; i++) rv[i] += pv[i];
        backend.disposeData(part.dataId);
      }
    }
  } catch (e) {
    if (result) backend.disposeData(result.dataId);
    throw e;
  } finally {
    views.drop();
    backend.disposeData(cols.dataId);
  }
  const out = call('Reshape', { x: result! }, { shape: [kh, kw, ci, co] }, backend);
  backend.disposeData(result!.dataId);
  return out;
}

/**
 * dW by register-blocked SIMD tiles read straight from x and dy, no im2col and no packing
 * (filterGradTiles.ts), the images split into one share per wasm thread: the calling thread and the heap
 * workers (heapWorkers.ts) each accumulate their images into their own zeroed output, added up at the end in
 * share order, so the result does not depend on timing and is the same whether or not the workers run
 * (without them the calling thread runs every share). Needs Co a multiple of 8; returns undefined where it does
 * not apply.
 */
export function conv2DBackpropFilterDirect(x: Info, dy: Info, attrs: ConvAttrs & { filterShape: [number, number, number, number] }, backend: WasmBackend): Info | undefined {
  const simd = heapSimd(backend);
  const [kh, kw, ci, co] = attrs.filterShape;
  if (!simd || x.dtype !== 'float32' || dy.dtype !== 'float32' || co % 8 !== 0) return undefined;
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const [n, h, w] = x.shape;
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  if (n === 0 || oh === 0 || ow === 0) return undefined;
  const { top, left } = info.padInfo;
  const hp = Math.max(top + h, (oh - 1) * sh + kh);
  const wp = Math.max(left + w, (ow - 1) * sw + kw);
  const padded = top !== 0 || left !== 0 || hp !== h || wp !== w;
  const nc = Math.max(1, Math.min(n, Math.floor(flag('ROBUSTLAB_WASM_DW_CHUNK') / (oh * ow * co * 4))));
  const parts = Math.min(n, flag('ROBUSTLAB_WASM_DW_SHARES'));
  const made: Info[] = [];
  const alloc = (shape: number[]) => {
    const t = backend.makeOutput(shape, 'float32');
    made.push(t);
    backend.typedArrayFromHeap(t).fill(0);
    return t;
  };
  try {
    const outs = Array.from({ length: parts }, () => alloc([kh, kw, ci, co]));
    const bufs = Array.from({ length: parts }, () => (padded ? alloc([Math.min(nc, Math.ceil(n / parts)) * hp * wp * ci]) : undefined));
    const geometry = [nc, h, w, ci, oh, ow, sh, sw, top, left, hp, wp, kh, kw, co];
    const share = (k: number): number[] => [
      heapOffset(backend, x), heapOffset(backend, dy), heapOffset(backend, outs[k]), bufs[k] ? heapOffset(backend, bufs[k]!) : 0,
      Math.floor((k * n) / parts), Math.floor(((k + 1) * n) / parts), ...geometry,
    ];
    runShares(backend, 'filterGradTiles', Array.from({ length: parts }, (_, k) => share(k)));
    for (let k = 1; k < parts; k++) simd.addInto(heapOffset(backend, outs[0]), heapOffset(backend, outs[k]), kh * kw * ci * co * 4);
    const out = outs[0];
    for (const t of made) if (t !== out) backend.disposeData(t.dataId);
    return out;
  } catch (e) {
    for (const t of made) backend.disposeData(t.dataId);
    throw e;
  }
}
