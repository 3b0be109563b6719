/**
 * Losses are plain functions of a context. Per-example losses come back as a vector and the caller reduces;
 * a training loss returns a scalar. A new loss is a few lines in a notebook.
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../models/classifier';

/** What a loss can look at. */
export interface LossContext {
  /** The model being trained or attacked. */
  model: Classifier;
  /** Inputs the logits were computed on. */
  x: tf.Tensor;
  /** Integer labels, shape [batch] (int32). */
  y: tf.Tensor1D;
  /** model(x) logits, [batch, classes]. */
  logits: tf.Tensor2D;
  /** model(x) penultimate features, [batch, d]. */
  features: tf.Tensor2D;
}

/** A per-example objective: returns a vector of length batch. Attacks maximise its sum. */
export type ExampleLoss = (ctx: LossContext) => tf.Tensor1D;

/** A training loss: returns a scalar. */
export type Loss = (ctx: LossContext) => tf.Scalar;
