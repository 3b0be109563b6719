/**
 * CIFAR ResNets (pre-activation-free "ResNet v1" as in the TRADES / AT_HE code: 3x3 stem, no max pool)
 * and Wide ResNets (WRN-depth-widen, as in Madry / TRADES).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ComposedClassifier, linearHead, type ModelOptions } from './compose';
import { ParamStore } from './params';
import { batchNorm, conv2d, globalAvgPool, relu, type Layer } from './layers';
import { checkPositiveInt } from '../tensor/validate';
import { assert } from '../engine/assert';

/** Options of {@link resnet18}. */
export interface ResNetOptions extends ModelOptions {
  /** Shape of one image (default [32, 32, 3]). */
  inputShape?: number[];
  /** Channels of the first stage (default 64); stages use w, 2w, 4w, 8w. */
  width?: number;
  /** Residual blocks per stage (default [2, 2, 2, 2]: ResNet-18). */
  blocks?: number[];
}

function basicBlock(p: ParamStore, name: string, inC: number, outC: number, stride: number): Layer {
  const c1 = conv2d(p, `${name}.conv1`, inC, outC, 3, { stride });
  const b1 = batchNorm(p, `${name}.bn1`, outC);
  const c2 = conv2d(p, `${name}.conv2`, outC, outC, 3);
  const b2 = batchNorm(p, `${name}.bn2`, outC);
  const proj = stride !== 1 || inC !== outC ? [conv2d(p, `${name}.shortcut`, inC, outC, 1, { stride }), batchNorm(p, `${name}.shortcutBn`, outC)] : undefined;
  return (x, t) => {
    const h = b2(c2(tf.relu(b1(c1(x, t), t)), t), t);
    const s = proj ? proj[1](proj[0](x, t), t) : x;
    return tf.relu(h.add(s));
  };
}

/**
 * CIFAR ResNet-18 (11M parameters at width 64).
 * @example const model = resnet18({ numClasses: 10, width: 16, seed: 0 });
 */
export function resnet18(opts: ResNetOptions = {}): ComposedClassifier {
  const inputShape = opts.inputShape ?? [32, 32, 3];
  const w = opts.width ?? 64;
  const k = opts.numClasses ?? 10;
  checkPositiveInt(w, 'width');
  checkPositiveInt(k, 'numClasses');
  const blocks = opts.blocks ?? [2, 2, 2, 2];
  const p = new ParamStore(opts.seed ?? 0);
  const stem = conv2d(p, 'stem', inputShape[2], w, 3);
  const stemBn = batchNorm(p, 'stemBn', w);
  const layers: Layer[] = [];
  let c = w;
  blocks.forEach((n, s) => {
    const outC = w * 2 ** s;
    for (let b = 0; b < n; b++) {
      layers.push(basicBlock(p, `stage${s + 1}.block${b}`, c, outC, b === 0 && s > 0 ? 2 : 1));
      c = outC;
    }
  });
  const body: Layer = (x, t) => globalAvgPool(layers.reduce((h, l) => l(h, t), relu(stemBn(stem(x, t), t), t)), t);
  const head = (opts.head ?? linearHead)(p, c, k);
  return new ComposedClassifier(blocks.join('') === '2222' ? 'resnet18' : `resnet[${blocks}]`, inputShape, k, p, body, head, opts.normalize);
}

/** Options of {@link wideResnet}. */
export interface WideResNetOptions extends ModelOptions {
  /** Shape of one image (default [32, 32, 3]). */
  inputShape?: number[];
  /** Depth, 6n + 4 (default 34). */
  depth?: number;
  /** Widen factor (default 10). */
  widen?: number;
}

function wideBlock(p: ParamStore, name: string, inC: number, outC: number, stride: number): Layer {
  const bn1 = batchNorm(p, `${name}.bn1`, inC);
  const c1 = conv2d(p, `${name}.conv1`, inC, outC, 3, { stride });
  const bn2 = batchNorm(p, `${name}.bn2`, outC);
  const c2 = conv2d(p, `${name}.conv2`, outC, outC, 3);
  const short = inC !== outC || stride !== 1 ? conv2d(p, `${name}.shortcut`, inC, outC, 1, { stride }) : undefined;
  return (x, t) => {
    const a = tf.relu(bn1(x, t));
    const h = c2(tf.relu(bn2(c1(a, t), t)), t);
    return h.add(short ? short(a, t) : x);
  };
}

/**
 * Wide ResNet (pre-activation), WRN-34-10 by default as in Madry et al. and TRADES.
 * @example const model = wideResnet({ depth: 16, widen: 1 });
 */
export function wideResnet(opts: WideResNetOptions = {}): ComposedClassifier {
  const inputShape = opts.inputShape ?? [32, 32, 3];
  const depth = opts.depth ?? 34;
  const widen = opts.widen ?? 10;
  const k = opts.numClasses ?? 10;
  assert((depth - 4) % 6 === 0 && depth >= 10, () => `depth: must be 6n + 4 (10, 16, 22, 28, 34, ...), got ${depth}`);
  checkPositiveInt(widen, 'widen');
  const n = (depth - 4) / 6;
  const p = new ParamStore(opts.seed ?? 0);
  const widths = [16, 16 * widen, 32 * widen, 64 * widen];
  const stem = conv2d(p, 'stem', inputShape[2], widths[0], 3);
  const layers: Layer[] = [];
  let c = widths[0];
  for (let s = 0; s < 3; s++) {
    for (let b = 0; b < n; b++) {
      layers.push(wideBlock(p, `stage${s + 1}.block${b}`, c, widths[s + 1], b === 0 && s > 0 ? 2 : 1));
      c = widths[s + 1];
    }
  }
  const finalBn = batchNorm(p, 'finalBn', c);
  const body: Layer = (x, t) => globalAvgPool(tf.relu(finalBn(layers.reduce((h, l) => l(h, t), stem(x, t)), t)), t);
  const head = (opts.head ?? linearHead)(p, c, k);
  return new ComposedClassifier(`wrn-${depth}-${widen}`, inputShape, k, p, body, head, opts.normalize);
}
