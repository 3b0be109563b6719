/**
 * Fast gradient sign method (Goodfellow et al., 2015) and its l2 analogue (fast gradient method):
 * one step of size eps from the clean input.
 * @module
 */
import type { GradientAttackOptions } from './types';
import { GRADIENT_CHECKS, gradientLoop } from './gradientDescent';
import { defineAttack } from './frame';
import { PGD_DEFAULTS } from './pgd';

/** Options of {@link fgsm}: the threat model, the loss and the seed; the step is eps, one step, no random start. */
export type FgsmOptions = Pick<GradientAttackOptions, 'norm' | 'eps' | 'targeted' | 'loss' | 'bounds' | 'seed' | 'trainMode'>;

/** FGSM defaults: l-inf eps 8/255, one step of size eps, no random start. */
export const FGSM_DEFAULTS: GradientAttackOptions = { ...PGD_DEFAULTS, steps: 1, relStepsize: 1, randomStart: false };

/**
 * FGSM: `clip(x + eps * sign(grad))` (or the l2 / l1 step for other norms); `fgsm.record(...)` for the record.
 * @example const xAdv = fgsm(model, x, y, { eps: 8 / 255 });
 */
export const fgsm = defineAttack<FgsmOptions>({
  name: 'fgsm',
  family: { defaults: FGSM_DEFAULTS, checks: { norm: GRADIENT_CHECKS.norm, eps: GRADIENT_CHECKS.eps } },
  norm: (o) => o.norm,
  eps: (o) => o.eps,
  targeted: (o) => o.targeted,
  loop: (input) => gradientLoop({ ...input, o: { ...FGSM_DEFAULTS, ...input.o, steps: 1, relStepsize: 1, stepSize: undefined, randomStart: false, restarts: 1 } }),
});
