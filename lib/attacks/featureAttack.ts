/**
 * Feature attack (Sabour et al., 2016, "Adversarial manipulation of deep representations"; the feature
 * attack of the feature-scattering and hypersphere papers): PGD that pulls the penultimate features of each
 * input towards those of a guide example of another class, within the eps-ball.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradientAttackOptions } from './types';
import type { ExampleLoss } from '../losses/types';
import { gradientFamily, gradientLoop } from './gradientDescent';
import { defineAttack } from './frame';
import { PGD_DEFAULTS } from './pgd';
import { Rng } from '../engine/seed';

/** Feature-attack defaults: PGD-20 l-inf 8/255, step 0.003, uniform start (the PGD protocol), on the feature loss. */
export const FEATURE_ATTACK_DEFAULTS: GradientAttackOptions = { ...PGD_DEFAULTS };

/**
 * For each example, the index of a guide of another class in the batch, drawn with `seed`; an example whose
 * class fills the batch guides itself (its loss is then constant and it does not move).
 */
export function pickGuides(labels: ArrayLike<number>, seed: number): number[] {
  const rng = new Rng(seed);
  return Array.from(labels, (l) => {
    const others = Array.from({ length: labels.length }, (_, j) => j).filter((j) => labels[j] !== l);
    return others.length ? others[rng.int(others.length)] : -1;
  }).map((g, i) => (g < 0 ? i : g));
}

/**
 * Feature attack: maximises `-||phi(x') - phi(x_guide)||_2^2` with the gradient loop, `phi` the model's
 * penultimate features and `x_guide` an example of another class from the same batch (`loss` is ignored);
 * `featureAttack.record(...)` for the record.
 * @example const xAdv = featureAttack(model, x, y, { eps: 8 / 255, steps: 20 });
 */
export const featureAttack = defineAttack<GradientAttackOptions>({
  name: 'feature attack',
  family: gradientFamily(FEATURE_ATTACK_DEFAULTS),
  norm: (o) => o.norm,
  eps: (o) => o.eps,
  loop: (input) => {
    const { model, x, y, o } = input;
    const guides = pickGuides(y.dataSync(), o.seed);
    const target = tf.tidy(() => model.apply(tf.gather(x, tf.tensor1d(guides, 'int32')), { training: false }).features);
    const loss: ExampleLoss = (ctx) => ctx.features.sub(target).square().sum(1).neg() as tf.Tensor1D;
    try {
      return gradientLoop({ ...input, o: { ...o, loss, targeted: false } });
    } finally {
      target.dispose();
    }
  },
});
