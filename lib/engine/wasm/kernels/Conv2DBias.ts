/**
 * Conv2DBias (lib/engine/convBias.ts) for the wasm backend: XNNPACK's convolution adds the bias as it writes
 * the output (wasm's FusedConv2D with the linear activation) instead of a second pass over it; where Conv2D
 * runs Winograd, its output transform adds the bias.
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import { winogradOrUndefined } from './Conv2D';
import { call, type Info, type KernelArgs, type WasmBackend } from './heap';

/** conv2d(x, filter) + bias in one XNNPACK operator, or by Winograd with the bias in its output transform. */
export function conv2DBias(args: KernelArgs): Info {
  const { x, filter, bias } = args.inputs as { x: Info; filter: Info; bias: Info };
  const backend = args.backend as WasmBackend;
  return winogradOrUndefined(x, filter, args.attrs as never, backend, bias) ?? call('FusedConv2D', { x, filter, bias }, { ...args.attrs, activation: 'linear' } as tf.NamedAttrMap, backend);
}
