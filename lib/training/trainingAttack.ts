/**
 * The training attack shared by PGD-AT, ALP and TRADES (and their HE versions): the AT_HE code's PGD, resolved
 * once through the gradient-attack option family so that every option, `relStepsize` included, takes effect.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../models/classifier';
import type { GradientAttackOptions } from '../attacks/types';
import { PGD_DEFAULTS } from '../attacks/pgd';
import { resolveGradientOptions } from '../attacks/gradientDescent';

/**
 * The AT_HE training attack: l-inf eps 8/255, 10 steps of 0.007 (stated relative to eps, so that another eps
 * scales the step as the authors' per-dataset settings do), start at x + 0.001 N(0, I), eval-mode batch-norm.
 */
export const PGD_AT_ATTACK: GradientAttackOptions = { ...PGD_DEFAULTS, norm: 'linf', eps: 8 / 255, steps: 10, relStepsize: 0.007 / (8 / 255), randomStart: 'normal', startStd: 0.001 };

/**
 * The training attack's options: `opts` over {@link PGD_AT_ATTACK}, every option checked. The step is
 * `stepSize` where given, else `relStepsize * eps` (0.007 at 8/255 by default).
 * @example trainingAttack({ eps: 0.3 }) // steps 0.007 / (8/255) * 0.3 = 0.0823
 */
export function trainingAttack(opts: Partial<GradientAttackOptions> = {}): GradientAttackOptions {
  return resolveGradientOptions(PGD_AT_ATTACK, opts);
}

/**
 * Runs `fn` with the model's state variables (batch-norm running statistics: every named variable that is not
 * trainable) restored afterwards, so that a train-mode forward pass taken only for an input gradient does not
 * count as a second statistics update (FreeAT's reference takes that gradient from the training pass itself).
 */
export function keepingState<T>(model: Classifier, fn: () => T): T {
  const trainable = new Set(model.trainableVariables());
  const state = Object.values(model.namedVariables()).filter((v) => !trainable.has(v));
  const saved = state.map((v) => v.clone());
  try {
    return fn();
  } finally {
    state.forEach((v, i) => v.assign(saved[i]));
    tf.dispose(saved);
  }
}
