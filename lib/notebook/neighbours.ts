/**
 * The gain-from-neighbours notebook's measurements, kept out of its cells: similarity-rank histograms of
 * corruption errors with their three-valued test (Fig. 7, Algorithms 1-2), where standard adversarial steps
 * and neighbour perturbations send the training inputs (Fig. 6), and corruption accuracy per corruption and
 * family (Table 6).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../models/classifier';
import { similarityRanks } from '../metrics/classWise';
import { headWeights, nearRankTest, similarityMatrix, type NearRankTest } from '../metrics/classSimilarity';
import { neighbourTargets, perturbTowards } from '../training/neighbourPerturbation';
import { pgd } from '../attacks/pgd';
import { lpNorm } from '../tensor/norms';
import { CORRUPTIONS } from '../data/corruptions/index';
import type { ClaimVerdict } from './claims';
import { fmtP } from './claims';
import type { CorruptionPredictions } from './classwise';

/** Similarity-rank histogram (index k - 1 counts rank k) of a model's wrong predictions `pred` on `labels`. */
export function rankHistogram(model: Classifier, pred: ArrayLike<number>, labels: ArrayLike<number>): number[] {
  return similarityRanks(headWeights(model), pred, labels).histogram;
}

/** Ranks of one model's errors under each corruption (all severities pooled): corruption -> histogram. */
export function corruptionRankHistograms(model: Classifier, p: CorruptionPredictions, index: number): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const c of p.corruptions) {
    const pred = p.preds[index][c].flatMap((a) => Array.from(a));
    const labels = p.preds[index][c].flatMap(() => Array.from(p.labels));
    out[c] = rankHistogram(model, pred, labels);
  }
  return out;
}

/**
 * "Errors fall on near neighbours": the one-sided z-test of {@link nearRankTest} against ranks uniform on the
 * other classes. Holds when the mean rank is significantly below uniform, does not hold when significantly
 * above, else inconclusive (also with no errors to rank).
 */
export function claimNearRanks(claim: string, histogram: readonly number[], opts: { alpha?: number; note?: string } = {}): ClaimVerdict {
  const alpha = opts.alpha ?? 0.05;
  const t: NearRankTest = nearRankTest(histogram);
  const evidence = { errors: t.n, 'mean rank': +t.meanRank.toFixed(3), 'uniform mean rank': t.uniformMeanRank, 'share at rank 2': +t.nearestShare.toFixed(3), p: fmtP(t.p) };
  const test = `z-test of the mean similarity rank against ranks uniform on 2..${histogram.length}, one-sided each way, alpha ${alpha}`;
  const verdict = t.n === 0 ? 'inconclusive' : t.p < alpha ? 'holds' : 1 - t.p < alpha ? 'does not hold' : 'inconclusive';
  const reason = t.n === 0 ? 'no errors to rank' : verdict === 'holds' ? `mean rank ${t.meanRank.toFixed(2)} below the uniform ${t.uniformMeanRank}, p ${fmtP(t.p)}` : verdict === 'does not hold' ? `mean rank ${t.meanRank.toFixed(2)} above the uniform ${t.uniformMeanRank}` : `mean rank ${t.meanRank.toFixed(2)} within noise of ${t.uniformMeanRank}`;
  return { claim, verdict, test, p: t.n ? t.p : null, reason, evidence, ...(opts.note ? { note: opts.note } : {}) };
}

/** Where one kind of training perturbation sends the inputs (Fig. 6 as a measurement). */
export interface PerturbationProfile {
  /** `standard AT` (Eq. 3) or `neighbour` (Eq. 5). */
  kind: string;
  /** ranks[k - 1]: inputs whose prediction after the perturbation has similarity rank k to the true class (1: still the true class, when it is its own nearest). */
  ranks: number[];
  /** Mean l2 and l-inf norm of the perturbations. */
  l2: number;
  linf: number;
}

/**
 * Perturbs `x` both ways with the same `steps` and `eta` (standard AT: up the CE of y, Eq. 3; neighbour:
 * down the CE of a top-k neighbour, Eq. 5) and reports the similarity ranks of the predicted classes and the
 * perturbation norms. The model's head defines M.
 */
export async function perturbationProfiles(model: Classifier, x: tf.Tensor, y: tf.Tensor1D, opts: { steps: number; eta: number; k: number; seed?: number; excludeSelf?: boolean }): Promise<PerturbationProfile[]> {
  const m = similarityMatrix(headWeights(model));
  const labels = Array.from(await y.data());
  const targets = tf.tensor1d(neighbourTargets(m, labels, opts.k, opts.seed ?? 0, opts.excludeSelf ?? false), 'int32');
  const eps = opts.steps * opts.eta;
  const advs: [string, tf.Tensor][] = [
    ['standard AT', pgd(model, x, y, { norm: 'linf', eps, steps: opts.steps, stepSize: opts.eta, randomStart: false })],
    ['neighbour', perturbTowards(model, x, targets, { steps: opts.steps, eta: opts.eta })],
  ];
  targets.dispose();
  const out: PerturbationProfile[] = [];
  for (const [kind, adv] of advs) {
    const [pred, l2, linf] = tf.tidy(() => {
      const d = adv.sub(x);
      return [model.apply(adv).logits.argMax(1), lpNorm(d, 'l2').mean(), lpNorm(d, 'linf').mean()];
    });
    const p = Array.from(await pred.data()) as number[];
    const ranks = new Array<number>(m.length).fill(0);
    for (let i = 0; i < p.length; i++) ranks[m[labels[i]].filter((v) => v > m[labels[i]][p[i]]).length]++;
    out.push({ kind, ranks, l2: (await l2.data())[0], linf: (await linf.data())[0] });
    tf.dispose([adv, pred, l2, linf]);
  }
  return out;
}

/** Accuracy (fraction) per corruption averaged over severities, for model `index`. */
export function corruptionAccuracy(p: CorruptionPredictions, index: number): Record<string, number> {
  const acc = (a: Int32Array) => a.reduce((s, v, i) => s + (v === p.labels[i] ? 1 : 0), 0) / p.labels.length;
  return Object.fromEntries(p.corruptions.map((c) => [c, p.preds[index][c].reduce((s, a) => s + acc(a), 0) / p.severities.length]));
}

/** Mean accuracy over the corruptions of each family (noise, blur, weather, digital, extra) and over all. */
export function familyAccuracy(perCorruption: Record<string, number>): Record<string, number> {
  const groups: Record<string, number[]> = {};
  for (const [c, v] of Object.entries(perCorruption)) {
    const fam = CORRUPTIONS.find((k) => k.name === c)?.family ?? 'other';
    (groups[fam] ??= []).push(v);
  }
  const all = Object.values(perCorruption);
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  return { ...Object.fromEntries(Object.entries(groups).map(([f, a]) => [f, mean(a)])), average: mean(all) };
}
