/**
 * One-line read-outs of a classifier on a batch, for test assertions: predictions, per-example correctness,
 * accuracy and mean cross-entropy. Each runs in `tf.tidy`, so only the returned tensor (of {@link predict})
 * outlives the call; the inputs stay the caller's.
 */
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy } from '../../lib/losses/crossEntropy';
import type { Classifier } from '../../lib/models/classifier';

/** Predicted classes (argmax of the logits), shape [batch]; the caller disposes it. */
export function predict(m: Classifier, x: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => m.apply(x).logits.argMax(1) as tf.Tensor1D);
}

/** Per example, 1 where the prediction equals the label and 0 where it does not. */
export function correct(m: Classifier, x: tf.Tensor, y: tf.Tensor1D): number[] {
  return tf.tidy(() => Array.from(m.apply(x).logits.argMax(1).equal(y).dataSync()));
}

/** Fraction of the batch classified correctly. */
export function accuracy(m: Classifier, x: tf.Tensor, y: tf.Tensor1D): number {
  return tf.tidy(() => m.apply(x).logits.argMax(1).equal(y).mean().dataSync()[0]);
}

/** Mean cross-entropy of the logits against the labels. */
export function meanLoss(m: Classifier, x: tf.Tensor, y: tf.Tensor1D): number {
  return tf.tidy(() => crossEntropy(m.apply(x).logits, y).mean().dataSync()[0]);
}
