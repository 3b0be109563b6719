/**
 * Label augmentation (Amerehi & Healy; the class-wise robustness gaps paper, Eq. 3-4): a model with K + M
 * outputs learns the class of a transformed input and, separately, which of M transformations made it. The
 * target is the concatenated soft label [(1 - delta) y, delta z_op]; the loss is its cross-entropy with the
 * softmax over all K + M outputs.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { logSoftmax } from '../tensor/ops';
import { assert } from '../engine/assert';
import { msg } from '../messages';

/** Options of {@link augmentedLabels} and {@link labelAugmentationLoss}. */
export interface LabelAugmentationOptions {
  /** K, the number of real classes. */
  numClasses: number;
  /** M, the number of transformation labels (default 1: the adversarial transformation "PGD"). */
  numOps?: number;
  /** delta, the weight of the transformation label (default 0.03, the paper's). */
  delta?: number;
}

function resolve(opts: LabelAugmentationOptions): { k: number; m: number; delta: number } {
  const k = opts.numClasses;
  const m = opts.numOps ?? 1;
  const delta = opts.delta ?? 0.03;
  assert(Number.isInteger(k) && k >= 1, () => msg.positiveInt('numClasses', k));
  assert(Number.isInteger(m) && m >= 1, () => msg.positiveInt('numOps', m));
  assert(Number.isFinite(delta) && delta >= 0 && delta <= 1, () => msg.range('delta', 0, 1, delta, delta));
  return { k, m, delta };
}

/**
 * The concatenated soft labels of Eq. 3, shape [N, K + M]: `(1 - delta)` at column `y[i]`, `delta` at column
 * `K + op`. `op = null` gives the plain one-hot label of an untransformed input.
 * @param y int labels [N] in [0, K)
 * @param op index of the transformation in [0, M), or null
 * @example augmentedLabels(tf.tensor1d([1], 'int32'), 0, { numClasses: 2 }) // [[0, 0.97, 0.03]]
 */
export function augmentedLabels(y: tf.Tensor1D, op: number | null, opts: LabelAugmentationOptions): tf.Tensor2D {
  const { k, m, delta } = resolve(opts);
  assert(op === null || (Number.isInteger(op) && op >= 0 && op < m), () => msg.labels('op', m, op ?? NaN, op ?? NaN));
  return tf.tidy(() => {
    const cls = tf.oneHot(y.toInt(), k + m).toFloat();
    if (op === null) return cls as tf.Tensor2D;
    const z = tf.oneHot(tf.fill([y.shape[0]], k + op, 'int32'), k + m).toFloat();
    return cls.mul(1 - delta).add(z.mul(delta)) as tf.Tensor2D;
  });
}

/**
 * Per-example cross-entropy with soft labels, `-sum_k t_k log softmax(z)_k` (Eq. 4), shape [N].
 * @param logits [N, C]
 * @param targets [N, C], rows summing to 1
 */
export function softCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Tensor1D {
  assert(logits.rank === 2 && targets.rank === 2 && logits.shape[0] === targets.shape[0] && logits.shape[1] === targets.shape[1], () =>
    msg.shape('targets', logits.shape, targets.shape),
  );
  return tf.tidy(() => logSoftmax(logits).mul(targets).sum(1).neg() as tf.Tensor1D);
}

/**
 * The label-augmentation loss of Eq. 4 per example: soft cross-entropy of all K + M logits against
 * {@link augmentedLabels}. Equals `(1 - delta) CE(z, y) + delta CE(z, K + op)`.
 * @param logits [N, K + M]
 * @param y int labels [N]
 * @param op the transformation index, or null for clean inputs
 */
export function labelAugmentationLoss(logits: tf.Tensor2D, y: tf.Tensor1D, op: number | null, opts: LabelAugmentationOptions): tf.Tensor1D {
  const { k, m } = resolve(opts);
  assert(logits.rank === 2 && logits.shape[1] === k + m, () => msg.shape('logits', [logits.shape[0], k + m], logits.shape));
  return tf.tidy(() => softCrossEntropy(logits, augmentedLabels(y, op, opts)));
}
