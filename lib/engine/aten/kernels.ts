/**
 * Kernels of the `aten` backend: TF.js attributes turned into the integer/float argument lists of the native
 * kernels in native/aten.cc, and a cpu fallback for every kernel (or attribute combination) it lacks.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AtenBackend } from './backend';
import { FUSED_RELU_GRAD } from '../gradients';
import { FUSED_BATCH_NORM, FUSED_BATCH_NORM_GRAD } from '../batchNorm';
import { SGD_STEP } from '../sgdStep';
import { CONV2D_BIAS } from '../convBias';

type Info = tf.TensorInfo;
type Inputs = tf.NamedTensorInfoMap | Info[];
type Attrs = tf.NamedAttrMap;
/** A native kernel body; returning null hands the call to the cpu fallback. */
type Body = (inputs: Record<string, Info>, attrs: Attrs, b: AtenBackend) => Info | Info[] | null;

const BACKEND = 'aten';
const fallbackNoted = new Set<string>();
let noteSink: (line: string) => void = () => {};

/** Where fallback notes go (the picker's engine notes). */
export function setFallbackNote(sink: (line: string) => void): void {
  noteSink = sink;
}

function note(kernel: string, why: string): void {
  if (fallbackNoted.has(kernel)) return;
  fallbackNoted.add(kernel);
  noteSink(`aten: kernel ${kernel} runs on the cpu backend (copied data): ${why}`);
}

/** Runs the cpu backend's kernel on copies of the inputs and copies the results back into ATen tensors. */
export function cpuFallback(kernelName: string, inputs: Inputs, attrs: Attrs, b: AtenBackend, why: string): Info | Info[] {
  const cpuKernel = tf.getKernel(kernelName, 'cpu');
  if (!cpuKernel) throw new Error(`aten backend: kernel ${kernelName} has neither an aten nor a cpu implementation`);
  note(kernelName, why);
  const cpu = b.cpu;
  const made: tf.DataId[] = [];
  const copy = (t: Info): Info => {
    const dataId = cpu.write(b.readSync(t.dataId), t.shape, t.dtype);
    made.push(dataId);
    return { dataId, shape: t.shape, dtype: t.dtype };
  };
  const cpuInputs = Array.isArray(inputs)
    ? inputs.map(copy)
    : Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, t == null ? t : copy(t)]));
  const out = cpuKernel.kernelFunc({ inputs: cpuInputs as tf.NamedTensorInfoMap, attrs, backend: cpu });
  const outs = Array.isArray(out) ? out : [out];
  try {
    const res = outs.map((o) => b.makeTensorInfo(o.shape, o.dtype, cpu.readSync(o.dataId)));
    return Array.isArray(out) ? res : res[0];
  } finally {
    for (const o of outs) cpu.disposeData(o.dataId, true);
    for (const d of made) cpu.disposeData(d, true);
  }
}

const native = new Map<string, Body>();

const axes = (axis: unknown, shape: number[]): number[] => tf.util.parseAxisParam(axis as number | number[], shape);
const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, relu6: 2, elu: 3, sigmoid: 4, leakyrelu: 5, prelu: 6 };

function convGeometry(info: tf.backend_util.Conv2DInfo): number[] {
  const p = info.padInfo;
  return [info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth, p.top, p.bottom, p.left, p.right];
}

function poolGeometry(info: tf.backend_util.Conv2DInfo): number[] {
  const p = info.padInfo;
  return [info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, p.top, p.bottom, p.left, p.right];
}

const sameShape = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

// Element-wise kernels map one to one.
const UNARY = [
  'Neg', 'Abs', 'Exp', 'Expm1', 'Log', 'Log1p', 'Sqrt', 'Rsqrt', 'Square', 'Reciprocal', 'Relu', 'Relu6', 'Elu', 'Selu',
  'Sigmoid', 'Tanh', 'Softplus', 'Sign', 'Erf', 'Acos', 'Asin', 'Atan', 'Acosh', 'Asinh', 'Atanh', 'Cos', 'Sin', 'Tan',
  'Cosh', 'Sinh', 'Floor', 'Ceil', 'Round', 'IsNan', 'IsInf', 'IsFinite', 'LogicalNot', 'ZerosLike', 'OnesLike', 'Identity',
];
const BINARY = [
  'Add', 'Sub', 'Multiply', 'RealDiv', 'FloorDiv', 'Mod', 'Maximum', 'Minimum', 'Pow', 'Atan2', 'SquaredDifference',
  'Greater', 'GreaterEqual', 'Less', 'LessEqual', 'Equal', 'NotEqual', 'LogicalAnd', 'LogicalOr', 'LogicalXor', 'DivNoNan',
];
const numeric = (t: Info) => t.dtype === 'float32' || t.dtype === 'int32' || t.dtype === 'bool';

for (const k of UNARY) native.set(k, ({ x }, _a, b) => (numeric(x) ? b.run1(k, [x]) : null));
for (const k of BINARY) native.set(k, ({ a, b: y }, _a, b) => (numeric(a) && numeric(y) ? b.run1(k, [a, y]) : null));
native.set('Prelu', ({ x, alpha }, _a, b) => b.run1('Prelu', [x, alpha]));
native.set('EluGrad', ({ dy, y }, _a, b) => b.run1('EluGrad', [dy, y]));
native.set(FUSED_RELU_GRAD, ({ dy, x }, _a, b) => b.run1('ReluGrad', [dy, x]));
native.set(FUSED_BATCH_NORM, ({ x, gamma, beta }, a, b) => b.run('BatchNormTrain', [x, gamma, beta], [], [a.epsilon as number]));
native.set(FUSED_BATCH_NORM_GRAD, ({ dy, x, gamma, mean, invstd }, a, b) => b.run('BatchNormTrainGrad', [dy, x, gamma, mean, invstd], [], [a.epsilon as number]));
native.set(SGD_STEP, ({ v, g, b: buf }, a, b) => {
  const momentum = a.momentum as number;
  const ins = buf ? [v, g, buf] : [v, g];
  const out = b.run('SgdStep', ins, [buf ? 1 : 0, momentum > 0 ? 1 : 0], [a.lr as number, momentum, a.weightDecay as number]);
  return out.length === 1 ? out[0] : out;
});
native.set('LeakyRelu', ({ x }, a, b) => b.run1('LeakyRelu', [x], [], [a.alpha as number]));
native.set('Step', ({ x }, a, b) => b.run1('Step', [x], [], [a.alpha as number]));
native.set('ClipByValue', ({ x }, a, b) => b.run1('ClipByValue', [x], [], [a.clipValueMin as number, a.clipValueMax as number]));
native.set('Select', ({ condition, t, e }, _a, b) => b.run1('Select', [condition, t, e]));
native.set('Cast', ({ x }, a, b) => {
  const to = a.dtype as tf.DataType;
  if (!numeric(x) || !(to === 'float32' || to === 'int32' || to === 'bool')) return null;
  return b.run1('Cast', [x], [{ float32: 0, int32: 1, bool: 2 }[to]]);
});

const REDUCE: Record<string, [number, string]> = {
  Sum: [0, 'axis'], Mean: [1, 'axis'], Max: [2, 'reductionIndices'], Min: [3, 'axis'], Prod: [4, 'axis'], Any: [5, 'axis'], All: [6, 'axis'],
};
for (const [k, [kind, attr]] of Object.entries(REDUCE)) {
  native.set(k, ({ x }, a, b) => {
    // ATen's mean refuses integer and bool inputs; TF.js averages them as floats (the cpu kernel does it).
    if (k === 'Mean' && x.dtype !== 'float32') return null;
    return b.run1('Reduce', [x], [kind, a.keepDims ? 1 : 0, ...axes(a[attr], x.shape)]);
  });
}
native.set('ArgMax', ({ x }, a, b) => b.run1('ArgMax', [x], [axes(a.axis, x.shape)[0]]));
native.set('ArgMin', ({ x }, a, b) => b.run1('ArgMin', [x], [axes(a.axis, x.shape)[0]]));
native.set('Softmax', ({ logits }, a, b) => b.run1('Softmax', [logits], [axes(a.dim, logits.shape)[0]]));

native.set('Reshape', ({ x }, a, b) => b.run1('Reshape', [x], tf.util.inferFromImplicitShape(a.shape as number[], tf.util.sizeFromShape(x.shape))));
native.set('Transpose', ({ x }, a, b) => b.run1('Transpose', [x], a.perm as number[]));
native.set('BroadcastTo', ({ x }, a, b) => b.run1('BroadcastTo', [x], a.shape as number[]));
native.set('Tile', ({ x }, a, b) => b.run1('Tile', [x], a.reps as number[]));
native.set('Reverse', ({ x }, a, b) => b.run1('Reverse', [x], axes(a.dims, x.shape)));
native.set('Slice', ({ x }, a, b) => {
  const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, a.begin as number[], a.size as number[]);
  return b.run1('Slice', [x], [x.shape.length, ...begin, ...size]);
});
native.set('StridedSlice', ({ x }, a, b) => {
  const s = tf.slice_util.sliceInfo(
    x.shape, a.begin as number[], a.end as number[], a.strides as number[], a.beginMask as number, a.endMask as number,
    a.ellipsisMask as number, a.newAxisMask as number, a.shrinkAxisMask as number,
  );
  // ATen slices only with positive steps.
  if (s.strides.some((v) => v <= 0)) return null;
  return b.run1('StridedSlice', [x], [x.shape.length, ...s.begin, ...s.end, ...s.strides, s.finalShape.length, ...s.finalShape]);
});
native.set('SplitV', ({ x }, a, b) => {
  const axis = axes(a.axis, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, a.numOrSizeSplits as number | number[], axis);
  return b.run('SplitV', [x], [axis, ...sizes]);
});
native.set('PadV2', ({ x }, a, b) => {
  const p = a.paddings as [number, number][];
  const flat: number[] = [];
  for (let d = p.length - 1; d >= 0; d--) flat.push(p[d][0], p[d][1]);
  return b.run1('PadV2', [x], flat, [a.constantValue as number]);
});
native.set('GatherV2', ({ x, indices }, a, b) =>
  (a.batchDims as number) ? null : b.run1('GatherV2', [x, indices], [axes(a.axis, x.shape)[0]]),
);
native.set('GatherNd', ({ params, indices }, _a, b) => b.run1('GatherNd', [params, indices], [indices.shape[indices.shape.length - 1]]));
native.set('OneHot', ({ indices }, a, b) => {
  const dt = a.dtype as tf.DataType;
  if (dt !== 'float32' && dt !== 'int32') return null;
  return b.run1('OneHot', [indices], [a.depth as number, dt === 'float32' ? 0 : 1], [a.onValue as number, a.offValue as number]);
});
native.set('Fill', (_i, a, b) => {
  const dt = (a.dtype as tf.DataType) ?? 'float32';
  if (typeof a.value !== 'number' || !(dt === 'float32' || dt === 'int32' || dt === 'bool')) return null;
  return b.run1('Fill', [], [{ float32: 0, int32: 1, bool: 2 }[dt], ...(a.shape as number[])], [a.value]);
});
native.set('Range', (_i, a, b) => {
  const [start, stop, step] = [a.start, a.stop, a.step] as number[];
  const empty = start === stop || (start < stop && step < 0) || (stop < start && step > 1);
  const n = empty ? 0 : Math.abs(Math.ceil((stop - start) / step));
  return b.run1('Range', [], [a.dtype === 'int32' ? 1 : 0, n], [start, step]);
});
native.set('Cumsum', ({ x }, a, b) => b.run1('Cumsum', [x], [axes(a.axis, x.shape)[0], a.exclusive ? 1 : 0, a.reverse ? 1 : 0]));
native.set('AddN', (inputs, _a, b) => b.run1('AddN', Object.values(inputs)));
native.set('Concat', (inputs, a, b) => {
  const list = Object.values(inputs);
  return b.run1('Concat', list, [axes(a.axis, list[0].shape)[0]]);
});
native.set('Pack', (inputs, a, b) => {
  const list = Object.values(inputs);
  const axis = a.axis as number;
  return b.run1('Pack', list, [axis < 0 ? axis + list[0].shape.length + 1 : axis]);
});
native.set('Unpack', ({ value }, a, b) => b.run('Unpack', [value], [axes(a.axis, value.shape)[0]]));
native.set('FusedBatchNorm', ({ x, mean, variance, offset, scale }, a, b) => {
  const ins = [x, mean, variance, ...(offset ? [offset] : []), ...(scale ? [scale] : [])];
  return b.run1('FusedBatchNorm', ins, [offset ? 1 : 0, scale ? 1 : 0], [a.varianceEpsilon as number]);
});

native.set('BatchMatMul', ({ a: x, b: y }, a, b) => b.run1('BatchMatMul', [x, y], [a.transposeA ? 1 : 0, a.transposeB ? 1 : 0]));
native.set('_FusedMatMul', ({ a: x, b: y, bias, preluActivationWeights: pr }, a, b) => {
  const act = ACTIVATIONS[(a.activation as string) ?? 'linear'];
  if (act === undefined) return null;
  const ins = [x, y, ...(bias ? [bias] : []), ...(pr ? [pr] : [])];
  return b.run1('BatchMatMul', ins, [a.transposeA ? 1 : 0, a.transposeB ? 1 : 0, act, bias ? 1 : 0, pr ? 1 : 0], [(a.leakyreluAlpha as number) ?? 0.2]);
});

const channelsLast = (a: Attrs) => a.dataFormat === undefined || a.dataFormat === 'NHWC' || a.dataFormat === 'channelsLast';
type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

/** Runs a conv-like native kernel and checks its output shape against TF.js's; a mismatch falls back. */
function checked(out: Info, expected: number[], b: AtenBackend): Info | null {
  if (sameShape(out.shape, expected)) return out;
  b.disposeIntermediateTensorInfo(out);
  return null;
}

native.set('Conv2D', ({ x, filter }, a, b) => {
  if (!channelsLast(a)) return null;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filter.shape as [number, number, number, number], a.strides as number,
    a.dilations as number, a.pad as Pad, a.dimRoundingMode as Rounding,
  );
  return checked(b.run1('Conv2D', [x, filter], convGeometry(info)), info.outShape, b);
});
native.set('FusedConv2D', ({ x, filter, bias, preluActivationWeights: pr }, a, b) => {
  const act = ACTIVATIONS[(a.activation as string) ?? 'linear'];
  if (!channelsLast(a) || act === undefined) return null;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filter.shape as [number, number, number, number], a.strides as number,
    a.dilations as number, a.pad as Pad, a.dimRoundingMode as Rounding,
  );
  const ins = [x, filter, ...(bias ? [bias] : []), ...(pr ? [pr] : [])];
  const ints = [...convGeometry(info), act, bias ? 1 : 0, pr ? 1 : 0];
  return checked(b.run1('Conv2D', ins, ints, [(a.leakyreluAlpha as number) ?? 0.2]), info.outShape, b);
});
// conv2d + bias (lib/engine/convBias.ts): FusedConv2D with a linear activation, whose native Conv2D puts the
// bias into the convolution.
native.set(CONV2D_BIAS, (inputs, a, b) => {
  const attrs = { ...a, activation: 'linear' };
  return native.get('FusedConv2D')!(inputs, attrs, b) ?? cpuFallback('FusedConv2D', inputs, attrs, b, 'these attributes have no native path');
});
native.set('DepthwiseConv2dNative', ({ x, filter }, a, b) => {
  if (!channelsLast(a)) return null;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filter.shape as [number, number, number, number], a.strides as number,
    a.dilations as number, a.pad as Pad, a.dimRoundingMode as Rounding, true,
  );
  return checked(b.run1('DepthwiseConv2dNative', [x, filter], convGeometry(info)), info.outShape, b);
});
native.set('Conv2DBackpropInput', ({ dy, filter }, a, b) => {
  if (!channelsLast(a)) return null;
  const inShape = a.inputShape as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(inShape, filter.shape as [number, number, number, number], a.strides as number, 1, a.pad as Pad, a.dimRoundingMode as Rounding);
  if (!sameShape(info.outShape, dy.shape)) return null;
  return checked(b.run1('Conv2DBackpropInput', [dy, filter], [...convGeometry(info), ...inShape]), inShape, b);
});
native.set('Conv2DBackpropFilter', ({ x, dy }, a, b) => {
  if (!channelsLast(a)) return null;
  const fShape = a.filterShape as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], fShape, a.strides as number, 1, a.pad as Pad, a.dimRoundingMode as Rounding);
  if (!sameShape(info.outShape, dy.shape)) return null;
  return checked(b.run1('Conv2DBackpropFilter', [x, dy], [...convGeometry(info), ...fShape]), fShape, b);
});
native.set('DepthwiseConv2dNativeBackpropInput', ({ dy, filter }, a, b) => {
  const inShape = a.inputShape as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(inShape, filter.shape as [number, number, number, number], a.strides as number, a.dilations as number, a.pad as Pad, a.dimRoundingMode as Rounding, true);
  if (!sameShape(info.outShape, dy.shape)) return null;
  return checked(b.run1('DepthwiseConv2dNativeBackpropInput', [dy, filter], [...convGeometry(info), ...inShape]), inShape, b);
});
native.set('DepthwiseConv2dNativeBackpropFilter', ({ x, dy }, a, b) => {
  const fShape = a.filterShape as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], fShape, a.strides as number, a.dilations as number, a.pad as Pad, a.dimRoundingMode as Rounding, true);
  if (!sameShape(info.outShape, dy.shape)) return null;
  return checked(b.run1('DepthwiseConv2dNativeBackpropFilter', [x, dy], [...convGeometry(info), ...fShape]), fShape, b);
});

function poolInfo(shape: number[], a: Attrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computePool2DInfo(
    shape as [number, number, number, number], a.filterSize as [number, number], a.strides as [number, number], 1, a.pad as Pad, a.dimRoundingMode as Rounding,
  );
}
native.set('MaxPool', ({ x }, a, b) => {
  const info = poolInfo(x.shape, a);
  return checked(b.run1('MaxPool', [x], poolGeometry(info)), info.outShape, b);
});
native.set('MaxPoolGrad', ({ dy, input }, a, b) => {
  const info = poolInfo(input.shape, a);
  if (!sameShape(info.outShape, dy.shape)) return null;
  return b.run1('MaxPoolGrad', [dy, input], poolGeometry(info));
});
native.set('AvgPool', ({ x }, a, b) => {
  const info = poolInfo(x.shape, a);
  return checked(b.run1('AvgPool', [x], poolGeometry(info)), info.outShape, b);
});
native.set('AvgPoolGrad', ({ dy, input }, a, b) => {
  const info = poolInfo(input.shape, a);
  if (!sameShape(info.outShape, dy.shape)) return null;
  return b.run1('AvgPoolGrad', [dy, input], poolGeometry(info));
});

/** Kernels with a native implementation (some hand particular attributes to the cpu fallback). */
export const NATIVE_KERNELS: readonly string[] = [...native.keys()];

let registered = false;

/**
 * Registers the native kernels for 'aten', and for every other kernel the cpu backend has, a wrapper that runs
 * it on copied data. Returns the names of the fallback kernels.
 */
export function registerAtenKernels(): string[] {
  const fallbacks: string[] = [];
  if (registered) return fallbacks;
  registered = true;
  for (const [name, body] of native) {
    tf.registerKernel({
      kernelName: name,
      backendName: BACKEND,
      kernelFunc: ({ inputs, attrs, backend }) => {
        const b = backend as AtenBackend;
        const r = body(inputs as Record<string, Info>, attrs ?? {}, b);
        return r ?? cpuFallback(name, inputs, attrs ?? {}, b, 'these attributes or dtypes have no native path');
      },
    });
  }
  for (const cfg of tf.getKernelsForBackend('cpu')) {
    if (native.has(cfg.kernelName) || tf.getKernel(cfg.kernelName, BACKEND)) continue;
    fallbacks.push(cfg.kernelName);
    tf.registerKernel({
      kernelName: cfg.kernelName,
      backendName: BACKEND,
      kernelFunc: ({ inputs, attrs, backend }) => cpuFallback(cfg.kernelName, inputs, attrs ?? {}, backend as AtenBackend, 'no native kernel'),
    });
  }
  return fallbacks;
}
