/**
 * Score-based black-box attacks that only query the model's logits: ZOO (Chen et al., 2017), SPSA
 * (Uesato et al., 2018) and NES (Ilyas et al., 2018). All minimise the margin `Z_y - max_{i != y} Z_i` inside
 * an lp ball and count every model query per example. A black-box attack that beats the white-box ones is a
 * sign of gradient masking (Athalye et al., 2018).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../models/classifier';
import type { Bounds } from '../types';
import { margin } from '../losses/margin';
import { NORM_HOOKS } from './gradientDescent';
import { projectThreat } from '../tensor/norms';
import { Rng, normal, uniform } from '../engine/seed';
import { checkInputs, checkLabels, checkNonNegative, checkOneOf, checkPositive, checkPositiveInt } from '../tensor/validate';
import { marginsSync, mergeRows, rows, withDefaults } from './util';

/** Result of a black-box attack. */
export interface BlackBoxResult {
  /** Adversarial inputs, inside the ball and the bounds. */
  adversarial: tf.Tensor;
  /** Per example: misclassified at `adversarial`. */
  success: boolean[];
  /** Per example: model queries spent (until success when `earlyStop`). */
  queries: number[];
}

/** Options of {@link spsa} and {@link nes}. */
export interface GradientEstimateOptions {
  /** Threat-model norm (default 'linf'). */
  norm: 'linf' | 'l2';
  /** Radius (default 8/255). */
  eps: number;
  /** Iterations (default 20). */
  steps: number;
  /** Queries per gradient estimate q, used as q/2 antithetic pairs (default 128). */
  samples: number;
  /** Finite-difference scale sigma (default 0.001). */
  sigma: number;
  /** Step size of the projected signed step (l2: normalised step); default eps / 4. */
  stepSize?: number;
  /** Stop querying an example once it is misclassified (default true: queries then measure queries to success). */
  earlyStop: boolean;
  /** Seed of the random directions (default 0). */
  seed: number;
  /** Input bounds (default [0, 1]). */
  bounds: Bounds;
}

/** SPSA / NES defaults: q = 128, sigma = 0.001, 20 steps, l-inf 8/255. */
export const GRADIENT_ESTIMATE_DEFAULTS: GradientEstimateOptions = {
  norm: 'linf',
  eps: 8 / 255,
  steps: 20,
  samples: 128,
  sigma: 0.001,
  earlyStop: true,
  seed: 0,
  bounds: [0, 1],
};


/**
 * The loop shared by SPSA and NES: per step, one query to check success, then q queries around the iterate
 * along `q / 2` antithetic random directions; the margin differences weight the directions into a gradient
 * estimate, and a projected signed step (as NES's PGD variant) descends the margin.
 */
function estimateLoop(model: Classifier, x: tf.Tensor, y: tf.Tensor1D, opts: Partial<GradientEstimateOptions>, draw: (shape: number[], seed: number) => tf.Tensor): BlackBoxResult {
  const o = withDefaults(GRADIENT_ESTIMATE_DEFAULTS, opts);
  checkOneOf(o.norm, ['linf', 'l2'] as const, 'norm');
  checkNonNegative(o.eps, 'eps');
  checkPositiveInt(o.steps, 'steps');
  checkPositiveInt(o.samples, 'samples');
  checkPositive(o.sigma, 'sigma');
  checkInputs(x, model.inputShape, o.bounds, 'x');
  checkLabels(y, x.shape[0], model.numClasses, 'y');
  const stepSize = o.stepSize ?? o.eps / 4;
  checkNonNegative(stepSize, 'stepSize');
  const [lo, hi] = o.bounds;
  const n = x.shape[0];
  const pairs = Math.max(1, Math.floor(o.samples / 2));
  const inner = x.shape.slice(1);
  const rng = new Rng(o.seed);
  const queries = new Array<number>(n).fill(0);
  const success = new Array<boolean>(n).fill(false);
  let xAdv = x.clone();
  for (let t = 0; t <= o.steps; t++) {
    const active = Array.from({ length: n }, (_, i) => i).filter((i) => !(o.earlyStop && success[i]));
    if (active.length === 0) break;
    const xa = rows(xAdv, active);
    const ya = rows(y, active) as tf.Tensor1D;
    const m0 = marginsSync(model, xa, ya);
    active.forEach((i, k) => {
      queries[i]++;
      success[i] = m0[k] < 0;
    });
    const stepping = active.filter((i) => !(o.earlyStop && success[i]));
    if (t === o.steps || stepping.length === 0) {
      tf.dispose([xa, ya]);
      break;
    }
    const s = stepping.length;
    const xs = rows(xAdv, stepping);
    const xs0 = rows(x, stepping);
    const ys = rows(y, stepping) as tf.Tensor1D;
    const u = draw([s, pairs, ...inner], rng.seed());
    const cand = tf.tidy(() => {
      const base = xs.expandDims(1);
      const plus = base.add(u.mul(o.sigma));
      const minus = base.sub(u.mul(o.sigma));
      return tf.concat([plus, minus], 1).reshape([s * 2 * pairs, ...inner]);
    });
    const yq = tf.tidy(() => ys.expandDims(1).tile([1, 2 * pairs]).reshape([-1]) as tf.Tensor1D);
    const mq = marginsSync(model, cand, yq);
    stepping.forEach((i) => (queries[i] += 2 * pairs));
    const next = tf.tidy(() => {
      const m = tf.tensor2d(mq, [s, 2 * pairs]);
      const diff = m.slice([0, 0], [s, pairs]).sub(m.slice([0, pairs], [s, pairs])).div(2 * o.sigma); // [s, pairs]
      const g = u.mul(diff.reshape([s, pairs, ...inner.map(() => 1)])).mean(1);
      // Descend the margin: step against the estimated gradient, then project onto the ball and the box.
      const dir = NORM_HOOKS[o.norm].normalize(g.neg());
      const stepped = projectThreat(xs.add(dir.mul(stepSize)), xs0, o.norm, o.eps, lo, hi);
      const pos = new Map(stepping.map((g2, k) => [g2, k]));
      return mergeRows(xAdv, stepped, Array.from({ length: n }, (_, i) => pos.get(i) ?? -1));
    });
    tf.dispose([xa, ya, xs, xs0, ys, u, cand, yq, xAdv]);
    xAdv = next;
  }
  return { adversarial: xAdv, success, queries };
}

/**
 * SPSA (Uesato et al., 2018, Sec. 3.2): gradient estimates along Rademacher directions, q = 128, sigma = 0.001.
 * @example const { adversarial, queries } = spsaRecord(model, x, y, { eps: 8 / 255, steps: 100 });
 */
export function spsaRecord(model: Classifier, x: tf.Tensor, y: tf.Tensor1D, opts: Partial<GradientEstimateOptions> = {}): BlackBoxResult {
  return estimateLoop(model, x, y, opts, (shape, seed) => tf.tidy(() => uniform(shape, -1, 1, seed).sign()));
}

/**
 * NES (Ilyas et al., 2018, Algorithm 1): gradient estimates along antithetic Gaussian directions, q = 128, sigma = 0.001.
 * @example const { adversarial, queries } = nesRecord(model, x, y, { eps: 8 / 255, steps: 100 });
 */
export function nesRecord(model: Classifier, x: tf.Tensor, y: tf.Tensor1D, opts: Partial<GradientEstimateOptions> = {}): BlackBoxResult {
  return estimateLoop(model, x, y, opts, (shape, seed) => normal(shape, 1, seed));
}

/** SPSA returning only the adversarial inputs. @example const xAdv = spsa(model, x, y); */
export function spsa(model: Classifier, x: tf.Tensor, y: tf.Tensor1D, opts: Partial<GradientEstimateOptions> = {}): tf.Tensor {
  return spsaRecord(model, x, y, opts).adversarial;
}

/** NES returning only the adversarial inputs. @example const xAdv = nes(model, x, y); */
export function nes(model: Classifier, x: tf.Tensor, y: tf.Tensor1D, opts: Partial<GradientEstimateOptions> = {}): tf.Tensor {
  return nesRecord(model, x, y, opts).adversarial;
}

/** Options of {@link zoo}. */
export interface ZooOptions {
  /** Threat-model norm (default 'linf'). */
  norm: 'linf' | 'l2';
  /** Radius (default 8/255). */
  eps: number;
  /** Query budget per example (default 20,000, as the papers' evaluations). */
  queries: number;
  /** Coordinates estimated per step, 2 queries each (default 1: one random coordinate per step). */
  coordinates: number;
  /** Finite-difference scale (default 1e-4, as ZOO). */
  sigma: number;
  /** Coordinate Adam learning rate (default 0.01, as ZOO-ADAM). */
  lr: number;
  /** Stop once misclassified (default true). */
  earlyStop: boolean;
  /** Seed of the coordinate draws (default 0). */
  seed: number;
  /** Input bounds (default [0, 1]). */
  bounds: Bounds;
}

/** ZOO defaults: one random coordinate per step, sigma 1e-4, 20,000 queries, ZOO-ADAM lr 0.01. */
export const ZOO_DEFAULTS: ZooOptions = { norm: 'linf', eps: 8 / 255, queries: 20000, coordinates: 1, sigma: 1e-4, lr: 0.01, earlyStop: true, seed: 0, bounds: [0, 1] };

/**
 * ZOO (Chen et al., 2017, Algorithm 2, ZOO-ADAM): per step, symmetric differences of the margin along random
 * coordinates, then an Adam step on those coordinates only, projected onto the ball and the box. One query
 * per step checks success.
 * @example const { adversarial, queries } = zooRecord(model, x, y, { queries: 2000 });
 */
export function zooRecord(model: Classifier, x: tf.Tensor, y: tf.Tensor1D, opts: Partial<ZooOptions> = {}): BlackBoxResult {
  const o = withDefaults(ZOO_DEFAULTS, opts);
  checkOneOf(o.norm, ['linf', 'l2'] as const, 'norm');
  checkNonNegative(o.eps, 'eps');
  checkPositiveInt(o.queries, 'queries');
  checkPositiveInt(o.coordinates, 'coordinates');
  checkPositive(o.sigma, 'sigma');
  checkPositive(o.lr, 'lr');
  checkInputs(x, model.inputShape, o.bounds, 'x');
  checkLabels(y, x.shape[0], model.numClasses, 'y');
  const [lo, hi] = o.bounds;
  const n = x.shape[0];
  const inner = x.shape.slice(1);
  const d = inner.reduce((a, b) => a * b, 1);
  const c = Math.min(o.coordinates, d);
  const x0 = Float32Array.from(x.dataSync());
  const xa = Float32Array.from(x0);
  const labels = Int32Array.from(y.dataSync());
  const m1 = new Float32Array(n * d);
  const m2 = new Float32Array(n * d);
  const tCoord = new Int32Array(n * d);
  const rng = new Rng(o.seed);
  const queries = new Array<number>(n).fill(0);
  const success = new Array<boolean>(n).fill(false);
  const project = (i: number) => {
    const off = i * d;
    if (o.norm === 'l2') {
      let s = 0;
      for (let j = 0; j < d; j++) s += (xa[off + j] - x0[off + j]) ** 2;
      const f = Math.min(1, o.eps / (Math.sqrt(s) + 1e-12));
      for (let j = 0; j < d; j++) xa[off + j] = x0[off + j] + f * (xa[off + j] - x0[off + j]);
    }
    for (let j = 0; j < d; j++) {
      const v = o.norm === 'linf' ? Math.min(x0[off + j] + o.eps, Math.max(x0[off + j] - o.eps, xa[off + j])) : xa[off + j];
      xa[off + j] = Math.min(hi, Math.max(lo, v));
    }
  };
  for (;;) {
    const active = Array.from({ length: n }, (_, i) => i).filter((i) => !(o.earlyStop && success[i]) && queries[i] + 1 <= o.queries);
    if (active.length === 0) break;
    const s = active.length;
    // Query block per active example: the iterate, then +/- sigma along each chosen coordinate.
    const per = 1 + 2 * c;
    const buf = new Float32Array(s * per * d);
    const coords: number[][] = [];
    active.forEach((i, k) => {
      const cs: number[] = [];
      while (cs.length < c) {
        const j = rng.int(d);
        if (!cs.includes(j)) cs.push(j);
      }
      coords.push(cs);
      for (let r = 0; r < per; r++) buf.set(xa.subarray(i * d, (i + 1) * d), (k * per + r) * d);
      cs.forEach((j, q) => {
        buf[(k * per + 1 + 2 * q) * d + j] += o.sigma;
        buf[(k * per + 2 + 2 * q) * d + j] -= o.sigma;
      });
    });
    const yq = new Int32Array(s * per);
    active.forEach((i, k) => yq.fill(labels[i], k * per, (k + 1) * per));
    const mq = tf.tidy(() => margin(model.apply(tf.tensor(buf, [s * per, ...inner]), { training: false }).logits, tf.tensor1d(yq, 'int32')));
    const mv = mq.dataSync();
    mq.dispose();
    let anyStep = false;
    active.forEach((i, k) => {
      queries[i]++;
      success[i] = mv[k * per] < 0;
      if ((o.earlyStop && success[i]) || queries[i] + 2 * c > o.queries) return;
      queries[i] += 2 * c;
      anyStep = true;
      coords[k].forEach((j, q) => {
        const g = (mv[k * per + 1 + 2 * q] - mv[k * per + 2 + 2 * q]) / (2 * o.sigma);
        const at = i * d + j;
        // ZOO-ADAM: each coordinate keeps its own moments and step count.
        tCoord[at]++;
        m1[at] = 0.9 * m1[at] + 0.1 * g;
        m2[at] = 0.999 * m2[at] + 0.001 * g * g;
        const mh = m1[at] / (1 - 0.9 ** tCoord[at]);
        const vh = m2[at] / (1 - 0.999 ** tCoord[at]);
        xa[at] -= (o.lr * mh) / (Math.sqrt(vh) + 1e-8);
      });
      project(i);
    });
    if (!anyStep) break;
  }
  return { adversarial: tf.tensor(xa, x.shape), success, queries };
}

/** ZOO returning only the adversarial inputs. @example const xAdv = zoo(model, x, y, { queries: 2000 }); */
export function zoo(model: Classifier, x: tf.Tensor, y: tf.Tensor1D, opts: Partial<ZooOptions> = {}): tf.Tensor {
  return zooRecord(model, x, y, opts).adversarial;
}
