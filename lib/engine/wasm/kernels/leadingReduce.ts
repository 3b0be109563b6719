/**
 * Sum and Mean over leading axes for the wasm backend, one float64 pass over rows.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { heapSimd } from '../simd';
import { call, heapOffset, runShares, type Info, type KernelArgs, type WasmBackend } from './heap';
import { flag } from './flags';

/**
 * Sum and Mean over leading axes (bias gradients, batch-norm statistics: [N, H, W, C] -> [C]) as one pass over
 * rows, accumulated in float64 (a SIMD loop over the heap where rows are whole vectors); wasm's own kernels
 * first transpose the reduced axes to the end, which costs more than the sum.
 */
export function makeReduce(kind: 'Sum' | 'Mean') {
  return (original: tf.KernelFunc) =>
    (args: KernelArgs): Info => {
      const { x } = args.inputs as { x: Info };
      const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
      const backend = args.backend as WasmBackend;
      const rank = x.shape.length;
      const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
      const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
      if (!leading || x.dtype !== 'float32') return call(kind, args.inputs, args.attrs, backend, original);
      const rows = x.shape.slice(0, axes.length).reduce((a, b) => a * b, 1);
      const inner = x.shape.slice(axes.length);
      const cols = inner.reduce((a, b) => a * b, 1);
      const out = backend.makeOutput(keepDims ? [...axes.map(() => 1), ...inner] : inner, 'float32');
      const acc = leadingSum(backend, x, rows, cols);
      if (kind === 'Mean') for (let c = 0; c < cols; c++) acc[c] /= rows;
      backend.typedArrayFromHeap(out).set(acc);
      return out;
    };
}

/** Column sums of x viewed as [rows, cols], in float64. */
export function leadingSum(backend: WasmBackend, x: Info, rows: number, cols: number): Float64Array {
  const simd = cols % 4 === 0 && rows > 1 ? heapSimd(backend) : undefined;
  if (!simd) {
    const xv = backend.typedArrayFromHeap(x);
    const acc = new Float64Array(cols);
    for (let r = 0, o = 0; r < rows; r++, o += cols) for (let c = 0; c < cols; c++) acc[c] += xv[o + c];
    return acc;
  }
  const xo = heapOffset(backend, x);
  return rowSums(backend, rows, cols, 'sumRowRange', (acc, first, last) => [xo, acc, first, last, cols * 4]);
}

/** Rows per share below which a sum stays in one share (and on this thread). */
const MIN_SHARE_ROWS = 64;

/**
 * Column sums in float64 by `task` (a row-range sum of tasks.ts writing into the accumulator it is given) over
 * `rows` rows of `cols` float32 values, in two fixed shares of rows (one for small sums), each into its own
 * accumulator on the heap, run by this thread and a heap worker where the work is large enough, and added in
 * share order: the same result whichever thread ran which share. Needs the SIMD loops.
 */
export function rowSums(backend: WasmBackend, rows: number, cols: number, task: 'sumRowRange' | 'sumProdDevRowRange', params: (acc: number, first: number, last: number) => number[]): Float64Array {
  const shares = rows >= 2 * MIN_SHARE_ROWS ? 2 : 1;
  // Float64 accumulators on the heap (malloc aligns to 8 bytes at least), 2 float32 slots per column.
  const scratch = backend.makeOutput([2 * cols * shares], 'float32');
  try {
    const at = heapOffset(backend, scratch);
    const acc = (k: number) => new Float64Array(backend.typedArrayFromHeap(scratch).buffer, at + k * cols * 8, cols);
    backend.typedArrayFromHeap(scratch).fill(0);
    const bound = (k: number) => Math.floor((k * rows) / shares);
    const share = (k: number) => params(at + k * cols * 8, bound(k), bound(k + 1));
    runShares(backend, task, Array.from({ length: shares }, (_, k) => share(k)), rows * cols * 4 < flag('ROBUSTLAB_WASM_SPLIT_MIN_BYTES'));
    const total = acc(0).slice();
    for (let k = 1; k < shares; k++) acc(k).forEach((v, c) => (total[c] += v));
    return total;
  } finally {
    backend.disposeData(scratch.dataId);
  }
}
