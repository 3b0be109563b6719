/**
 * Score-based black-box attacks that only query the model's logits: SPSA (Uesato et al., 2018), NES (Ilyas
 * et al., 2018) and ZOO (Chen et al., 2017). All minimise the margin `Z_y - max_{i != y} Z_i` inside an lp ball
 * and count every model query per example. A black-box attack that beats the white-box ones is a sign of
 * gradient masking (Athalye et al., 2018).
 *
 * `spsa` and `nes` follow the references (SPSA: Adam lr 0.01, delta 0.01, uniform start, as cleverhans'
 * SPSAAdam; NES: momentum 0.9 and learning-rate plateau annealing, as labsix/limited-blackbox-attacks).
 * `spsaSigned` and `nesPlain` are the earlier simplified loops (signed steps of eps / 4, no momentum, no
 * random start), kept as named variants. `zooL2` is the reference ZOO (tanh space, l2 penalty, 128 coordinates
 * per iteration, a minimum-norm attack); `zoo` stays the ball-constrained coordinate-Adam margin attack
 * (`zooCoordinate`), the form a robust-accuracy-at-eps table needs.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../models/classifier';
import type { Bounds } from '../types';
import { margin } from '../losses/margin';
import { NORM_HOOKS } from './gradientDescent';
import { perExample, projectThreat } from '../tensor/norms';
import { Rng, normal, uniform } from '../engine/seed';
import { marginsSync, mergeRows, rows } from './util';
import { is, type OptionFamily } from './options';
import { ballAttack, defineAttack, type AttackResult, type LoopInput, type LoopOutput } from './frame';
import { adamDispose, adamInit, adamUpdate, momentumUpdate, type AdamState } from './optimizers';

/** Result of a black-box attack: the frame's {@link AttackResult}, with `queries` (until success when `earlyStop`). */
export type BlackBoxResult = AttackResult;

/** Options of {@link spsaSigned} and {@link nesPlain}. */
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
  /** Input bounds (default: the model's, else [0, 1]). */
  bounds?: Bounds;
}

/** Defaults of the simplified SPSA / NES loops: q = 128, sigma = 0.001, 20 steps, l-inf 8/255. */
export const GRADIENT_ESTIMATE_DEFAULTS: GradientEstimateOptions = {
  norm: 'linf',
  eps: 8 / 255,
  steps: 20,
  samples: 128,
  sigma: 0.001,
  earlyStop: true,
  seed: 0,
};

const GRADIENT_ESTIMATE: OptionFamily<GradientEstimateOptions> = {
  defaults: GRADIENT_ESTIMATE_DEFAULTS,
  checks: { norm: is.oneOf(['linf', 'l2'] as const), eps: is.nonNegative, steps: is.positiveInt, samples: is.positiveInt, sigma: is.positive, stepSize: is.optional(is.nonNegative) },
};


/**
 * The simplified SPSA / NES loop: per step, one query to check success, then q queries around the iterate
 * along `q / 2` antithetic random directions; the margin differences weight the directions into a gradient
 * estimate, and a projected signed step (as NES's PGD variant) descends the margin.
 */
function estimateLoop(input: LoopInput<GradientEstimateOptions>, draw: (shape: number[], seed: number) => tf.Tensor): LoopOutput {
  const { model, x, o, bounds } = input;
  const stepSize = o.stepSize ?? o.eps / 4;
  const [lo, hi] = bounds;
  const pairs = Math.max(1, Math.floor(o.samples / 2));
  const rng = new Rng(o.seed);
  return queryLoop(input, x.clone(), (active, xa, ya) => {
    const g = estimateMarginGradient(model, xa, ya, pairs, o.sigma, draw, rng.seed());
    const xs0 = rows(x, active);
    // Descend the margin: step against the estimated gradient, then project onto the ball and the box.
    const next = tf.tidy(() => projectThreat(xa.add(NORM_HOOKS[o.norm].normalize(g.neg()).mul(stepSize)), xs0, o.norm, o.eps, lo, hi));
    tf.dispose([g, xs0]);
    return { next, queries: 2 * pairs };
  });
}

const rademacher = (shape: number[], seed: number) => tf.tidy(() => uniform(shape, -1, 1, seed).sign());

/**
 * SPSA, simplified (the library's earlier loop): Rademacher gradient estimates, q = 128, sigma = 0.001, then a
 * projected signed step of eps / 4 from the clean input (no random start). `spsaSigned.record` for the record.
 * @example const { adversarial, queries } = spsaSigned.record(model, x, y, { eps: 8 / 255, steps: 100 });
 */
export const spsaSigned = ballAttack<GradientEstimateOptions>('spsa-signed', GRADIENT_ESTIMATE, (input) => estimateLoop(input, rademacher));

/** {@link spsaSigned}'s record form. */
export const spsaSignedRecord = spsaSigned.record;

/**
 * NES, simplified (the library's earlier loop): antithetic Gaussian estimates, q = 128, sigma = 0.001, projected
 * signed steps of eps / 4, no momentum and no learning-rate annealing. `nesPlain.record` for the record.
 * @example const { adversarial, queries } = nesPlain.record(model, x, y, { eps: 8 / 255, steps: 100 });
 */
export const nesPlain = ballAttack<GradientEstimateOptions>('nes-plain', GRADIENT_ESTIMATE, (input) => estimateLoop(input, (shape, seed) => normal(shape, 1, seed)));

/** {@link nesPlain}'s record form. */
export const nesPlainRecord = nesPlain.record;

/**
 * The antithetic finite-difference estimate of the margin's input gradient at `x` (SPSA with Rademacher
 * `draw`, NES with Gaussian): `mean_k (m(x + sigma u_k) - m(x - sigma u_k)) / (2 sigma) u_k` over `pairs`
 * directions, 2 `pairs` queries per example. Exact in expectation for a quadratic margin.
 * @example const g = estimateMarginGradient(model, x, y, 64, 0.01, rademacherDirections, 0);
 */
export function estimateMarginGradient(model: Classifier, x: tf.Tensor, y: tf.Tensor1D, pairs: number, sigma: number, draw: (shape: number[], seed: number) => tf.Tensor, seed: number): tf.Tensor {
  const s = x.shape[0];
  const inner = x.shape.slice(1);
  const u = draw([s, pairs, ...inner], seed);
  const cand = tf.tidy(() => {
    const base = x.expandDims(1);
    return tf.concat([base.add(u.mul(sigma)), base.sub(u.mul(sigma))], 1).reshape([s * 2 * pairs, ...inner]);
  });
  const yq = tf.tidy(() => y.expandDims(1).tile([1, 2 * pairs]).reshape([-1]) as tf.Tensor1D);
  const mq = marginsSync(model, cand, yq);
  const g = tf.tidy(() => {
    const m = tf.tensor2d(mq, [s, 2 * pairs]);
    const diff = m.slice([0, 0], [s, pairs]).sub(m.slice([0, pairs], [s, pairs])).div(2 * sigma);
    return u.mul(diff.reshape([s, pairs, ...inner.map(() => 1)])).mean(1);
  });
  tf.dispose([u, cand, yq]);
  return g;
}

/** Rademacher (+-1) directions, SPSA's. */
export const rademacherDirections = rademacher;
/** Standard Gaussian directions, NES's. */
export const gaussianDirections = (shape: number[], seed: number): tf.Tensor => normal(shape, 1, seed);

/** Options of {@link spsa} (cleverhans' SPSAAdam, Uesato et al., 2018). */
export interface SpsaOptions {
  /** Threat-model norm (default 'linf'). */
  norm: 'linf' | 'l2';
  /** Radius (default 8/255). */
  eps: number;
  /** Adam iterations (default 100). */
  steps: number;
  /** Queries per gradient estimate, as samples / 2 antithetic pairs (default 128, as the reference's spsa_samples). */
  samples: number;
  /** Perturbation size delta of the finite differences (default 0.01). */
  delta: number;
  /** Adam learning rate (default 0.01). */
  lr: number;
  /** Start at a uniform random point of the ball (default true, as the reference's random init). */
  randomStart: boolean;
  /** Stop querying an example once it is misclassified (default true). */
  earlyStop: boolean;
  /** Seed (default 0). */
  seed: number;
  /** Input bounds (default: the model's, else [0, 1]). */
  bounds?: Bounds;
}

/** SPSA defaults as cleverhans' SPSAAdam: Adam lr 0.01, delta 0.01, 128 samples, uniform start; 100 iterations, l-inf 8/255. */
export const SPSA_DEFAULTS: SpsaOptions = { norm: 'linf', eps: 8 / 255, steps: 100, samples: 128, delta: 0.01, lr: 0.01, randomStart: true, earlyStop: true, seed: 0 };

const SPSA: OptionFamily<SpsaOptions> = {
  defaults: SPSA_DEFAULTS,
  checks: { norm: is.oneOf(['linf', 'l2'] as const), eps: is.nonNegative, steps: is.positiveInt, samples: is.positiveInt, delta: is.positive, lr: is.positive },
};

/** Options of {@link nes} (Ilyas et al., 2018; labsix/limited-blackbox-attacks). */
export interface NesOptions {
  /** Threat-model norm: 'linf' (default). */
  norm: 'linf';
  /** Radius (default 8/255). */
  eps: number;
  /** Iterations (default 100). */
  steps: number;
  /** Queries per gradient estimate, as samples / 2 antithetic pairs (default 100, the reference's samples_per_draw x batches). */
  samples: number;
  /** Search variance sigma (default 0.001). */
  sigma: number;
  /** Momentum of the gradient estimates (default 0.9). */
  momentum: number;
  /** Initial (maximal) learning rate of the signed step (default 0.01). */
  lr: number;
  /** Floor of the annealed learning rate (default 5e-5). */
  minLr: number;
  /** Iterations over which the loss must fall, else the rate is divided by `plateauDrop` (default 5). */
  plateauLength: number;
  /** Divisor of the learning rate on a plateau (default 2). */
  plateauDrop: number;
  /** Stop querying an example once it is misclassified (default true). */
  earlyStop: boolean;
  /** Seed (default 0). */
  seed: number;
  /** Input bounds (default: the model's, else [0, 1]). */
  bounds?: Bounds;
}

/** NES defaults as labsix/limited-blackbox-attacks: sigma 0.001, momentum 0.9, lr 0.01 down to 5e-5 on plateaus of 5 (drop 2), 100 samples. */
export const NES_DEFAULTS: NesOptions = {
  norm: 'linf',
  eps: 8 / 255,
  steps: 100,
  samples: 100,
  sigma: 0.001,
  momentum: 0.9,
  lr: 0.01,
  minLr: 5e-5,
  plateauLength: 5,
  plateauDrop: 2,
  earlyStop: true,
  seed: 0,
};

const NES: OptionFamily<NesOptions> = {
  defaults: NES_DEFAULTS,
  checks: {
    norm: is.oneOf(['linf'] as const),
    eps: is.nonNegative,
    steps: is.positiveInt,
    samples: is.positiveInt,
    sigma: is.positive,
    momentum: is.inRange(1),
    lr: is.positive,
    minLr: is.positive,
    plateauLength: is.positiveInt,
    plateauDrop: is.positive,
  },
};

/**
 * The shared outer loop of the reference estimators: per iteration one success query of the active examples
 * (their margin, which the plateau rule also reads), then `stepRows` moves the still-active rows. Counts queries.
 */
function queryLoop(
  { model, x, y, o }: LoopInput<{ steps: number; earlyStop: boolean }>,
  start: tf.Tensor,
  stepRows: (active: number[], xa: tf.Tensor, ya: tf.Tensor1D, margins: Float32Array, t: number) => { next: tf.Tensor; queries: number },
): LoopOutput {
  const n = x.shape[0];
  const queries = new Array<number>(n).fill(0);
  const success = new Array<boolean>(n).fill(false);
  let xAdv = start;
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
    const keep = active.map((i) => stepping.includes(i));
    const pick = (v: tf.Tensor) => rows(v, keep.flatMap((k, j) => (k ? [j] : [])));
    const xs = pick(xa);
    const ys = pick(ya) as tf.Tensor1D;
    const ms = Float32Array.from(m0.filter((_, j) => keep[j]));
    const { next: stepped, queries: q } = stepRows(stepping, xs, ys, ms, t);
    stepping.forEach((i) => (queries[i] += q));
    const pos = new Map(stepping.map((g, k) => [g, k]));
    const next = mergeRows(xAdv, stepped, Array.from({ length: n }, (_, i) => pos.get(i) ?? -1));
    tf.dispose([xa, ya, xs, ys, stepped, xAdv]);
    xAdv = next;
  }
  return { adversarial: xAdv, queries };
}

/**
 * SPSA (Uesato et al., 2018, Sec. 3.2; cleverhans' SPSAAdam): from a uniform random point of the ball, Adam
 * (lr 0.01) on the perturbation with Rademacher finite-difference estimates of the margin's gradient (delta
 * 0.01, 128 samples), projected onto the ball and the box after every step. `spsa.record` for the record.
 * @example const { adversarial, queries } = spsa.record(model, x, y, { eps: 8 / 255, steps: 100 });
 */
export const spsa = ballAttack<SpsaOptions>('spsa', SPSA, (input) => {
  const { x, o, bounds } = input;
  const [lo, hi] = bounds;
  const rng = new Rng(o.seed);
  const pairs = Math.max(1, Math.floor(o.samples / 2));
  const start = tf.tidy(() => (o.randomStart ? projectThreat(x.add(NORM_HOOKS[o.norm].randomStart(x.shape, o.eps, rng.seed())), x, o.norm, o.eps, lo, hi) : x.clone()));
  // Adam state per example row, carried between iterations for the rows still stepping.
  const n = x.shape[0];
  let adam = adamInit(x.shape);
  const out = queryLoop(input, start, (active, xa, ya, _m, t) => {
    const g = estimateMarginGradient(input.model, xa, ya, pairs, o.delta, rademacher, rng.seed());
    const sub: AdamState = { m: rows(adam.m, active), v: rows(adam.v, active), count: t };
    const step = adamUpdate(g, sub, { lr: o.lr });
    const xs0 = rows(x, active);
    const next = tf.tidy(() => projectThreat(xa.add(step.update), xs0, o.norm, o.eps, lo, hi));
    const take = Array.from({ length: n }, (_, i) => active.indexOf(i));
    const m = mergeRows(adam.m, step.state.m, take);
    const v = mergeRows(adam.v, step.state.v, take);
    adamDispose(adam);
    adam = { m, v, count: 0 };
    tf.dispose([g, sub.m, sub.v, step.update, step.state.m, step.state.v, xs0]);
    return { next, queries: 2 * pairs };
  });
  adamDispose(adam);
  return out;
});

/** {@link spsa}'s record form. */
export const spsaRecord = spsa.record;

/**
 * NES (Ilyas et al., 2018, Algorithm 1 with the PGD step; labsix/limited-blackbox-attacks): antithetic Gaussian
 * estimates (sigma 0.001) averaged with momentum 0.9, a signed step of the current rate projected onto the
 * l-inf ball and the box, and the rate divided by 2 (down to 5e-5) whenever the margin has not fallen over the
 * last 5 iterations. `nes.record` for the record.
 * @example const { adversarial, queries } = nes.record(model, x, y, { eps: 8 / 255, steps: 100 });
 */
export const nes = ballAttack<NesOptions>('nes', NES, (input) => {
  const { x, o, bounds } = input;
  const [lo, hi] = bounds;
  const n = x.shape[0];
  const rng = new Rng(o.seed);
  const pairs = Math.max(1, Math.floor(o.samples / 2));
  const lr = new Array<number>(n).fill(o.lr);
  const history: number[][] = Array.from({ length: n }, () => []);
  let trace = tf.zerosLike(x);
  const out = queryLoop(input, x.clone(), (active, xa, ya, margins) => {
    const g = estimateMarginGradient(input.model, xa, ya, pairs, o.sigma, gaussianDirections, rng.seed());
    const prev = rows(trace, active);
    // The reference's g <- momentum g + (1 - momentum) g_est: a trace of the scaled estimate.
  const avg = tf.tidy(() => momentumUpdate(g.mul(1 - o.momentum), prev, o.momentum));
    // Plateau rule (labsix): the rate halves when the loss at the end of the window is above its start.
    active.forEach((i, k) => {
      const h = history[i];
      h.push(margins[k]);
      if (h.length > o.plateauLength) h.shift();
      if (h.length === o.plateauLength && h[h.length - 1] > h[0] && lr[i] > o.minLr) {
        lr[i] = Math.max(lr[i] / o.plateauDrop, o.minLr);
        h.length = 0;
      }
    });
    const xs0 = rows(x, active);
    const next = tf.tidy(() => projectThreat(xa.sub(avg.sign().mul(perExample(tf.tensor1d(active.map((i) => lr[i])), xa.shape))), xs0, o.norm, o.eps, lo, hi));
    const merged = mergeRows(trace, avg, Array.from({ length: n }, (_, i) => active.indexOf(i)));
    tf.dispose([g, prev, avg, xs0, trace]);
    trace = merged;
    return { next, queries: 2 * pairs };
  });
  trace.dispose();
  return out;
});

/** {@link nes}'s record form. */
export const nesRecord = nes.record;

/** Options of {@link zooCoordinate}. */
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
  /** Input bounds (default: the model's, else [0, 1]). */
  bounds?: Bounds;
}

/** Defaults of {@link zooCoordinate}: one random coordinate per step, sigma 1e-4, 20,000 queries, ZOO-ADAM lr 0.01. */
export const ZOO_DEFAULTS: ZooOptions = { norm: 'linf', eps: 8 / 255, queries: 20000, coordinates: 1, sigma: 1e-4, lr: 0.01, earlyStop: true, seed: 0 };

const ZOO: OptionFamily<ZooOptions> = {
  defaults: ZOO_DEFAULTS,
  checks: { norm: is.oneOf(['linf', 'l2'] as const), eps: is.nonNegative, queries: is.positiveInt, coordinates: is.positiveInt, sigma: is.positive, lr: is.positive },
};

/**
 * ZOO, ball-constrained coordinate variant (after Chen et al., 2017, Algorithm 2, ZOO-ADAM, but on the margin
 * inside an lp ball, not the paper's tanh-space objective with an l2 penalty): per step, symmetric differences
 * of the margin along random coordinates, then an Adam step on those coordinates only, projected onto the ball
 * and the box. One query per step checks success. `zooCoordinate.record` for the record.
 * @example const { adversarial, queries } = zooCoordinate.record(model, x, y, { queries: 2000 });
 */
export const zooCoordinate = ballAttack<ZooOptions>('zoo-coordinate', ZOO, zooLoop);

/** {@link zooCoordinate}'s record form. */
export const zooCoordinateRecord = zooCoordinate.record;

/** ZOO as a ball attack: {@link zooCoordinate}; the paper's tanh-space l2 attack is {@link zooL2}. */
export const zoo = zooCoordinate;
/** {@link zoo}'s record form. */
export const zooRecord = zoo.record;

/**
 * ZOO's query block: for each row `i` of `rows`, 1 + 2c copies of `src`'s row i, copy 1 + 2q moved by +step and
 * copy 2 + 2q by -step along the q-th of c distinct coordinates drawn from `rng` (row after row, so the draws do
 * not depend on how the block is used). Returns the block and each row's coordinates.
 */
function coordinateProbes(src: Float32Array, rows: readonly number[], d: number, c: number, step: number, rng: Rng): { buf: Float32Array; coords: number[][] } {
  const per = 1 + 2 * c;
  const buf = new Float32Array(rows.length * per * d);
  const coords: number[][] = [];
  rows.forEach((i, k) => {
    const cs: number[] = [];
    while (cs.length < c) {
      const j = rng.int(d);
      if (!cs.includes(j)) cs.push(j);
    }
    coords.push(cs);
    for (let r = 0; r < per; r++) buf.set(src.subarray(i * d, (i + 1) * d), (k * per + r) * d);
    cs.forEach((j, q) => {
      buf[(k * per + 1 + 2 * q) * d + j] += step;
      buf[(k * per + 2 + 2 * q) * d + j] -= step;
    });
  });
  return { buf, coords };
}

function zooLoop({ model, x, y, o, bounds }: LoopInput<ZooOptions>): LoopOutput {
  const [lo, hi] = bounds;
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
    const { buf, coords } = coordinateProbes(xa, active, d, c, o.sigma, rng);
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
  return { adversarial: tf.tensor(xa, x.shape), queries };
}

/** Options of {@link zooL2}, the reference ZOO (Chen et al., 2017; huanzhang12/ZOO `l2_attack_black.py`). */
export interface ZooL2Options {
  /** Query budget per example (default 20,000); each iteration spends 1 + 2 `coordinates`. */
  queries: number;
  /** Coordinates estimated per iteration (default 128, the reference's batch_size). */
  coordinates: number;
  /** Finite-difference step h in tanh space (default 1e-4). */
  h: number;
  /** Coordinate-Adam learning rate (default 0.01). */
  lr: number;
  /** Weight c of the attack term against the l2 penalty (default 10). */
  c: number;
  /** Confidence kappa (default 0). */
  confidence: number;
  /** Seed of the coordinate draws (default 0). */
  seed: number;
  /** Input bounds (default: the model's, else [0, 1]). */
  bounds?: Bounds;
}

/** ZOO-ADAM defaults as the reference: 128 coordinates per iteration, h 1e-4, Adam lr 0.01, c 10, kappa 0; 20,000 queries. */
export const ZOO_L2_DEFAULTS: ZooL2Options = { queries: 20000, coordinates: 128, h: 1e-4, lr: 0.01, c: 10, confidence: 0, seed: 0 };

const ZOO_L2: OptionFamily<ZooL2Options> = {
  defaults: ZOO_L2_DEFAULTS,
  checks: { queries: is.positiveInt, coordinates: is.positiveInt, h: is.positive, lr: is.positive, c: is.positive, confidence: is.nonNegative },
};

/**
 * ZOO (Chen et al., 2017, Sec. III, ZOO-ADAM, Algorithm 2) as the reference: the C&W-style objective
 * `||x' - x||_2^2 + c max(log p_y - max_{i != y} log p_i, -kappa)` over `x' = (tanh(w) + 1) / 2` (scaled to the
 * bounds), minimised by coordinate Adam on `coordinates` random coordinates per iteration from symmetric
 * differences of step h. Each iteration queries the iterate and the 2 `coordinates` neighbours in one batch;
 * success is read from the iterate's own query, so no query is spent on checks alone. A minimum-norm attack:
 * the record keeps the smallest successful perturbation (the clean input where none). `zooL2.record` for it.
 * @example const { perturbationNorm, queries } = zooL2.record(model, x, y, { queries: 5000 });
 */
export const zooL2 = defineAttack<ZooL2Options>({ name: 'zoo-l2', family: ZOO_L2, norm: () => 'l2', eps: () => null, loop: zooL2Loop });

function zooL2Loop({ model, x, y, o, bounds }: LoopInput<ZooL2Options>): LoopOutput {
  const [lo, hi] = bounds;
  const n = x.shape[0];
  const inner = x.shape.slice(1);
  const d = inner.reduce((a, b) => a * b, 1);
  const c = Math.min(o.coordinates, d);
  const per = 1 + 2 * c;
  const iterations = Math.floor(o.queries / per);
  const x0 = Float32Array.from(x.dataSync());
  const labels = Int32Array.from(y.dataSync());
  // atanh of the clean input, shrunk slightly so that inputs on the bounds stay finite (as C&W).
  const w = Float32Array.from(x0, (v) => Math.atanh(((v - lo) / (hi - lo)) * 2 * 0.999999 - 0.999999));
  const best = Float32Array.from(x0);
  const bestL2 = new Float64Array(n).fill(Infinity);
  const rng = new Rng(o.seed);
  let adam = adamInit([n, d], true);
  const yq = tf.tensor1d(Int32Array.from({ length: n * per }, (_, k) => labels[Math.floor(k / per)]), 'int32');
  const xRep = tf.tidy(() => x.reshape([n, 1, d]).tile([1, per, 1]).reshape([n * per, d]));
  const all = Array.from({ length: n }, (_, i) => i);
  for (let it = 0; it < iterations; it++) {
    const { buf, coords } = coordinateProbes(w, all, d, c, o.h, rng);
    const [lossT, marginT, xaT] = tf.tidy(() => {
      const xa = tf.tensor2d(buf, [n * per, d]).tanh().add(1).div(2).mul(hi - lo).add(lo);
      const logits = model.apply(xa.reshape([n * per, ...inner]), { training: false }).logits;
      const m = margin(tf.logSoftmax(logits) as tf.Tensor2D, yq);
      const l2sq = xa.sub(xRep).square().sum(1);
      return [l2sq.add(m.maximum(-o.confidence).mul(o.c)), m, xa];
    });
    const loss = lossT.dataSync();
    const mg = marginT.dataSync();
    const xa = xaT.dataSync();
    const grad = new Float32Array(n * d);
    const mask = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      // The iterate's own query: success (with confidence) there, and its distance, update the best point.
      const at = i * per;
      if (mg[at] < 0 && mg[at] <= -o.confidence) {
        let l2 = 0;
        for (let j = 0; j < d; j++) l2 += (xa[at * d + j] - x0[i * d + j]) ** 2;
        if (l2 < bestL2[i]) {
          bestL2[i] = l2;
          best.set(xa.subarray(at * d, (at + 1) * d), i * d);
        }
      }
      coords[i].forEach((j, q) => {
        grad[i * d + j] = (loss[at + 1 + 2 * q] - loss[at + 2 + 2 * q]) / (2 * o.h);
        mask[i * d + j] = 1;
      });
    }
    tf.dispose([lossT, marginT, xaT]);
    const g = tf.tensor2d(grad, [n, d]);
    const on = tf.tensor2d(mask, [n, d]);
    const step = adamUpdate(g, adam, { lr: o.lr }, on);
    const u = step.update.dataSync();
    for (let k = 0; k < n * d; k++) w[k] += u[k];
    tf.dispose([g, on, step.update]);
    adamDispose(adam);
    adam = step.state;
  }
  adamDispose(adam);
  tf.dispose([yq, xRep]);
  return { adversarial: tf.tensor(best, x.shape), queries: new Array<number>(n).fill(iterations * per) };
}
