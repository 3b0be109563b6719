/**
 * Fast wasm kernels built from other wasm kernels. The wasm backend has no Conv2DBackpropFilter, and its
 * input gradient and transposed matrix products run slow generic loops, while its forward convolution and
 * plain matrix product run XNNPACK. So each gradient is rewritten as a forward convolution or a plain
 * product on transposed, flipped or zero-dilated operands.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';

type Info = tf.TensorInfo;
type Backend = tf.KernelBackend & { disposeData(id: object): boolean };

function call(name: string, inputs: Record<string, Info> | tf.NamedTensorInfoMap, attrs: Record<string, unknown>, backend: Backend, kernelFunc?: tf.KernelFunc): Info {
  const k = kernelFunc ?? tf.getKernel(name, 'wasm')?.kernelFunc;
  if (!k) throw new Error(`wasm kernel '${name}' is missing`);
  return k({ inputs: inputs as tf.NamedTensorInfoMap, attrs: attrs as tf.NamedAttrMap, backend }) as Info;
}

/** Runs `steps` and frees every intermediate but the returned one. */
function scoped(backend: Backend, f: (keep: (t: Info) => Info) => Info): Info {
  const made: Info[] = [];
  const out = f((t) => (made.push(t), t));
  for (const t of made) if (t !== out) backend.disposeData(t.dataId);
  return out;
}

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** dW as a forward convolution of x (batch and channels swapped) with dy as the filter. */
function conv2DBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): Info {
  const { x, dy } = args.inputs as { x: Info; dy: Info };
  const attrs = args.attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
  const backend = args.backend as Backend;
  if (attrs.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter (robustlab wasm): only NHWC is supported');
  const [kh, kw, ci, co] = attrs.filterShape;
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const { top, left } = info.padInfo;
  const [, h, w] = x.shape;
  const bottom = Math.max(0, kh + (info.outHeight - 1) * info.strideHeight - h - top);
  const right = Math.max(0, kw + (info.outWidth - 1) * info.strideWidth - w - left);
  return scoped(backend, (keep) => {
    const xT = keep(call('Transpose', { x }, { perm: [3, 1, 2, 0] }, backend)); // [Ci, H, W, N]
    const dyT = keep(call('Transpose', { x: dy }, { perm: [1, 2, 0, 3] }, backend)); // [OH, OW, N, Co]
    // The forward stride becomes the dilation of the dy-filter.
    let out = keep(
      call('Conv2D', { x: xT, filter: dyT }, { strides: [1, 1], pad: [[0, 0], [top, bottom], [left, right], [0, 0]], dataFormat: 'NHWC', dilations: [info.strideHeight, info.strideWidth] }, backend),
    ); // [Ci, KH', KW', Co]
    if (out.shape[1] !== kh || out.shape[2] !== kw) out = keep(call('Slice', { x: out }, { begin: [0, 0, 0, 0], size: [ci, kh, kw, co] }, backend));
    return keep(call('Transpose', { x: out }, { perm: [1, 2, 0, 3] }, backend));
  });
}

/** dx as a forward convolution of zero-dilated dy with the flipped, transposed filter. */
function makeConv2DBackpropInput(original: tf.KernelFunc) {
  return (args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): Info => {
    const { dy, filter } = args.inputs as { dy: Info; filter: Info };
    const attrs = args.attrs as unknown as ConvAttrs & { inputShape: [number, number, number, number] };
    const backend = args.backend as Backend;
    const [kh, kw] = filter.shape;
    const info = tf.backend_util.computeConv2DInfo(attrs.inputShape, filter.shape as [number, number, number, number], attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
    const { top, left } = info.padInfo;
    if (attrs.dataFormat === 'NCHW' || top > kh - 1 || left > kw - 1) return call('Conv2DBackpropInput', args.inputs, args.attrs, backend, original);
    const [n, h, w, ci] = attrs.inputShape;
    const [, oh, ow, co] = dy.shape;
    const sh = info.strideHeight;
    const sw = info.strideWidth;
    return scoped(backend, (keep) => {
      let d = dy;
      if (sh > 1 || sw > 1) {
        const r = keep(call('Reshape', { x: dy }, { shape: [n, oh, 1, ow, 1, co] }, backend));
        const p = keep(call('PadV2', { x: r }, { paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0 }, backend));
        d = keep(call('Reshape', { x: p }, { shape: [n, oh * sh, ow * sw, co] }, backend));
      }
      const flipped = keep(call('Reverse', { x: filter }, { dims: [0, 1] }, backend));
      const wT = keep(call('Transpose', { x: flipped }, { perm: [0, 1, 3, 2] }, backend)); // [KH, KW, Co, Ci]
      const pt = kh - 1 - top;
      const pl = kw - 1 - left;
      const pb = Math.max(0, h - d.shape[1] - pt + kh - 1);
      const pr = Math.max(0, w - d.shape[2] - pl + kw - 1);
      let out = keep(call('Conv2D', { x: d, filter: wT }, { strides: [1, 1], pad: [[0, 0], [pt, pb], [pl, pr], [0, 0]], dataFormat: 'NHWC', dilations: [1, 1] }, backend));
      if (out.shape[1] !== h || out.shape[2] !== w) out = keep(call('Slice', { x: out }, { begin: [0, 0, 0, 0], size: [n, h, w, ci] }, backend));
      return out;
    });
  };
}

/** Materialises transposed operands so that the XNNPACK product runs instead of the slow transposed loop. */
function makeBatchMatMul(original: tf.KernelFunc) {
  return (args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): Info => {
    const { a, b } = args.inputs as { a: Info; b: Info };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const backend = args.backend as Backend;
    if (!transposeA && !transposeB) return call('BatchMatMul', args.inputs, args.attrs, backend, original);
    const swap = (t: Info) => {
      const perm = t.shape.map((_, i) => i);
      const r = perm.length;
      [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
      return call('Transpose', { x: t }, { perm }, backend);
    };
    return scoped(backend, (keep) => {
      const a2 = transposeA ? keep(swap(a)) : a;
      const b2 = transposeB ? keep(swap(b)) : b;
      return call('BatchMatMul', { a: a2, b: b2 }, { ...args.attrs, transposeA: false, transposeB: false }, backend, original);
    });
  };
}

let registered: string[] | undefined;

/** Registers the kernels above for the wasm backend (once); returns their names. */
export function registerFastWasmKernels(): string[] {
  if (registered) return registered;
  const names: string[] = [];
  if (!tf.getKernel('Conv2DBackpropFilter', 'wasm')) {
    tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc });
    names.push('Conv2DBackpropFilter');
  }
  for (const [name, make] of [
    ['Conv2DBackpropInput', makeConv2DBackpropInput],
    ['BatchMatMul', makeBatchMatMul],
  ] as const) {
    const k = tf.getKernel(name, 'wasm');
    if (!k) continue;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: make(k.kernelFunc) as unknown as tf.KernelFunc, setupFunc: k.setupFunc, disposeFunc: k.disposeFunc });
    names.push(name);
  }
  registered = names;
  return names;
}
