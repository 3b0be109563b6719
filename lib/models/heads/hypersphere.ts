/**
 * The hypersphere-embedding (HE) head of Pang et al., "Boosting adversarial training with hypersphere
 * embedding" (NeurIPS 2020): feature normalisation (FN), weight normalisation (WN), no bias, so that the
 * output is cos(theta) (Eqs. 4-5). FN and WN switch off separately for the paper's ablation, and the m-HE
 * variant (Sec. 3.5) outputs -theta instead of cos(theta).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { HeadBuilder } from '../compose';
import { stopGradient } from '../../tensor/ops';

/** Options of {@link hypersphereHead}. */
export interface HypersphereHeadOptions {
  /** FN, Eq. (4): features z / ||z|| (differentiable). Default true. */
  featureNorm?: boolean;
  /** WN, Eq. (4): each class weight W_l / ||W_l||, the norm held constant in the backward pass. Default true. */
  weightNorm?: boolean;
  /**
   * m-HE (Sec. 3.5): output -theta = -arccos(cos theta) in radians instead of cos theta, so that softmax over
   * the output is S(-theta). Needs FN and WN. Default false.
   */
  angular?: boolean;
}

/** Keeps arccos away from +-1, where its derivative -1/sqrt(1 - c^2) is infinite. */
const ACOS_CLIP = 1e-6;
/** Added under the square root of ||z||: a zero feature vector (dead ReLUs) would give 0/0 in the gradient. */
const NORM_EPS = 1e-12;

/**
 * Row-wise l2 normalisation z / sqrt(||z||^2 + 1e-12), differentiable (FN, Eq. 4).
 * @example l2Normalize(tf.tensor2d([[3, 4]])) // [[0.6, 0.8]]
 */
export function l2Normalize(z: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => z.div(z.square().sum(1, true).add(NORM_EPS).sqrt()) as tf.Tensor2D);
}

/**
 * Column-wise (per class) weight normalisation W_l / ||W_l|| with no gradient through the norm (WN, Eq. 4):
 * the backward pass sees a constant rescaling, as the authors' code, which re-projects the weights in place.
 */
export function normalizeColumns(w: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => w.div(stopGradient(w.square().sum(0, true).add(NORM_EPS).sqrt())) as tf.Tensor2D);
}

/** Rescales the stored columns of `w` to unit norm in place (assign keeps its own reference to the new value). */
function project(w: tf.Variable): void {
  const unit = tf.tidy(() => normalizeColumns(w as unknown as tf.Tensor2D));
  w.assign(unit);
  unit.dispose();
}

/**
 * HE head as a {@link HeadBuilder}: logits = W~^T z~ = cos(theta) (Eq. 5), no bias; with `angular`, -theta
 * (m-HE). The scale s and margin m live in the loss ({@link heLoss}), never in the model, so attacks on the
 * raw output see cos theta at temperature 1.
 *
 * Weights start as PyTorch's linear default (uniform +-1/sqrt(d)) rescaled to unit columns. In training mode the
 * stored weights are projected back onto unit columns before use (the authors' `weight.data = normalize(...)`),
 * so weight decay and SGD steps never let the norms drift; in eval mode the head never writes its weights.
 * @param opts FN / WN / m-HE switches (defaults: FN and WN on, cos output)
 * @example const model = smallCnn({ inputShape: [28, 28, 1], hidden: 64, head: hypersphereHead() });
 */
export function hypersphereHead(opts: HypersphereHeadOptions = {}): HeadBuilder {
  const fn = opts.featureNorm ?? true;
  const wn = opts.weightNorm ?? true;
  const angular = opts.angular ?? false;
  if (angular && !(fn && wn)) throw new Error('hypersphereHead: angular (m-HE) output needs featureNorm and weightNorm, since theta is only defined for unit vectors');
  return (p, d, k) => {
    const w = p.fanInUniform('head.w', [d, k], d);
    // Unit columns from the start, so that the first forward passes already see cos theta scales.
    project(w);
    return (features, training) => {
      if (wn && training) project(w);
      const z = fn ? l2Normalize(features) : features;
      const wt = wn ? normalizeColumns(w as unknown as tf.Tensor2D) : (w as unknown as tf.Tensor2D);
      const cos = tf.matMul(z, wt) as tf.Tensor2D;
      if (!angular) return cos;
      return tf.acos(cos.clipByValue(-1 + ACOS_CLIP, 1 - ACOS_CLIP)).neg() as tf.Tensor2D;
    };
  };
}
