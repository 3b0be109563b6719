/**
 * The two PGD-40 protocols for label-augmented models (class-wise robustness gaps paper, Table 1). The paper's
 * evaluation (cleverhans, as REPRODUCTION.md reads the code) labels each input by the argmax over all K + M
 * logits and never clips to [0, 1]; the strong one attacks the true label through the first K logits inside the
 * image box. A gain that survives only the first protocol is an artefact of the extra output, not robustness.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../models/classifier';
import type { GradientAttackOptions } from '../attacks/types';
import { pgd } from '../attacks/pgd';
import { firstLogits } from '../models/firstLogits';

/** PGD-40 at l-inf eps 0.03, step 0.01, uniform start: the paper's evaluation attack. */
export const PGD40_CLASSWISE: Partial<GradientAttackOptions> = { norm: 'linf', eps: 0.03, steps: 40, stepSize: 0.01, randomStart: 'uniform' };

/** Which PGD-40 protocol: the paper's weak one or the strong one. */
export type AugmentedProtocol = 'paper' | 'strong';

/**
 * Adversarial inputs for a model with `numClasses` real classes (and possibly extra outputs) under `protocol`.
 * `'paper'`: labels = argmax over all outputs on the clean input, loss over all outputs, no [0, 1] clip.
 * `'strong'`: true labels, loss over the first K logits, clipped to [0, 1].
 * Accuracy is then measured on the first K logits against the true labels in both cases.
 * @param model the classifier (K or K + M outputs)
 * @param x inputs in [0, 1]
 * @param y true labels [N]
 * @param numClasses K
 */
export function augmentedPgd(
  model: Classifier,
  x: tf.Tensor,
  y: tf.Tensor1D,
  numClasses: number,
  protocol: AugmentedProtocol,
  opts: Partial<GradientAttackOptions> = {},
): tf.Tensor {
  const o = { ...PGD40_CLASSWISE, ...opts };
  if (protocol === 'strong') return pgd(firstLogits(model, numClasses), x, y, o);
  const labels = tf.tidy(() => model.apply(x).logits.argMax(1).toInt() as tf.Tensor1D);
  try {
    // No [0, 1] clip: bounds far outside any reachable value (the attack moves at most eps from x).
    return pgd(model, x, labels, { ...o, bounds: [-1e6, 1e6] });
  } finally {
    labels.dispose();
  }
}
