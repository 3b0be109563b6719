/**
 * Conv2D for the wasm backend: Winograd (winograd.ts) where it applies, else wasm's own XNNPACK convolution.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { flag } from './flags';
import { call, type ConvAttrs, type Info, type KernelArgs, type WasmBackend } from './heap';
import { winogradConv2D } from './winograd';

type Conv2DAttrs = ConvAttrs & { dilations: number | [number, number] };

/**
 * Winograd's result (plus `bias` where given) for 3x3 stride-1 float32 NHWC convolutions with enough channels
 * (multiples of 4), else undefined.
 */
export function winogradOrUndefined(x: Info, filter: Info, a: Conv2DAttrs, backend: WasmBackend, bias?: Info): Info | undefined {
  const [kh, kw, ci, co] = filter.shape;
  if (!flag('ROBUSTLAB_WASM_WINOGRAD') || kh !== 3 || kw !== 3 || ci % 4 !== 0 || co % 4 !== 0 || ci * co < flag('ROBUSTLAB_WASM_WINOGRAD_MIN_CHANNELS')) return undefined;
  if (a.dataFormat === 'NCHW' || x.dtype !== 'float32' || filter.dtype !== 'float32' || (bias && (bias.dtype !== 'float32' || bias.shape.length !== 1))) return undefined;
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number], a.strides, a.dilations, a.pad, a.dimRoundingMode);
  if (info.strideHeight !== 1 || info.strideWidth !== 1 || info.dilationHeight !== 1 || info.dilationWidth !== 1) return undefined;
  return winogradConv2D(x, filter, info, backend, bias);
}

/** Conv2D: {@link winogradOrUndefined} where it applies, else wasm's own. */
export function makeConv2D(original: tf.KernelFunc) {
  return (args: KernelArgs): Info => {
    const { x, filter } = args.inputs as { x: Info; filter: Info };
    const backend = args.backend as WasmBackend;
    return winogradOrUndefined(x, filter, args.attrs as unknown as Conv2DAttrs, backend) ?? call('Conv2D', args.inputs, args.attrs, backend, original);
  };
}
