/**
 * BatchMatMul for the wasm backend: transposed operands are materialised so that XNNPACK's product runs
 * instead of wasm's slow transposed loop.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { call, scoped, type Info, type KernelArgs, type WasmBackend } from './heap';

/** Materialises transposed operands so that the XNNPACK product runs instead of the slow transposed loop. */
export function makeBatchMatMul(original: tf.KernelFunc) {
  return (args: KernelArgs): Info => {
    const { a, b } = args.inputs as { a: Info; b: Info };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const backend = args.backend as WasmBackend;
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
