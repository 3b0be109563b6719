/**
 * Standard (natural) training: mean cross-entropy on clean inputs.
 * @module
 */
import { crossEntropy } from '../losses/crossEntropy';
import type { TrainingMethod } from './method';
import type * as tf from '@tensorflow/tfjs-core';

/** Standard training. @example train(model, data, { method: standard() }) */
export function standard(): TrainingMethod {
  return {
    name: 'standard',
    outer: (ctx) => crossEntropy(ctx.clean().logits, ctx.y).mean() as tf.Scalar,
  };
}
