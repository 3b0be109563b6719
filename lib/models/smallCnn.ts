/**
 * The small CNN of the benchmarks and quick profiles: conv3x3-c1, ReLU, maxpool 2, conv3x3-c2, ReLU,
 * maxpool 2, optional dense hidden layer, head. Each ReLU runs after its pool: ReLU is monotone, so
 * relu(maxpool(x)) equals maxpool(relu(x)) value for value, and so do their gradients (a window whose maximum is
 * not positive passes no gradient either way), while the ReLU and its gradient touch a quarter of the values
 * (a PGD step on CIFAR-10 batches: about 2 ms less of 22 on aten).
 * @module
 */
import { ComposedClassifier, linearHead, type ModelOptions } from './compose';
import { ParamStore } from './params';
import { conv2d, dense, flatten, maxPool, relu, sequence, type Layer } from './layers';
import { checkPositiveInt, checkShapeDims } from '../tensor/validate';

/** Options of {@link smallCnn}. */
export interface SmallCnnOptions extends ModelOptions {
  /** Shape of one image [H, W, C] (default [32, 32, 3]). */
  inputShape?: number[];
  /** Channels of the two conv layers (default [32, 64]). */
  channels?: [number, number];
  /** Width of a dense ReLU layer before the head; 0 for none (default 0). */
  hidden?: number;
}

/**
 * @example const model = smallCnn({ inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
 */
export function smallCnn(opts: SmallCnnOptions = {}): ComposedClassifier {
  const inputShape = opts.inputShape ?? [32, 32, 3];
  const [c1, c2] = opts.channels ?? [32, 64];
  const k = opts.numClasses ?? 10;
  checkPositiveInt(k, 'numClasses');
  checkShapeDims(inputShape, 'inputShape', 3);
  const p = new ParamStore(opts.seed ?? 0);
  const [h, w, c] = inputShape;
  const layers: Layer[] = [
    conv2d(p, 'conv1', c, c1, 3, { bias: true }),
    maxPool(2),
    relu,
    conv2d(p, 'conv2', c1, c2, 3, { bias: true }),
    maxPool(2),
    relu,
    flatten,
  ];
  let d = Math.floor(h / 4) * Math.floor(w / 4) * c2;
  if (opts.hidden) {
    layers.push(dense(p, 'fc', d, opts.hidden), relu);
    d = opts.hidden;
  }
  const head = (opts.head ?? linearHead)(p, d, k);
  return new ComposedClassifier('smallCnn', inputShape, k, p, sequence(...layers), head, opts.normalize);
}
