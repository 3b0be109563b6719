/**
 * SGD with momentum and weight decay, PyTorch semantics: g <- g + wd * w; b <- m * b + g; w <- w - lr * b.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkNonNegative } from '../tensor/validate';
import { sgdStep, sgdStepInPlace } from '../engine/sgdStep';

/** Options of {@link Sgd}. */
export interface SgdOptions {
  /** Learning rate (default 0.1, the papers' CIFAR recipe). */
  lr?: number;
  /** Momentum (default 0.9). */
  momentum?: number;
  /** L2 weight decay added to the gradient (default 2e-4, AT_HE's PGD-AT recipe). */
  weightDecay?: number;
  /**
   * Momentum cycled inversely to the learning rate, as torch `CyclicLR(cycle_momentum=True)`: `max` at rate
   * `baseLr` (default 0), `base` at rate `maxLr`, linear in between (both follow the same triangle). Default: fixed momentum.
   */
  cycleMomentum?: { base: number; max: number; maxLr: number; baseLr?: number };
}

/** SGD optimiser owning one momentum buffer per variable. */
export class Sgd {
  /** Current learning rate; schedules set it. */
  lr: number;
  /** Momentum factor. */
  readonly momentum: number;
  /** Weight decay. */
  readonly weightDecay: number;
  /** Momentum cycling, if any (see {@link SgdOptions}). */
  readonly cycleMomentum?: SgdOptions['cycleMomentum'];
  private readonly buffers = new Map<tf.Variable, tf.Variable>();

  /** @param opts see {@link SgdOptions} */
  constructor(opts: SgdOptions = {}) {
    this.lr = opts.lr ?? 0.1;
    this.momentum = opts.momentum ?? 0.9;
    this.weightDecay = opts.weightDecay ?? 2e-4;
    this.cycleMomentum = opts.cycleMomentum;
    checkNonNegative(this.lr, 'lr');
    checkNonNegative(this.momentum, 'momentum');
    checkNonNegative(this.weightDecay, 'weightDecay');
  }

  /** The momentum of the next step: fixed, or from the current rate under {@link SgdOptions.cycleMomentum}. */
  currentMomentum(): number {
    const c = this.cycleMomentum;
    if (!c) return this.momentum;
    const base = c.baseLr ?? 0;
    const x = c.maxLr === base ? 0 : Math.min(Math.max((this.lr - base) / (c.maxLr - base), 0), 1);
    return c.max - (c.max - c.base) * x;
  }

  /** Applies one update given gradients for some variables (by variable name). */
  apply(vars: tf.Variable[], grads: Record<string, tf.Tensor>): void {
    const momentum = this.currentMomentum();
    tf.tidy(() => {
      for (const v of vars) {
        const g = grads[v.name];
        if (!g) continue;
        const b = this.buffers.get(v);
        // In place where the backend can; with momentum the first step (which creates the buffer) cannot.
        if (sgdStepInPlace(v, g, momentum > 0 ? b : undefined, this.lr, momentum, this.weightDecay)) continue;
        const { value, buffer } = sgdStep(v, g, b, this.lr, momentum, this.weightDecay);
        if (buffer) {
          // PyTorch starts the buffer at the first gradient.
          if (b) b.assign(buffer);
          else this.buffers.set(v, tf.variable(buffer, false));
        }
        v.assign(value);
      }
    });
  }

  /** Momentum buffers by the name of their variable, for checkpoints. */
  state(): Map<tf.Variable, tf.Variable> {
    return this.buffers;
  }

  /** Replaces the buffer of `v` (checkpoint restore). */
  setBuffer(v: tf.Variable, value: tf.Tensor): void {
    const b = this.buffers.get(v);
    if (b) b.assign(value);
    else this.buffers.set(v, tf.variable(value, false));
  }

  /** Frees the buffers. */
  dispose(): void {
    for (const b of this.buffers.values()) b.dispose();
    this.buffers.clear();
  }
}
