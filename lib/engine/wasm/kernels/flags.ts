/**
 * Configuration of robustlab's wasm kernels as TF.js flags (as tfjs-backend-wasm's `flags_wasm.ts`): read with
 * `tf.env().get(name)`, switched by tests and benchmarks with `tf.env().set(name, value)`. A flag's first
 * value comes from the environment variable of the same name where one is set, else the default below.
 * Timings behind the defaults: environment.md, section "wasm".
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';

/** The flags and their defaults. */
export const WASM_FLAGS = {
  /** Conv2DBackpropFilter: 'direct' (SIMD tiles on x and dy), 'gemm' (chunked im2col products) or 'conv' (a convolution with dy as its filter). */
  ROBUSTLAB_WASM_FILTER_GRAD: 'direct',
  /** Shares of images the 'direct' filter gradient splits a batch into (one per thread; fixed so that results do not depend on the thread count). */
  ROBUSTLAB_WASM_DW_SHARES: 2,
  /** Heap workers (heapWorkers.ts) run shares of robustlab's own loops beside the calling thread; false: the calling thread runs them all (the same results). */
  ROBUSTLAB_WASM_HEAP_WORKERS: true,
  /** Memory-bound loops over fewer bytes than this stay on the calling thread (1 MiB; waking a heap worker costs tens of microseconds). */
  ROBUSTLAB_WASM_SPLIT_MIN_BYTES: 1 << 20,
  /** Bytes of dy per chunk of the 'gemm' and 'direct' filter gradients (256 KiB). */
  ROBUSTLAB_WASM_DW_CHUNK: 256 << 10,
  /** Input gradients with at most this many input channels run as one product and a col2im. */
  ROBUSTLAB_WASM_COL2IM_MAX_CHANNELS: 4,
  /** Winograd 3x3 stride-1 convolutions and filter gradients; false: direct convolutions and im2col products. */
  ROBUSTLAB_WASM_WINOGRAD: true,
  /** F(4x4, 3x3) for forward convolutions with enough tiles; false: F(2x2, 3x3) only. */
  ROBUSTLAB_WASM_WINOGRAD_F4: true,
  /** Forward convolutions with at least this many 4x4 output tiles use F(4x4, 3x3). */
  ROBUSTLAB_WASM_WINOGRAD_F4_MIN_TILES: 512,
  /** Winograd convolutions block by block in cache (input transform, robustlab's products, output transform); false: whole chunks through XNNPACK's products. */
  ROBUSTLAB_WASM_WINOGRAD_FUSED: true,
  /** The fused form is used where the transformed filter has at most this many bytes (it is read once per block). */
  ROBUSTLAB_WASM_WINOGRAD_FUSED_MAX_FILTER_BYTES: 4 << 20,
  /** Bytes of a fused block's scratch (its transformed tiles, their transpose and its products). */
  ROBUSTLAB_WASM_WINOGRAD_BLOCK_BYTES: 384 << 10,
  /** Bytes of transformed tiles per chunk of images (64 MiB). */
  ROBUSTLAB_WASM_WINOGRAD_CHUNK: 64 << 20,
  /** Forward convolutions need Ci*Co of at least this for Winograd. */
  ROBUSTLAB_WASM_WINOGRAD_MIN_CHANNELS: 32 * 64,
  /** Filter gradients need Ci*Co of at least this for Winograd. */
  ROBUSTLAB_WASM_WINOGRAD_MIN_FILTER_GRAD_CHANNELS: 32 * 64,
} as const;

/** A flag's name. */
export type WasmFlag = keyof typeof WASM_FLAGS;

/** The environment variable's value in the type of the flag's default, or undefined where unset or unreadable. */
function fromEnvironment(name: WasmFlag): number | boolean | string | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const dflt = WASM_FLAGS[name];
  if (typeof dflt === 'boolean') return raw !== '0' && raw !== 'false';
  if (typeof dflt === 'number') return Number(raw) > 0 ? Number(raw) : undefined;
  return raw;
}

let registered = false;

/** Registers the flags with TF.js's environment (once; later calls do nothing). */
export function registerWasmFlags(): void {
  if (registered) return;
  registered = true;
  const env = tf.env();
  for (const name of Object.keys(WASM_FLAGS) as WasmFlag[]) env.registerFlag(name, () => fromEnvironment(name) ?? WASM_FLAGS[name]);
  // The old spelling ROBUSTLAB_WASM_WINOGRAD=2 meant "F(2x2, 3x3) only".
  if (process.env.ROBUSTLAB_WASM_WINOGRAD === '2' && process.env.ROBUSTLAB_WASM_WINOGRAD_F4 === undefined) env.set('ROBUSTLAB_WASM_WINOGRAD_F4', false);
}

/** A flag's current value. */
export function flag<N extends WasmFlag>(name: N): (typeof WASM_FLAGS)[N] extends boolean ? boolean : (typeof WASM_FLAGS)[N] extends number ? number : string {
  return tf.env().get(name) as never;
}
