/**
 * Tiny trained models shared by the attack and metric tests (not a test file: no `.test` suffix). Each call
 * trains afresh; the caller owns the model and the data.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { smallCnn } from '../../lib/models/smallCnn';
import { train } from '../../lib/training/trainer';
import { halves, quadrants } from './fixtures';
import type { Classifier } from '../../lib/models/classifier';

/** A small CNN trained on {@link halves} (two classes). */
export async function trainedHalves(): Promise<{ model: Classifier; x: tf.Tensor4D; y: tf.Tensor1D }> {
  const d = halves(256, 1);
  const model = smallCnn({ inputShape: [8, 8, 1], channels: [4, 8], numClasses: 2, seed: 2 });
  await train(model, d, { epochs: 4, batchSize: 32, optimizer: { lr: 0.05, momentum: 0.9, weightDecay: 0 }, seed: 1 });
  return { model, ...d };
}

/** A small CNN trained on {@link quadrants} (four classes). */
export async function trainedQuadrants(): Promise<{ model: Classifier; x: tf.Tensor4D; y: tf.Tensor1D }> {
  const d = quadrants(256, 1);
  const model = smallCnn({ inputShape: [8, 8, 1], channels: [4, 8], numClasses: 4, seed: 3 });
  await train(model, d, { epochs: 5, batchSize: 32, optimizer: { lr: 0.05, momentum: 0.9, weightDecay: 0 }, seed: 1 });
  return { model, ...d };
}
