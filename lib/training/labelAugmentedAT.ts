/**
 * Adv+ of the class-wise robustness gaps paper: PGD adversarial training whose outer loss is the
 * label-augmentation loss (Eq. 3-4) with one extra output for the "PGD" transformation. The model has K + 1
 * outputs; it predicts with the first K ({@link firstLogits}).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TrainingMethod } from './method';
import type { GradientAttackOptions } from '../attacks/types';
import { pgd } from '../attacks/pgd';
import { firstLogits } from '../models/firstLogits';
import { labelAugmentationLoss } from '../losses/labelAugmentation';
import { assert } from '../engine/assert';
import { msgLabelAugmentation } from '../messages';

/**
 * The paper's training attack: PGD-10, l-inf eps 0.03 (Sec. 3). The step is not stated; 0.0075 = eps / 4, the
 * ratio of the paper's PGD-40 evaluation (cleverhans, eps 0.03, step 0.01 over 40 steps is a longer walk).
 */
export const LABEL_AUGMENTATION_ATTACK: Partial<GradientAttackOptions> = { norm: 'linf', eps: 0.03, steps: 10, stepSize: 0.0075, randomStart: 'uniform' };

/** Options of {@link labelAugmentedAT}. */
export interface LabelAugmentedATOptions extends Partial<GradientAttackOptions> {
  /** K, the number of real classes; the model must have K + 1 outputs. */
  numClasses: number;
  /** Weight of the transformation label (default 0.03, the paper's delta). */
  delta?: number;
  /**
   * Which logits the inner PGD maximises cross-entropy over: `'all'` K + 1 (default: the attack sees the model
   * as it is trained) or `'classes'` (the first K).
   */
  attackLogits?: 'all' | 'classes';
}

/**
 * Adv+: inner PGD on the true labels, outer loss `(1 - delta) CE(z, y) + delta CE(z, K)` on the adversarial
 * examples over all K + 1 logits.
 * @example train(model11, data, { method: labelAugmentedAT({ numClasses: 10 }) })
 */
export function labelAugmentedAT(opts: LabelAugmentedATOptions): TrainingMethod {
  const { numClasses, delta = 0.03, attackLogits = 'all', ...attack } = opts;
  const a: Partial<GradientAttackOptions> = { ...LABEL_AUGMENTATION_ATTACK, ...attack };
  if (attack.eps !== undefined && attack.stepSize === undefined) a.stepSize = attack.eps / 4;
  const la = { numClasses, numOps: 1, delta };
  return {
    name: 'Adv+ (label augmentation)',
    inner: (model, x, y, ctx) => {
      assert(model.numClasses === numClasses + 1, () => msgLabelAugmentation.labelAugmentedModel(numClasses, model.numClasses));
      const target = attackLogits === 'all' ? model : firstLogits(model, numClasses);
      return pgd(target, x, y, { ...a, seed: ctx.seed });
    },
    outer: (ctx) => tf.tidy(() => labelAugmentationLoss(ctx.adv().logits, ctx.y, 0, la).mean() as tf.Scalar),
  };
}
