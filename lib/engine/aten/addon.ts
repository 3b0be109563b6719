/**
 * Loading the native half of the `aten` backend (native/aten.cc, built by scripts/build-native.mjs).
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BlasInfo } from './blas';

/** The functions native/aten.cc exports. Tensor ids are small integers owned by the addon's store. */
/**
 * Where aten's float32 matrix products run: `onednn`, the sgemm of libtorch's own oneDNN (kernels for the
 * processor it finds: 430-490 GFLOP/s on 2 threads here, where OpenBLAS is pinned to its Haswell kernels at
 * about 245), or `blas`, libtorch's BLAS. The default is onednn where libtorch's oneDNN exports `dnnl_sgemm`;
 * ROBUSTLAB_ATEN_GEMM=blas keeps the BLAS. Products of fewer than 512 rows by a transposed second operand stay on
 * the BLAS (oneDNN ran them at half its rate), as do batched products.
 */
export type GemmName = 'onednn' | 'blas';

export interface AtenAddon {
  /** Sets the thread count and device; throws when the device is unusable. */
  init(threads: number, device: string): { version: string; device: string; threads: number; cuda: boolean; gemm: GemmName; onednnSgemm: boolean };
  /** Copies row-major values into a new ATen tensor; returns its id. dtype: 0 float32, 1 int32, 2 bool. */
  write(values: Float32Array | Int32Array | Uint8Array, shape: number[], dtype: number): number;
  /** A row-major copy of a tensor's values. */
  read(id: number): Float32Array | Int32Array | Uint8Array;
  /** Drops a tensor from the store (its storage is freed when no view shares it). */
  free(id: number): void;
  /** Number of stored tensors. */
  count(): number;
  /** Bytes held by the distinct storages behind the stored tensors. */
  bytes(): number;
  /** Bytes in use on the C heap (glibc malloc), or -1 where unknown: for leak checks. */
  heap(): number;
  /** The BLAS serving libtorch's sgemm_ (see ./blas.ts); `threads` > 0 first sets its pool size. */
  blas(threads: number): BlasInfo;
  /** Runs a native kernel; returns `[nOut, (id, dtype, rank, ...dims) per output]`. */
  op(name: string, inputs: number[], ints: number[], floats: number[]): number[];
  /** The float32 product path in use (see {@link GemmName}); with a name, switches to it first. */
  gemm(name?: GemmName): GemmName;
  /**
   * The SGD step of the SgdStep kernel written into v's (and b's) own storage; false, with nothing written,
   * unless each is held by its id alone and shares its storage with no other tensor. bId -1: no buffer.
   */
  sgdInPlace(vId: number, gId: number, bId: number, lr: number, momentum: number, weightDecay: number): boolean;
  /** Names of the native kernels. */
  kernels: string[];
}

/** The package root: the nearest parent directory whose package.json is robustlab's (source or dist layout). */
function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'robustlab') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find robustlab's package.json above ${__dirname}`);
    dir = up;
  }
}

/** Path of the built addon. */
export function addonPath(): string {
  return path.join(packageRoot(), 'native', 'build', 'aten.node');
}

let loaded: AtenAddon | undefined;

/** Loads the addon once; throws with a one-line reason and the way to build it when it is missing or broken. */
export function loadAddon(): AtenAddon {
  if (loaded) return loaded;
  const file = addonPath();
  if (!fs.existsSync(file))
    throw new Error(
      'native addon not built; install libtorch (apt-get install libtorch-dev, or pip install torch, or set LIBTORCH) and run npm run build:native',
    );
  // libgomp reads its wait policy once, when libtorch loads. Its default spins idle threads, and where cores are
  // shared (Node's own threads, other processes) a spinning team slowed a small training step 20-fold in our
  // measurements; passive waiting cost little on large kernels.
  process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
  // OpenBLAS (Debian's libtorch runs matmuls on it) keeps its own worker threads, which spin in sched_yield for
  // about 2^28 cycles after every call: on two cores that took one core from the next convolutions (20% of a
  // small-CNN input-gradient profile). 2^4 cycles lets them sleep at once; other BLAS builds ignore the variable.
  process.env.OPENBLAS_THREAD_TIMEOUT ??= '4';
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require(file) as AtenAddon;
  } catch (e) {
    throw new Error(`native addon ${file} failed to load (${(e as Error).message.split('\n')[0]}); rebuild it with npm run build:native`);
  }
  return loaded;
}
