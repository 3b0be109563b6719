/**
 * Small differentiable helpers TF.js lacks.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';

/** Identity in the forward pass, zero gradient in the backward pass (PyTorch's `.detach()`). */
export const stopGradient: (x: tf.Tensor) => tf.Tensor = tf.customGrad(((x: tf.Tensor) => ({
  value: x.clone(),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;

/**
 * Log-softmax over the last axis, differentiable to any order. `tf.logSoftmax` runs through a custom gradient
 * that reads its saved output, which TF.js's tape does not connect to the logits, so its second derivative
 * (cross-entropy's curvature, needed when training on input gradients) comes out wrong. Here it is
 * s - log(sum(exp(s))) with s = x - max(x) and the max held constant: the max cancels out of the value, so
 * holding it constant leaves every derivative exact and keeps the max's arg-max mask off the tape.
 */
export function logSoftmax(logits: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const s = tf.sub(logits, stopGradient(tf.max(logits, -1, true)));
    return tf.sub(s, tf.log(tf.sum(tf.exp(s), -1, true)));
  });
}
