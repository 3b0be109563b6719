/**
 * The fused ReLU gradient (lib/engine/gradients.ts) for the wasm backend: dy * step(x) in one SIMD pass.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { heapSimd } from '../simd';
import { heapOffset, type Info, type KernelArgs, type WasmBackend } from './heap';

/** dy * step(x) in one pass (TF.js's Relu gradient is a Step, a Cast and a Multiply). */
export function reluGradKernel(args: KernelArgs): Info {
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
