/**
 * Losses of hypersphere embedding (Pang et al., NeurIPS 2020): the margin cross-entropy of Eq. (6) on the
 * HE head's cos theta, its m-HE form on -theta (Sec. 3.5), and the adaptive attack objective (Sec. 4.1).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy } from './crossEntropy';
import type { ExampleLoss, Loss } from './types';

/** Scale and margin of the HE loss. */
export interface HeLossOptions {
  /** Scale s (temperature 1/s) inside the softmax, Eq. (6). */
  s?: number;
  /** Additive margin m subtracted from the true class's score, Eq. (6). */
  m?: number;
}

/** Paper values for HE on CIFAR-10 (Sec. 4): s = 15, m = 0.2. */
export const HE_DEFAULTS: Required<HeLossOptions> = { s: 15, m: 0.2 };
/** Paper values for m-HE (Appendix C.5): s = 15, m = 0.1. */
export const MHE_DEFAULTS: Required<HeLossOptions> = { s: 15, m: 0.1 };

/**
 * The margin logits s * (scores - m * onehot(y)) that Eq. (6) feeds to softmax, [N, K].
 * @param scores cos theta from the HE head (or -theta from the m-HE head), [N, K]
 */
export function heLogits(scores: tf.Tensor2D, labels: tf.Tensor1D, opts: HeLossOptions = {}): tf.Tensor2D {
  const { s, m } = { ...HE_DEFAULTS, ...opts };
  return tf.tidy(() => {
    const oh = tf.oneHot(labels.toInt(), scores.shape[1]).toFloat();
    return scores.sub(oh.mul(m)).mul(s) as tf.Tensor2D;
  });
}

/**
 * Per-example HE loss, Eq. (6): L_mCE = -log S(s * (cos theta - m * 1_y))_y, shape [N].
 *
 * On an m-HE model (head output -theta) the same expression is -log S(-s * (theta + m * 1_y))_y: the margin
 * is added to the true class's ANGLE (in radians), as ArcFace does, which is our choice where the paper is
 * silent. Use {@link MHE_DEFAULTS} (s 15, m 0.1) there.
 * @param opts s (default 15) and m (default 0.2)
 * @example heCrossEntropy(tf.tensor2d([[1, 0]]), tf.tensor1d([0], 'int32'), { s: 1, m: 0 }) // [log(1 + e^-1)]
 */
export function heCrossEntropy(scores: tf.Tensor2D, labels: tf.Tensor1D, opts: HeLossOptions = {}): tf.Tensor1D {
  return tf.tidy(() => crossEntropy(heLogits(scores, labels, opts), labels));
}

/**
 * Eq. (6) as an {@link ExampleLoss} on the context's logits (the HE head's cos theta).
 * @example pgdAT({ outerLoss: mean(heLoss({ s: 15, m: 0.2 })) })
 */
export function heLoss(opts: HeLossOptions = {}): ExampleLoss {
  return (ctx) => heCrossEntropy(ctx.logits, ctx.y, opts);
}

/**
 * m-HE training loss (Sec. 3.5, Appendix C.5): Eq. (6) on the m-HE head's -theta with s = 15, m = 0.1, i.e.
 * -log S(-s * (theta + m * 1_y))_y. The model must use `hypersphereHead({ angular: true })`.
 */
export function mheLoss(opts: HeLossOptions = {}): ExampleLoss {
  return heLoss({ ...MHE_DEFAULTS, ...opts });
}

/**
 * The HE attack objective: Eq. (6) with margin 0 as an
 * {@link ExampleLoss} for `pgd({ loss })`. It is the inner maximisation of every HE training method here; with
 * the training margin (`m: 0.2`) it is the paper's adaptive attack of Sec. 4.1. Table 1 writes the attack
 * loss L_A with HE as CE on S(cos theta), without a scale; the scale s comes from the authors' code, which
 * attacks CE on S(s cos theta).
 * @param opts s (default 15) and m (default 0)
 * @example pgd(model, x, y, { eps: 0.3, loss: heAttackLoss({ s: 15 }) })
 */
export function heAttackLoss(opts: HeLossOptions = {}): ExampleLoss {
  return heLoss({ s: opts.s ?? HE_DEFAULTS.s, m: opts.m ?? 0 });
}

/** Batch-mean HE loss (Eq. 6) for outer losses: `mean(heLoss(opts))`. */
export function heTrainingLoss(opts: HeLossOptions = {}): Loss {
  const l = heLoss(opts);
  return (ctx) => tf.tidy(() => l(ctx).mean() as tf.Scalar);
}

/**
 * The two losses that turn PGD-AT into PGD-AT + HE (Table 1): inner attack on Eq. (6) with m = 0, outer loss
 * Eq. (6) with margin, batch mean. Spread into `pgdAT`.
 * @example pgdAT({ eps: 0.3, ...heAT({ s: 15, m: 0.2 }) })
 */
export function heAT(opts: HeLossOptions = {}): { loss: ExampleLoss; outerLoss: Loss } {
  return { loss: heAttackLoss({ s: opts.s }), outerLoss: heTrainingLoss(opts) };
}
