/**
 * Optimiser state as named records (optax's `scale_by_adam` and `trace`): `init` makes the state, `update`
 * maps a gradient and the state to an update (to be added to the parameters) and the next state. One Adam
 * serves C&W, the black-box attacks and anything else; the caller owns and disposes the state tensors.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';

/** Adam's hyperparameters (Kingma & Ba, 2015). */
export interface AdamOptions {
  /** Learning rate (step scale). */
  lr: number;
  /** First-moment decay (default 0.9). */
  beta1?: number;
  /** Second-moment decay (default 0.999). */
  beta2?: number;
  /** Denominator offset (default 1e-8). */
  eps?: number;
}

/** Adam's state: first and second moments and the step count (per coordinate where updates are masked). */
export interface AdamState {
  m: tf.Tensor;
  v: tf.Tensor;
  /** Steps taken: a number, or a tensor of per-coordinate counts for masked (coordinate-wise) updates. */
  count: number | tf.Tensor;
}

/** A fresh Adam state for parameters of `shape`; `perCoordinate` counts steps per coordinate (ZOO-ADAM). */
export function adamInit(shape: number[], perCoordinate = false): AdamState {
  return { m: tf.zeros(shape), v: tf.zeros(shape), count: perCoordinate ? tf.zeros(shape) : 0 };
}

/**
 * One Adam step: `m <- b1 m + (1 - b1) g`, `v <- b2 v + (1 - b2) g^2`, update `-lr m^ / (sqrt(v^) + eps)` with the
 * bias corrections `m^ = m / (1 - b1^t)`, `v^ = v / (1 - b2^t)`. With `mask` (0/1, the coordinates estimated
 * this step) only those coordinates move and count a step (ZOO's coordinate Adam); the state needs
 * per-coordinate counts then. Returns new tensors; the old state is not disposed.
 */
export function adamUpdate(grad: tf.Tensor, state: AdamState, opts: AdamOptions, mask?: tf.Tensor): { update: tf.Tensor; state: AdamState } {
  const b1 = opts.beta1 ?? 0.9;
  const b2 = opts.beta2 ?? 0.999;
  const eps = opts.eps ?? 1e-8;
  const out = tf.tidy(() => {
    let m = state.m.mul(b1).add(grad.mul(1 - b1));
    let v = state.v.mul(b2).add(grad.square().mul(1 - b2));
    if (typeof state.count === 'number') {
      const t = state.count + 1;
      const mh = m.div(1 - b1 ** t);
      const vh = v.div(1 - b2 ** t);
      return { update: mh.div(vh.sqrt().add(eps)).mul(opts.lr).neg(), m, v, count: undefined };
    }
    const on = mask ?? tf.onesLike(grad);
    m = tf.where(on.cast('bool'), m, state.m);
    v = tf.where(on.cast('bool'), v, state.v);
    const count = state.count.add(on);
    const t = count.maximum(1);
    const mh = m.div(tf.scalar(1).sub(tf.pow(b1, t)));
    const vh = v.div(tf.scalar(1).sub(tf.pow(b2, t)));
    return { update: mh.div(vh.sqrt().add(eps)).mul(opts.lr).neg().mul(on), m, v, count };
  });
  const count = typeof state.count === 'number' ? state.count + 1 : (out.count as tf.Tensor);
  return { update: out.update, state: { m: out.m, v: out.v, count } };
}

/** Frees an Adam state. */
export function adamDispose(state: AdamState): void {
  tf.dispose([state.m, state.v]);
  if (typeof state.count !== 'number') state.count.dispose();
}

/** Momentum (optax's `trace`): `b <- decay b + g`, the update is `b`; `undefined` state is the zero trace. */
export function momentumUpdate(grad: tf.Tensor, trace: tf.Tensor | undefined, decay: number): tf.Tensor {
  return tf.tidy(() => (trace ? trace.mul(decay).add(grad) : grad.clone()));
}
