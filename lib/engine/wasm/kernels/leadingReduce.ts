/**
 * Sum and Mean over leading axes for the wasm backend, one float64 pass over rows.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { heapSimd } from '../simd';
import { call, heapOffset, type Info, type KernelArgs, type WasmBackend } from './heap';

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
  // A float64 accumulator on the heap (malloc aligns to 8 bytes at least), 2 float32 slots per column.
  const scratch = backend.makeOutput([2 * cols], 'float32');
  try {
    const at = heapOffset(backend, scratch);
    const acc = () => new Float64Array(backend.typedArrayFromHeap(scratch).buffer, at, cols);
    acc().fill(0);
    simd.sumRows(heapOffset(backend, x), at, rows, cols * 4);
    return acc().slice();
  } finally {
    backend.disposeData(scratch.dataId);
  }
}
