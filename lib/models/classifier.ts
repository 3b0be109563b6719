/**
 * The classifier interface every model, attack, loss and metric works with.
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Bounds } from '../types';

/** Output of a forward pass. */
export interface Forward {
  /** Logits (or, for hypersphere heads, cosine scores), shape [batch, classes]. */
  logits: tf.Tensor2D;
  /** Penultimate features, shape [batch, featureDim]; heads and feature attacks use them. */
  features: tf.Tensor2D;
}

/** Options of a forward pass. */
export interface ForwardOptions {
  /**
   * Training mode: batch-norm uses batch statistics and updates its running averages. Attacks run with
   * `training: false` (the papers' code attacks with batch-norm in eval mode). Default false.
   */
  training?: boolean;
}

/**
 * A differentiable classifier on inputs in [0, 1]. Any input normalisation lives inside the model.
 * Parameters are `tf.Variable`s owned by the model; `dispose()` frees them.
 */
export interface Classifier {
  /** A short name for tables and checkpoints. */
  readonly name: string;
  /** Shape of one input, without the batch: [H, W, C] for images, [D] for vectors. */
  readonly inputShape: readonly number[];
  /** Number of classes (width of the logits). */
  readonly numClasses: number;
  /** Valid input range, where it is not [0, 1]; attacks take their bounds from here unless told otherwise. */
  readonly bounds?: Bounds;
  /** Forward pass returning logits and penultimate features. Differentiable in inputs and parameters. */
  apply(x: tf.Tensor, opts?: ForwardOptions): Forward;
  /** Trainable parameters, in a fixed order. */
  trainableVariables(): tf.Variable[];
  /** Every variable (trainable and state such as batch-norm statistics) by a stable name, for checkpoints. */
  namedVariables(): Record<string, tf.Variable>;
  /** Frees the parameters. */
  dispose(): void;
}

/** Logits of `model` on `x` (no training mode). */
export function logitsOf(model: Classifier, x: tf.Tensor, opts?: ForwardOptions): tf.Tensor2D {
  return model.apply(x, opts).logits;
}
