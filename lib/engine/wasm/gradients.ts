/**
 * Convolution gradients for every backend. TF.js's own Conv2D gradient refuses dilation > 1, and
 * Conv2DBackpropFilter has no gradient at all, so gradients of parameter gradients stop there. Both are
 * written here with forward ops only, so that they are differentiable again (double backprop) and run the
 * fast forward convolution wherever a backend has one.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;
interface ConvAttrs {
  strides: number | [number, number];
  pad: Pad;
  dataFormat: 'NHWC' | 'NCHW';
  dilations: number | [number, number];
  dimRoundingMode?: Rounding;
}
const pair = (v: number | [number, number]): [number, number] => (Array.isArray(v) ? v : [v, v]);

/**
 * dx of a dilated, stride-1 convolution: a forward convolution of dy with the flipped, transposed filter at
 * the same dilation, padded so that it lands back on the input grid. For y[p] = sum_i x[p + i*d - top] W[i],
 * dx[u] = sum_i dy[u + top - i*d] W[i]; flipping i turns the sum into a convolution with front padding
 * (k-1)*d - top.
 */
export function dilatedConvInputGrad(dy: tf.Tensor4D, filter: tf.Tensor4D, inputShape: number[], attrs: ConvAttrs): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw] = filter.shape;
    const [dh, dw] = pair(attrs.dilations);
    const info = tf.backend_util.computeConv2DInfo(inputShape as [number, number, number, number], filter.shape, 1, [dh, dw], attrs.pad, attrs.dimRoundingMode);
    const { top, left, bottom, right } = info.padInfo;
    const ekh = (kh - 1) * dh + 1;
    const ekw = (kw - 1) * dw + 1;
    const wT = tf.reverse(filter, [0, 1]).transpose([0, 1, 3, 2]) as tf.Tensor4D;
    const pads: tf.backend_util.ExplicitPadding = [[0, 0], [ekh - 1 - top, ekh - 1 - bottom], [ekw - 1 - left, ekw - 1 - right], [0, 0]];
    return tf.conv2d(dy, wT, 1, pads, 'NHWC', [dh, dw]);
  });
}

/**
 * dW of a dilated, stride-1 convolution: dW[i,j] = sum_{n,p,q} x[n, p + i*d - top, q + j*d - left] dy[n,p,q],
 * a forward convolution of x (batch and channels swapped) with dy as the filter, stepping by the dilation.
 */
export function dilatedConvFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: [number, number, number, number], attrs: ConvAttrs): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw, ci, co] = filterShape;
    const [dh, dw] = pair(attrs.dilations);
    const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, 1, [dh, dw], attrs.pad, attrs.dimRoundingMode);
    const { top, left } = info.padInfo;
    const [, h, w] = x.shape;
    const [, oh, ow] = dy.shape;
    // Enough bottom/right padding for k output rows; the rows past k are sliced off.
    const bottom = Math.max(0, (kh - 1) * dh + oh - h - top);
    const right = Math.max(0, (kw - 1) * dw + ow - w - left);
    const xT = x.transpose([3, 1, 2, 0]) as tf.Tensor4D; // [Ci, H, W, N]
    const dyT = dy.transpose([1, 2, 0, 3]) as tf.Tensor4D; // [OH, OW, N, Co]
    const out = tf.conv2d(xT, dyT, [dh, dw], [[0, 0], [top, bottom], [left, right], [0, 0]]); // [Ci, >=KH, >=KW, Co]
    return out.slice([0, 0, 0, 0], [ci, kh, kw, co]).transpose([1, 2, 0, 3]) as tf.Tensor4D;
  });
}

/** Conv2D gradient: TF.js's for dilation 1, the forward-convolution forms above for dilation > 1. */
const conv2DGrad: tf.GradConfig = {
  kernelName: 'Conv2D',
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const a = attrs as unknown as ConvAttrs;
    const g = dy as tf.Tensor4D;
    const [dh, dw] = pair(a.dilations);
    if (dh === 1 && dw === 1) {
      return {
        x: () => conv2dBackpropInput(g, filter, x.shape, a),
        filter: () => conv2dBackpropFilter(x, g, filter.shape, a),
      };
    }
    if (a.dataFormat === 'NCHW') throw new Error('Conv2D gradient (robustlab): dilation > 1 needs NHWC');
    const [sh, sw] = pair(a.strides);
    if (sh !== 1 || sw !== 1) throw new Error('Conv2D gradient (robustlab): dilation > 1 needs stride 1');
    return {
      x: () => dilatedConvInputGrad(g, filter, x.shape, a),
      filter: () => dilatedConvFilterGrad(x, g, filter.shape, a),
    };
  },
};

/** Runs the Conv2DBackpropInput kernel through the engine (keeps dataFormat, which tf.conv2dTranspose drops). */
function conv2dBackpropInput(dy: tf.Tensor4D, filter: tf.Tensor4D, inputShape: number[], a: Omit<ConvAttrs, 'dilations'>): tf.Tensor4D {
  const attrs = { strides: a.strides, pad: a.pad, dataFormat: a.dataFormat, dimRoundingMode: a.dimRoundingMode, inputShape };
  return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/** Runs the Conv2DBackpropFilter kernel through the engine, so that it is recorded on the tape. */
function conv2dBackpropFilter(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: [number, number, number, number], a: Omit<ConvAttrs, 'dilations'>): tf.Tensor4D {
  const attrs = { strides: a.strides, pad: a.pad, dataFormat: a.dataFormat, dimRoundingMode: a.dimRoundingMode, filterShape };
  return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/**
 * Conv2DBackpropFilter is bilinear in (x, dy): with ddW the incoming gradient, d/dx is the input gradient
 * of a convolution with filter ddW, and d/d(dy) is the forward convolution of x with ddW.
 */
const conv2DBackpropFilterGrad: tf.GradConfig = {
  kernelName: 'Conv2DBackpropFilter',
  inputsToSave: ['x', 'dy'],
  gradFunc: (ddw, saved, attrs) => {
    const [x, dy] = saved as [tf.Tensor4D, tf.Tensor4D];
    const a = attrs as unknown as ConvAttrs;
    const w = ddw as tf.Tensor4D;
    return {
      x: () => conv2dBackpropInput(dy, w, x.shape, a),
      dy: () => tf.conv2d(x, w, a.strides, a.pad as 'same', a.dataFormat === 'NCHW' ? 'NCHW' : 'NHWC', 1, a.dimRoundingMode),
    };
  },
};

let done: string[] | undefined;

/** Registers the Conv2D and Conv2DBackpropFilter gradients (all backends, once); returns their names. */
export function registerConvGradients(): string[] {
  if (done) return done;
  tf.registerGradient(conv2DGrad);
  tf.registerGradient(conv2DBackpropFilterGrad);
  done = ['Conv2D gradient', 'Conv2DBackpropFilter gradient'];
  return done;
}

