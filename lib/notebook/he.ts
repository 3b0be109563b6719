/**
 * The pieces of the hypersphere-embedding notebook (Pang et al., NeurIPS 2020) that are code rather than
 * reading: the heads by name, the three frameworks with and without HE, and the white-box attack set of
 * Table 2, so that the notebook's cells only say what is measured.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Attack } from '../attacks/types';
import { pgd, mim } from '../attacks/pgd';
import { fgsm } from '../attacks/fgsm';
import { fab } from '../attacks/fab';
import { deepfool } from '../attacks/minNorm';
import { featureAttack } from '../attacks/featureAttack';
import { cwLoss } from '../losses/margin';
import { heAT } from '../losses/he';
import { hypersphereHead } from '../models/heads/hypersphere';
import type { HeadBuilder } from '../models/compose';
import { pgdAT } from '../training/pgdAT';
import { alp } from '../training/alp';
import { trades } from '../training/trades';
import type { TrainingMethod } from '../training/method';
import type { NamedAttack } from './evaluation';

/** The heads compared: linear (plain), HE (FN + WN), m-HE (angular), FN only, WN only. */
export type HeadKind = 'linear' | 'he' | 'mhe' | 'fn' | 'wn';

/** Scale s and margin m of Eq. (6). */
export interface HeSetting {
  /** Scale s. */
  s: number;
  /** Margin m. */
  m: number;
}

/** The head builder of a kind (undefined: the model's default linear head). */
export function heHead(kind: HeadKind): HeadBuilder | undefined {
  if (kind === 'linear') return undefined;
  if (kind === 'mhe') return hypersphereHead({ angular: true });
  if (kind === 'fn') return hypersphereHead({ weightNorm: false });
  if (kind === 'wn') return hypersphereHead({ featureNorm: false });
  return hypersphereHead();
}

/** The training attack: PGD with `steps` steps of `stepSize` in the eps-ball. */
export interface TrainAttack {
  /** l-inf radius. */
  eps: number;
  /** PGD steps. */
  steps: number;
  /** Step size. */
  stepSize: number;
}

/** The Table 2 frameworks. */
export const FRAMEWORKS = ['PGD-AT', 'ALP', 'TRADES'] as const;
/** One of {@link FRAMEWORKS}. */
export type Framework = (typeof FRAMEWORKS)[number];

/**
 * A framework's training method, with HE when `he` is given (Table 1 of the paper): PGD-AT; ALP with pairing
 * weight 0.5; TRADES with beta 6. With HE the outer loss is Eq. (6) and the inner attack Eq. (6) with m = 0.
 */
export function frameworkMethod(fw: Framework, attack: TrainAttack, he?: HeSetting): TrainingMethod {
  if (fw === 'PGD-AT') return he ? pgdAT({ ...attack, ...heAT(he) }) : pgdAT(attack);
  if (fw === 'ALP') return alp({ ...attack, pairing: 0.5, he });
  return trades({ ...attack, beta: 6, he });
}

/** Sizes of the Table 2 attack set. */
export interface AttackSizes {
  /** l-inf radius. */
  eps: number;
  /** Steps of PGD, MIM and C&W (20 in the paper). */
  steps: number;
  /** FAB iterations and the number of leading test images it runs on. */
  fabSteps: number;
  /** Test images FAB runs on. */
  fabN: number;
  /** Add DeepFool (kept in the eps-box) and the feature attack. */
  extra: boolean;
  /** PGD-500 steps (0: not run). */
  longSteps: number;
}

/**
 * The white-box attacks of Table 2 by the paper's column names: PGD-20, MIM-20, FGSM, C&W-inf (PGD on the C&W
 * margin loss), FAB (on the first `fabN` images), and with `extra` DeepFool and the feature attack.
 */
export function table2Attacks(a: AttackSizes): Record<string, NamedAttack> {
  const out: Record<string, NamedAttack> = {
    'PGD-20': (m, x, y) => pgd(m, x, y, { eps: a.eps, steps: a.steps }),
    'MIM-20': (m, x, y) => mim(m, x, y, { eps: a.eps, steps: a.steps }),
    FGSM: (m, x, y) => fgsm(m, x, y, { eps: a.eps }),
    'C&W-inf': (m, x, y) => pgd(m, x, y, { eps: a.eps, steps: a.steps, loss: cwLoss }),
    FAB: { attack: (m, x, y) => fab(m, x, y, { norm: 'linf', eps: a.eps, steps: a.fabSteps }), n: a.fabN },
  };
  if (a.extra) {
    // DeepFool finds a minimal l-inf perturbation; its direction is kept inside the eps-box.
    out.DeepFool = (m, x, y) => tf.tidy(() => x.add(deepfool(m, x, y, { norm: 'linf', steps: 50 }).sub(x).clipByValue(-a.eps, a.eps)).clipByValue(0, 1));
    out['feature attack'] = (m, x, y) => featureAttack(m, x, y, { eps: a.eps, steps: a.steps });
  }
  if (a.longSteps > 0) out['PGD-500'] = (m, x, y) => pgd(m, x, y, { eps: a.eps, steps: a.longSteps });
  return out;
}

/** A plain attack from a named one (drops the image limit). */
export function attackOf(a: NamedAttack): Attack<undefined> {
  return typeof a === 'function' ? a : a.attack;
}

/**
 * The authors' per-method HE settings (AT_HE README), which differ from the paper's single s 15, m 0.2:
 * PGD-AT+HE s 10 (weight decay 5e-4; the README gives no margin, so the paper's 0.2), ALP+HE s 20 m 0.3,
 * TRADES+HE s 15 m 0.2.
 */
export const HE_CODE_SETTINGS: Readonly<Record<Framework, HeSetting & { weightDecay?: number }>> = {
  'PGD-AT': { s: 10, m: 0.2, weightDecay: 5e-4 },
  ALP: { s: 20, m: 0.3 },
  TRADES: { s: 15, m: 0.2 },
};

/** CIFAR-10's per-channel mean and std, the normalisation the paper's models apply inside the model. */
export const CIFAR10_NORMALIZATION = { mean: [0.4914, 0.4822, 0.4465], std: [0.2471, 0.2435, 0.2616] };
