/**
 * What the wasm kernels share: the backend's internals they touch (heap offsets, outputs at an offset),
 * calls into other wasm kernels, and scoped freeing of intermediates.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { heapWorkers, type HeapWorkers } from '../heapWorkers';
import { heapSimd } from '../simd';
import { HEAP_TASKS, HEAP_TASKS_MODULE, type HeapTaskName } from './tasks';
import { flag } from './flags';

/** A tensor as kernels see it. */
export type Info = tf.TensorInfo;

/** The wasm backend with the members the kernels use (tfjs-backend-wasm 4.22's BackendWasm). */
export type WasmBackend = tf.KernelBackend & {
  disposeData(id: object): boolean;
  typedArrayFromHeap(t: Info): Float32Array;
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number): Info;
  incRef(dataId: object): void;
};

/** The arguments every kernel function receives. */
export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs: tf.NamedAttrMap;
}

/** Runs the wasm kernel `name` (or `kernelFunc`, the one an override replaced) on `inputs`. */
export function call(name: string, inputs: Record<string, Info> | tf.NamedTensorInfoMap, attrs: Record<string, unknown>, backend: tf.KernelBackend, kernelFunc?: tf.KernelFunc): Info {
  const k = kernelFunc ?? tf.getKernel(name, 'wasm')?.kernelFunc;
  if (!k) throw new Error(`wasm kernel '${name}' is missing`);
  return k({ inputs: inputs as tf.NamedTensorInfoMap, attrs: attrs as tf.NamedAttrMap, backend }) as Info;
}

/** Runs `f` and frees every intermediate it kept but the returned one. */
export function scoped(backend: tf.KernelBackend, f: (keep: (t: Info) => Info) => Info): Info {
  const made: Info[] = [];
  const out = f((t) => (made.push(t), t));
  for (const t of made) if (t !== out) (backend as WasmBackend).disposeData(t.dataId);
  return out;
}

/** Byte offset of a tensor's data in the wasm heap. */
export function heapOffset(backend: WasmBackend, t: Info): number {
  return (backend as unknown as { dataIdMap: { get(id: object): { memoryOffset: number } } }).dataIdMap.get(t.dataId).memoryOffset;
}

/** The attributes of the convolution kernels that the geometry needs. */
export interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * Float32 tensors that alias slices of other tensors' heap memory (makeOutput at an offset), for XNNPACK
 * products on parts of a buffer without copies. `drop` unregisters the views (all, or those made after the
 * `count()` given) without freeing the memory, which belongs to the tensor viewed.
 */
export function heapViews(backend: WasmBackend): { view(base: Info, byteOffset: number, shape: number[]): Info; count(): number; drop(from?: number): void } {
  const made: Info[] = [];
  const b = backend as unknown as { dataIdMap: { get(id: object): { id: number }; delete(id: object): void }; wasm: { tfjs: { disposeData(id: number): void } } };
  return {
    view(base, byteOffset, shape) {
      const v = backend.makeOutput(shape, 'float32', heapOffset(backend, base) + byteOffset);
      made.push(v);
      return v;
    },
    count: () => made.length,
    drop(from = 0) {
      for (const v of made.splice(from)) {
        b.wasm.tfjs.disposeData(b.dataIdMap.get(v.dataId).id);
        b.dataIdMap.delete(v.dataId);
      }
    },
  };
}

type RawMatMul = (aId: number, aShape: Uint8Array, aRank: number, bId: number, bShape: Uint8Array, bRank: number, transposeA: boolean, transposeB: boolean, outId: number) => void;
const rawMatMuls = new WeakMap<object, RawMatMul>();

/** out = a x b for rank-3 tensors of batch 1 through wasm's BatchMatMul entry point, into an existing output. */
export function matMulInto(backend: WasmBackend, a: Info, b: Info, out: Info): void {
  const b0 = backend as unknown as { wasm: { cwrap(name: string, ret: null, args: string[]): RawMatMul }; dataIdMap: { get(id: object): { id: number } } };
  let f = rawMatMuls.get(backend);
  if (!f) {
    f = b0.wasm.cwrap('BatchMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']);
    rawMatMuls.set(backend, f);
  }
  const bytes = (shape: number[]) => new Uint8Array(new Int32Array(shape).buffer);
  f(b0.dataIdMap.get(a.dataId).id, bytes(a.shape), 3, b0.dataIdMap.get(b.dataId).id, bytes(b.shape), 3, false, false, b0.dataIdMap.get(out.dataId).id);
}

/** The heap workers that run {@link HEAP_TASKS} for `backend`, if any. */
export function taskWorkers(backend: WasmBackend): HeapWorkers | undefined {
  return flag('ROBUSTLAB_WASM_HEAP_WORKERS') ? heapWorkers(backend, HEAP_TASKS_MODULE, HEAP_TASKS) : undefined;
}

/**
 * Runs `task` once per share (its parameters), in order: the heap workers take the last shares, one each, and
 * this thread the rest; without workers (or with `alone`) this thread runs them all. Whoever runs a share, it
 * computes the same thing, so callers that give each share its own output get the same result either way.
 */
export function runShares(backend: WasmBackend, task: HeapTaskName, shares: readonly number[][], alone = false): void {
  const simd = heapSimd(backend);
  if (!simd) throw new Error(`runShares(${task}): the wasm SIMD loops are unavailable`);
  const workers = !alone && shares.length > 1 ? taskWorkers(backend) : undefined;
  const mine = workers ? Math.max(1, shares.length - workers.size) : shares.length;
  const own = () => {
    for (let k = 0; k < mine; k++) HEAP_TASKS[task](simd, shares[k]);
  };
  if (workers && mine < shares.length) workers.run(shares.slice(mine).map((p) => [task, p] as const), own);
  else own();
}

/**
 * Runs `task` over `count` items split evenly between the calling thread and the heap workers (one share
 * each; one share where there are none); `params(first, last)` are a share's parameters. For tasks whose
 * shares write disjoint outputs, so that the split cannot change the result. Work of fewer `bytes` than the flag
 * `ROBUSTLAB_WASM_SPLIT_MIN_BYTES` stays on the calling thread.
 */
export function runSplit(backend: WasmBackend, task: HeapTaskName, count: number, params: (first: number, last: number) => number[], bytes = Infinity): void {
  const workers = count > 1 && bytes >= flag('ROBUSTLAB_WASM_SPLIT_MIN_BYTES') ? taskWorkers(backend) : undefined;
  const parts = Math.min(count, 1 + (workers?.size ?? 0));
  const at = (k: number) => Math.floor((k * count) / parts);
  runShares(backend, task, Array.from({ length: parts }, (_, k) => params(at(k), at(k + 1))));
}
