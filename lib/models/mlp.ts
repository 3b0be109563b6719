/**
 * Multi-layer perceptron on vectors or flattened images.
 * @module
 */
import { ComposedClassifier, linearHead, type ModelOptions } from './compose';
import { ParamStore } from './params';
import { dense, flatten, relu, sequence, type Layer } from './layers';
import { checkPositiveInt, checkShapeDims } from '../tensor/validate';

/** Options of {@link mlp}. */
export interface MlpOptions extends ModelOptions {
  /** Shape of one input, e.g. [2] or [28, 28, 1]. */
  inputShape: number[];
  /** Widths of the hidden ReLU layers (default [32], the PAG toy's 2-32-2). */
  hidden?: number[];
}

/**
 * An MLP: flatten, hidden dense+ReLU layers, head. Features are the last hidden activations.
 * @example const model = mlp({ inputShape: [2], hidden: [32], numClasses: 2, seed: 0 });
 */
export function mlp(opts: MlpOptions): ComposedClassifier {
  const k = opts.numClasses ?? 10;
  checkPositiveInt(k, 'numClasses');
  checkShapeDims(opts.inputShape, 'inputShape');
  const p = new ParamStore(opts.seed ?? 0);
  const hidden = opts.hidden ?? [32];
  let d = opts.inputShape.reduce((a, b) => a * b, 1);
  const layers: Layer[] = [flatten];
  hidden.forEach((h, i) => {
    checkPositiveInt(h, `hidden[${i}]`);
    layers.push(dense(p, `fc${i}`, d, h), relu);
    d = h;
  });
  const head = (opts.head ?? linearHead)(p, d, k);
  return new ComposedClassifier('mlp', opts.inputShape, k, p, sequence(...layers), head, opts.normalize);
}
