/**
 * Free adversarial training (Shafahi et al., 2019; mahyarnajibi/FreeAdversarialTraining) and its HE version
 * (Table 3 of Pang et al., NeurIPS 2020).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ce, crossEntropy } from '../losses/crossEntropy';
import { heCrossEntropy, heLoss, type HeLossOptions } from '../losses/he';
import type { Bounds } from '../types';
import type { TrainingMethod } from './method';
import { keepingState } from './trainingAttack';
import { boundsOf } from '../attacks/frame';

/** Options of {@link freeAT}. */
export interface FreeATOptions {
  /** l-inf radius (default 8/255). */
  eps?: number;
  /** Replays m per minibatch (default 8, the CIFAR setting; 4 on ImageNet). */
  replays?: number;
  /** Noise step (default eps, the CIFAR code's `fgsm_step`). */
  stepSize?: number;
  /** Input bounds (default: the model's, else [0, 1]). */
  bounds?: Bounds;
  /**
   * Take the noise gradient from a training-mode pass, as the reference takes it from the replay's own
   * training pass (default true). Its batch-norm statistics update is undone, so that the replay's training
   * pass updates them once, as in the reference. false: an eval-mode pass.
   */
  trainMode?: boolean;
  /** HE version: scale and margin of Eq. (6); the model must have a `hypersphereHead`. */
  he?: HeLossOptions;
}

/** A FreeAT method: it owns the persistent noise. */
export interface FreeATMethod extends TrainingMethod {
  /** The current persistent noise (a copy; the caller disposes it), or undefined before the first batch. */
  noise(): tf.Tensor | undefined;
  /** Frees the noise. */
  dispose(): void;
}

/**
 * FreeAT: one noise tensor persists across minibatches; each of the `replays` steps on a batch trains on
 * clip(x + noise) and then moves the noise by `stepSize * sign(grad_noise L)`, clipped to [-eps, eps].
 *
 * The original takes the input gradient from the same backward pass as the weight gradient. Our trainer
 * returns weight gradients only, so `inner` of replay r computes the input gradient itself, on the current
 * model (the same parameters the outer step of replay r then uses) in training mode with the same batch
 * statistics (`trainMode`, its running-statistics update undone): the same noise sequence as the reference,
 * with or without batch-norm, at the cost of one extra forward/backward per replay.
 * The loss for the noise is the training loss (CE, or Eq. (6) with margin for HE), as in the original.
 * @example const m = freeAT({ eps: 0.3, replays: 4 }); await train(model, data, { method: m }); m.dispose();
 */
export function freeAT(opts: FreeATOptions = {}): FreeATMethod {
  const eps = opts.eps ?? 8 / 255;
  const step = opts.stepSize ?? eps;
  const he = opts.he;
  const trainMode = opts.trainMode ?? true;
  const inputLoss = he ? heLoss(he) : ce;
  let noise: tf.Tensor | undefined;
  return {
    name: he ? 'FreeAT+HE' : 'FreeAT',
    replays: opts.replays ?? 8,
    inner: (model, x, y) => {
      const [lo, hi] = boundsOf(model, opts.bounds);
      const n = x.shape[0];
      const sameRow = noise && noise.shape.slice(1).every((d, i) => d === x.shape[i + 1]);
      if (!noise || !sameRow || noise.shape[0] < n) {
        noise?.dispose();
        noise = tf.zeros(x.shape);
      }
      const all = noise;
      const [xAdv, next] = keepingState(model, () => tf.tidy(() => {
        // A last, smaller batch uses the leading rows, as the original's global_noise_data[0:B].
        const cur = n === all.shape[0] ? all : all.slice(0, n);
        const lossOf = (d: tf.Tensor) => {
          const xa = x.add(d).clipByValue(lo, hi);
          const f = model.apply(xa, { training: trainMode });
          return inputLoss({ model, x: xa, y, logits: f.logits, features: f.features }).sum() as tf.Scalar;
        };
        const g = tf.grad(lossOf)(cur);
        const moved = cur.add(g.sign().mul(step)).clipByValue(-eps, eps);
        const full = n === all.shape[0] ? moved : tf.concat([moved, all.slice(n)], 0);
        return [x.add(cur).clipByValue(lo, hi), full];
      }));
      all.dispose();
      noise = next;
      return xAdv;
    },
    outer: (ctx) => tf.tidy(() => (he ? heCrossEntropy(ctx.adv().logits, ctx.y, he) : crossEntropy(ctx.adv().logits, ctx.y)).mean() as tf.Scalar),
    noise: () => noise?.clone(),
    dispose: () => {
      noise?.dispose();
      noise = undefined;
    },
  };
}
