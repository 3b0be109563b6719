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
import type { TrainingMethod } from './method';

/** Options of {@link fastAT}. */
export interface FastATOptions {
  /** l-inf radius (default 8/255). */
  eps?: number;
  /** FGSM step (default 1.25 eps: 10/255 at 8/255). */
  alpha?: number;
  /** Input bounds (default [0, 1]). */
  bounds?: Bounds;
  /** HE version: scale and margin of Eq. (6); the model must have a `hypersphereHead`. */
  he?: HeLossOptions;
}

/**
 * FastAT: delta ~ U(-eps, eps) clipped to the image range, one FGSM step of alpha, projection onto the
 * eps-box and the image range (the one gradient loop with `steps: 1, randomStart: 'uniform'`); outer CE on
 * the result, or Eq. (6) with HE (attack on Eq. (6) with m = 0). Pair it with {@link fastATSchedule}.
 * The FGSM gradient is taken in eval mode (the original uses train mode; the same for models without batch-norm).
 * @example train(model, data, { method: fastAT({ eps: 0.3 }), schedule: fastATSchedule(0.2, 15), epochs: 15 })
 */
export function fastAT(opts: FastATOptions = {}): TrainingMethod {
  const eps = opts.eps ?? 8 / 255;
  const alpha = opts.alpha ?? 1.25 * eps;
  const he = opts.he;
  return {
    name: he ? 'FastAT+HE' : 'FastAT',
    inner: (model, x, y, ctx) =>
      pgd(model, x, y, { norm: 'linf', eps, steps: 1, stepSize: alpha, randomStart: 'uniform', restarts: 1, seed: ctx.seed, bounds: opts.bounds ?? [0, 1], ...(he ? { loss: heAttackLoss({ s: he.s }) } : {}) }),
    outer: (ctx) => tf.tidy(() => (he ? heCrossEntropy(ctx.adv().logits, ctx.y, he) : crossEntropy(ctx.adv().logits, ctx.y)).mean() as tf.Scalar),
  };
}

/** FastAT's cyclic learning rate: 0 -> `maxLr` at half the run -> 0 (default max 0.2, as the paper's code). */
export function fastATSchedule(maxLr: number, epochs: number): Schedule {
  return cyclic(maxLr, epochs, 0.5);
}
