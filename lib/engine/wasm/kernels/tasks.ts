/**
 * The tasks the wasm heap workers run (heapWorkers.ts): each is a plain function of the SIMD loops and
 * integer parameters (heap byte offsets and sizes), run by the calling thread and the workers alike on their
 * shares. Tasks touch the heap only through the SIMD module: a worker's JavaScript view of the memory can lag
 * behind a growth the calling thread just made, wasm's own accesses cannot. The workers load this module
 * themselves, so it and its imports stay free of TF.js.
 * @module
 */
import type { HeapSimd } from '../simd';
import { filterGradTiles } from './filterGradTiles';

/**
 * pool2x2Rows(xo, go, dxo, first, last, oh, ow, c, h, w): MaxPoolGrad of 2x2/2 windows (simd.ts `pool2x2`) for
 * the window rows [first, last) of all images (row k is image k / oh, window row k % oh); offsets in bytes.
 */
export function pool2x2Rows(simd: HeapSimd, params: readonly number[]): void {
  const [xo, go, dxo, first, last, oh, ow, c, h, w] = params;
  for (let k = first; k < last; k++) {
    const b = Math.floor(k / oh);
    const r = k - b * oh;
    const at = (b * h + 2 * r) * w * c * 4;
    simd.pool2x2(xo + at, go + k * ow * c * 4, dxo + at, ow, c * 4, w * c * 4);
  }
}

/** The tasks by name. */
export const HEAP_TASKS = { filterGradTiles, pool2x2Rows };

/** A task's name. */
export type HeapTaskName = keyof typeof HEAP_TASKS;

/** This module's path, for the workers to load. */
export const HEAP_TASKS_MODULE = __filename;
