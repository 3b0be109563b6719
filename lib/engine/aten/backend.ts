/**
 * The `aten` KernelBackend: TF.js data ids map to ATen tensors held by the native addon. Values cross the
 * JS/native boundary only on write and read; kernels pass tensor ids.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { AtenAddon } from './addon';

interface Entry {
  /** The addon's tensor id. */
  id: number;
  /** TF.js reference count of the data id (as in the cpu backend). */
  refCount: number;
}

const DTYPE_CODE: Partial<Record<tf.DataType, number>> = { float32: 0, int32: 1, bool: 2 };
const CODE_DTYPE: tf.DataType[] = ['float32', 'int32', 'bool'];

/** The dtype code the addon uses; throws for dtypes ATen data cannot hold here (string, complex64). */
export function dtypeCode(dtype: tf.DataType): number {
  const c = DTYPE_CODE[dtype];
  if (c === undefined) throw new Error(`aten backend: dtype ${dtype} is not supported (float32, int32 and bool are)`);
  return c;
}

function typed(values: tf.BackendValues, dtype: tf.DataType): Float32Array | Int32Array | Uint8Array {
  if (dtype === 'float32') return values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
  if (dtype === 'int32') return values instanceof Int32Array ? values : Int32Array.from(values as ArrayLike<number>);
  return values instanceof Uint8Array ? values : Uint8Array.from(values as ArrayLike<number>);
}

/** A TF.js backend whose tensors are ATen tensors. */
export class AtenBackend extends tf.KernelBackend {
  /** Data ids to addon ids; a miss moves the data here from its backend (DataStorage asks the engine). */
  private readonly store: tf.DataStorage<Entry>;
  private cpuBackend: MathBackendCPU | undefined;
  /** Addon ids this backend holds, so that dispose() can free them (DataStorage is a WeakMap). */
  private readonly ids = new Set<number>();

  /** @param addon the loaded native addon */
  constructor(readonly addon: AtenAddon) {
    super();
    this.store = new tf.DataStorage<Entry>(this, tf.engine());
  }

  /**
   * The cpu backend that runs the kernels aten lacks, on copies of the data: TF.js's registered one (its
   * temporaries are disposed at once), so that no second instance prints TF.js's Node banner again.
   */
  get cpu(): MathBackendCPU {
    this.cpuBackend ??= (tf.findBackend('cpu') as MathBackendCPU | null) ?? new MathBackendCPU();
    return this.cpuBackend;
  }

  /** The addon id of a tensor's data (moving it here first when it lives on another backend). */
  id(t: tf.TensorInfo): number {
    return this.store.get(t.dataId).id;
  }

  /** Wraps an addon tensor id in a new TF.js data id. */
  adopt(id: number, shape: number[], dtype: tf.DataType): tf.TensorInfo {
    const dataId = {};
    this.store.set(dataId, { id, refCount: 1 });
    this.ids.add(id);
    return { dataId, shape, dtype };
  }

  /** Runs a native kernel and wraps its outputs. */
  run(name: string, inputs: tf.TensorInfo[], ints: number[] = [], floats: number[] = []): tf.TensorInfo[] {
    const r = this.addon.op(
      name,
      inputs.map((t) => this.id(t)),
      ints,
      floats,
    );
    const out: tf.TensorInfo[] = [];
    let k = 1;
    for (let i = 0; i < r[0]; i++) {
      const id = r[k++];
      const dtype = CODE_DTYPE[r[k++]];
      const rank = r[k++];
      const shape = r.slice(k, k + rank);
      k += rank;
      out.push(this.adopt(id, shape, dtype));
    }
    return out;
  }

  /** {@link run} for kernels with one output. */
  run1(name: string, inputs: tf.TensorInfo[], ints: number[] = [], floats: number[] = []): tf.TensorInfo {
    return this.run(name, inputs, ints, floats)[0];
  }

  /**
   * One SGD step written into the storage of `v` and `b` (PyTorch's in-place update), when no other TF.js
   * tensor holds their data ids and no other ATen tensor shares their storage; false, with nothing changed,
   * otherwise (lib/engine/sgdStep.ts's `sgdStepInPlace`).
   */
  sgdInPlace(v: tf.TensorInfo, g: tf.TensorInfo, b: tf.TensorInfo | undefined, lr: number, momentum: number, weightDecay: number): boolean {
    if (this.refCount(v.dataId) !== 1 || (b && this.refCount(b.dataId) !== 1)) return false;
    return this.addon.sgdInPlace(this.id(v), this.id(g), b ? this.id(b) : -1, lr, momentum, weightDecay);
  }

  override write(values: tf.BackendValues, shape: number[], dtype: tf.DataType): tf.DataId {
    const dataId = {};
    this.move(dataId, values, shape, dtype, 1);
    return dataId;
  }

  override move(dataId: tf.DataId, values: tf.BackendValues, shape: number[], dtype: tf.DataType, refCount: number): void {
    const id = this.addon.write(typed(values, dtype), shape, dtypeCode(dtype));
    this.store.set(dataId, { id, refCount });
    this.ids.add(id);
  }

  /** A new tensor from values (kernels and the cpu fallback use it). */
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: tf.BackendValues): tf.TensorInfo {
    return { dataId: this.write(values, shape, dtype), shape, dtype };
  }

  override readSync(dataId: tf.DataId): tf.BackendValues {
    return this.addon.read(this.store.get(dataId).id);
  }

  override async read(dataId: tf.DataId): Promise<tf.BackendValues> {
    return this.readSync(dataId);
  }

  override disposeData(dataId: tf.DataId, force = false): boolean {
    if (this.store.has(dataId)) {
      const e = this.store.get(dataId);
      e.refCount--;
      if (!force && e.refCount > 0) return false;
      this.addon.free(e.id);
      this.ids.delete(e.id);
      this.store.delete(dataId);
    }
    return true;
  }

  /** Disposes a kernel's intermediate result. */
  disposeIntermediateTensorInfo(t: tf.TensorInfo): void {
    this.disposeData(t.dataId, true);
  }

  override refCount(dataId: tf.DataId): number {
    return this.store.has(dataId) ? this.store.get(dataId).refCount : 0;
  }

  override incRef(dataId: tf.DataId): void {
    this.store.get(dataId).refCount++;
  }

  /** Lowers a data id's reference count without freeing it. */
  decRef(dataId: tf.DataId): void {
    if (this.store.has(dataId)) this.store.get(dataId).refCount--;
  }

  override numDataIds(): number {
    return this.store.numDataIds();
  }

  override memory(): { unreliable: boolean; reasons?: string[] } {
    // Views share storage with their base, so TF.js's own byte count over-counts; the addon counts storages.
    return { unreliable: true, reasons: ['aten views share storage'], numBytesInAten: this.addon.bytes(), atenTensors: this.addon.count() } as {
      unreliable: boolean;
      reasons?: string[];
    };
  }

  override timerAvailable(): boolean {
    return true;
  }

  override async time(f: () => void): Promise<tf.BackendTimingInfo> {
    const t0 = performance.now();
    f();
    return { kernelMs: performance.now() - t0 };
  }

  override floatPrecision(): 32 {
    return 32;
  }

  override dispose(): void {
    for (const id of this.ids) this.addon.free(id);
    this.ids.clear();
  }
}
