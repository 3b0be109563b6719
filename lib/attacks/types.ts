/**
 * One call shape for every attack, as in foolbox 3: `attack(model, x, y, options) -> adversarial inputs`, and
 * `attack.record(model, x, y, options) -> AttackResult` beside it (see `frame.ts`). Threat-model parameters
 * are explicit options.
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../models/classifier';
import type { Norm, Bounds } from '../types';
import type { ExampleLoss } from '../losses/types';

/** Options shared by gradient attacks. Defaults follow the papers (see each attack's TSDoc). */
export interface GradientAttackOptions {
  /** Norm of the threat model. */
  norm: Norm;
  /** Radius of the ball. */
  eps: number;
  /** Iterations. */
  steps: number;
  /** Absolute step size; when omitted `relStepsize * eps` (defaults never set it, so eps moves the step). */
  stepSize?: number;
  /** Step size relative to eps, used when `stepSize` is omitted. */
  relStepsize: number;
  /** Random start: `false`, `'uniform'` (in the ball), or `'normal'` (std `startStd`, as AT_HE's training attack). */
  randomStart: false | 'uniform' | 'normal';
  /** Std of a `'normal'` random start (default 0.001). */
  startStd: number;
  /** Random restarts; the worst case per example is kept. */
  restarts: number;
  /** Targeted mode: `y` are target labels and the attack minimises the loss towards them. */
  targeted: boolean;
  /** Seed of the random start. */
  seed: number;
  /** Objective maximised (minimised when targeted); default cross-entropy. */
  loss?: ExampleLoss;
  /** Input bounds (default: the model's, else [0, 1]). */
  bounds?: Bounds;
  /**
   * Forward passes in training mode (batch-norm on batch statistics, running averages updated), as FastAT's
   * reference takes its FGSM gradient (default false: the papers' evaluations attack in eval mode).
   */
  trainMode?: boolean;
  /** Stop moving an example once it is misclassified (or hits the target). Off for the papers' protocols. */
  earlyStop: boolean;
  /** Momentum decay (MIM); 0 for plain PGD. */
  decay: number;
}

/** An attack: model, inputs and labels in, adversarial inputs out (same shape as `x`, within the ball and bounds). */
export type Attack<O = Partial<GradientAttackOptions>> = (model: Classifier, x: tf.Tensor, y: tf.Tensor1D, opts?: O) => tf.Tensor;
