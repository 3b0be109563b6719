/**
 * Sign for the wasm backend. tfjs-backend-wasm 4.22's own kernel returns 0 for every |x| < 1.19e-7 (it
 * compares against float epsilon), so an l-inf attack step, sign(gradient), stood still wherever a confident
 * model's input gradients are small: PGD-20 on an MNIST CNN with its head scaled x20 moved 4.4% of pixels on
 * wasm against 30.8% on cpu and aten. This kernel is the cpu backend's rule exactly: -1 below zero, 1 above,
 * 0 otherwise (both zeros give +0, NaN gives 0); a SIMD loop over the heap for float32.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { heapSimd } from '../simd';
import { heapOffset, type KernelArgs, type WasmBackend } from './heap';

/** The Sign kernel: `x < 0 ? -1 : x > 0 ? 1 : 0` per element, in the input's dtype. */
export function sign(args: KernelArgs): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const backend = args.backend as WasmBackend;
  const out = backend.makeOutput(x.shape, x.dtype);
  const src = backend.typedArrayFromHeap(x) as ArrayLike<number>;
  const dst = backend.typedArrayFromHeap(out) as unknown as { [i: number]: number };
  const n = tf.util.sizeFromShape(x.shape);
  const simd = x.dtype === 'float32' ? heapSimd(backend) : undefined;
  const done = simd ? n & ~3 : 0;
  if (simd) simd.sign(heapOffset(backend, x), heapOffset(backend, out), done * 4);
  for (let i = done; i < n; i++) {
    const v = src[i];
    dst[i] = v < 0 ? -1 : v > 0 ? 1 : 0;
  }
  return out;
}

/** Registration record of {@link sign}. */
export const signConfig: tf.KernelConfig = { kernelName: 'Sign', backendName: 'wasm', kernelFunc: sign as unknown as tf.KernelFunc };
