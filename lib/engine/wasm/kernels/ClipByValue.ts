/**
 * ClipByValue for the wasm backend. wasm's own kernel (min(max(x, lo), hi)) maps NaN to the lower bound and
 * -0 to +0; the cpu backend keeps both. Attacks clip every iterate to the input bounds, so on wasm a NaN
 * iterate (a diverged loss, a bad step size) silently became a valid image at the lower bound instead of
 * showing. This kernel is the cpu backend's rule, `x > hi ? hi : x < lo ? lo : x`, as a SIMD loop over the heap.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { heapSimd } from '../simd';
import { call, heapOffset, type KernelArgs, type WasmBackend } from './heap';

/** Makes the ClipByValue kernel; other dtypes than float32 go to `original`. */
export function makeClipByValue(original: tf.KernelFunc) {
  return (args: KernelArgs): tf.TensorInfo => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { clipValueMin: lo, clipValueMax: hi } = args.attrs as { clipValueMin: number; clipValueMax: number };
    const backend = args.backend as WasmBackend;
    if (x.dtype !== 'float32') return call('ClipByValue', args.inputs, args.attrs, backend, original);
    const out = backend.makeOutput(x.shape, 'float32');
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
    // Bounds as float32, as the cpu backend compares them after its values went through a Float32Array.
    const [l, h] = [Math.fround(lo), Math.fround(hi)];
    const n = tf.util.sizeFromShape(x.shape);
    const simd = heapSimd(backend);
    const done = simd ? n & ~3 : 0;
    if (simd) {
      const bits = new Int32Array(new Float32Array([l, h]).buffer);
      simd.clip(heapOffset(backend, x), heapOffset(backend, out), done * 4, bits[0], bits[1]);
    }
    for (let i = done; i < n; i++) {
      const v = src[i];
      dst[i] = v > h ? h : v < l ? l : v;
    }
    return out;
  };
}
