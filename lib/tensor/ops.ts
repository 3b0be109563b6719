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
