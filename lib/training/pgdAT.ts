/**
 * PGD adversarial training (Madry et al., 2018), with the AT_HE training attack by default: start at
 * x + 0.001 N(0, I), 10 steps of 0.007 at eps 8/255, batch-norm in eval mode while attacking.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy } from '../losses/crossEntropy';
import type { Loss } from '../losses/types';
import type { TrainingMethod } from './method';
import type { GradientAttackOptions } from '../attacks/types';
import { pgd } from '../attacks/pgd';
import { PGD_AT_ATTACK, trainingAttack } from './trainingAttack';

export { PGD_AT_ATTACK };

/** Options of {@link pgdAT}. */
export interface PgdATOptions extends Partial<GradientAttackOptions> {
  /** Outer loss on the adversarial forward pass (default mean cross-entropy). */
  outerLoss?: Loss;
}

/**
 * PGD-AT: inner PGD maximising the loss, outer loss on the adversarial examples.
 * @example train(model, data, { method: pgdAT({ eps: 0.3, steps: 10, stepSize: 0.03 }) })
 */
export function pgdAT(opts: PgdATOptions = {}): TrainingMethod {
  const { outerLoss, ...attack } = opts;
  const a = trainingAttack(attack);
  return {
    name: 'PGD-AT',
    inner: (model, x, y, ctx) => pgd(model, x, y, { ...a, seed: ctx.seed }),
    outer: (ctx) => {
      if (outerLoss) {
        const f = ctx.adv();
        return outerLoss({ model: ctx.model, x: ctx.xAdv!, y: ctx.y, logits: f.logits, features: f.features });
      }
      return crossEntropy(ctx.adv().logits, ctx.y).mean() as tf.Scalar;
    },
  };
}
