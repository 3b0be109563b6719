/**
 * A classifier as a feature extractor (body) followed by a head. Heads are swappable so that a
 * hypersphere head or any other can sit on any body.
 * @module
 */
import { checkInputShape } from '../tensor/validate';
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier, Forward, ForwardOptions } from './classifier';
import { ParamStore } from './params';
import { dense, type Layer } from './layers';

/** A head maps features [N, d] to logits [N, classes]. */
export type Head = (features: tf.Tensor2D, training: boolean) => tf.Tensor2D;

/** Builds a head's variables in `p` and returns the head. */
export type HeadBuilder = (p: ParamStore, featureDim: number, numClasses: number) => Head;

/** The usual linear head with bias. */
export const linearHead: HeadBuilder = (p, d, k) => {
  const fc = dense(p, 'head', d, k);
  return (f) => fc(f, false) as tf.Tensor2D;
};

/** Per-channel input normalisation that lives inside the model: (x - mean) / std. */
export interface InputNormalization {
  mean: number[];
  std: number[];
}

/** Options every model builder takes. */
export interface ModelOptions {
  /** Number of classes (default 10). */
  numClasses?: number;
  /** Seed of the initial weights (default 0). */
  seed?: number;
  /** Head on top of the features (default linear). */
  head?: HeadBuilder;
  /** Normalisation applied inside the model to inputs in [0, 1]. */
  normalize?: InputNormalization;
}

/** A {@link Classifier} made of a body layer and a head. */
export class ComposedClassifier implements Classifier {
  /**
   * @param name model name
   * @param inputShape shape of one input
   * @param numClasses classes
   * @param store the parameters of body and head
   * @param body inputs to features [N, d]
   * @param head features to logits
   * @param normalize optional input normalisation
   */
  constructor(
    readonly name: string,
    readonly inputShape: readonly number[],
    readonly numClasses: number,
    private readonly store: ParamStore,
    private readonly body: Layer,
    private readonly head: Head,
    private readonly normalize?: InputNormalization,
  ) {}

  apply(x: tf.Tensor, opts: ForwardOptions = {}): Forward {
    checkInputShape(x, this.inputShape, 'x');
    const training = opts.training ?? false;
    const n = this.normalize;
    const h = n ? x.sub(tf.tensor1d(n.mean)).div(tf.tensor1d(n.std)) : x;
    const features = this.body(h, training) as tf.Tensor2D;
    return { logits: this.head(features, training), features };
  }

  trainableVariables(): tf.Variable[] {
    return this.store.trainableVariables();
  }

  namedVariables(): Record<string, tf.Variable> {
    return this.store.named();
  }

  dispose(): void {
    this.store.dispose();
  }
}
