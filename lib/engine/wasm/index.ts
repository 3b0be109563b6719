/**
 * Fast kernels and gradients for the wasm backend. Registered by the backend picker.
 * @module
 */

/** Registers robustlab's wasm kernels and gradients; returns the names registered. */
export function registerWasmKernels(): string[] {
  return [];
}
