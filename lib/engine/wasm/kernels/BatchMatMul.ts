/**
 * BatchMatMul for the wasm backend: transposed operands are materialised (by SIMD 4x4 transposes where the
 * sizes allow) so that XNNPACK's product runs instead of wasm's slow transposed loop.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { heapSimd } from '../simd';
import { call, heapOffset, scoped, type Info, type KernelArgs, type WasmBackend } from './heap';

/** Materialises transposed operands so that the XNNPACK product runs instead of the slow transposed loop. */
export function makeBatchMatMul(original: tf.KernelFunc) {
  return (args: KernelArgs): Info => {
    const { a, b } = args.inputs as { a: Info; b: Info };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const backend = args.backend as WasmBackend;
    if (!transposeA && !transposeB) return call('BatchMatMul', args.inputs, args.attrs, backend, original);
    const simd = heapSimd(backend);
    const swap = (t: Info) => {
      const r = t.shape.length;
      const [rows, cols] = t.shape.slice(r - 2);
      if (simd && t.dtype === 'float32' && rows % 4 === 0 && cols % 4 === 0) {
        // wasm's Transpose runs a generic index loop (about 1.5 ms for a dense layer's [128, 4096] input).
        const out = backend.makeOutput([...t.shape.slice(0, r - 2), cols, rows], 'float32');
        const [src, dst] = [heapOffset(backend, t), heapOffset(backend, out)];
        for (let b = 0; b < tf.util.sizeFromShape(t.shape.slice(0, r - 2)); b++) simd.transpose(src + b * rows * cols * 4, dst + b * rows * cols * 4, rows, cols);
        return out;
      }
      const perm = t.shape.map((_, i) => i);
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
