/**
 * Projected gradient descent (Madry et al., 2018) in l-inf, l2 and l1, and the momentum iterative method.
 * @module
 */
import type { GradientAttackOptions } from './types';
import { gradientDescentAttack } from './gradientDescent';

/**
 * PGD defaults: the TRADES / AT_HE evaluation protocol on CIFAR-10 (PGD-20, l-inf eps 8/255, step 0.003,
 * uniform random start, one restart, cross-entropy on the raw model output). The step scales with eps:
 * `relStepsize = 0.003 / (8/255)`. Bounds: the model's, else [0, 1].
 */
export const PGD_DEFAULTS: GradientAttackOptions = {
  norm: 'linf',
  eps: 8 / 255,
  steps: 20,
  relStepsize: 0.003 / (8 / 255),
  randomStart: 'uniform',
  startStd: 0.001,
  restarts: 1,
  targeted: false,
  seed: 0,
  earlyStop: false,
  decay: 0,
};

/**
 * PGD attack: adversarial inputs within the eps-ball around `x` and within the bounds; `pgd.record(...)`
 * gives the {@link AttackResult} (success, norms) of the same run.
 * @example const xAdv = pgd(model, x, y, { eps: 0.3, steps: 40, stepSize: 0.01 });
 */
export const pgd = gradientDescentAttack('pgd', PGD_DEFAULTS);

/** MIM defaults: PGD-style loop with momentum decay 1.0 (Dong et al., 2018), 20 steps, no random start. */
export const MIM_DEFAULTS: GradientAttackOptions = { ...PGD_DEFAULTS, decay: 1.0, randomStart: false };

/**
 * Momentum iterative method (Dong et al., 2018); `mim.record(...)` for the record.
 * @example const xAdv = mim(model, x, y, { eps: 8 / 255, steps: 20 });
 */
export const mim = gradientDescentAttack('mim', MIM_DEFAULTS);
