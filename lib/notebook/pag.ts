/**
 * The perceptually aligned gradients notebook's (Ganz et al., ICML 2023) longer steps, kept out of its cells:
 * the 2-D toy of Sec. 5.1 trained over seeds, its Fig. 3 panel, the CIFAR-10 prefix it trains on, the gate and
 * rank-correlation claim of its alignment section and the rows of its large-eps targeted image grids.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { pgd } from '../attacks/pgd';
import { findCifar10, cifar10TreeFiles } from '../data/cifar10';
import { CIFAR10_CLASSES } from '../data/loaders';
import { decodeImages } from '../data/decodePool';
import { toTensors } from '../data/dataset';
import type { Classifier } from '../models/classifier';
import type { ComposedClassifier } from '../models/compose';
import { rankCorrelation, targetedExamples } from '../metrics/gradientAlignment';
import { decisionRegions } from '../plots/specs';
import { standard } from '../training/standard';
import { pag } from '../training/pag';
import { nearestNeighbour } from '../training/pagSources';
import { pagToyTensors, pagToyModel, pagToyField, trainAdam, PAG_TOY_SCALE } from '../training/pagToy';
import type { VegaLiteSpec } from './display';
import { evaluateModel, type Evaluation, type NamedAttack } from './evaluation';
import type { ImageRow } from './images';
import { loadData, type Provenance } from './provenance';
import { learned, LEARNED_ALPHA, fmtP, type ClaimVerdict, type Verdict } from './claims';

/** Sizes of {@link pagToyRun}. */
export interface PagToyOptions {
  /** Seeds: each trains a vanilla and a PAG (NN) model with the same seed. */
  seeds: readonly number[];
  /** Adam epochs (the paper: 100). */
  epochs: number;
  /** Training points per mode (the paper: 1000). */
  perMode: number;
  /** Test points per mode (the paper: 100, so 600 test points). */
  testPerMode: number;
  /** Nearest Neighbour sample per class (not in the paper). */
  nnPerClass: number;
  /** PAG weight lambda (not in the paper). */
  lambda: number;
}

/** What {@link pagToyRun} returns; `dispose` frees the models and data. */
export interface PagToyRun {
  /** Evaluations per arm ("Vanilla", "Nearest Neighbor"), one per seed. */
  evals: Record<string, Evaluation[]>;
  /** The first seed's model of each arm (for Fig. 3). */
  models: Record<string, ComposedClassifier>;
  /** The test points. */
  test: { x: tf.Tensor2D; y: tf.Tensor1D };
  dispose(): void;
}

/** The toy's name of the PGD column: l2 PGD-10 at eps 15, step 2, from the clean point (Sec. 5.1). */
export const PAG_TOY_ATTACK = 'PGD-10 l2';

/**
 * Sec. 5.1: vanilla and PAG with the Nearest Neighbour source on the 2-D toy (training data seed 0, test seed 1,
 * NN sample seed 0), Adam lr 0.01, batch 128 (appendix C.1), each evaluated clean and under l2 PGD-10 at
 * eps 15 / {@link PAG_TOY_SCALE} with step 2 / PAG_TOY_SCALE and no random start (Algorithm 1's delta 0 = 0).
 */
export async function pagToyRun(o: PagToyOptions): Promise<PagToyRun> {
  const train = pagToyTensors({ perMode: o.perMode, seed: 0 });
  const test = pagToyTensors({ perMode: o.testPerMode, seed: 1 });
  const nn = nearestNeighbour(train, { perClass: o.nnPerClass, seed: 0 });
  const toyPgd: NamedAttack = (m, x, y) =>
    pgd(m, x, y, { norm: 'l2', eps: 15 / PAG_TOY_SCALE, steps: 10, stepSize: 2 / PAG_TOY_SCALE, randomStart: false });
  const evals: Record<string, Evaluation[]> = { Vanilla: [], 'Nearest Neighbor': [] };
  const models: Record<string, ComposedClassifier> = {};
  try {
    for (const seed of o.seeds) {
      for (const name of Object.keys(evals)) {
        const model = pagToyModel(seed);
        const method = name === 'Vanilla' ? standard() : pag(nn, { lambda: o.lambda });
        await trainAdam(model, train, method, { epochs: o.epochs, batchSize: 128, lr: 0.01, seed });
        evals[name].push(await evaluateModel({ name, seed, model }, test, { [PAG_TOY_ATTACK]: toyPgd }));
        if (seed === o.seeds[0]) models[name] = model;
        else model.dispose();
      }
    }
  } finally {
    nn.dispose();
    tf.dispose([train.x, train.y]);
  }
  return {
    evals, models, test,
    dispose: () => {
      Object.values(models).forEach((m) => m.dispose());
      tf.dispose([test.x, test.y]);
    },
  };
}

/**
 * One Fig. 3 panel: the model's decision regions, every fourth test point and the arrows of its input gradient
 * field, in the paper's coordinates.
 * @param model a toy model
 * @param test the toy's test points ([N, 2] in [0, 1]) and labels
 * @param title the panel's title
 */
export function pagToyPanel(model: ComposedClassifier, test: { x: tf.Tensor; y: tf.Tensor1D }, title: string): VegaLiteSpec {
  const f = pagToyField(model);
  const x = test.x.dataSync();
  const y = test.y.dataSync();
  const pts: { x1: number; x2: number; class: string }[] = [];
  for (let i = 0; i < y.length; i += 4)
    pts.push({ x1: (x[2 * i] - 0.5) * PAG_TOY_SCALE, x2: (x[2 * i + 1] - 0.5) * PAG_TOY_SCALE, class: `class ${y[i]}` });
  const spec = decisionRegions(f.regions, pts, { x: 'x1', y: 'x2', cls: 'class', title }) as VegaLiteSpec & { layer: unknown[] };
  const q = (field: string) => ({ field, type: 'quantitative' });
  spec.layer.push({
    data: { values: f.arrows },
    mark: { type: 'rule', color: 'black', strokeWidth: 1 },
    encoding: { x: q('x1'), y: q('x2'), x2: { field: 'x1end' }, y2: { field: 'x2end' } },
  });
  return spec;
}

/** Train and test tensors of the PAG notebook, with their class names and provenance. */
export interface PagData {
  trainT: { x: tf.Tensor4D; y: tf.Tensor1D };
  testT: { x: tf.Tensor4D; y: tf.Tensor1D };
  classNames: string[];
  provenance: Provenance;
}

/**
 * The PAG notebook's data: with the CIFAR-10 JPEG copy and `trainN` below 50,000, the first `trainN` training
 * and `testN` test images in the tree's class-interleaved file order (balanced prefixes); otherwise
 * {@link loadData} (CIFAR-10, else generated shapes10 of max(2000, 1.25 trainN) images) and its first images.
 */
export function pagData(trainN: number, testN: number): PagData {
  const c10 = findCifar10('train');
  if (c10?.source === 'jpeg-copy' && trainN < 50000) {
    const prefix = (split: 'train' | 'test', n: number) => {
      const files = cifar10TreeFiles(findCifar10(split)!.dir).slice(0, n);
      const bytes = decodeImages(files.map((f) => f.file), 32, 32);
      const x = tf.tensor4d(Float32Array.from(bytes, (v) => v / 255), [files.length, 32, 32, 3]);
      return { x, y: tf.tensor1d(files.map((f) => f.label), 'int32') };
    };
    const form = `CIFAR-10 (JPEG q75 copy): the first ${trainN} training and ${testN} test images in the class-interleaved file order`;
    const provenance: Provenance = { dataset: 'cifar10', form, paperDataset: 'CIFAR-10', isPapers: true, generated: false, fallbacks: [] };
    return { trainT: prefix('train', trainN), testT: prefix('test', testN), classNames: [...CIFAR10_CLASSES], provenance };
  }
  const d = loadData(['cifar10', 'shapes10'], { paperDataset: 'CIFAR-10', shapesN: Math.max(2000, 1.25 * trainN) });
  const first = (n: number) => Array.from({ length: n }, (_, i) => i);
  return {
    trainT: toTensors(d.train, first(Math.min(trainN, d.train.shape[0]))),
    testT: toTensors(d.test, first(Math.min(testN, d.test.shape[0]))),
    classNames: d.train.classNames,
    provenance: d.provenance,
  };
}

/**
 * The kit's model-claims gate for a claim built by hand: inconclusive when a model's clean accuracy is not above
 * chance (exact one-sided binomial at {@link LEARNED_ALPHA}), else `make()`.
 * @param claim the claim in one line
 * @param models the evaluations the claim rests on, by name
 * @param make the claim's own test, run only when every model learned
 */
export function gatedClaim(claim: string, models: Record<string, Evaluation>, make: () => ClaimVerdict): ClaimVerdict {
  const bad = Object.entries(models).filter(([, ev]) => !learned(ev).learned).map(([n]) => n);
  if (!bad.length) return make();
  const test = `gate: clean accuracy above chance, exact binomial, one-sided, alpha ${LEARNED_ALPHA}`;
  return { claim, verdict: 'inconclusive', test, p: null, reason: `model did not learn: ${bad.join(', ')}`, evidence: {} };
}

/**
 * "More of a goes with more of b": Spearman's rank correlation with its two-sided permutation test
 * ({@link rankCorrelation}) at alpha; holds for a significant positive rho, does not hold for a significant
 * negative one, else inconclusive.
 * @param claim the claim in one line
 * @param a first values (e.g. gradient alignment per model)
 * @param b paired second values (e.g. robust accuracy per model)
 * @param alpha significance level (default 0.05)
 */
export function claimRankCorrelation(claim: string, a: readonly number[], b: readonly number[], alpha = 0.05): ClaimVerdict {
  const rc = rankCorrelation(a, b);
  const verdict: Verdict = rc.p < alpha ? (rc.rho > 0 ? 'holds' : 'does not hold') : 'inconclusive';
  const test = `Spearman rank correlation, two-sided permutation test (${rc.n <= 8 ? 'exact' : '20000 draws'}), alpha ${alpha}`;
  const reason = `rho ${rc.rho.toFixed(3)}, p ${fmtP(rc.p)}`;
  return { claim, verdict, test, p: rc.p, reason, evidence: { rho: +rc.rho.toFixed(3), models: rc.n } };
}

/**
 * Image rows of Fig. 4: the originals, then one row per target class of large-eps targeted l2 PGD
 * ({@link targetedExamples}) toward that class. The caller disposes the rows' images after the first.
 * @param name the model's name, for the row labels
 * @param model the model
 * @param x images [N, H, W, C]
 * @param classNames class names, one per target
 * @param opts eps and steps of the targeted attack
 */
export function targetedRows(name: string, model: Classifier, x: tf.Tensor, classNames: readonly string[], opts: { eps: number; steps: number }): ImageRow[] {
  const adv = targetedExamples(model, x, opts);
  const rows = classNames.map((c, k) => ({ label: `${name}: target ${c}`, images: tf.tidy(() => adv.slice([0, k], [-1, 1]).squeeze([1])) }));
  adv.dispose();
  return [{ label: `${name}: originals`, images: x }, ...rows];
}
