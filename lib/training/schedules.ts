/**
 * Learning-rate schedules: functions of the fractional epoch (epoch + batch / batches).
 * @module
 */
import { msg } from '../messages';
import { checkNonNegative, checkPositive } from '../tensor/validate';

/** A schedule: learning rate at fractional epoch `t` (0-based). */
export type Schedule = (t: number) => number;

/** Constant rate. */
export const constant = (lr: number): Schedule => () => lr;

/**
 * Piecewise constant: `lr * factor^k` after the k-th milestone (AT_HE: 0.1, x0.1 at epochs 75 and 90).
 * Milestones are 0-based epochs: the decay at 75 starts the 76th epoch, one epoch later than the AT_HE
 * code's 1-based `if epoch >= 75` (harmless over 100 epochs; pass 74 to land where the code does).
 * @example piecewise(0.1, [75, 90], 0.1)
 */
export function piecewise(lr: number, milestones: number[], factor = 0.1): Schedule {
  checkNonNegative(lr, 'lr');
  checkNonNegative(factor, 'factor');
  milestones.forEach((m, i) => checkNonNegative(m, `milestones[${i}]`));
  return (t) => lr * factor ** milestones.filter((m) => t >= m).length;
}

/** Cosine annealing from `lr` to `minLr` over `epochs`. */
export function cosine(lr: number, epochs: number, minLr = 0): Schedule {
  checkNonNegative(lr, 'lr');
  checkPositive(epochs, 'epochs');
  checkNonNegative(minLr, 'minLr');
  return (t) => minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * Math.min(t, epochs) / epochs));
}

/**
 * Cyclic (triangular) rate: 0 -> `maxLr` at `epochs * peakAt`, back to 0 at `epochs` (FastAT: max 0.2).
 */
export function cyclic(maxLr: number, epochs: number, peakAt = 0.4): Schedule {
  checkNonNegative(maxLr, 'maxLr');
  checkPositive(epochs, 'epochs');
  if (!(peakAt > 0 && peakAt < 1)) throw new Error(msg.peakAt(peakAt));
  return (t) => {
    const u = Math.min(Math.max(t / epochs, 0), 1);
    return u <= peakAt ? (maxLr * u) / peakAt : (maxLr * (1 - u)) / (1 - peakAt);
  };
}

/**
 * `schedule` scaled by a linear warm-up over the first `epochs`: from `startFactor` of its rate at t = 0 to all
 * of it at t = `epochs` (PyTorch's `LinearLR(start_factor, total_iters)` before the main schedule). Small CNNs
 * under PGD-AT from scratch at eps 8/255 can stay at chance when the first steps run at the full rate (one seed in
 * three at lr 0.02 on 5,000 CIFAR-10 images; all three learnt with one epoch of warm-up).
 * @example linearWarmup(constant(0.02), 1)
 */
export function linearWarmup(schedule: Schedule, epochs: number, startFactor = 0.05): Schedule {
  checkPositive(epochs, 'epochs');
  if (!(startFactor > 0 && startFactor <= 1)) throw new Error(msg.startFactor(startFactor));
  return (t) => schedule(t) * Math.min(1, startFactor + ((1 - startFactor) * Math.max(t, 0)) / epochs);
}
