/**
 * The `aten` backend: TF.js kernels as libtorch (ATen) calls through a native addon (native/aten.cc), like
 * tfjs-node over libtensorflow. Kernels it lacks run on the cpu backend on copied data, noted once in
 * `engineInfo().notes`.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { addEngineNote } from '../backend';
import { loadAddon, type GemmName } from './addon';
import { AtenBackend } from './backend';
import { blasInfo, blasNote, blasVersion, blasWarning } from './blas';
import { NATIVE_KERNELS, registerAtenKernels, setFallbackNote } from './kernels';

export { AtenBackend } from './backend';
export { NATIVE_KERNELS } from './kernels';
export { blasInfo, blasVersion, isReferenceBlas, type BlasInfo } from './blas';
export type { GemmName } from './addon';

/** Options of {@link registerAtenBackend}. */
export interface AtenOptions {
  /** Threads ATen computes with (at::set_num_threads). */
  threads: number;
  /** `cpu` or `cuda`; default `ROBUSTLAB_DEVICE` or `cpu`. `cuda` needs a CUDA build of libtorch and a GPU. */
  device?: string;
}

let registeredWith: { threads: number; device: string } | undefined;
let warned = false;

/** One line saying where float32 matrix products run (see {@link GemmName}). */
function gemmNote(gemm: GemmName, onednn: boolean): string {
  if (gemm === 'onednn') return "aten: float32 products on oneDNN's sgemm (ROBUSTLAB_ATEN_GEMM=blas: on the BLAS)";
  return `aten: float32 products on the BLAS (${onednn ? 'ROBUSTLAB_ATEN_GEMM=blas' : "this libtorch's oneDNN exports no sgemm"})`;
}

/**
 * Where float32 matrix products run now; with a name, switches first (tests and the bench compare both).
 * Throws for 'onednn' where libtorch's oneDNN exports no sgemm.
 */
export function atenGemm(name?: GemmName): GemmName {
  return loadAddon().gemm(name);
}

/**
 * Loads the native addon and registers the `aten` backend and its kernels; throws with the reason (and how to
 * build the addon) when unavailable.
 * @example
 * const { versions, threads } = await registerAtenBackend({ threads: 2 });
 * await tf.setBackend('aten');
 */
export async function registerAtenBackend(
  opts: AtenOptions,
): Promise<{ versions: Record<string, string>; device: string; threads: number; notes?: string[] }> {
  const addon = loadAddon();
  const device = opts.device ?? process.env.ROBUSTLAB_DEVICE ?? 'cpu';
  const init = addon.init(opts.threads, device);
  // The BLAS pool gets the same size as libtorch's: see blasInfo for why that does not oversubscribe.
  const blas = blasInfo(addon, init.threads);
  const warning = blasWarning(blas);
  if (warning && !warned) {
    warned = true;
    console.warn(warning);
  }
  setFallbackNote(addEngineNote);
  const fallbacks = registerAtenKernels();
  if (!registeredWith) {
    tf.registerBackend('aten', () => new AtenBackend(addon), 1);
    registeredWith = { threads: init.threads, device };
  }
  const notes = [
    `aten: libtorch ${init.version} on ${init.device} with ${init.threads} threads; ${NATIVE_KERNELS.length} native kernels` +
      (fallbacks.length ? `, ${fallbacks.length} others run on the cpu backend when used` : ''),
    blasNote(blas),
    gemmNote(init.gemm, init.onednnSgemm),
    ...(warning ? [warning] : []),
  ];
  return { versions: { libtorch: init.version, blas: blasVersion(blas), gemm: init.gemm }, device: init.device, threads: init.threads, notes };
}
