/**
 * MaxPoolGrad for the wasm backend: one pass over the heap (SIMD for 2x2 windows), ties to the first arg-max as on cpu.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { heapSimd } from '../simd';
import { heapOffset, runSplit, type Info, type KernelArgs, type WasmBackend } from './heap';

/**
 * MaxPoolGrad in a plain loop over the wasm heap: for each output cell, the first arg-max of its window (row
 * major, as the cpu backend breaks ties) receives dy. One pass instead of wasm's generic kernel.
 */
export function maxPoolGradHeap(args: KernelArgs): Info {
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
      // Memory-bound: the window rows are shared out between this thread and the heap workers.
      runSplit(backend, 'pool2x2Rows', n * oh, (first, last) => [xo, go, dxo, first, last, oh, ow, c, h, w], 8 * n * h * w * c);
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
export function tiledMaxPoolGrad2x2(x: Float32Array, g: Float32Array, dx: Float32Array, n: number, h: number, w: number, c: number, oh: number, ow: number): void {
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
export function tiledMaxPoolGrad(x: Float32Array, g: Float32Array, dx: Float32Array, n: number, h: number, w: number, c: number, oh: number, ow: number, fh: number, fw: number): void {
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
