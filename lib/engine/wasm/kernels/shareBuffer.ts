/**
 * Identity and same-dtype Cast for the wasm backend without a copy.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { call, type Info, type KernelArgs, type WasmBackend } from './heap';

/**
 * Identity and same-dtype Cast without a copy: the output shares the input's buffer (one more reference), as
 * the cpu backend and wasm's own Reshape do. wasm copies; the engine clones every tensor it saves for the
 * backward pass through Identity, one copy of each activation per step.
 */
export function makeShared(kind: 'Identity' | 'Cast') {
  return (original: tf.KernelFunc) =>
    (args: KernelArgs): Info => {
      const { x } = args.inputs as { x: Info };
      const backend = args.backend as WasmBackend;
      const dtype = kind === 'Cast' ? (args.attrs as { dtype: tf.DataType }).dtype : x.dtype;
      if (x.dtype === 'string' || x.dtype === 'complex64' || dtype !== x.dtype) return call(kind, args.inputs, args.attrs, backend, original);
      backend.incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    };
}
