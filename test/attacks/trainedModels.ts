/** Tiny trained models shared by the attack tests (not a test file: no `.test` suffix). */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../lib/engine/seed';
import { smallCnn } from '../../lib/models/smallCnn';
import { train } from '../../lib/training/trainer';
import { halves } from '../helpers/fixtures';
import type { Classifier } from '../../lib/models/classifier';

/**
 * Four-class 8x8x1 images: class c is brighter in quadrant c (top-left, top-right, bottom-left,
 * bottom-right), plus noise, in [0, 1]. DLR and APGD-T need more than two classes.
 */
export function quadrants(n: number, seed = 0, contrast = 0.3): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const r = new Rng(seed);
  const x = new Float32Array(n * 64);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 4;
    for (let h = 0; h < 8; h++)
      for (let w = 0; w < 8; w++) {
        const q = (h < 4 ? 0 : 2) + (w < 4 ? 0 : 1);
        const base = 0.5 + (q === y[i] ? contrast : -contrast / 3) / 2;
        x[i * 64 + h * 8 + w] = Math.min(1, Math.max(0, base + 0.15 * r.normal()));
      }
  }
  return { x: tf.tensor4d(x, [n, 8, 8, 1]), y: tf.tensor1d(y, 'int32') };
}

/** A small CNN trained on {@link halves} (two classes), as in test/attacks/attacks.test.ts. */
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
