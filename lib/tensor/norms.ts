/**
 * Per-example lp norms and projections onto lp balls and boxes (the geometry of threat models).
 * Tensors are batches: the first axis is the example, the norm runs over all other axes.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Norm } from '../types';
import { NORMS, checkBounds, checkNonNegative, checkOneOf, checkSameShape } from './validate';

const flat = (t: tf.Tensor): tf.Tensor2D => t.reshape([t.shape[0], -1]);

/** Per-example lp norm of a batch, shape [N]. */
export function lpNorm(t: tf.Tensor, norm: Norm): tf.Tensor1D {
  checkOneOf(norm, NORMS, 'norm');
  return tf.tidy(() => {
    const f = flat(t);
    if (norm === 'linf') return f.abs().max(1) as tf.Tensor1D;
    if (norm === 'l1') return f.abs().sum(1) as tf.Tensor1D;
    // sqrt has an infinite derivative at 0; the epsilon keeps double backprop finite.
    return f.square().sum(1).add(1e-24).sqrt() as tf.Tensor1D;
  });
}

/** Broadcasts a per-example [N] vector against a batch of shape `shape`. */
export function perExample(v: tf.Tensor1D, shape: readonly number[]): tf.Tensor {
  return v.reshape([shape[0], ...shape.slice(1).map(() => 1)]);
}

/** Euclidean projection of each example of `delta` onto the l1 ball of radius eps (Duchi et al., 2008). */
function projectL1(delta: tf.Tensor, eps: number): tf.Tensor {
  return tf.tidy(() => {
    const f = flat(delta);
    const [n, d] = f.shape;
    const a = f.abs();
    const inside = a.sum(1).lessEqual(eps);
    const sorted = tf.topk(a, d).values; // descending
    const cs = sorted.cumsum(1);
    const ks = tf.range(1, d + 1).reshape([1, d]);
    // rho = number of k with sorted_k > (cumsum_k - eps) / k
    const cond = sorted.sub(cs.sub(eps).div(ks)).greater(0).cast('float32');
    const rho = cond.sum(1).maximum(1);
    const idx = rho.sub(1).cast('int32');
    const csAtRho = tf.gatherND(cs, tf.stack([tf.range(0, n, 1, 'int32'), idx], 1)) as tf.Tensor1D;
    const theta = csAtRho.sub(eps).div(rho).maximum(0).reshape([n, 1]);
    const proj = f.sign().mul(a.sub(theta).maximum(0));
    return tf.where(inside.reshape([n, 1]).tile([1, d]), f, proj).reshape(delta.shape);
  });
}

/** Projects each example of `delta` onto the `norm` ball of radius `eps`. Points inside stay put. */
export function projectBall(delta: tf.Tensor, norm: Norm, eps: number): tf.Tensor {
  checkOneOf(norm, NORMS, 'norm');
  checkNonNegative(eps, 'eps');
  return tf.tidy(() => {
    if (norm === 'linf') return delta.clipByValue(-eps, eps);
    if (norm === 'l2') {
      const n = lpNorm(delta, 'l2');
      const factor = tf.minimum(1, tf.div(eps, n.add(1e-12)));
      return delta.mul(perExample(factor as tf.Tensor1D, delta.shape));
    }
    return projectL1(delta, eps);
  });
}

/** Projects `xAdv` onto the intersection of the ball around `x` and the box `[lo, hi]`. */
export function projectThreat(xAdv: tf.Tensor, x: tf.Tensor, norm: Norm, eps: number, lo: number, hi: number): tf.Tensor {
  checkBounds([lo, hi], '[lo, hi]');
  checkSameShape(x, xAdv, 'x', 'xAdv');
  return tf.tidy(() => x.add(projectBall(xAdv.sub(x), norm, eps)).clipByValue(lo, hi));
}
