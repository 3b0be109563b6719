/**
 * Fast adversarial training (Wong et al., 2020; locuslab/fast_adversarial `train_fgsm.py`) and its HE
 * version (Table 3 of Pang et al., NeurIPS 2020).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy } from '../losses/crossEntropy';
import { heAttackLoss, heCrossEntropy, type HeLossOptions } from '../losses/he';
import { pgd } from '../attacks/pgd';
import { cyclic, type Schedule } from './schedules';
import type { Bounds } from '../types';
import type { SgdOptions } from './sgd';
import type { TrainingMethod } from './method';

/** Options of {@link fastAT}. */
export interface FastATOptions {
  /** l-inf radius (default 8/255). */
  eps?: number;
  /** FGSM step (default 1.25 eps: 10/255 at 8/255; the reference's `alpha`). */
  stepSize?: number;
  /** Input bounds (default: the model's, else [0, 1]). */
  bounds?: Bounds;
  /**
   * Take the FGSM gradient in training mode, as the reference (batch-norm on batch statistics, running
   * averages updated by this pass and again by the training pass). Default true; false attacks in eval mode.
   */
  trainMode?: boolean;
  /** HE version: scale and margin of Eq. (6); the model must have a `hypersphereHead`. */
  he?: HeLossOptions;
}

/**
 * FastAT: delta ~ U(-eps, eps) clipped to the image range, one FGSM step of alpha, projection onto the
 * eps-box and the image range (the one gradient loop with `steps: 1, randomStart: 'uniform'`); outer CE on
 * the result, or Eq. (6) with HE (attack on Eq. (6) with m = 0). Pair it with {@link fastATSchedule} and
 * {@link fastATOptimizer}. The FGSM gradient is taken in training mode as in the reference (`trainMode`).
 * @example train(model, data, { method: fastAT({ eps: 0.3 }), schedule: fastATSchedule(15), optimizer: fastATOptimizer(), epochs: 15 })
 */
export function fastAT(opts: FastATOptions = {}): TrainingMethod {
  const eps = opts.eps ?? 8 / 255;
  const stepSize = opts.stepSize ?? 1.25 * eps;
  const trainMode = opts.trainMode ?? true;
  const he = opts.he;
  return {
    name: he ? 'FastAT+HE' : 'FastAT',
    inner: (model, x, y, ctx) =>
      pgd(model, x, y, { norm: 'linf', eps, steps: 1, stepSize, randomStart: 'uniform', restarts: 1, seed: ctx.seed, bounds: opts.bounds, trainMode, ...(he ? { loss: heAttackLoss({ s: he.s }) } : {}) }),
    outer: (ctx) => tf.tidy(() => (he ? heCrossEntropy(ctx.adv().logits, ctx.y, he) : crossEntropy(ctx.adv().logits, ctx.y)).mean() as tf.Scalar),
  };
}

/**
 * FastAT's cyclic learning rate (torch `CyclicLR` as the reference uses it): 0 -> `maxLr` at half the run -> 0.
 * `fastATSchedule(epochs)` uses the reference's max 0.2; `fastATSchedule(maxLr, epochs)` sets it.
 * @example fastATSchedule(15) // peaks at 0.2 at epoch 7.5
 */
export function fastATSchedule(maxLrOrEpochs: number, epochs?: number): Schedule {
  const [maxLr, n] = epochs === undefined ? [FAST_AT_MAX_LR, maxLrOrEpochs] : [maxLrOrEpochs, epochs];
  return cyclic(maxLr, n, 0.5);
}

/** The reference's peak learning rate (locuslab/fast_adversarial, CIFAR-10: `--lr-max 0.2`). */
export const FAST_AT_MAX_LR = 0.2;

/**
 * FastAT's optimiser as the reference: SGD, weight decay 5e-4, and momentum cycled inversely to the rate
 * between 0.9 (rate 0) and 0.8 (rate `maxLr`), as torch `CyclicLR` does by default (base_momentum 0.8,
 * max_momentum 0.9). Pair it with {@link fastATSchedule} of the same `maxLr`.
 * @example train(model, data, { method: fastAT(), schedule: fastATSchedule(15), optimizer: fastATOptimizer(), epochs: 15 })
 */
export function fastATOptimizer(maxLr = FAST_AT_MAX_LR): SgdOptions {
  return { lr: 0, momentum: 0.9, weightDecay: 5e-4, cycleMomentum: { base: 0.8, max: 0.9, maxLr } };
}
