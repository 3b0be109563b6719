/**
 * Conv2DBackpropInput for the wasm backend. wasm's own input gradient runs a slow generic loop; here it is a
 * forward convolution of (zero-dilated) dy with the flipped, transposed filter, strided layers by stride phases,
 * and few-channel inputs (images) as one product and a col2im.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { heapSimd } from '../simd';
import { flag } from './flags';
import { call, heapOffset, scoped, type ConvAttrs, type Info, type KernelArgs, type WasmBackend } from './heap';

/** dx as a forward convolution of zero-dilated dy with the flipped, transposed filter. */
export function makeConv2DBackpropInput(original: tf.KernelFunc) {
  return (args: KernelArgs): Info => {
    const { dy, filter } = args.inputs as { dy: Info; filter: Info };
    const attrs = args.attrs as unknown as ConvAttrs & { inputShape: [number, number, number, number] };
    const backend = args.backend as WasmBackend;
    const [kh, kw] = filter.shape;
    const info = tf.backend_util.computeConv2DInfo(attrs.inputShape, filter.shape as [number, number, number, number], attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
    const { top, left } = info.padInfo;
    if (attrs.dataFormat === 'NCHW' || top > kh - 1 || left > kw - 1) return call('Conv2DBackpropInput', args.inputs, args.attrs, backend, original);
    const [n, h, w, ci] = attrs.inputShape;
    const [, oh, ow, co] = dy.shape;
    const sh = info.strideHeight;
    const sw = info.strideWidth;
    if (ci <= flag('ROBUSTLAB_WASM_COL2IM_MAX_CHANNELS') && sh === sw) {
      const out = inputGradCol2im(dy, filter, attrs.inputShape, sh, top, left, backend);
      if (out) return out;
    }
    if (sh > 1 || sw > 1) {
      const out = polyphaseInputGrad(dy, filter, attrs.inputShape, sh, sw, top, left, backend);
      if (out) return out;
    }
    return scoped(backend, (keep) => {
      let d = dy;
      if (sh > 1 || sw > 1) {
        const r = keep(call('Reshape', { x: dy }, { shape: [n, oh, 1, ow, 1, co] }, backend));
        const p = keep(call('PadV2', { x: r }, { paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0 }, backend));
        d = keep(call('Reshape', { x: p }, { shape: [n, oh * sh, ow * sw, co] }, backend));
      }
      const wT = keep(flipTransposeFilter(filter, backend)); // [KH, KW, Co, Ci], flipped
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
 * dx as cols = dy [M, Co] x W^T [Co, KH*KW*Ci] (XNNPACK's fully connected operator, M = N*OH*OW) and a col2im
 * that adds each row's taps into dx. For an input of 3 channels the convolution form has 3 output channels,
 * which leaves most of XNNPACK's 8-wide output tile idle.
 */
export function inputGradCol2im(dy: Info, filter: Info, inputShape: number[], s: number, top: number, left: number, backend: WasmBackend): Info | undefined {
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
 * as block copies. wasm's Reverse runs a generic per-element loop (once per layer and gradient, whatever the
 * batch; environment.md).
 */
export function flipTransposeFilter(filter: Info, backend: WasmBackend): Info {
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
 * StridedSlice is a generic per-element loop).
 */
export function takeTaps(w: Info, i0: number, ni: number, si: number, j0: number, nj: number, sj: number, backend: WasmBackend): Info {
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
export function phase(k: number, s: number, pad: number, phi: number): { rho: number; taps: number; front: number } {
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
export function polyphaseInputGrad(dy: Info, filter: Info, inputShape: number[], sh: number, sw: number, top: number, left: number, backend: WasmBackend): Info | undefined {
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
