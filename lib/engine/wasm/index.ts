/**
 * Fast kernels for the wasm backend, and the convolution gradients they rely on. Registered by the backend
 * picker before the wasm backend initialises.
 * @module
 */
import { registerFastWasmKernels } from './kernels';
import { registerConvGradients } from './gradients';

export { registerConvGradients } from './gradients';

/**
 * Registers robustlab's wasm kernels (backend 'wasm' only) and its convolution gradients (all backends);
 * returns the names registered.
 * @example
 * require('@tensorflow/tfjs-backend-wasm');
 * registerWasmKernels(); // ['Conv2DBackpropFilter', 'MaxPoolGrad', ..., 'Conv2D gradient', ...]
 * await tf.setBackend('wasm');
 */
export function registerWasmKernels(): string[] {
  return [...registerFastWasmKernels(), ...registerConvGradients()];
}
