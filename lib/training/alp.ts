/**
 * Adversarial logit pairing (Kannan et al., 2018) as in Table 1 of Pang et al. (NeurIPS 2020), with the
 * attack replaced by untargeted PGD, and its HE version.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy } from '../losses/crossEntropy';
import { heAttackLoss, heCrossEntropy, type HeLossOptions } from '../losses/he';
import type { GradientAttackOptions } from '../attacks/types';
import { pgd } from '../attacks/pgd';
import { trainingAttack } from './trainingAttack';
import type { TrainingMethod } from './method';

/** Options of {@link alp}. */
export interface AlpOptions extends Partial<GradientAttackOptions> {
  /** Weight alpha of the clean term; the adversarial term gets 1 - alpha (default 0.5). */
  alpha?: number;
  /** Logit-pairing weight lambda (default 0.5, the paper's setting). */
  pairing?: number;
  /** HE version: scale and margin of Eq. (6); the model must have a `hypersphereHead`. Default: plain CE. */
  he?: HeLossOptions;
}

/**
 * ALP (Table 1): alpha * L(f(x), y) + (1 - alpha) * L(f(x*), y) + lambda * mean((f(x) - f(x*))^2), the square
 * averaged over B x C as in the TRADES-repo ALP code. L is CE, or Eq. (6) with HE, where the pairing acts on the
 * unscaled cos theta (W~^T (z~ - z~*)). x* is untargeted PGD on CE (on Eq. (6) with m = 0 for HE).
 * @example train(model, data, { method: alp({ eps: 0.3, steps: 10 }) })
 */
export function alp(opts: AlpOptions = {}): TrainingMethod {
  const { alpha = 0.5, pairing = 0.5, he, ...attack } = opts;
  const a = trainingAttack(attack);
  const lossOf = (logits: tf.Tensor2D, y: tf.Tensor1D) => (he ? heCrossEntropy(logits, y, he) : crossEntropy(logits, y));
  return {
    name: he ? 'ALP+HE' : 'ALP',
    inner: (model, x, y, ctx) => pgd(model, x, y, { ...a, seed: ctx.seed, ...(he ? { loss: heAttackLoss({ s: he.s }) } : {}) }),
    outer: (ctx) =>
      tf.tidy(() => {
        const c = ctx.clean().logits;
        const v = ctx.adv().logits;
        const natural = lossOf(c, ctx.y).mean().mul(alpha);
        const robust = lossOf(v, ctx.y).mean().mul(1 - alpha);
        const pair = c.sub(v).square().mean().mul(pairing);
        return natural.add(robust).add(pair) as tf.Scalar;
      }),
  };
}
