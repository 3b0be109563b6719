/**
 * Conv2DBias (lib/engine/convBias.ts) for the wasm backend: XNNPACK's convolution adds the bias as it writes
 * the output (wasm's FusedConv2D with the linear activation) instead of a second pass over it; where Conv2D
 * runs Winograd, the bias is added after it.
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import { winogradOrUndefined } from './Conv2D';
import { call, type Info, type KernelArgs, type WasmBackend } from './heap';

/** conv2d(x, filter) + bias in one XNNPACK operator, or Winograd then Add. */
export function conv2DBias(args: KernelArgs): Info {
  const { x, filter, bias } = args.inputs as { x: Info; filter: Info; bias: Info };
  const backend = args.backend as WasmBackend;
  const y = winogradOrUndefined(x, filter, args.attrs as never, backend);
  if (!y) return call('FusedConv2D', { x, filter, bias }, { ...args.attrs, activation: 'linear' } as tf.NamedAttrMap, backend);
  const out = call('Add', { a: y, b: bias }, {}, backend);
  backend.disposeData(y.dataId);
  return out;
}
