/**
 * TRADES (Zhang et al., 2019) as in the authors' code and Table 1 of Pang et al. (NeurIPS 2020), with its HE
 * version.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy, klDivergence } from '../losses/crossEntropy';
import { heCrossEntropy, HE_DEFAULTS, type HeLossOptions } from '../losses/he';
import type { GradientAttackOptions } from '../attacks/types';
import { pgd } from '../attacks/pgd';
import { trainingAttack } from './trainingAttack';
import type { TrainingMethod } from './method';

/** Options of {@link trades}. */
export interface TradesOptions extends Partial<GradientAttackOptions> {
  /** beta = 1/lambda, weight of the KL term (default 6). */
  beta?: number;
  /** HE version: scale and margin of Eq. (6); the model must have a `hypersphereHead`. Default: plain TRADES. */
  he?: HeLossOptions;
}

/**
 * TRADES: inner PGD maximises sum_i KL(p_nat,i || p_adv,i) with p_nat computed once (eval mode) and held
 * fixed; outer loss CE(f(x), y) + beta * sum_i KL(p_nat,i || p_adv,i) / B with p_nat NOT detached (the
 * gradient flows through both sides, as `criterion_kl(log_softmax(adv), softmax(nat))` in the code).
 * HE version (Table 1): p = softmax(s cos theta) on both sides and the natural term is Eq. (6) with margin m.
 * @example train(model, data, { method: trades({ eps: 0.3, beta: 6 }) })
 */
export function trades(opts: TradesOptions = {}): TrainingMethod {
  const { beta = 6, he, ...attack } = opts;
  const a = trainingAttack(attack);
  // Softmax temperature of the KL term: s for HE (Table 1 uses S(s cos theta)), 1 otherwise.
  const scale = he ? (he.s ?? HE_DEFAULTS.s) : 1;
  return {
    name: he ? 'TRADES+HE' : 'TRADES',
    inner: (model, x, y, ctx) => {
      const nat = tf.tidy(() => model.apply(x, { training: false }).logits.mul(scale) as tf.Tensor2D);
      try {
        return pgd(model, x, y, { ...a, seed: ctx.seed, loss: (l) => klDivergence(nat, l.logits.mul(scale) as tf.Tensor2D) });
      } finally {
        nat.dispose();
      }
    },
    outer: (ctx) =>
      tf.tidy(() => {
        const c = ctx.clean().logits;
        const v = ctx.adv().logits;
        const natural = he ? heCrossEntropy(c, ctx.y, he).mean() : crossEntropy(c, ctx.y).mean();
        const robust = klDivergence(c.mul(scale) as tf.Tensor2D, v.mul(scale) as tf.Tensor2D).mean();
        return natural.add(robust.mul(beta)) as tf.Scalar;
      }),
  };
}
