/**
 * Fast kernels for the wasm backend, the convolution gradients they rely on, and the threaded build in Node.
 * Registered by the backend picker before the wasm backend starts.
 * @module
 */
import * as os from 'node:os';
import { registerFastWasmKernels } from './kernels';
import { registerConvGradients } from './gradients';
import { useThreadedWasm } from './threads';

export { registerConvGradients } from './gradients';
export { useThreadedWasm, wasmThreads, requestedWasmThreads } from './threads';

/** Options of {@link registerWasmKernels}. */
export interface WasmKernelOptions {
  /**
   * XNNPACK threads; default `ROBUSTLAB_THREADS` or all cores. Above 1 the threaded wasm build starts
   * (only if the wasm backend has not started yet).
   */
  threads?: number;
}

/**
 * Registers robustlab's wasm kernels (backend 'wasm' only) and its convolution gradients (all backends), and
 * picks the threaded build for more than one thread; returns the names registered.
 * @example
 * require('@tensorflow/tfjs-backend-wasm');
 * registerWasmKernels({ threads: 2 }); // ['Conv2DBackpropFilter', 'MaxPoolGrad', ..., 'threads: 2']
 * await tf.setBackend('wasm');
 */
export function registerWasmKernels(opts: WasmKernelOptions = {}): string[] {
  const env = Number(process.env.ROBUSTLAB_THREADS);
  const threads = opts.threads ?? (Number.isInteger(env) && env > 0 ? env : os.availableParallelism?.() ?? os.cpus().length);
  const names = [...registerFastWasmKernels(), ...registerConvGradients()];
  if (useThreadedWasm(threads)) names.push(`threaded build (${Math.min(threads, 8)} threads)`);
  return names;
}
