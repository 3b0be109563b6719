/**
 * Fast wasm kernels built from other wasm kernels. The wasm backend has no Conv2DBackpropFilter, and its
 * input gradient and transposed matrix products run slow generic loops, while its forward convolution and
 * plain matrix product run XNNPACK. So each gradient is rewritten as forward convolutions or a plain product
 * on transposed, flipped or sliced operands (strided input gradients by stride phases), and the pooling
 * gradient and leading-axis sums run as single passes over the wasm heap.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { heapSimd } from './simd';
import { FUSED_RELU_GRAD } from '../gradients';
import { signConfig } from './kernels/Sign';
import { makeClipByValue } from './kernels/ClipByValue';
import { makeExtremum } from './kernels/extremum';
import { makeLog1p } from './kernels/Log1p';

type Info = tf.TensorInfo;
type Backend = tf.KernelBackend & { disposeData(id: object): boolean };

function call(name: string, inputs: Record<string, Info> | tf.NamedTensorInfoMap, attrs: Record<string, unknown>, backend: Backend, kernelFunc?: tf.KernelFunc): Info {
  const k = kernelFunc ?? tf.getKernel(name, 'wasm')?.kernelFunc;
  if (!k) throw new Error(`wasm kernel '${name}' is missing`);
  return k({ inputs: inputs as tf.NamedTensorInfoMap, attrs: attrs as tf.NamedAttrMap, backend }) as Info;
}

/** Runs `steps` and frees every intermediate but the returned one. */
function scoped(backend: Backend, f: (keep: (t: Info) => Info) => Info): Info {
  const made: Info[] = [];
  const out = f((t) => (made.push(t), t));
  for (const t of made) if (t !== out) backend.disposeData(t.dataId);
  return out;
}

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * dW: by Winograd for large 3x3 stride-1 layers, else by chunked im2col products ('gemm'), else (or with mode
 * 'conv') as a forward convolution of x (batch and channels swapped) with dy as the filter.
 */
function conv2DBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): Info {
  const { x, dy } = args.inputs as { x: Info; dy: Info };
  const attrs = args.attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
  const backend = args.backend as Backend;
  if (attrs.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter (robustlab wasm): only NHWC is supported');
  const [fh, fw, fci, fco] = attrs.filterShape;
  if (filterGradOptions.mode === 'gemm' && winogradOptions.enabled && fh === 3 && fw === 3 && fci % 4 === 0 && fco % 4 === 0 && fci * fco >= winogradOptions.minFilterGradChannelProduct && x.dtype === 'float32' && dy.dtype === 'float32') {
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
    if (info.strideHeight === 1 && info.strideWidth === 1) {
      const out = winogradFilterGrad(x, dy, info, backend as WasmBackend);
      if (out) return out;
    }
  }
  if (filterGradOptions.mode === 'gemm') {
    const out = conv2DBackpropFilterGemm(x, dy, attrs, backend as WasmBackend);
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
 * How Conv2DBackpropFilter runs (tests and benchmarks switch it): 'gemm' (chunked products, the default) or 'conv'
 * (dy as a convolution filter); `chunkBytes` is the bytes of
 * dy per chunk of 'gemm'. Environment: ROBUSTLAB_WASM_FILTER_GRAD, ROBUSTLAB_WASM_DW_CHUNK.
 */
export const filterGradOptions: { mode: 'gemm' | 'conv'; chunkBytes: number } = {
  mode: process.env.ROBUSTLAB_WASM_FILTER_GRAD === 'conv' ? 'conv' : 'gemm',
  chunkBytes: Number(process.env.ROBUSTLAB_WASM_DW_CHUNK) > 0 ? Number(process.env.ROBUSTLAB_WASM_DW_CHUNK) : 256 << 10,
};

/**
 * dW as products of the transposed im2col matrix with dy, a few images at a time:
 * dW[(i, j, c), o] = sum_m cols[(i, j, c), m] dy[m, o] over the output pixels m of the chunk. The product is
 * XNNPACK's fully connected operator with dy's rows as its (packed) weights, read in place through a view of
 * dy's buffer; the transposed im2col is a wasm loop over the heap (4x4 SIMD transposes for channel counts that
 * are multiples of 4). The convolution with dy as its filter (the 'conv' mode) runs the same product but first
 * transposes x and dy and repacks dy in HWIO -> OHWI order, which cost it 1.2-2x more. Chunks of 256 KB of dy
 * (quiet machine, 2 threads: ResNet-18's first stage 166 ms per layer vs 198 at 1 MB and 250 at 4 MB) also
 * bound the im2col buffer. Returns undefined where the heap loops are unavailable.
 */
function conv2DBackpropFilterGemm(x: Info, dy: Info, attrs: ConvAttrs & { filterShape: [number, number, number, number] }, backend: WasmBackend): Info | undefined {
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
  const nc = Math.max(1, Math.min(n, Math.floor(filterGradOptions.chunkBytes / (m * co * 4))));
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
 * Float32 tensors that alias slices of other tensors' heap memory (makeOutput at an offset), for XNNPACK
 * products on parts of a buffer without copies. `drop` unregisters the views (all, or those made after the
 * `count()` given) without freeing the memory, which belongs to the tensor viewed.
 */
function heapViews(backend: WasmBackend): { view(base: Info, byteOffset: number, shape: number[]): Info; count(): number; drop(from?: number): void } {
  const made: Info[] = [];
  const b = backend as unknown as { dataIdMap: { get(id: object): { id: number }; delete(id: object): void }; wasm: { tfjs: { disposeData(id: number): void } } };
  return {
    view(base, byteOffset, shape) {
      const v = backend.makeOutput(shape, 'float32', heapOffset(backend, base) + byteOffset);
      made.push(v);
      return v;
    },
    count: () => made.length,
    drop(from = 0) {
      for (const v of made.splice(from)) {
        b.wasm.tfjs.disposeData(b.dataIdMap.get(v.dataId).id);
        b.dataIdMap.delete(v.dataId);
      }
    },
  };
}

/** dx as a forward convolution of zero-dilated dy with the flipped, transposed filter. */
function makeConv2DBackpropInput(original: tf.KernelFunc) {
  return (args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): Info => {
    const { dy, filter } = args.inputs as { dy: Info; filter: Info };
    const attrs = args.attrs as unknown as ConvAttrs & { inputShape: [number, number, number, number] };
    const backend = args.backend as Backend;
    const [kh, kw] = filter.shape;
    const info = tf.backend_util.computeConv2DInfo(attrs.inputShape, filter.shape as [number, number, number, number], attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
    const { top, left } = info.padInfo;
    if (attrs.dataFormat === 'NCHW' || top > kh - 1 || left > kw - 1) return call('Conv2DBackpropInput', args.inputs, args.attrs, backend, original);
    const [n, h, w, ci] = attrs.inputShape;
    const [, oh, ow, co] = dy.shape;
    const sh = info.strideHeight;
    const sw = info.strideWidth;
    if (ci <= inputGradOptions.col2imMaxChannels && sh === sw) {
      const out = inputGradCol2im(dy, filter, attrs.inputShape, sh, top, left, backend as WasmBackend);
      if (out) return out;
    }
    if (sh > 1 || sw > 1) {
      const out = polyphaseInputGrad(dy, filter, attrs.inputShape, sh, sw, top, left, backend as WasmBackend);
      if (out) return out;
    }
    return scoped(backend, (keep) => {
      let d = dy;
      if (sh > 1 || sw > 1) {
        const r = keep(call('Reshape', { x: dy }, { shape: [n, oh, 1, ow, 1, co] }, backend));
        const p = keep(call('PadV2', { x: r }, { paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0 }, backend));
        d = keep(call('Reshape', { x: p }, { shape: [n, oh * sh, ow * sw, co] }, backend));
      }
      const wT = keep(flipTransposeFilter(filter, backend as WasmBackend)); // [KH, KW, Co, Ci], flipped
      const pt = kh - 1 - top;
      const pl = kw - 1 - left;
      const pb = Math.max(0, h - d.shape[1] - pt + kh - 1);
      const pr = Math.max(0, w - d.shape[2] - pl + kw - 1);
      let out = keep(call('Conv2D', { x: d, filter: wT }, { strides: [1, 1], pad: [[0, 0], [pt, pb], [pl, pr], [0, 0]], dataFormat: 'NHWC', dilations: [1, 1] }, backend));
      if (out.shape[1] !== h || out.shape[2] !== w) out = keep(call('Slice', { x: out }, { begin: [0, 0, 0, 0], size: [n, h, w, ci] }, backend));
      return out;
    });
  };
}

/**
 * Options of the input gradient (tests switch them): input gradients with at most `col2imMaxChannels` channels
 * (an image's 3) run as one product and a col2im instead of a convolution with that few output channels.
 */
export const inputGradOptions = { col2imMaxChannels: 4 };

/**
 * dx as cols = dy [M, Co] x W^T [Co, KH*KW*Ci] (XNNPACK's fully connected operator, M = N*OH*OW) and a col2im
 * that adds each row's taps into dx. For an input of 3 channels the convolution form has 3 output channels,
 * which leaves most of XNNPACK's 8-wide output tile idle.
 */
function inputGradCol2im(dy: Info, filter: Info, inputShape: number[], s: number, top: number, left: number, backend: WasmBackend): Info | undefined {
  const simd = heapSimd(backend);
  if (!simd || dy.dtype !== 'float32' || filter.dtype !== 'float32') return undefined;
  const [kh, kw, ci, co] = filter.shape;
  const [n, h, w] = inputShape;
  const [, oh, ow] = dy.shape;
  const k = kh * kw * ci;
  return scoped(backend, (keep) => {
    const w2 = keep(call('Reshape', { x: filter }, { shape: [k, co] }, backend));
    const wT = keep(call('Transpose', { x: w2 }, { perm: [1, 0] }, backend)); // [Co, K]
    const b = keep(call('Reshape', { x: wT }, { shape: [1, co, k] }, backend));
    const a = keep(call('Reshape', { x: dy }, { shape: [1, n * oh * ow, co] }, backend));
    const cols = keep(call('BatchMatMul', { a, b }, { transposeA: false, transposeB: false }, backend)); // [1, M, K]
    const out = keep(backend.makeOutput(inputShape, 'float32'));
    backend.typedArrayFromHeap(out).fill(0);
    simd.col2im(heapOffset(backend, cols), heapOffset(backend, out), n, h, w, ci, oh, ow, s, top, left, kh, kw);
    return out;
  });
}

/**
 * The filter flipped in space with its channel axes swapped, [KH, KW, Ci, Co] -> [KH, KW, Co, Ci]: a SIMD
 * transpose per tap where the channel counts are multiples of 4, else wasm's Transpose, then the spatial flip
 * as block copies. wasm's Reverse runs a generic per-element loop that takes
 * about 110 ms on a 3x3x512x512 filter (once per layer and gradient, whatever the batch).
 */
function flipTransposeFilter(filter: Info, backend: WasmBackend): Info {
  const [kh, kw, ci, co] = filter.shape;
  const simd = ci % 4 === 0 && co % 4 === 0 ? heapSimd(backend) : undefined;
  if (simd) {
    // One pass: each tap's [Ci, Co] block transposed by 4x4 SIMD blocks into the mirrored tap.
    const out = backend.makeOutput([kh, kw, co, ci], 'float32');
    const [src, dst] = [heapOffset(backend, filter), heapOffset(backend, out)];
    const taps = kh * kw;
    for (let t = 0; t < taps; t++) simd.transpose(src + t * ci * co * 4, dst + (taps - 1 - t) * ci * co * 4, ci, co);
    return out;
  }
  const t = call('Transpose', { x: filter }, { perm: [0, 1, 3, 2] }, backend);
  const out = backend.makeOutput([kh, kw, co, ci], 'float32');
  const src = backend.typedArrayFromHeap(t);
  const dst = backend.typedArrayFromHeap(out);
  const block = ci * co;
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++) {
      const from = ((kh - 1 - i) * kw + (kw - 1 - j)) * block;
      dst.set(src.subarray(from, from + block), (i * kw + j) * block);
    }
  backend.disposeData(t.dataId);
  return out;
}

/**
 * Taps i0, i0+si, ... (ni of them) by j0, j0+sj, ... (nj) of a [KH, KW, A, B] filter, as block copies (wasm's
 * StridedSlice took ~100 ms on a 3x3x512x256 filter).
 */
function takeTaps(w: Info, i0: number, ni: number, si: number, j0: number, nj: number, sj: number, backend: WasmBackend): Info {
  const [, kw, a, b] = w.shape;
  const out = backend.makeOutput([ni, nj, a, b], 'float32');
  const src = backend.typedArrayFromHeap(w);
  const dst = backend.typedArrayFromHeap(out);
  const block = a * b;
  for (let i = 0; i < ni; i++)
    for (let j = 0; j < nj; j++) {
      const from = ((i0 + i * si) * kw + j0 + j * sj) * block;
      dst.set(src.subarray(from, from + block), (i * nj + j) * block);
    }
  return out;
}

/** Taps of one stride phase along one axis: i = j*s + rho (j < taps); the conv pads `front` before dy. */
function phase(k: number, s: number, pad: number, phi: number): { rho: number; taps: number; front: number } {
  const c = phi + pad;
  const rho = c % s;
  const taps = Math.max(0, Math.ceil((k - rho) / s));
  return { rho, taps, front: taps - 1 - Math.floor(c / s) };
}

/**
 * dx of a strided convolution by stride phases: the input rows u = m*s + phi only meet the filter taps
 * i = j*s + rho, so each of the s_h*s_w phases is a stride-1 forward convolution of dy with a sub-filter, and
 * the phases interleave into dx. Same work as the forward convolution, where zero-dilating dy costs s_h*s_w
 * times more. For y[p] = sum_i x[p*s + i - pad] W[i]: dx[m*s + phi] = sum_j dy[m + q - j] W[j*s + rho], with
 * phi + pad = q*s + rho. Returns undefined where a phase would need negative padding (the caller falls back).
 */
function polyphaseInputGrad(dy: Info, filter: Info, inputShape: number[], sh: number, sw: number, top: number, left: number, backend: WasmBackend): Info | undefined {
  const [kh, kw] = filter.shape;
  const [n, h, w, ci] = inputShape;
  const [, oh, ow] = dy.shape;
  const mh = Math.ceil(h / sh);
  const mw = Math.ceil(w / sw);
  const rows = Array.from({ length: sh }, (_, p) => phase(kh, sh, top, p));
  const cols = Array.from({ length: sw }, (_, p) => phase(kw, sw, left, p));
  if (rows.some((r) => r.taps > 0 && r.front < 0) || cols.some((c) => c.taps > 0 && c.front < 0)) return undefined;
  const made: Info[] = [];
  const keep = (t: Info) => (made.push(t), t);
  try {
    const wT = keep(flipTransposeFilter(filter, backend)); // [KH, KW, Co, Ci], flipped
    const phases: { ph: number; pw: number; y?: Info }[] = [];
    for (let ph = 0; ph < sh; ph++)
      for (let pw = 0; pw < sw; pw++) {
        const r = rows[ph];
        const c = cols[pw];
        if (r.taps === 0 || c.taps === 0) {
          phases.push({ ph, pw });
          continue;
        }
        // In the flipped filter, tap j*s + rho sits at k-1-(j*s + rho): a strided slice, already reversed.
        const sub = keep(
          takeTaps(wT, kh - 1 - r.rho - (r.taps - 1) * sh, r.taps, sh, kw - 1 - c.rho - (c.taps - 1) * sw, c.taps, sw, backend),
        );
        const bottom = Math.max(0, mh - oh - r.front + r.taps - 1);
        const right = Math.max(0, mw - ow - c.front + c.taps - 1);
        phases.push({ ph, pw, y: keep(call('Conv2D', { x: dy, filter: sub }, { strides: [1, 1], pad: [[0, 0], [r.front, bottom], [c.front, right], [0, 0]], dataFormat: 'NHWC', dilations: [1, 1] }, backend)) });
      }
    const out = backend.makeOutput([n, h, w, ci], 'float32');
    // Views only now: any allocation above may have grown (and detached) the heap.
    const dx = backend.typedArrayFromHeap(out);
    const simd = ci % 4 === 0 ? heapSimd(backend) : undefined;
    if (simd) {
      // Each phase's rows go to every s-th pixel of dx's rows; phases without taps leave zeros.
      if (phases.some((p) => !p.y)) dx.fill(0);
      const dxo = heapOffset(backend, out);
      for (const { ph, pw, y } of phases) {
        if (!y) continue;
        const [, srcH, srcW] = y.shape;
        const yo = heapOffset(backend, y);
        const hRows = Math.ceil((h - ph) / sh);
        const wCols = Math.ceil((w - pw) / sw);
        for (let b = 0; b < n; b++)
          for (let m = 0; m < hRows; m++) simd.copyRows(yo + (b * srcH + m) * srcW * ci * 4, dxo + ((b * h + m * sh + ph) * w + pw) * ci * 4, wCols, ci * 4, ci * 4, sw * ci * 4);
      }
      return out;
    }
    for (const { ph, pw, y } of phases) {
      const src = y ? backend.typedArrayFromHeap(y) : undefined;
      const [, srcH, srcW] = y ? y.shape : [0, 0, 0];
      const hRows = Math.ceil((h - ph) / sh);
      const wCols = Math.ceil((w - pw) / sw);
      for (let b = 0; b < n; b++)
        for (let m = 0; m < hRows; m++) {
          const u = m * sh + ph;
          for (let l = 0; l < wCols; l++) {
            const d = ((b * h + u) * w + l * sw + pw) * ci;
            if (src) {
              const o = ((b * srcH + m) * srcW + l) * ci;
              dx.set(src.subarray(o, o + ci), d);
            } else dx.fill(0, d, d + ci);
          }
        }
    }
    return out;
  } finally {
    for (const t of made) backend.disposeData(t.dataId);
  }
}

/** Materialises transposed operands so that the XNNPACK product runs instead of the slow transposed loop. */
function makeBatchMatMul(original: tf.KernelFunc) {
  return (args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): Info => {
    const { a, b } = args.inputs as { a: Info; b: Info };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const backend = args.backend as Backend;
    if (!transposeA && !transposeB) return call('BatchMatMul', args.inputs, args.attrs, backend, original);
    const swap = (t: Info) => {
      const perm = t.shape.map((_, i) => i);
      const r = perm.length;
      [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
      return call('Transpose', { x: t }, { perm }, backend);
    };
    return scoped(backend, (keep) => {
      const a2 = transposeA ? keep(swap(a)) : a;
      const b2 = transposeB ? keep(swap(b)) : b;
      return call('BatchMatMul', { a: a2, b: b2 }, { ...args.attrs, transposeA: false, transposeB: false }, backend, original);
    });
  };
}

/**
 * Tile where every tiled axis has size 1 and the tiled axes are adjacent (a per-channel vector broadcast over
 * [N, H, W] as the batch-norm Mean gradient asks, or [N, 1, 1, C] over [H, W] as global average pooling's): for
 * each index of the axes before them, the block of the axes after them is repeated by a SIMD block copy. wasm's
 * Tile computes an index per element (87 ms for [128, 1, 1, 512] -> [128, 4, 4, 512]).
 */
function makeTile(original: tf.KernelFunc) {
  return (args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): Info => {
    const { x } = args.inputs as { x: Info };
    const { reps } = args.attrs as unknown as { reps: number[] };
    const backend = args.backend as WasmBackend;
    const first = reps.findIndex((r) => r > 1);
    const last = reps.length - 1 - [...reps].reverse().findIndex((r) => r > 1);
    const prod = (v: number[]) => v.reduce((a, b) => a * b, 1);
    const block = prod(x.shape.slice(last + 1));
    const fits = first >= 0 && x.shape.slice(first, last + 1).every((d) => d === 1) && block % 4 === 0 && x.dtype === 'float32';
    const simd = fits ? heapSimd(backend) : undefined;
    if (!simd) return call('Tile', args.inputs, args.attrs, backend, original);
    const out = backend.makeOutput(x.shape.map((d, i) => d * reps[i]), 'float32');
    const outer = prod(x.shape.slice(0, first));
    const times = prod(reps.slice(first, last + 1));
    const [xo, oo] = [heapOffset(backend, x), heapOffset(backend, out)];
    for (let o = 0; o < outer; o++) simd.copyRows(xo + o * block * 4, oo + o * times * block * 4, times, block * 4, 0, block * 4);
    return out;
  };
}

/**
 * Options of the Winograd convolution (tests and benchmarks switch it): `enabled`, and the bytes of the
 * transformed tiles per chunk of images. Forward convolutions with at least `f4MinTiles` 4x4 output tiles use
 * F(4x4, 3x3) (4x fewer multiplications, 36 products and 36 packed filter planes), others F(2x2, 3x3) (16);
 * ROBUSTLAB_WASM_WINOGRAD=2 keeps F(2x2, 3x3) only. Every chunk costs 16 products, each a parallel region: with the
 * machine's other core busy, each region waited ~1.4 ms for the second thread, so chunks are large (whole
 * ResNet-18 batches but the first stage's). Convolutions with Ci*Co below `minChannelProduct` stay direct: for
 * the small CNN's 32 -> 64 layer both took the same time. Filter gradients need Ci*Co of at least
 * `minFilterGradChannelProduct`: their products contract over tiles, so XNNPACK packs a [tiles, Ci] operand
 * per product (~8 ns per value, on one thread: 140 ms for ResNet-18's first stage at batch 64). Quiet machine,
 * 2 threads, batch 64: 128 channels 175 ms vs 158 for the im2col product, 256 channels 109 vs 151, 512: 93 vs 125.
 * Environment: ROBUSTLAB_WASM_WINOGRAD=0 disables it.
 */
export const winogradOptions = { enabled: process.env.ROBUSTLAB_WASM_WINOGRAD !== '0', chunkBytes: 64 << 20, minChannelProduct: 64 * 64, minFilterGradChannelProduct: 256 * 256, f4: process.env.ROBUSTLAB_WASM_WINOGRAD !== '2', f4MinTiles: 512 };

type RawMatMul = (aId: number, aShape: Uint8Array, aRank: number, bId: number, bShape: Uint8Array, bRank: number, transposeA: boolean, transposeB: boolean, outId: number) => void;
const rawMatMuls = new WeakMap<object, RawMatMul>();

/** out = a x b for rank-3 tensors of batch 1 through wasm's BatchMatMul entry point, into an existing output. */
function matMulInto(backend: WasmBackend, a: Info, b: Info, out: Info): void {
  const b0 = backend as unknown as { wasm: { cwrap(name: string, ret: null, args: string[]): RawMatMul }; dataIdMap: { get(id: object): { id: number } } };
  let f = rawMatMuls.get(backend);
  if (!f) {
    f = b0.wasm.cwrap('BatchMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']);
    rawMatMuls.set(backend, f);
  }
  const bytes = (shape: number[]) => new Uint8Array(new Int32Array(shape).buffer);
  f(b0.dataIdMap.get(a.dataId).id, bytes(a.shape), 3, b0.dataIdMap.get(b.dataId).id, bytes(b.shape), 3, false, false, b0.dataIdMap.get(out.dataId).id);
}

/**
 * 3x3 stride-1 convolutions by Winograd F(2x2, 3x3) or F(4x4, 3x3): each (m+2)x(m+2) input tile d and the
 * filter g are transformed (B^T d B, G g G^T: SIMD loops on the heap), the (m+2)^2 transformed planes are
 * multiplied as that many products [tiles, Ci] x [Ci, Co] (XNNPACK's fully connected operator, packed once per
 * call for all chunks) and each tile's m x m outputs come back by A^T M A: 2.25x (4x) fewer multiplications than
 * the direct convolution, which XNNPACK runs at about the same rate per multiplication. Used for the forward
 * convolution and, through it, the stride-1 input gradient. Single layers of ResNet-18 at batch 64, 1 thread:
 * direct ~190 ms, F(2x2) 101-139 ms, F(4x4) 66-110 ms; relative error vs direct up to 2.4e-5 (F(4x4), 512
 * channels). Each product is a parallel region (~0.6 ms to wake the pool with 2 threads on this machine), which
 * is what keeps F(4x4) to layers with many tiles. Returns undefined where it does not apply.
 */
function winogradConv2D(x: Info, filter: Info, info: tf.backend_util.Conv2DInfo, backend: WasmBackend): Info | undefined {
  const [n, h, w, ci] = x.shape;
  const co = filter.shape[3];
  const { outHeight: oh, outWidth: ow } = info;
  const { top, left } = info.padInfo;
  const simd = heapSimd(backend);
  if (!simd || n === 0 || oh === 0 || ow === 0) return undefined;
  // F(4x4, 3x3) where its 36 packed [Ci, Co] filter planes are worth it (enough tiles), else F(2x2, 3x3).
  const big = winogradOptions.f4 && n * Math.ceil(oh / 4) * Math.ceil(ow / 4) >= winogradOptions.f4MinTiles;
  const m = big ? 4 : 2;
  const planes = (m + 2) * (m + 2);
  const [fIn, fOut, fFilter] = big ? [simd.wino4In, simd.wino4Out, simd.wino4Filter] : [simd.winoIn, simd.winoOut, simd.winoFilter];
  const th = Math.ceil(oh / m);
  const tw = Math.ceil(ow / m);
  const nc = Math.max(1, Math.min(n, Math.floor(winogradOptions.chunkBytes / (planes * th * tw * Math.max(ci, co) * 4))));
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
      fIn(heapOffset(backend, x) + n0 * h * w * ci * 4, heapOffset(backend, V), c, h, w, ci, th, tw, top, left, tiles);
      for (let k = 0; k < planes; k++) matMulInto(backend, views.view(V, k * tiles * ci * 4, [1, tiles, ci]), us[k], views.view(M, k * tiles * co * 4, [1, tiles, co]));
      views.drop(keep);
      fOut(heapOffset(backend, M), heapOffset(backend, out) + n0 * oh * ow * co * 4, c, oh, ow, co, th, tw, tiles);
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

/**
 * dW of a 3x3 stride-1 convolution by Winograd F(3x3, 2x2): every 2x2 tile g of dy and its 4x4 input patch d
 * contribute A'^T [(G' g G'^T) * (B^T d B)] A' (simd.ts); summed over tiles that is 16 products
 * [Co, tiles] x [tiles, Ci] (XNNPACK's fully connected operator), then one output transform and a transpose
 * per tap into [3, 3, Ci, Co]. 2.25x fewer multiplications than the im2col product. Returns undefined where it
 * does not apply.
 */
function winogradFilterGrad(x: Info, dy: Info, info: tf.backend_util.Conv2DInfo, backend: WasmBackend): Info | undefined {
  const [n, h, w, ci] = x.shape;
  const co = dy.shape[3];
  const { outHeight: oh, outWidth: ow } = info;
  const { top, left } = info.padInfo;
  const simd = heapSimd(backend);
  if (!simd || n === 0 || oh === 0 || ow === 0) return undefined;
  const th = Math.ceil(oh / 2);
  const tw = Math.ceil(ow / 2);
  const nc = Math.max(1, Math.min(n, Math.floor(winogradOptions.chunkBytes / (16 * th * tw * Math.max(ci, co) * 4))));
  // Tiles per chunk rounded up to a multiple of 4 for the 4x4-block transposes; the extra rows stay zero.
  const cap = Math.ceil((nc * th * tw) / 4) * 4;
  const V = backend.makeOutput([16 * cap * ci], 'float32');
  const G = backend.makeOutput([16 * cap * co], 'float32');
  const GT = backend.makeOutput([16 * cap * co], 'float32');
  const M = backend.makeOutput([16 * co * ci], 'float32');
  const M2 = nc < n ? backend.makeOutput([16 * co * ci], 'float32') : undefined;
  const W9 = backend.makeOutput([9 * co * ci], 'float32');
  const views = heapViews(backend);
  let out: Info | undefined;
  try {
    for (let n0 = 0; n0 < n; n0 += nc) {
      const c = Math.min(nc, n - n0);
      const tiles = c * th * tw;
      const t4 = Math.ceil(tiles / 4) * 4;
      if (t4 > tiles) {
        backend.typedArrayFromHeap(V).fill(0);
        backend.typedArrayFromHeap(G).fill(0);
      }
      // Both transforms lay their 16 matrices out with t4 rows.
      simd.winoIn(heapOffset(backend, x) + n0 * h * w * ci * 4, heapOffset(backend, V), c, h, w, ci, th, tw, top, left, t4);
      simd.winoDy(heapOffset(backend, dy) + n0 * oh * ow * co * 4, heapOffset(backend, G), c, oh, ow, co, th, tw, t4);
      for (let k = 0; k < 16; k++) simd.transpose(heapOffset(backend, G) + k * t4 * co * 4, heapOffset(backend, GT) + k * co * t4 * 4, t4, co);
      const into = n0 === 0 ? M : M2!;
      for (let k = 0; k < 16; k++) matMulInto(backend, views.view(GT, k * co * t4 * 4, [1, co, t4]), views.view(V, k * t4 * ci * 4, [1, t4, ci]), views.view(into, k * co * ci * 4, [1, co, ci]));
      views.drop();
      if (into !== M) simd.addInto(heapOffset(backend, M), heapOffset(backend, M2!), 16 * co * ci * 4);
    }
    simd.winoOutW(heapOffset(backend, M), heapOffset(backend, W9), co * ci);
    out = backend.makeOutput([3, 3, ci, co], 'float32');
    for (let tap = 0; tap < 9; tap++) simd.transpose(heapOffset(backend, W9) + tap * co * ci * 4, heapOffset(backend, out) + tap * ci * co * 4, co, ci);
  } catch (e) {
    if (out) backend.disposeData(out.dataId);
    throw e;
  } finally {
    views.drop();
    for (const t of [V, G, GT, M, M2, W9]) if (t) backend.disposeData(t.dataId);
  }
  return out;
}

/** Conv2D: {@link winogradConv2D} for 3x3 stride-1 float32 NHWC convolutions with channel counts that are multiples of 4. */
function makeConv2D(original: tf.KernelFunc) {
  return (args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): Info => {
    const { x, filter } = args.inputs as { x: Info; filter: Info };
    const a = args.attrs as unknown as ConvAttrs & { dilations: number | [number, number] };
    const backend = args.backend as WasmBackend;
    const [kh, kw, ci, co] = filter.shape;
    if (winogradOptions.enabled && kh === 3 && kw === 3 && ci % 4 === 0 && co % 4 === 0 && ci * co >= winogradOptions.minChannelProduct && a.dataFormat !== 'NCHW' && x.dtype === 'float32' && filter.dtype === 'float32') {
      const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number], a.strides, a.dilations, a.pad, a.dimRoundingMode);
      if (info.strideHeight === 1 && info.strideWidth === 1 && info.dilationHeight === 1 && info.dilationWidth === 1) {
        const out = winogradConv2D(x, filter, info, backend);
        if (out) return out;
      }
    }
    return call('Conv2D', args.inputs, args.attrs, backend, original);
  };
}


/** dy * step(x) in one pass (TF.js's Relu gradient is a Step, a Cast and a Multiply). */
function reluGradKernel(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend }): Info {
  const { dy, x } = args.inputs as { dy: Info; x: Info };
  const backend = args.backend as WasmBackend;
  const out = backend.makeOutput(x.shape, 'float32');
  const size = tf.util.sizeFromShape(x.shape);
  const simd = heapSimd(backend);
  const done = simd ? size & ~3 : 0;
  if (simd) simd.reluGrad(heapOffset(backend, dy), heapOffset(backend, x), heapOffset(backend, out), done * 4);
  const g = backend.typedArrayFromHeap(dy);
  const xv = backend.typedArrayFromHeap(x);
  const o = backend.typedArrayFromHeap(out);
  for (let i = done; i < size; i++) o[i] = g[i] * (xv[i] > 0 ? 1 : xv[i] !== xv[i] ? NaN : 0);
  return out;
}

let registered: string[] | undefined;


/** Registers the kernels above for the wasm backend (once); returns their names. */
export function registerFastWasmKernels(): string[] {
  if (registered) return registered;
  const names: string[] = [];
  if (!tf.getKernel('Conv2DBackpropFilter', 'wasm')) {
    tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc });
    names.push('Conv2DBackpropFilter');
  }
  if (!tf.getKernel(FUSED_RELU_GRAD, 'wasm')) {
    tf.registerKernel({ kernelName: FUSED_RELU_GRAD, backendName: 'wasm', kernelFunc: reluGradKernel as unknown as tf.KernelFunc });
    names.push(FUSED_RELU_GRAD);
  }
  if (tf.getKernel('MaxPoolGrad', 'wasm')) tf.unregisterKernel('MaxPoolGrad', 'wasm');
  tf.registerKernel({ kernelName: 'MaxPoolGrad', backendName: 'wasm', kernelFunc: maxPoolGradHeap as unknown as tf.KernelFunc });
  names.push('MaxPoolGrad');
  if (tf.getKernel('Sign', 'wasm')) tf.unregisterKernel('Sign', 'wasm');
  tf.registerKernel(signConfig);
  names.push('Sign');
  for (const [name, make] of [
    ['Conv2DBackpropInput', makeConv2DBackpropInput],
    ['BatchMatMul', makeBatchMatMul],
    ['Sum', makeReduce('Sum')],
    ['Mean', makeReduce('Mean')],
    ['Identity', makeShared('Identity')],
    ['Cast', makeShared('Cast')],
    ['Tile', makeTile],
    ['Conv2D', makeConv2D],
    ['ClipByValue', makeClipByValue],
    ['Maximum', makeExtremum('Maximum')],
    ['Minimum', makeExtremum('Minimum')],
    ['Log1p', makeLog1p],
  ] as const) {
    const k = tf.getKernel(name, 'wasm');
    if (!k) continue;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: make(k.kernelFunc) as unknown as tf.KernelFunc, setupFunc: k.setupFunc, disposeFunc: k.disposeFunc });
    names.push(name);
  }
  registered = names;
  return names;
}

type WasmBackend = Backend & {
  typedArrayFromHeap(t: Info): Float32Array;
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number): Info;
  incRef(dataId: object): void;
};

/** Byte offset of a tensor's data in the wasm heap. */
function heapOffset(backend: WasmBackend, t: Info): number {
  return (backend as unknown as { dataIdMap: { get(id: object): { memoryOffset: number } } }).dataIdMap.get(t.dataId).memoryOffset;
}

/**
 * MaxPoolGrad in a plain loop over the wasm heap: for each output cell, the first arg-max of its window (row
 * major, as the cpu backend breaks ties) receives dy. One pass instead of wasm's generic kernel.
 */
export function maxPoolGradHeap(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): Info {
  const { dy, input } = args.inputs as { dy: Info; input: Info };
  const a = args.attrs as unknown as { filterSize: number | [number, number]; strides: number | [number, number]; pad: 'valid' | 'same' | number; dimRoundingMode?: 'floor' | 'round' | 'ceil' };
  const backend = args.backend as WasmBackend;
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  const [n, h, w, c] = input.shape;
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const { top, left } = info.padInfo;
  const out = backend.makeOutput([n, h, w, c], 'float32');
  const dx = backend.typedArrayFromHeap(out);
  const x = backend.typedArrayFromHeap(input);
  const g = backend.typedArrayFromHeap(dy);
  if (fh === sh && fw === sw && top === 0 && left === 0 && oh * sh <= h && ow * sw <= w) {
    const pair = fh === 2 && fw === 2;
    // The 2x2 kernel writes every cell its windows cover; only an uncovered border needs zeros then.
    if (!pair || oh * sh < h || ow * sw < w) dx.fill(0);
    const simd = pair && c % 4 === 0 ? heapSimd(backend) : undefined;
    if (simd) {
      const [xo, go, dxo] = [heapOffset(backend, input), heapOffset(backend, dy), heapOffset(backend, out)];
      for (let b = 0; b < n; b++)
        for (let r = 0; r < oh; r++) {
          const at = (b * h + 2 * r) * w * c * 4;
          simd.pool2x2(xo + at, go + (b * oh + r) * ow * c * 4, dxo + at, ow, c * 4, w * c * 4);
        }
    } else if (pair) tiledMaxPoolGrad2x2(x, g, dx, n, h, w, c, oh, ow);
    else tiledMaxPoolGrad(x, g, dx, n, h, w, c, oh, ow, fh, fw);
    return out;
  }
  dx.fill(0);
  // Channels innermost: every read and write runs over contiguous memory.
  const best = new Float32Array(c);
  const at = new Int32Array(c);
  for (let b = 0; b < n; b++) {
    const xb = b * h * w * c;
    for (let r = 0; r < oh; r++) {
      const r0 = r * sh - top;
      for (let q = 0; q < ow; q++) {
        const q0 = q * sw - left;
        best.fill(-Infinity);
        at.fill(-1);
        for (let i = 0; i < fh; i++) {
          const y = r0 + i;
          if (y < 0 || y >= h) continue;
          for (let j = 0; j < fw; j++) {
            const z = q0 + j;
            if (z < 0 || z >= w) continue;
            const base = xb + (y * w + z) * c;
            for (let ch = 0; ch < c; ch++) {
              const v = x[base + ch];
              if (v > best[ch] || at[ch] < 0) {
                best[ch] = v;
                at[ch] = base + ch;
              }
            }
          }
        }
        const gOff = ((b * oh + r) * ow + q) * c;
        for (let ch = 0; ch < c; ch++) if (at[ch] >= 0) dx[at[ch]] += g[gOff + ch];
      }
    }
  }
  return out;
}

/**
 * MaxPoolGrad for 2x2 windows with stride 2 and no padding: each window's four cells are read once and all
 * four written (dy at the first arg-max, zero elsewhere), so `dx` needs no zero-fill except for a border that
 * no window covers (the caller's).
 */
function tiledMaxPoolGrad2x2(x: Float32Array, g: Float32Array, dx: Float32Array, n: number, h: number, w: number, c: number, oh: number, ow: number): void {
  const rowStride = w * c;
  for (let b = 0; b < n; b++)
    for (let r = 0; r < oh; r++) {
      const row = (b * h + 2 * r) * rowStride;
      let gi = (b * oh + r) * ow * c;
      for (let q = 0; q < ow; q++) {
        const p0 = row + 2 * q * c;
        const p1 = p0 + c;
        const p2 = p0 + rowStride;
        const p3 = p2 + c;
        for (let ch = 0; ch < c; ch++, gi++) {
          const v0 = x[p0 + ch];
          const v1 = x[p1 + ch];
          const v2 = x[p2 + ch];
          const v3 = x[p3 + ch];
          // Strictly greater keeps the first arg-max (cpu's tie rule); a NaN start yields to any number.
          let best = v0;
          let k = 0;
          if (v1 > best || (best !== best && v1 === v1)) (best = v1), (k = 1);
          if (v2 > best || (best !== best && v2 === v2)) (best = v2), (k = 2);
          if (v3 > best || (best !== best && v3 === v3)) k = 3;
          const gv = g[gi];
          dx[p0 + ch] = k === 0 ? gv : 0;
          dx[p1 + ch] = k === 1 ? gv : 0;
          dx[p2 + ch] = k === 2 ? gv : 0;
          dx[p3 + ch] = k === 3 ? gv : 0;
        }
      }
    }
}

/**
 * MaxPoolGrad for windows that tile the input (filter == stride, no padding; the usual 2x2/2): no window
 * overlaps another or the border, so each window is read once, channel by channel, and only its first
 * arg-max is written. `dx` must be zero on entry.
 */
function tiledMaxPoolGrad(x: Float32Array, g: Float32Array, dx: Float32Array, n: number, h: number, w: number, c: number, oh: number, ow: number, fh: number, fw: number): void {
  const rowStride = w * c;
  for (let b = 0; b < n; b++)
    for (let r = 0; r < oh; r++)
      for (let q = 0; q < ow; q++) {
        const base = ((b * h + r * fh) * w + q * fw) * c;
        const gOff = ((b * oh + r) * ow + q) * c;
        for (let ch = 0; ch < c; ch++) {
          let at = base + ch;
          let best = x[at];
          for (let i = 0; i < fh; i++)
            for (let j = 0; j < fw; j++) {
              const k = base + i * rowStride + j * c + ch;
              const v = x[k];
              // Strictly greater keeps the first arg-max (cpu's tie rule); a NaN start yields to any number.
              if (v > best || (best !== best && v === v)) {
                best = v;
                at = k;
              }
            }
          dx[at] += g[gOff + ch];
        }
      }
}

/**
 * Sum and Mean over leading axes (bias gradients, batch-norm statistics: [N, H, W, C] -> [C]) as one pass over
 * rows, accumulated in float64 (a SIMD loop over the heap where rows are whole vectors); wasm's own kernels
 * first transpose the reduced axes to the end, which costs more than the sum.
 */
function makeReduce(kind: 'Sum' | 'Mean') {
  return (original: tf.KernelFunc) =>
    (args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): Info => {
      const { x } = args.inputs as { x: Info };
      const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
      const backend = args.backend as WasmBackend;
      const rank = x.shape.length;
      const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
      const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
      if (!leading || x.dtype !== 'float32') return call(kind, args.inputs, args.attrs, backend, original);
      const rows = x.shape.slice(0, axes.length).reduce((a, b) => a * b, 1);
      const inner = x.shape.slice(axes.length);
      const cols = inner.reduce((a, b) => a * b, 1);
      const out = backend.makeOutput(keepDims ? [...axes.map(() => 1), ...inner] : inner, 'float32');
      const acc = leadingSum(backend, x, rows, cols);
      if (kind === 'Mean') for (let c = 0; c < cols; c++) acc[c] /= rows;
      backend.typedArrayFromHeap(out).set(acc);
      return out;
    };
}

/** Column sums of x viewed as [rows, cols], in float64. */
function leadingSum(backend: WasmBackend, x: Info, rows: number, cols: number): Float64Array {
  const simd = cols % 4 === 0 && rows > 1 ? heapSimd(backend) : undefined;
  if (!simd) {
    const xv = backend.typedArrayFromHeap(x);
    const acc = new Float64Array(cols);
    for (let r = 0, o = 0; r < rows; r++, o += cols) for (let c = 0; c < cols; c++) acc[c] += xv[o + c];
    return acc;
  }
  // A float64 accumulator on the heap (malloc aligns to 8 bytes at least), 2 float32 slots per column.
  const scratch = backend.makeOutput([2 * cols], 'float32');
  try {
    const at = heapOffset(backend, scratch);
    const acc = () => new Float64Array(backend.typedArrayFromHeap(scratch).buffer, at, cols);
    acc().fill(0);
    simd.sumRows(heapOffset(backend, x), at, rows, cols * 4);
    return acc().slice();
  } finally {
    backend.disposeData(scratch.dataId);
  }
}

/**
 * Identity and same-dtype Cast without a copy: the output shares the input's buffer (one more reference), as
 * the cpu backend and wasm's own Reshape do. wasm copies; the engine clones every tensor it saves for the
 * backward pass through Identity, one copy of each activation per step.
 */
function makeShared(kind: 'Identity' | 'Cast') {
  return (original: tf.KernelFunc) =>
    (args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): Info => {
      const { x } = args.inputs as { x: Info };
      const backend = args.backend as WasmBackend;
      const dtype = kind === 'Cast' ? (args.attrs as { dtype: tf.DataType }).dtype : x.dtype;
      if (x.dtype === 'string' || x.dtype === 'complex64' || dtype !== x.dtype) return call(kind, args.inputs, args.attrs, backend, original);
      backend.incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    };
}
