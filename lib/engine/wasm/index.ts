/**
 * Fast kernels for the wasm backend. Registered by the backend picker.
 * @module
 */
import { registerFastWasmKernels } from './kernels';

/** Registers robustlab's wasm kernels; returns the names registered. */
export function registerWasmKernels(): string[] {
  return registerFastWasmKernels();
}
