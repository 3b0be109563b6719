/**
 * Log1p for the wasm backend. tfjs-backend-wasm 4.22 computes log(1 + x), which is 0 for every |x| below
 * 6e-8 and off by up to 19% near 1e-7 (1.19e-7 for 1e-7); the cpu backend's Math.log1p is exact there. The
 * l1 attacks' Laplace random start draws through log1p. This kernel is Math.log1p per element.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { call, type KernelArgs, type WasmBackend } from './heap';

/** Makes the Log1p kernel; other dtypes than float32 go to `original`. */
export function makeLog1p(original: tf.KernelFunc) {
  return (args: KernelArgs): tf.TensorInfo => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const backend = args.backend as WasmBackend;
    if (x.dtype !== 'float32') return call('Log1p', args.inputs, args.attrs, backend, original);
    const out = backend.makeOutput(x.shape, 'float32');
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
    const n = tf.util.sizeFromShape(x.shape);
    for (let i = 0; i < n; i++) dst[i] = Math.log1p(src[i]);
    return out;
  };
}
