/**
 * The gradient-norm ratio of Fig. 3 in Pang et al. (NeurIPS 2020): E(||grad_w L(x*)|| / ||grad_w L(x)||) per
 * parameter tensor, how much more an adversarial example than its clean counterpart drives each layer's update.
 * @module
 */
import { checkSameShape } from '../tensor/validate';
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../models/classifier';
import type { ExampleLoss } from '../losses/types';
import { ce } from '../losses/crossEntropy';

/** One parameter's ratio. */
export interface GradientNormRatioRecord {
  /** Parameter name (as in `namedVariables()`). */
  parameter: string;
  /** Mean over examples of ||grad_w L(x*_i)|| / ||grad_w L(x_i)||. */
  ratio: number;
  /** Examples averaged (those whose clean gradient is exactly zero are left out). */
  n: number;
}

/**
 * Per-parameter E_i(||grad_w L(x*_i, y_i)|| / ||grad_w L(x_i, y_i)||) (Fig. 3), one backward pass per example
 * and input, eval-mode forward. Use the training loss of the model (CE, or `heLoss(...)` for HE models).
 * @param x clean inputs [N, ...]
 * @param xAdv adversarial inputs, same shape
 * @param loss per-example loss (default CE)
 * @example gradientNormRatio(model, x, pgd(model, x, y, { eps: 0.3 }), y)
 */
export function gradientNormRatio(model: Classifier, x: tf.Tensor, xAdv: tf.Tensor, y: tf.Tensor1D, loss: ExampleLoss = ce): GradientNormRatioRecord[] {
  checkSameShape(x, xAdv, 'x', 'xAdv');
  const vars = model.trainableVariables();
  const named = Object.entries(model.namedVariables());
  const names = vars.map((v) => named.find(([, w]) => w === v)?.[0] ?? v.name);
  const sums = new Float64Array(vars.length);
  const counts = new Float64Array(vars.length);
  const n = x.shape[0];
  const norms = (inp: tf.Tensor, yi: tf.Tensor1D): number[] =>
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        const f = model.apply(inp, { training: false });
        return loss({ model, x: inp, y: yi, logits: f.logits, features: f.features }).sum() as tf.Scalar;
      }, vars);
      // A parameter the loss does not reach has no gradient entry: its norm is 0.
      return vars.map((v) => (grads[v.name] ? grads[v.name].square().sum().sqrt().dataSync()[0] : 0));
    });
  for (let i = 0; i < n; i++) {
    const [xi, ai, yi] = [x.slice(i, 1), xAdv.slice(i, 1), y.slice(i, 1)];
    const c = norms(xi, yi);
    const a = norms(ai, yi);
    tf.dispose([xi, ai, yi]);
    for (let j = 0; j < vars.length; j++) {
      if (c[j] === 0) continue;
      sums[j] += a[j] / c[j];
      counts[j]++;
    }
  }
  return names.map((parameter, j) => ({ parameter, ratio: counts[j] ? sums[j] / counts[j] : NaN, n: counts[j] }));
}
