/**
 * Analytic classifiers for tests: models whose decision boundaries, distances or gradients are known in closed
 * form, so that a test can check an attack or an estimate against the exact answer. Each returns a
 * {@link Classifier} the caller owns and disposes.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../lib/engine/seed';
import { ComposedClassifier, linearHead, type HeadBuilder } from '../../lib/models/compose';
import { ParamStore } from '../../lib/models/params';
import type { Classifier } from '../../lib/models/classifier';

/**
 * A {@link ComposedClassifier} whose body is the identity (its features are x itself) and whose head, of
 * `W.length` inputs and `W[0].length` outputs, has its weights set to W and its bias, where it has one, to `b`
 * (default 0). With the default linear head the logits are exactly x W + b, so every input gradient, class
 * similarity (the columns of W) and loss is known by hand; `head` puts another head (e.g. a hypersphere head)
 * on the same inputs.
 */
export function linear(W: number[][], opts: { b?: number[]; head?: HeadBuilder; name?: string } = {}): ComposedClassifier {
  const { head = linearHead, name = 'linear' } = opts;
  const p = new ParamStore(0);
  const h = head(p, W.length, W[0].length);
  const named = p.named();
  if (opts.b && !named['head.b']) throw new Error('linear: this head has no bias to set');
  tf.tidy(() => {
    named['head.w'].assign(tf.tensor2d(W));
    if (named['head.b']) named['head.b'].assign(tf.tensor1d(opts.b ?? W[0].map(() => 0)));
  });
  return new ComposedClassifier(name, [W.length], W[0].length, p, (x) => x, h);
}

/**
 * The affine classifier Z = (x - centre) W, W of shape [inputs, classes]: {@link linear} with the bias
 * -centre * (column sums of W). Its boundaries are the hyperplanes (w_j - w_k).(x - centre) = 0 and its input
 * gradients are the constant columns of W, so the distance from x to the class-k region is
 * (Z_y - Z_k) / ||w_y - w_k||_dual (l2 for l2, l1 for l-inf), box ignored: exact references for minimum-norm
 * attacks. With the default centre 0.5 the boundaries cross the middle of the [0, 1] box.
 */
export function affine(W: number[][], opts: { centre?: number } = {}): Classifier {
  const { centre = 0.5 } = opts;
  return linear(W, { b: W[0].map((_, k) => 0 - centre * W.reduce((a, row) => a + row[k], 0)), name: 'affine' });
}

/**
 * A two-class {@link affine} model with one logit w.(x - centre) (class `logitClass`, default 1) and the other
 * logit 0. Its boundary is the hyperplane w.(x - centre) = 0, at distance |w.(x - centre)| / ||w||_2 in l2 and
 * / ||w||_1 in l-inf; against the other label the cross-entropy input gradient is sigmoid(w.(x - centre)) w,
 * signed as w.
 */
export function linearBinary(w: number[], opts: { centre?: number; logitClass?: 0 | 1 } = {}): Classifier {
  const { centre = 0.5, logitClass = 1 } = opts;
  return affine(w.map((v) => (logitClass === 1 ? [0, v] : [v, 0])), { centre });
}

/**
 * An {@link affine} model (centre 0.5) with W drawn from `scale` times a standard normal (row by row, seeded):
 * generic boundaries with known distances, for `classes` > 2. Returns W with it for the exact reference.
 */
export function randomAffine(seed: number, inputs: number, classes: number, scale = 3): { model: Classifier; W: number[][] } {
  const r = new Rng(seed);
  const W = Array.from({ length: inputs }, () => Array.from({ length: classes }, () => scale * r.normal()));
  return { model: affine(W), W };
}

/**
 * A two-class "model" whose margin is a known quadratic of the input: logits [q(x), 0] with
 * q(x) = sum_j a_j (x_j - c_j)^2, so the margin against label 0 is q and its gradient is 2 a (x - c). Central
 * differences are exact on it (gradient-estimate references); with a > 0 its minimum is c. No variables:
 * `dispose()` frees the constants a and c.
 */
export function quadratic(a: number[], c: number[]): Classifier {
  const at = tf.tensor1d(a);
  const ct = tf.tensor1d(c);
  return {
    name: 'quadratic',
    inputShape: [a.length],
    numClasses: 2,
    apply: (x: tf.Tensor) => {
      const q = x.sub(ct).square().mul(at).sum(1, true);
      return { logits: tf.concat([q, tf.zerosLike(q)], 1) as tf.Tensor2D, features: x as tf.Tensor2D };
    },
    trainableVariables: () => [],
    namedVariables: () => ({}),
    dispose: () => tf.dispose([at, ct]),
  };
}

/**
 * A linear two-class model on 8x8x1 images such as fixtures.ts's `halves`, logits +-scale * (mean of the left
 * half - mean of the right half): it decides as a trained one would, and `scale` sets its confidence. At scale
 * 60 a clean margin of 0.3 is 36 nats, so the cross-entropy gradient is about e^-36 * 60 / 32 = 4e-16 per pixel
 * (issue 13: far below the 1.19e-7 under which tfjs-backend-wasm 4.22's Sign returned 0).
 */
export function confidentLinear(scale: number): Classifier {
  const w = new Float32Array(64 * 2);
  for (let p = 0; p < 64; p++) {
    const left = p % 8 < 4 ? 1 : -1;
    w[p * 2] = (scale * left) / 32;
    w[p * 2 + 1] = (-scale * left) / 32;
  }
  const weights = tf.variable(tf.tensor2d(w, [64, 2]), false, 'confidentLinear/w');
  return {
    name: 'confidentLinear',
    inputShape: [8, 8, 1],
    numClasses: 2,
    apply: (x) => tf.tidy(() => {
      const features = x.reshape([x.shape[0], 64]) as tf.Tensor2D;
      return { logits: tf.matMul(features, weights) as tf.Tensor2D, features };
    }),
    trainableVariables: () => [weights],
    namedVariables: () => ({ w: weights }),
    dispose: () => weights.dispose(),
  };
}
