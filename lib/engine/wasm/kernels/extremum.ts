/**
 * Maximum and Minimum for the wasm backend. wasm's own kernels drop a NaN in their second operand
 * (max(x, NaN) = x, max(NaN, x) = NaN); the cpu backend's Math.max/Math.min give NaN for either. So on
 * wasm a NaN bound or iterate inside a projection vanished or stayed depending on the argument order.
 * Same-shape and scalar operands run as wasm SIMD's f32x4.max/min over the heap, which is Math.max/Math.min
 * exactly (NaN from either operand, +0 above -0); other broadcasts run wasm's kernel both ways round and take
 * NaN from either.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { heapSimd } from '../simd';
import { call, heapOffset, scoped, type KernelArgs, type WasmBackend } from './heap';

/** Makes the Maximum or Minimum kernel around wasm's `original`. */
export function makeExtremum(kind: 'Maximum' | 'Minimum') {
  const pick = kind === 'Maximum' ? Math.max : Math.min;
  return (original: tf.KernelFunc) =>
    (args: KernelArgs): tf.TensorInfo => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const backend = args.backend as WasmBackend;
      if (a.dtype !== 'float32' || b.dtype !== 'float32') return call(kind, args.inputs, args.attrs, backend, original);
      const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const n = tf.util.sizeFromShape(shape);
      const [na, nb] = [tf.util.sizeFromShape(a.shape), tf.util.sizeFromShape(b.shape)];
      if ((na === n || na === 1) && (nb === n || nb === 1)) {
        const out = backend.makeOutput(shape, 'float32');
        const simd = heapSimd(backend);
        // Both f32x4 operations are symmetric, so a scalar goes second.
        const [full, other] = na === n ? [a, b] : [b, a];
        const done = simd && n > 1 ? n & ~3 : 0;
        if (simd && done > 0) {
          const scalar = na !== nb;
          const f = kind === 'Maximum' ? (scalar ? simd.maxScalar : simd.max) : scalar ? simd.minScalar : simd.min;
          f(heapOffset(backend, full), heapOffset(backend, other), heapOffset(backend, out), done * 4);
        }
        const [av, bv, o] = [backend.typedArrayFromHeap(a), backend.typedArrayFromHeap(b), backend.typedArrayFromHeap(out)];
        const [sa, sb] = [na === 1 ? 0 : 1, nb === 1 ? 0 : 1];
        for (let i = done; i < n; i++) o[i] = pick(av[i * sa], bv[i * sb]);
        return out;
      }
      return scoped(backend, (keep) => {
        const ab = keep(call(kind, { a, b }, args.attrs, backend, original)); // NaN where a is NaN
        const ba = keep(call(kind, { a: b, b: a }, args.attrs, backend, original)); // NaN where b is NaN
        const [o, r] = [backend.typedArrayFromHeap(ab), backend.typedArrayFromHeap(ba)];
        for (let i = 0; i < n; i++) if (r[i] !== r[i]) o[i] = NaN;
        return ab;
      });
    };
}
