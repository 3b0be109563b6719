/**
 * Fast gradient sign method (Goodfellow et al., 2015) and its l2 analogue (fast gradient method):
 * one step of size eps from the clean input.
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../models/classifier';
import type { GradientAttackOptions } from './types';
import { gradientAttack } from './gradientDescent';
import { PGD_DEFAULTS } from './pgd';

/** FGSM defaults: l-inf eps 8/255, one step of size eps, no random start. */
export const FGSM_DEFAULTS: GradientAttackOptions = { ...PGD_DEFAULTS, steps: 1, relStepsize: 1, randomStart: false };

/**
 * FGSM: `clip(x + eps * sign(grad))` (or the l2 / l1 step for other norms).
 * @example const xAdv = fgsm(model, x, y, { eps: 8 / 255 });
 */
export function fgsm(model: Classifier, x: tf.Tensor, y: tf.Tensor1D, opts: Partial<Pick<GradientAttackOptions, 'norm' | 'eps' | 'targeted' | 'loss' | 'bounds' | 'seed'>> = {}): tf.Tensor {
  return gradientAttack(model, x, y, FGSM_DEFAULTS, { ...opts, steps: 1, relStepsize: 1, stepSize: undefined, randomStart: false, restarts: 1 });
}
