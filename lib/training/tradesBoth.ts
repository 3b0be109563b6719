/**
 * TRADES against two threat models at once, the 1NN paper's T_B_A (Hagai & Weiss, Sec. 4, item 6; the
 * authors' code, "both"): per step one l-inf and one l2 inner example, each maximising KL(p_nat || p_adv)
 * with p_nat held fixed, and the outer loss CE + beta KL_linf + beta KL_l2. The l2 inner steps are
 * normalised-gradient steps of 2 eps / K, projected onto the eps-ball and clamped to [0, 1].
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TrainingMethod } from './method';
import { pgd } from '../attacks/pgd';
import { crossEntropy, klDivergence } from '../losses/crossEntropy';

/** Options of {@link tradesBoth}. */
export interface TradesBothOptions {
  /** l-inf radius (default 8/255). */
  epsLinf?: number;
  /** l2 radius (default (8/255) sqrt(3072) = 1.74). */
  epsL2?: number;
  /** Inner steps K of each attack (default 10). */
  steps?: number;
  /** l-inf inner step (default 2/255, TRADES' 0.007). */
  stepLinf?: number;
  /** Weight beta of each KL term (default 6). */
  beta?: number;
}

/**
 * @example train(model, data, { method: tradesBoth({ steps: 5, beta: 6 }) })
 */
export function tradesBoth(opts: TradesBothOptions = {}): TrainingMethod {
  const epsLinf = opts.epsLinf ?? 8 / 255;
  const epsL2 = opts.epsL2 ?? (8 / 255) * Math.sqrt(3072);
  const steps = opts.steps ?? 10;
  const beta = opts.beta ?? 6;
  const stepLinf = opts.stepLinf ?? 2 / 255;
  return {
    name: 'TRADES-both',
    inner: (model, x, y, ctx) => {
      const nat = tf.tidy(() => model.apply(x, { training: false }).logits);
      try {
        const loss = (l: { logits: tf.Tensor2D }) => klDivergence(nat, l.logits);
        const common = { steps, randomStart: 'normal' as const, startStd: 0.001, seed: ctx.seed, loss };
        const a = pgd(model, x, y, { ...common, norm: 'linf', eps: epsLinf, stepSize: stepLinf });
        const b = pgd(model, x, y, { ...common, norm: 'l2', eps: epsL2, stepSize: (2 * epsL2) / steps });
        const both = tf.concat([a, b], 0);
        a.dispose();
        b.dispose();
        return both;
      } finally {
        nat.dispose();
      }
    },
    outer: (ctx) =>
      tf.tidy(() => {
        const c = ctx.clean().logits;
        const v = ctx.adv().logits;
        // Both KL means: the adversarial batch is [l-inf; l2], so the mean over 2B rows times 2 is their sum.
        const kl = klDivergence(tf.concat([c, c], 0) as tf.Tensor2D, v).mean().mul(2);
        return crossEntropy(c, ctx.y).mean().add(kl.mul(beta)) as tf.Scalar;
      }),
  };
}
