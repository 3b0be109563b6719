/**
 * A view of a classifier that keeps only its first K logits: how a label-augmented model (K classes plus M
 * transformation outputs, the class-wise gaps paper's Eq. 3-4) predicts, is evaluated and is attacked by the
 * strong protocol.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier, Forward, ForwardOptions } from './classifier';
import { assert } from '../engine/assert';
import { msgLabelAugmentation } from '../messages';

/**
 * The classifier `model` restricted to its first `k` logits. The view shares the model's variables and does
 * not own them: its `dispose()` does nothing; dispose the model itself.
 * @param model a classifier with at least `k` outputs
 * @param k number of real classes kept (K)
 * @example const clf = firstLogits(augmented, 10); // augmented has 11 outputs: 10 classes + "PGD"
 */
export function firstLogits(model: Classifier, k: number): Classifier {
  assert(Number.isInteger(k) && k >= 1 && k <= model.numClasses, () => msgLabelAugmentation.firstLogits(k, model.numClasses));
  if (k === model.numClasses) return model;
  return {
    name: `${model.name}[:${k}]`,
    inputShape: model.inputShape,
    numClasses: k,
    apply(x: tf.Tensor, opts?: ForwardOptions): Forward {
      const f = model.apply(x, opts);
      const logits = tf.tidy(() => f.logits.slice([0, 0], [-1, k]) as tf.Tensor2D);
      f.logits.dispose();
      return { logits, features: f.features };
    },
    trainableVariables: () => model.trainableVariables(),
    namedVariables: () => model.namedVariables(),
    dispose: () => undefined,
  };
}
