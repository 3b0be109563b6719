/**
 * Training-mode batch norm (lib/engine/batchNorm.ts) for the wasm backend: the statistics as float64 passes
 * over rows and the output and input gradient as one SIMD pass each, instead of the composite's fifteen or so
 * element-wise kernels. Channels not a multiple of 4 run the same formulas in plain loops.
 * @module
 */
import { heapSimd, type HeapSimd } from '../simd';
import { heapOffset, runSplit, type Info, type KernelArgs, type WasmBackend } from './heap';
import { leadingSum, rowSums } from './leadingReduce';

const f = Math.fround;

/** A float32 [values.length] tensor on the heap holding `values`. */
function channelRow(backend: WasmBackend, values: ArrayLike<number>): Info {
  const t = backend.makeOutput([values.length], 'float32');
  backend.typedArrayFromHeap(t).set(values);
  return t;
}

/** Per-channel rows on the heap for the SIMD loops, freed by `done`. */
function rowsOn(backend: WasmBackend) {
  const made: Info[] = [];
  return {
    row: (values: ArrayLike<number>): Info => (made.push(channelRow(backend, values)), made[made.length - 1]),
    off: (t: Info) => heapOffset(backend, t),
    done: () => made.forEach((t) => backend.disposeData(t.dataId)),
  };
}

/** sum_r (a[r, j] - ma[j]) (b[r, j] - mb[j]) per channel, in float64 (SIMD where `simd` is given). */
function sumProdDev(backend: WasmBackend, simd: HeapSimd | undefined, a: Info, ma: Float32Array, b: Info, mb: Float32Array, rows: number, c: number): Float64Array {
  if (!simd) {
    const [av, bv] = [backend.typedArrayFromHeap(a), backend.typedArrayFromHeap(b)];
    const acc = new Float64Array(c);
    for (let r = 0, o = 0; r < rows; r++, o += c) for (let j = 0; j < c; j++) acc[j] += f(av[o + j] - ma[j]) * f(bv[o + j] - mb[j]);
    return acc;
  }
  const h = rowsOn(backend);
  try {
    const [ao, mao, bo, mbo] = [h.off(a), h.off(h.row(ma)), h.off(b), h.off(h.row(mb))];
    return rowSums(backend, rows, c, 'sumProdDevRowRange', (acc, first, last) => [ao, mao, bo, mbo, acc, first, last, c * 4]);
  } finally {
    h.done();
  }
}

/** FusedBatchNormTraining: x, gamma, beta to y, mean, invstd, unbiased variance (statistics over all axes but the last). */
export function batchNormTrainingKernel(args: KernelArgs): Info[] {
  const { x, gamma, beta } = args.inputs as { x: Info; gamma: Info; beta: Info };
  const epsilon = (args.attrs as unknown as { epsilon: number }).epsilon;
  const backend = args.backend as WasmBackend;
  const c = x.shape[x.shape.length - 1];
  const rows = x.shape.reduce((p, q) => p * q, 1) / c;
  const simd = c % 4 === 0 ? heapSimd(backend) : undefined;
  const mean = new Float32Array(leadingSum(backend, x, rows, c).map((s) => s / rows));
  const variance = sumProdDev(backend, simd, x, mean, x, mean, rows, c).map((s) => s / rows);
  const invstd = new Float32Array(variance.map((v) => 1 / Math.sqrt(f(v) + f(epsilon))));
  // Copies: making the output may grow the heap, which detaches the unthreaded build's views.
  const g = backend.typedArrayFromHeap(gamma).slice();
  const scale = invstd.map((s, j) => s * g[j]);
  const shift = backend.typedArrayFromHeap(beta).slice();
  const y = backend.makeOutput(x.shape, 'float32');
  if (simd) {
    const h = rowsOn(backend);
    try {
      const [mo, so, to] = [h.off(h.row(mean)), h.off(h.row(scale)), h.off(h.row(shift))];
      runSplit(backend, 'affineRowRange', rows, (a, b) => [0, h.off(x), 0, 0, mo, so, to, h.off(y), a, b, c * 4], 8 * rows * c);
    } finally {
      h.done();
    }
  } else {
    const [xv, yv] = [backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(y)];
    for (let r = 0, o = 0; r < rows; r++, o += c) for (let j = 0; j < c; j++) yv[o + j] = f(f(xv[o + j] - mean[j]) * scale[j]) + shift[j];
  }
  const unbiased = variance.map((v) => (v * rows) / Math.max(rows - 1, 1));
  return [y, channelRow(backend, mean), channelRow(backend, invstd), channelRow(backend, unbiased)];
}

/**
 * FusedBatchNormTrainingGrad: dy, x, gamma, mean, invstd to dx, dgamma, dbeta. With n values per channel,
 * dbeta = sum dy, dgamma = invstd sum dy (x - mean), and dx = gamma invstd (dy - dbeta / n - xhat dgamma / n)
 * = dy A + (x - mean) B + C per channel.
 */
export function batchNormTrainingGradKernel(args: KernelArgs): Info[] {
  const { dy, x, gamma, mean, invstd } = args.inputs as { dy: Info; x: Info; gamma: Info; mean: Info; invstd: Info };
  const backend = args.backend as WasmBackend;
  const c = x.shape[x.shape.length - 1];
  const rows = x.shape.reduce((p, q) => p * q, 1) / c;
  const simd = c % 4 === 0 ? heapSimd(backend) : undefined;
  const [g, m, is] = [gamma, mean, invstd].map((t) => backend.typedArrayFromHeap(t).slice());
  const dbeta = leadingSum(backend, dy, rows, c);
  const dgamma = sumProdDev(backend, simd, dy, new Float32Array(c), x, m, rows, c).map((s, j) => s * is[j]);
  const A = is.map((s, j) => g[j] * s);
  const B = is.map((s, j) => (-g[j] * s * s * dgamma[j]) / rows);
  const C = is.map((s, j) => (-g[j] * s * dbeta[j]) / rows);
  const dx = backend.makeOutput(x.shape, 'float32');
  if (simd) {
    const h = rowsOn(backend);
    try {
      const [ao, mo, bo, co] = [h.off(h.row(A)), h.off(h.row(m)), h.off(h.row(B)), h.off(h.row(C))];
      runSplit(backend, 'affineRowRange', rows, (a, b) => [1, h.off(dy), ao, h.off(x), mo, bo, co, h.off(dx), a, b, c * 4], 12 * rows * c);
    } finally {
      h.done();
    }
  } else {
    const [dyv, xv, dxv] = [dy, x, dx].map((t) => backend.typedArrayFromHeap(t));
    for (let r = 0, o = 0; r < rows; r++, o += c) for (let j = 0; j < c; j++) dxv[o + j] = f(f(dyv[o + j] * A[j]) + f(f(xv[o + j] - m[j]) * B[j])) + C[j];
  }
  return [dx, channelRow(backend, dgamma), channelRow(backend, dbeta)];
}
