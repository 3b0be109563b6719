/**
 * The BLAS behind the `aten` backend's matrix products. libtorch does dense products (tf.matMul, dense layers,
 * distances) through whatever `libblas.so.3` the dynamic linker resolves; convolutions go through oneDNN and
 * do not care. Debian's libtorch-dev alone pulls in netlib's reference BLAS (about 6 GFLOP/s on the 2000x3072
 * by 3072x10000 product, against about 250 with OpenBLAS on the same two cores), so which one loaded is worth a
 * line in `engineInfo()` and a warning when it is the slow one.
 * @module
 */
import type { AtenAddon } from './addon';
import { msg } from '../../messages';

/** The BLAS that serves libtorch's `sgemm_`, as the addon finds it at run time. */
export interface BlasInfo {
  /** `OpenBLAS`, `MKL`, `BLIS`, `reference` (netlib) or `unknown`. */
  name: string;
  /** Real path of the library that defines `sgemm_`. */
  file: string;
  /** Threads of the BLAS's own pool (1 for the reference BLAS, which has none). */
  threads: number;
  /** OpenBLAS's build string (version, kernels chosen), when it is OpenBLAS. */
  config?: string;
  /** OpenBLAS's kernel family in use (e.g. `Haswell`; `OPENBLAS_CORETYPE` forces it). */
  core?: string;
}

/**
 * Reads the BLAS in use and, with `threads`, first sets its pool to that many threads. One pool size for
 * both: libtorch calls the BLAS from its calling thread, outside its own OpenMP team, so the two pools take
 * turns and `threads` BLAS threads beside `threads` OpenMP threads never run together; more BLAS threads than
 * cores would (OpenBLAS's default is one per core, whatever ROBUSTLAB_THREADS says).
 * @param addon the loaded native addon
 * @param threads BLAS threads to set; default: leave the pool as it is
 * @example
 * const { name, threads } = blasInfo(loadAddon(), 2); // { name: 'OpenBLAS', threads: 2, ... }
 */
export function blasInfo(addon: AtenAddon, threads?: number): BlasInfo {
  return addon.blas(threads ?? 0);
}

/** True when the products run on netlib's reference BLAS. */
export function isReferenceBlas(info: BlasInfo): boolean {
  return info.name === 'reference';
}

/**
 * Name and version for `engineInfo().versions`.
 * @example
 * blasVersion(info) // 'OpenBLAS 0.3.21'
 */
export function blasVersion(info: BlasInfo): string {
  const version = info.config?.match(/^OpenBLAS\s+(\S+)/)?.[1];
  return version ? `${info.name} ${version}` : info.name;
}

/**
 * One line for `engineInfo().notes`: name, version and kernels, threads, file.
 * @example
 * blasNote(info) // 'aten: BLAS OpenBLAS 0.3.21 (Haswell kernels), 2 threads: /usr/lib/.../libblas.so.3'
 */
export function blasNote(info: BlasInfo): string {
  const what = `${blasVersion(info)}${info.core ? ` (${info.core} kernels)` : ''}`;
  return `aten: BLAS ${what}, ${info.threads} thread${info.threads === 1 ? '' : 's'}: ${info.file || 'no sgemm_ found'}`;
}

/** The one-line warning with the fix, or undefined when the BLAS is not the reference one. */
export function blasWarning(info: BlasInfo): string | undefined {
  return isReferenceBlas(info) ? msg.referenceBlas(info.file) : undefined;
}
