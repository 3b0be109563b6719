/**
 * Tile for the wasm backend: broadcasts of size-1 axes as SIMD block copies.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { heapSimd } from '../simd';
import { call, heapOffset, type Info, type KernelArgs, type WasmBackend } from './heap';

/**
 * Tile where every tiled axis has size 1 and the tiled axes are adjacent (a per-channel vector broadcast over
 * [N, H, W] as the batch-norm Mean gradient asks, or [N, 1, 1, C] over [H, W] as global average pooling's): for
 * each index of the axes before them, the block of the axes after them is repeated by a SIMD block copy. wasm's
 * Tile computes an index per element.
 */
export function makeTile(original: tf.KernelFunc) {
  return (args: KernelArgs): Info => {
    const { x } = args.inputs as { x: Info };
    const { reps } = args.attrs as unknown as { reps: number[] };
    const backend = args.backend as WasmBackend;
    const first = reps.findIndex((r) => r > 1);
    const last = reps.length - 1 - [...reps].reverse().findIndex((r) => r > 1);
    const prod = (v: number[]) => v.reduce((a, b) => a * b, 1);
    const block = prod(x.shape.slice(last + 1));
    const fits = first >= 0 && x.shape.slice(first, last + 1).every((d) => d === 1) && block % 4 === 0 && x.dtype === 'float32';
    const simd = fits ? heapSimd(backend) : undefined;
    if (!simd) return call('Tile', args.inputs, args.attrs, backend, original);
    const out = backend.makeOutput(x.shape.map((d, i) => d * reps[i]), 'float32');
    const outer = prod(x.shape.slice(0, first));
    const times = prod(reps.slice(first, last + 1));
    const [xo, oo] = [heapOffset(backend, x), heapOffset(backend, out)];
    for (let o = 0; o < outer; o++) simd.copyRows(xo + o * block * 4, oo + o * times * block * 4, times, block * 4, 0, block * 4);
    return out;
  };
}
