/**
 * The metric shape: a model and labelled data in, a plain record out (RobustBench style), ready for tables
 * and plots.
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../models/classifier';

/** A metric over a labelled batch; `R` is a plain JSON-able record or number. */
export type Metric<R, O = Record<string, unknown>> = (model: Classifier, x: tf.Tensor, y: tf.Tensor1D, opts?: O) => Promise<R>;
