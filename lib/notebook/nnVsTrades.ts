/**
 * The 1NN-vs-adversarial-training notebook's measurements (Hagai & Weiss, 2023), kept out of its cells: the
 * binary CIFAR-10 problems, exact 1NN robust accuracy per problem (Figs. 4-5, Theorem 2), the CNN methods
 * S, E_S, T_R, T_B, T_B_A per problem, the XOR toy (Fig. 2), Figs. 1, 6 and 7, Table 1's timings and the claims.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Dataset } from '../data/dataset';
import { binaryPair, bytesToUnit, subset, toTensors } from '../data/dataset';
import { pointsToTensors, xorBlobs } from '../data/toys';
import { apgd, apgdCe } from '../attacks/apgd';
import { cwLoss } from '../losses/margin';
import { classDistance, nnRobustness, type NnRobustnessRecord, type NnSet, type NnStage } from '../metrics/nnRobustness';
import type { Classifier } from '../models/classifier';
import { mlp } from '../models/mlp';
import { nearestNeighbourClassifier, nearestNeighbours } from '../models/nearestNeighbour';
import { smallCnn } from '../models/smallCnn';
import type { TrainingMethod } from '../training/method';
import { standard } from '../training/standard';
import { trades } from '../training/trades';
import { constant, linearWarmup } from '../training/schedules';
import { tradesBoth } from '../training/tradesBoth';
import { evaluateModel, type Evaluation } from './evaluation';
import { trainNamed } from './experiment';
import { claimGreater, claimMostly, claimNotWorse, type ClaimVerdict } from './claims';
import { binomialLower, binomialUpper } from './stats';
import { msg } from '../messages';

/** A binary problem: two class indices. */
export type Pair = [number, number];
/** A table row. */
export type Row = Record<string, number | string>;
/** Per-image correctness vectors keyed `split measure`, e.g. `test l2`. */
export type Vectors = Record<string, Uint8Array>;
/** The paper's threat radii: l2 (8/255) sqrt(3072) = 1.74 and l-inf 8/255. */
export const NN_EPS = { l2: (8 / 255) * Math.sqrt(3072), linf: 8 / 255 } as const;
/** The CNN methods of Figs. 4-5, in table order. */
export const CNN_METHODS = ['S', 'E_S', 'T_R', 'T_B', 'T_B_A'] as const;
/** The measures of Figs. 4-5, in table order. */
export const FIG45_MEASURES = ['train clean', 'train l2', 'train linf', 'train both', 'test clean', 'test l2', 'test linf', 'test both'] as const;

/** The 45 binary problems of `classes` classes (default 10), (0, 1), (0, 2), ... in order. */
export function allBinaryPairs(classes = 10): Pair[] {
  const out: Pair[] = [];
  for (let a = 0; a < classes; a++) for (let b = a + 1; b < classes; b++) out.push([a, b]);
  return out;
}

/** Pairs from a flat list `[a0, b0, a1, b1, ...]`; `fallback` when the list is empty. */
export function pairsOf(flat: readonly number[], fallback: Pair[]): Pair[] {
  if (!flat.length) return fallback;
  return Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i], flat[2 * i + 1]] as Pair);
}

/** min(n, k) indices spread evenly over [0, n). */
export function spacedIndices(n: number, k: number): number[] {
  const m = Math.min(n, k);
  return Array.from({ length: m }, (_, i) => Math.floor((i * n) / m));
}

/**
 * About `k` indices of a labelled set, spread evenly over each class's own rows (k / classes per class, the
 * remainder to the first classes; all of a class that has fewer), in increasing order. Plain
 * {@link spacedIndices} over the whole set is biased when the rows follow a pattern of labels: the pairs'
 * rows alternate between the two classes, so every 10th of 2,000 rows was one class only (200 evaluated images
 * of a binary problem, all of class a).
 */
export function spacedByClass(y: ArrayLike<number>, numClasses: number, k: number): number[] {
  const rows: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < y.length; i++) {
    if (!rows[y[i]]) throw new Error(msg.labels('y', numClasses, y[i], y[i]));
    rows[y[i]].push(i);
  }
  const out: number[] = [];
  rows.forEach((r, c) => {
    const want = Math.floor(k / numClasses) + (c < k % numClasses ? 1 : 0);
    for (const j of spacedIndices(r.length, want)) out.push(r[j]);
  });
  return out.sort((a, b) => a - b);
}

/** The evaluated rows of a dataset: {@link spacedByClass} over its labels. */
const evalRows = (ds: Dataset, k: number): number[] => spacedByClass(ds.y, ds.numClasses, k);

/** A dataset (or its rows `idx`) as flat points in [0, 1] (bytes / 255) for {@link nnRobustness}. */
export function nnSetOf(ds: Dataset, idx?: number[]): NnSet {
  const d = ds.shape[1] * ds.shape[2] * ds.shape[3];
  const s = idx ? subset(ds, idx) : ds;
  return { x: bytesToUnit(s.x), y: s.y, n: s.shape[0], dim: d };
}

/** A pair's training set (the first `perClass` images per class, at most 5000) and its whole test set. */
export function pairData(train: Dataset, test: Dataset, p: Pair, perClass: number): { train: Dataset; test: Dataset } {
  return { train: binaryPair(train, p[0], p[1], { perClass: Math.min(perClass, 5000) }), test: binaryPair(test, p[0], p[1]) };
}

/** Percentage of ones in `v`, 2 decimals (0 for an empty vector). */
export function percentOf(v: Uint8Array): number {
  return +((100 * v.reduce((a, b) => a + b, 0)) / Math.max(1, v.length)).toFixed(2);
}

/** Mean of `vals`, 2 decimals (0 for none). */
export function meanOf(vals: number[]): number {
  return +(vals.reduce((a, b) => a + b, 0) / Math.max(1, vals.length)).toFixed(2);
}

/** Budget and sizes of the exact 1NN robust accuracy. */
export interface NnBudget {
  /** Candidate regions per point. */
  maxCandidates: number;
  /** Cutting planes per candidate. */
  maxConstraints: number;
}

/** One problem's exact 1NN robustness: its table row, per-image vectors and the points settled per stage. */
export interface NnProblem {
  row: Row;
  vectors: Vectors;
  settled: Record<NnStage, number>;
}

/**
 * Exact 1NN robust accuracy of one problem in l2 and l-inf ({@link NN_EPS}) on `nTest` test images and `nTrain`
 * training images (evenly spaced within each class; training images exclude themselves as neighbours). An open point counts as not
 * robust in the per-image vectors (the conservative end of its interval); the row gives the interval's midpoint.
 */
export async function nnProblem(name: string, data: { train: Dataset; test: Dataset }, nTest: number, nTrain: number, budget: NnBudget): Promise<NnProblem> {
  const t0 = Date.now();
  const trainSet = nnSetOf(data.train);
  const trainIdx = evalRows(data.train, nTrain);
  const q = { test: nnSetOf(data.test, evalRows(data.test, nTest)), train: nnSetOf(data.train, trainIdx) };
  const vectors: Vectors = {};
  const settled: Record<NnStage, number> = { misclassified: 0, theorem1: 0, halfSpace: 0, exact: 0, budget: 0 };
  const row: Row = { problem: name };
  for (const split of ['train', 'test'] as const) {
    const per: Partial<Record<'l2' | 'linf', NnRobustnessRecord>> = {};
    for (const norm of ['l2', 'linf'] as const) {
      const selfIndex = split === 'train' ? Int32Array.from(trainIdx) : undefined;
      const r = await nnRobustness(trainSet, q[split], { norm, eps: NN_EPS[norm], ...budget, selfIndex });
      per[norm] = r;
      for (const [k, v] of Object.entries(r.settled)) settled[k as NnStage] += v;
      vectors[`${split} ${norm}`] = Uint8Array.from(r.points, (pt) => (pt.robust === true ? 1 : 0));
      row[`${split} ${norm} %`] = +(100 * r.robustAccuracy).toFixed(2);
      row[`${split} ${norm} open`] = r.settled.budget;
    }
    vectors[`${split} clean`] = Uint8Array.from(per.l2!.points, (pt) => (pt.stage === 'misclassified' ? 0 : 1));
    vectors[`${split} both`] = vectors[`${split} l2`].map((v, i) => v & vectors[`${split} linf`][i]);
    row[`${split} clean %`] = +(100 * per.l2!.cleanAccuracy).toFixed(2);
    row[`${split} both %`] = percentOf(vectors[`${split} both`]);
  }
  row['seconds'] = +((Date.now() - t0) / 1000).toFixed(1);
  return { row, vectors, settled };
}

/**
 * Theorem 2 on one problem's whole training set: the class distance d and 1NN's exact l2 robust accuracy on
 * every training image at 0.999 d/2 (the theorem: 100%).
 */
export async function theorem2Row(name: string, train: Dataset, budget: NnBudget): Promise<Row> {
  const set = nnSetOf(train);
  const d = await classDistance(set, 0, 1);
  const all = Int32Array.from({ length: set.n }, (_, i) => i);
  const below = await nnRobustness(set, set, { norm: 'l2', eps: 0.999 * (d / 2), selfIndex: all, ...budget });
  return {
    problem: name, 'class distance d': +d.toFixed(4), 'd/2 vs eps 1.74': d / 2 >= NN_EPS.l2 ? '>= eps' : '< eps',
    'train l2 RA at 0.999 d/2 (%)': +(100 * below.robustAccuracy).toFixed(3), 'settled by Theorem 1': below.settled.theorem1, of: set.n,
  };
}

/** Fraction of `x` classified as `y` by `model`. */
async function accuracyOn(model: Classifier, x: tf.Tensor, y: tf.Tensor1D): Promise<number> {
  const ok = tf.tidy(() => tf.equal(tf.argMax(model.apply(x).logits, 1), y).sum());
  const v = (await ok.data())[0];
  ok.dispose();
  return v / x.shape[0];
}

/** One panel of Fig. 2: a model's decision regions on a grid and the training points, in the toy's coordinates. */
export interface ToyPanel {
  name: string;
  grid: Row[];
  points: Row[];
}

/**
 * Fig. 2's XOR toy (REPRODUCTION.md): standard training and TRADES (beta 6, 10 inner steps) of a 2-32-32-2 MLP
 * for `epochs` epochs, and 1NN; clean and l-inf `eps` robust accuracy on the training points (exact for 1NN,
 * APGD-CE with 50 steps for the MLPs) and decision regions on a 60 x 60 grid. The trainer works in [0, 1], so the
 * toy is mapped by u = (x + 10) / 20 (eps / 20 there); panels are in x.
 */
export async function xorToy(epochs: number, eps: number): Promise<{ rows: Row[]; panels: ToyPanel[] }> {
  const raw = xorBlobs({ seed: 0 });
  const toy = { ...raw, x: Float32Array.from(raw.x, (v) => (v + 10) / 20) };
  const T = pointsToTensors(toy);
  const e = eps / 20;
  const fit = async (name: string, method: TrainingMethod) => (await trainNamed({
    name, model: (s) => mlp({ inputShape: [2], hidden: [32, 32], numClasses: 2, seed: s }), method,
    data: { x: T.x, y: T.y }, epochs, batchSize: 40, optimizer: { lr: 0.05, momentum: 0.9 },
  })).model;
  const S = await fit('standard', standard());
  const TR = await fit('TRADES', trades({ eps: e, steps: 10, stepSize: e / 4, beta: 6 }));
  const NN = nearestNeighbourClassifier(T.x, toy.y, 2, { name: '1NN' });
  const set: NnSet = { x: toy.x, y: toy.y, n: toy.n, dim: 2 };
  const exact = await nnRobustness(set, set, { norm: 'linf', eps: e, selfIndex: Int32Array.from({ length: toy.n }, (_, i) => i) });
  const G = 30; // 900 grid points a panel: a finer grid made each SVG 1.3 MB
  const gx = new Float32Array(G * G * 2);
  for (let i = 0; i < G; i++) for (let j = 0; j < G; j++) {
    gx[2 * (i * G + j)] = 0.05 + (0.9 * i) / (G - 1);
    gx[2 * (i * G + j) + 1] = 0.05 + (0.9 * j) / (G - 1);
  }
  const gT = tf.tensor2d(gx, [G * G, 2]);
  const rows: Row[] = [];
  const panels: ToyPanel[] = [];
  const points = Array.from(toy.y, (c, k) => ({ x1: raw.x[2 * k], x2: raw.x[2 * k + 1], class: String(c) }));
  for (const [name, model] of [['standard', S], ['TRADES', TR], ['1NN', NN]] as const) {
    const pred = tf.tidy(() => tf.argMax(model.apply(gT).logits, 1));
    const pv = await pred.data();
    pred.dispose();
    const grid = Array.from(pv, (c, k) => ({ x1: 20 * gx[2 * k] - 10, x2: 20 * gx[2 * k + 1] - 10, class: String(c) }));
    let robust: number;
    if (name === '1NN') robust = exact.robustAccuracy;
    else {
      const adv = apgdCe(model, T.x, T.y, { norm: 'linf', eps: e, steps: 50 });
      robust = await accuracyOn(model, adv, T.y);
      adv.dispose();
    }
    const clean = await accuracyOn(model, T.x, T.y);
    rows.push({ method: name, 'train clean %': +(100 * clean).toFixed(1), [`train robust % (l-inf ${eps})`]: +(100 * robust).toFixed(1) });
    panels.push({ name, grid, points });
  }
  tf.dispose([gT, T.x, T.y]);
  S.dispose();
  TR.dispose();
  return { rows, panels };
}

/** An APGD attack at the paper's radius of `norm`, on cross-entropy or on the margin (`cwLoss`, DLR's numerator). */
export function paperApgd(norm: 'l2' | 'linf', loss: 'ce' | 'margin', steps: number) {
  return (m: Classifier, x: tf.Tensor, y: tf.Tensor1D) =>
    apgd(m, x, y, { norm, eps: NN_EPS[norm], steps, loss: loss === 'ce' ? 'ce' : cwLoss });
}

/** Sizes of the CNN side (the notebook's profile). */
export interface CnnSizes {
  channels: readonly number[];
  epochs: number;
  earlyEpochs: number;
  batchSize: number;
  lr: number;
  /** Epochs of linear learning-rate warm-up ({@link linearWarmup}; default 0: none). */
  warmupEpochs?: number;
  innerSteps: number;
  tbBetas: readonly number[];
  evalN: number;
  apgdSteps: number;
}

/** The small CNN of the CNN side with the profile's channels. */
export function cnnArch(channels: readonly number[]) {
  return (s: number) => smallCnn({ channels: channels as [number, number], numClasses: 2, seed: s });
}

/** A kept T_R model with its evaluation training images (Figs. 1 and 7); the caller disposes all three. */
export interface KeptModel {
  model: Classifier;
  x: tf.Tensor;
  y: tf.Tensor1D;
}

/** One problem's CNN results: table rows, per-method vectors, training seconds, the T_R model when kept. */
export interface CnnProblem {
  rows: Row[];
  vectors: Record<string, Vectors>;
  seconds: Record<string, number>;
  kept?: KeptModel;
}

/**
 * Trains S, E_S, T_R, TRADES at each beta of `tbBetas` and T_B_A on one problem (SGD, momentum 0.9, weight decay
 * 2e-4, after `warmupEpochs` of warm-up) and evaluates each on `evalN` training and test images, evenly spaced
 * within each class, with APGD-CE and APGD-margin in l2 and l-inf: robust = right under both attacks of a norm, "both" = right under all four. T_B is the beta of the grid
 * (T_R's 6 included) with the best test robust accuracy under both norms. `keep` keeps T_R and its training images.
 */
export async function cnnProblem(name: string, data: { train: Dataset; test: Dataset }, z: CnnSizes, keep: boolean): Promise<CnnProblem> {
  const trT = toTensors(data.train);
  const evT = { train: toTensors(data.train, evalRows(data.train, z.evalN)), test: toTensors(data.test, evalRows(data.test, z.evalN)) };
  const step = { eps: NN_EPS.linf, steps: z.innerSteps, stepSize: 2 / 255, randomStart: 'normal' as const, startStd: 0.001 };
  const attacks = {
    'l2 ce': paperApgd('l2', 'ce', z.apgdSteps), 'l2 margin': paperApgd('l2', 'margin', z.apgdSteps),
    'linf ce': paperApgd('linf', 'ce', z.apgdSteps), 'linf margin': paperApgd('linf', 'margin', z.apgdSteps),
  };
  const and = (...v: Uint8Array[]) => v[0].map((_, i) => (v.every((u) => u[i]) ? 1 : 0));
  const methods: [string, () => TrainingMethod, number][] = [
    ['S', () => standard(), z.epochs], ['E_S', () => standard(), z.earlyEpochs],
    ['T_R', () => trades({ ...step, beta: 6 }), z.epochs],
    ...z.tbBetas.map((b) => [`T(beta ${b})`, () => trades({ ...step, beta: b }), z.epochs] as [string, () => TrainingMethod, number]),
    ['T_B_A', () => tradesBoth({ steps: z.innerSteps, beta: 6 }), z.epochs],
  ];
  const vectors: Record<string, Vectors> = {};
  const seconds: Record<string, number> = {};
  let kept: KeptModel | undefined;
  for (const [m, make, epochs] of methods) {
    const t = await trainNamed({
      name: `${m} ${name}`, model: cnnArch(z.channels), method: make(), data: trT, epochs, batchSize: z.batchSize,
      optimizer: { lr: z.lr, momentum: 0.9, weightDecay: 2e-4 },
      schedule: z.warmupEpochs ? linearWarmup(constant(z.lr), z.warmupEpochs) : undefined,
    });
    seconds[m] = t.seconds;
    const vec: Vectors = {};
    for (const split of ['train', 'test'] as const) {
      const ev: Evaluation = await evaluateModel({ name: m, model: t.model }, evT[split], attacks);
      const l2 = and(ev.correct['l2 ce'], ev.correct['l2 margin']);
      const linf = and(ev.correct['linf ce'], ev.correct['linf margin']);
      Object.assign(vec, { [`${split} clean`]: ev.clean, [`${split} l2`]: l2, [`${split} linf`]: linf, [`${split} both`]: and(l2, linf) });
    }
    vectors[m] = vec;
    if (m === 'T_R' && keep) kept = { model: t.model, x: evT.train.x, y: evT.train.y };
    else t.model.dispose();
  }
  const grid = ['T_R', ...z.tbBetas.map((b) => `T(beta ${b})`)];
  const best = grid.reduce((a, b) => (percentOf(vectors[b]['test both']) > percentOf(vectors[a]['test both']) ? b : a));
  vectors['T_B'] = vectors[best];
  const rows = CNN_METHODS.map((m) => ({
    problem: name, method: m === 'T_B' ? `T_B (${best})` : m,
    ...Object.fromEntries(Object.entries(vectors[m]).map(([k, u]) => [`${k} %`, percentOf(u)])),
  }));
  tf.dispose([trT.x, trT.y, evT.test.x, evT.test.y]);
  if (!kept) tf.dispose([evT.train.x, evT.train.y]);
  return { rows, vectors, seconds, kept };
}

/** What the comparisons need: 1NN's and the CNNs' per-image vectors per problem, and 1NN's rows. */
export interface Comparison {
  nn: Record<string, Vectors>;
  nnRows: Row[];
  cnn: Record<string, Record<string, Vectors>>;
}

/** The problems with both 1NN and CNN results, in CNN order. */
export function sharedProblems(c: Comparison): string[] {
  return Object.keys(c.cnn).filter((k) => c.nn[k]);
}

/**
 * Figs. 4-5: each method's mean percentage per measure over the shared problems, then 1NN's mean over all its
 * problems as a last row.
 */
export function figs45Rows(c: Comparison): Row[] {
  const probs = sharedProblems(c);
  const rows: Row[] = ['1NN', ...CNN_METHODS].map((m) => ({
    method: m,
    ...Object.fromEntries(FIG45_MEASURES.map((k) => [`${k} %`, meanOf(probs.map((pr) => percentOf(m === '1NN' ? c.nn[pr][k] : c.cnn[pr][m][k])))])),
  }));
  rows.push({
    method: `1NN (all ${c.nnRows.length} problems)`,
    ...Object.fromEntries(FIG45_MEASURES.map((k) => [`${k} %`, meanOf(c.nnRows.map((r) => r[`${k} %`] as number))])),
  });
  return rows;
}

/** Long rows (method, measure, accuracy) of the method rows of {@link figs45Rows} for a grouped bar chart. */
export function figs45Bars(rows: Row[]): Row[] {
  const shown = ['train clean', 'train l2', 'train linf', 'test clean', 'test l2', 'test linf', 'test both'];
  return rows.slice(0, 1 + CNN_METHODS.length).flatMap((r) => shown.map((k) => ({ method: r.method, measure: k, accuracy: r[`${k} %`] })));
}

/** Fig. 6: per shared problem, (l2 + l-inf test robust accuracy) / 2 of 1NN and of T_B, as fractions. */
export function fig6Rows(c: Comparison): { problem: string; '1NN l2+linf RA / 2': number; 'best TRADES l2+linf RA / 2': number }[] {
  return sharedProblems(c).map((pr) => {
    const nn = (percentOf(c.nn[pr]['test l2']) + percentOf(c.nn[pr]['test linf'])) / 200;
    const tb = (percentOf(c.cnn[pr]['T_B']['test l2']) + percentOf(c.cnn[pr]['T_B']['test linf'])) / 200;
    return { problem: pr, '1NN l2+linf RA / 2': +nn.toFixed(4), 'best TRADES l2+linf RA / 2': +tb.toFixed(4) };
  });
}

/** Fig. 1: the kept T_R model's robust accuracy at l-inf 8/255 and l2 1.74 (APGD-CE); the l2 adversarials kept. */
export async function fig1Study(kept: KeptModel, label: string, apgdSteps: number): Promise<{ rows: Row[]; adv: tf.Tensor }> {
  const rows: Row[] = [];
  let adv: tf.Tensor | undefined;
  for (const norm of ['linf', 'l2'] as const) {
    const a = paperApgd(norm, 'ce', apgdSteps)(kept.model, kept.x, kept.y);
    const acc = await accuracyOn(kept.model, a, kept.y);
    rows.push({ model: `T_R ${label} (training images)`, threat: norm === 'l2' ? 'l2 1.74' : 'l-inf 8/255', 'robust %': +(100 * acc).toFixed(2) });
    if (norm === 'l2') adv = a;
    else a.dispose();
  }
  return { rows, adv: adv! };
}

/**
 * Fig. 7: 1NN's minimal l2 fooling perturbations (exact, no radius cap) on `n` evenly spaced training images and,
 * when given, T_R's APGD l2 perturbations of Fig. 1: their share of pixels changed by more than 8/255 and the
 * per-pixel |change| values (T_R's first 30,000).
 */
export async function fig7Study(train: Dataset, n: number, budget: NnBudget, tr?: { x: tf.Tensor; adv: tf.Tensor }): Promise<{ rows: Row[]; hist: Row[] }> {
  const set = nnSetOf(train);
  const idx = evalRows(train, n);
  const rec = await nnRobustness(set, nnSetOf(train, idx), {
    norm: 'l2', eps: NN_EPS.l2, radiusCap: Infinity, exactAll: true, keepPerturbations: true, selfIndex: Int32Array.from(idx), ...budget,
  });
  const per = rec.points.filter((p) => p.perturbation);
  const hist: Row[] = [];
  let over = 0, total = 0;
  for (const pt of per) for (const v of pt.perturbation!) {
    total++;
    if (Math.abs(v) > 8 / 255) over++;
    hist.push({ who: '1NN', '|pixel change|': Math.abs(v) });
  }
  const radii = per.map((p) => p.radius!).sort((a, b) => a - b);
  const rows: Row[] = [{
    classifier: '1NN (minimal l2, exact)', images: per.length, 'median l2 norm': +(radii[Math.floor(per.length / 2)] ?? NaN).toFixed(3),
    'pixels changed > 8/255 (%)': +((100 * over) / Math.max(1, total)).toFixed(1),
  }];
  if (tr) {
    const d = tf.tidy(() => tf.abs(tf.sub(tr.adv, tr.x)));
    const dv = await d.data();
    d.dispose();
    let o = 0;
    for (let i = 0; i < dv.length; i++) {
      if (dv[i] > 8 / 255) o++;
      if (i < 30000) hist.push({ who: 'T_R (APGD l2 1.74)', '|pixel change|': dv[i] });
    }
    rows.push({ classifier: 'T_R (APGD l2 1.74)', images: tr.x.shape[0], 'median l2 norm': +NN_EPS.l2.toFixed(3), 'pixels changed > 8/255 (%)': +((100 * o) / dv.length).toFixed(1) });
  }
  return { rows, hist };
}

/**
 * Table 1: mean training seconds of T_R and E_S over the CNN problems, 1NN's "training" (uploading the training set
 * to the engine) and the per-image inference time of an exact 1NN query and of a CNN forward pass, on 500 test images.
 */
export async function table1Rows(data: { train: Dataset; test: Dataset }, channels: readonly number[], times: Record<string, number[]>): Promise<Row[]> {
  let s = performance.now();
  const trT = toTensors(data.train);
  const flat = tf.reshape(trT.x, [data.train.shape[0], -1]);
  const build = (performance.now() - s) / 1000;
  const teT = toTensors(data.test, evalRows(data.test, 500));
  s = performance.now();
  await nearestNeighbours(flat, teT.x);
  const inferNN = (performance.now() - s) / 1000 / teT.x.shape[0];
  const cnn = cnnArch(channels)(0);
  s = performance.now();
  const out = tf.tidy(() => cnn.apply(teT.x).logits);
  await out.data();
  out.dispose();
  const inferCNN = (performance.now() - s) / 1000 / teT.x.shape[0];
  cnn.dispose();
  tf.dispose([trT.x, trT.y, flat, teT.x, teT.y]);
  const mean = (v?: number[]) => (v && v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN);
  return [
    { algorithm: 'TRADES (T_R)', 'training time (s)': +mean(times['T_R']).toFixed(2), 'inference time (s)': +inferCNN.toPrecision(3) },
    { algorithm: 'early stop (E_S)', 'training time (s)': +mean(times['E_S']).toFixed(2), 'inference time (s)': +inferCNN.toPrecision(3) },
    { algorithm: '1NN (engine, exact)', 'training time (s)': +build.toPrecision(3), 'inference time (s)': +inferNN.toPrecision(3) },
  ];
}

/**
 * One method's per-image vectors pooled over the shared problems as an {@link Evaluation} of `split` (measures
 * clean, l2, linf, both); 1NN's are cut to the first `evalN` images of each problem.
 */
export function pooledEvaluation(c: Comparison, m: string, split: 'train' | 'test', evalN: number): Evaluation {
  const keys = ['clean', 'l2', 'linf', 'both'];
  const parts = sharedProblems(c).map((pr) => (m === '1NN'
    ? Object.fromEntries(keys.map((k) => [`${split} ${k}`, c.nn[pr][`${split} ${k}`].slice(0, evalN)]))
    : c.cnn[pr][m]));
  const cat = (k: string) => Uint8Array.from(parts.flatMap((p) => Array.from(p[`${split} ${k}`])));
  return { name: m, seed: 0, numClasses: 2, clean: cat('clean'), correct: { l2: cat('l2'), linf: cat('linf'), both: cat('both') }, seconds: 0 };
}

/** Everything the claim checks read. */
export interface ClaimInputs {
  comparison: Comparison;
  /** Whether 1NN and the CNNs were measured on the same images (paired). */
  sameImages: boolean;
  evalN: number;
  thm2: Row[];
  fig6: ReturnType<typeof fig6Rows>;
  /** The paper's Fig. 6 count. */
  paperFig6: { count: number; of: number };
  fig1Rows: Row[];
  fig1Images: number;
  fig7Rows: Row[];
  t1: Row[];
}

/** The notebook's eight claims (see its introduction), each with its stated test. */
export function nnVsTradesClaims(i: ClaimInputs): ClaimVerdict[] {
  const out: ClaimVerdict[] = [];
  const note = i.sameImages ? '1NN and the CNNs on the same evenly spaced images of each problem' : '1NN and the CNNs on different image subsets: not a paired comparison';
  const pooled = (m: string, split: 'train' | 'test') => pooledEvaluation(i.comparison, m, split, i.evalN);
  const nnRows = i.comparison.nnRows;
  // 1. train-set robust accuracy of 1NN is 100%, and above every CNN's
  const nnTrainAll = nnRows.flatMap((r) => [r['train l2 %'] as number, r['train linf %'] as number]);
  const allHundred = nnTrainAll.every((v) => v === 100);
  out.push({
    claim: '1NN has 100% train-set robust accuracy (l2 1.74 and l-inf 8/255) on every problem', verdict: allHundred ? 'holds' : 'does not hold',
    test: 'exact computation (no sampling noise on the evaluated images)', p: null,
    reason: allHundred ? 'every evaluated training image certified' : `lowest per-problem value ${Math.min(...nnTrainAll)}%`,
    evidence: { problems: nnRows.length, 'lowest %': Math.min(...nnTrainAll) },
  });
  for (const m of CNN_METHODS) for (const norm of ['l2', 'linf']) {
    out.push(claimGreater(`1NN's train-set ${norm} robust accuracy is above ${m}'s`, pooled('1NN', 'train'), pooled(m, 'train'), norm, { note }));
  }
  // 2. clean accuracy
  out.push(claimGreater('Standard training (S) has higher test clean accuracy than 1NN', pooled('S', 'test'), pooled('1NN', 'test'), 'clean', { note }));
  // 3. test set
  for (const m of ['T_R', 'T_B', 'T_B_A']) out.push(claimGreater(`1NN's test l2 robust accuracy is above ${m}'s`, pooled('1NN', 'test'), pooled(m, 'test'), 'l2', { note }));
  out.push(claimNotWorse("1NN's test l-inf robust accuracy is comparable to the best TRADES (not worse by more than 5 points)", pooled('1NN', 'test'), pooled('T_B', 'test'), 'linf', 5, { note }));
  for (const m of ['T_R', 'T_B', 'T_B_A']) out.push(claimGreater(`1NN's test robust accuracy under both norms is above ${m}'s`, pooled('1NN', 'test'), pooled(m, 'test'), 'both', { note }));
  // 4. Fig. 6
  const wins = i.fig6.filter((r) => r['1NN l2+linf RA / 2'] >= r['best TRADES l2+linf RA / 2']).length;
  out.push(claimMostly('1NN is better than or equal to the best TRADES on most problems (l2 + l-inf test RA)', wins, i.fig6.length, { what: 'problems', note: `paper: ${i.paperFig6.count} of ${i.paperFig6.of}` }));
  // 5. Fig. 1
  if (i.fig1Rows.length === 2) {
    const [li, l2] = i.fig1Rows.map((r) => r['robust %'] as number);
    const n = i.fig1Images;
    const k = Math.round((l2 / 100) * n);
    out.push({
      claim: 'T_R, trained robust at l-inf 8/255, is fooled at l2 1.74 on most training points (robust < 50%)',
      verdict: binomialLower(k, n, 0.5) < 0.05 ? 'holds' : binomialUpper(k, n, 0.5) < 0.05 ? 'does not hold' : 'inconclusive',
      test: 'exact binomial vs 50%, one-sided each way, alpha 0.05', p: null, reason: `l2 robust ${l2}% vs l-inf robust ${li}% on ${n} images`,
      evidence: { 'l2 1.74 %': l2, 'l-inf 8/255 %': li, images: n }, note: "paper: under 5% left at l2 for RobustBench's TRADES on CIFAR-10",
    });
  }
  // 6. Fig. 7
  if (i.fig7Rows.length === 2) {
    const [nn, tr] = i.fig7Rows.map((r) => r['pixels changed > 8/255 (%)'] as number);
    out.push({
      claim: 'Fooling 1NN changes most pixels by more than 8/255; fooling T_R changes far fewer',
      verdict: nn > 50 && nn > tr ? 'holds' : nn <= tr ? 'does not hold' : 'inconclusive',
      test: 'share of pixels over 8/255 (all pixels of the perturbations, descriptive)', p: null, reason: `1NN ${nn}% vs T_R ${tr}%`, evidence: { '1NN %': nn, 'T_R %': tr },
    });
  }
  // 7. Table 1
  const tr = i.t1[0]['training time (s)'] as number, nn = Math.max(1e-6, i.t1[2]['training time (s)'] as number);
  out.push({
    claim: "1NN's training (index build) is orders of magnitude faster than TRADES", verdict: tr / nn >= 100 ? 'holds' : tr / nn < 10 ? 'does not hold' : 'inconclusive',
    test: 'ratio of wall times, one run each (>= 100x holds, < 10x does not)', p: null, reason: `ratio ${(tr / nn).toFixed(0)}x`, evidence: { 'TRADES s': tr, '1NN s': nn },
  });
  // 8. Theorem 2
  const ok = i.thm2.every((r) => r['train l2 RA at 0.999 d/2 (%)'] === 100);
  out.push({
    claim: "Theorem 2: 1NN's train-set l2 robust accuracy is 100% at eps below half the class distance", verdict: ok ? 'holds' : 'does not hold',
    test: 'exact computation on every training image', p: null, reason: i.thm2.map((r) => `${r.problem} ${r['train l2 RA at 0.999 d/2 (%)']}%`).join(', '), evidence: { problems: i.thm2.length },
  });
  return out;
}
