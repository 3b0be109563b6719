// Fuzz: the rest of lib/index.ts that takes user input (models, losses, tensor helpers, metrics, training,
// data, notebook helpers, seeds) with bad inputs (see harness.ts for the verdicts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { engine } from '../helpers/setup';
import * as rl from '../../lib/index';
import { runProbes, report, summary, show, badInputs, badLabels, BAD_NUMBERS, PROTOTYPE_KEYS, type Probe, type KnownGap } from './harness';

test.before(engine);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'robustlab-fuzz-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const SHAPE = [2, 2, 1];
const K = 3;
const okX = () => tf.fill([2, ...SHAPE], 0.5);
const okY = () => tf.tensor1d([0, 1], 'int32');

/** Calls `fn` with tensors made fresh for the call, disposed after it (even when it throws). */
function withTensors<T>(makers: (() => unknown)[], fn: (...a: never[]) => T): () => Promise<unknown> {
  return async () => {
    const args = makers.map((m) => m());
    try {
      return await fn(...(args as never[]));
    } finally {
      tf.dispose(args.filter((a): a is tf.Tensor => a instanceof tf.Tensor));
    }
  };
}

const dataset = (n = 6): rl.Dataset => ({
  name: 'fuzz',
  x: new Uint8Array(n * 4).fill(128),
  y: Int32Array.from({ length: n }, (_, i) => i % K),
  shape: [n, 2, 2, 1],
  numClasses: K,
  classNames: ['a', 'b', 'c'],
});

// Reported, not fixed here (see the closing note of issue 13).
const KNOWN: KnownGap[] = [
  {
    what: /^(crossEntropy|margin)\(labels: (fractional|label = numClasses|negative|NaN)/,
    why: 'losses check label shapes only: reading label values back on every call would cost a sync per attack step; values are checked once by checkLabels at the attack/train/metric boundary',
  },
  { what: /^balancedSubset\(perClass: 100\)/, why: 'balancedSubset returns every example of a class that has fewer than perClass, without a word' },
];
// Documented results instead of errors.
const returnsRecord = () => true;
const empty = (r: unknown) => (r as { x: ArrayLike<number> }).x.length === 0;

test('models: bad options and bad inputs to apply', async () => {
  const m = rl.mlp({ inputShape: SHAPE, hidden: [4], numClasses: K });
  const probes: Probe[] = [];
  for (const [label, make] of badInputs(SHAPE).filter(([l]) => !/above|below|NaN|Infinity/.test(l)))
    probes.push({ what: `model.apply(x: ${label})`, call: withTensors([make], (x: tf.Tensor) => m.apply(x)), names: /\bx\b/ });
  for (const bad of [0, -1, 1.5, NaN]) {
    probes.push({ what: `mlp({ numClasses: ${bad} })`, call: () => rl.mlp({ inputShape: SHAPE, numClasses: bad }), names: 'numClasses' });
    probes.push({ what: `mlp({ hidden: [${bad}] })`, call: () => rl.mlp({ inputShape: SHAPE, hidden: [bad] }), names: 'hidden[0]' });
    probes.push({ what: `mlp({ inputShape: [${bad}] })`, call: () => rl.mlp({ inputShape: [bad] }), names: 'inputShape' });
    probes.push({ what: `smallCnn({ numClasses: ${bad} })`, call: () => rl.smallCnn({ numClasses: bad }), names: 'numClasses' });
    probes.push({ what: `smallCnn({ inputShape: [${bad}, 8, 1] })`, call: () => rl.smallCnn({ inputShape: [bad, 8, 1] }), names: 'inputShape' });
    probes.push({ what: `resnet18({ width: ${bad} })`, call: () => rl.resnet18({ width: bad }), names: 'width' });
  }
  probes.push({ what: 'smallCnn({ inputShape: [8] })', call: () => rl.smallCnn({ inputShape: [8] }), names: 'inputShape' });
  const findings = await runProbes(probes, KNOWN);
  m.dispose();
  assert.equal(findings, [], `\n${report(findings)}`);
});

test('losses and tensor helpers: shape mismatches, bad labels, prototype norms, bad radii', async () => {
  const logits = () => tf.tensor2d([[1, 2, 3], [0, 0, 0]]);
  const probes: Probe[] = [];
  for (const [fname, fn] of [['crossEntropy', rl.crossEntropy], ['margin', rl.margin]] as const) {
    probes.push({ what: `${fname}(logits: rank 1)`, call: withTensors([() => tf.tensor1d([1, 2]), okY], fn as never), names: 'logits' });
    for (const [label, make] of badLabels(2, K)) probes.push({ what: `${fname}(labels: ${label})`, call: withTensors([logits, make], fn as never), names: 'labels' });
  }
  probes.push({ what: 'klDivergence(shape mismatch)', call: withTensors([logits, () => tf.zeros([2, 4])], rl.klDivergence as never), names: 'qLogits' });
  for (const norm of [...PROTOTYPE_KEYS, 'l3']) {
    probes.push({ what: `lpNorm(norm: ${show(norm)})`, call: withTensors([okX], (t: tf.Tensor) => rl.lpNorm(t, norm as rl.Norm)), names: 'norm' });
    probes.push({ what: `projectBall(norm: ${show(norm)})`, call: withTensors([okX], (t: tf.Tensor) => rl.projectBall(t, norm as rl.Norm, 0.1)), names: 'norm' });
  }
  for (const eps of BAD_NUMBERS) probes.push({ what: `projectBall(eps: ${eps})`, call: withTensors([okX], (t: tf.Tensor) => rl.projectBall(t, 'l2', eps)), names: 'eps' });
  probes.push({ what: 'projectThreat(shape mismatch)', call: withTensors([okX, () => tf.zeros([3, 2, 2, 1])], (a: tf.Tensor, b: tf.Tensor) => rl.projectThreat(a, b, 'linf', 0.1, 0, 1)), names: /xAdv|\bx\b/ });
  probes.push({ what: 'projectThreat(lo > hi)', call: withTensors([okX, okX], (a: tf.Tensor, b: tf.Tensor) => rl.projectThreat(a, b, 'linf', 0.1, 1, 0)), names: /\blo\b|bounds/ });
  const findings = await runProbes(probes, KNOWN);
  assert.equal(findings, [], `\n${report(findings)}`);
});

test('metrics: bad inputs, labels, options and prototype keys', async () => {
  const m = rl.mlp({ inputShape: SHAPE, hidden: [4], numClasses: K });
  const noAttack = (_m: rl.Classifier, x: tf.Tensor) => x.clone();
  const probes: Probe[] = [];
  for (const [label, make] of badInputs(SHAPE)) {
    // Clean accuracy and predictions take any finite inputs (no bounds): documented in accuracy.ts.
    const accept = /above|below/.test(label) ? returnsRecord : undefined;
    probes.push({ what: `accuracy(x: ${label})`, call: withTensors([make, okY], (x: tf.Tensor, y: tf.Tensor1D) => rl.accuracy(m, x, y)), names: /\bx\b/, accept });
    probes.push({ what: `robustAccuracy(x: ${label})`, call: withTensors([make, okY], (x: tf.Tensor, y: tf.Tensor1D) => rl.robustAccuracy(m, x, y, noAttack)), names: /\bx\b/, accept });
    probes.push({ what: `predict(x: ${label})`, call: withTensors([make], (x: tf.Tensor) => rl.predict(m, x)), names: /\bx\b/, accept });
  }
  for (const [label, make] of badLabels(2, K)) {
    probes.push({ what: `accuracy(y: ${label})`, call: withTensors([okX, make], (x: tf.Tensor, y: tf.Tensor1D) => rl.accuracy(m, x, y)), names: /\by\b/ });
    probes.push({ what: `robustAccuracy(y: ${label})`, call: withTensors([okX, make], (x: tf.Tensor, y: tf.Tensor1D) => rl.robustAccuracy(m, x, y, noAttack)), names: /\by\b/ });
  }
  for (const bs of [0, -1, 1.5, NaN]) probes.push({ what: `robustAccuracy({ batchSize: ${bs} })`, call: withTensors([okX, okY], (x: tf.Tensor, y: tf.Tensor1D) => rl.robustAccuracy(m, x, y, noAttack, { batchSize: bs })), names: 'batchSize' });
  probes.push({ what: 'robustAccuracy(attack returns the wrong shape)', call: withTensors([okX, okY], (x: tf.Tensor, y: tf.Tensor1D) => rl.robustAccuracy(m, x, y, () => tf.zeros([1, 2, 2, 1]))), names: 'attack' });
  for (const [k, n] of [[-1, 10], [11, 10], [NaN, 10], [1, 0], [1, NaN]]) probes.push({ what: `wilson(${k}, ${n})`, call: () => rl.wilson(k, n), names: /\bk\b|\bn\b/ });
  probes.push({ what: 'accuracyRecord([])', call: () => rl.accuracyRecord([]), names: 'correct', accept: (r) => (r as rl.AccuracyRecord).n === 0 && (r as rl.AccuracyRecord).ci95.join() === '0,1' });
  for (const [label, pred, labels, k] of [
    ['length mismatch', [0, 1], [0], K],
    ['pred >= numClasses', [5, 1], [0, 1], K],
    ['NaN pred', [NaN, 1], [0, 1], K],
    ['numClasses 0', [0], [0], 0],
  ] as const) {
    probes.push({ what: `confusionMatrix(${label})`, call: () => rl.confusionMatrix(pred, labels, k), names: /pred|labels|numClasses/ });
    probes.push({ what: `classWiseError(${label})`, call: () => rl.classWiseError(pred, labels, k), names: /pred|labels|numClasses/ });
  }
  for (const key of PROTOTYPE_KEYS.filter((k) => k !== '__proto__')) {
    probes.push({
      what: `corruptionError(errors has '${key}', baseline lacks it)`,
      call: () => rl.corruptionError({ [key]: [0.1] }, { baseline: { fog: [0.2] } }),
      names: /baseline|errors/,
    });
  }
  probes.push({ what: 'corruptionError({ fog: [NaN] })', call: () => rl.corruptionError({ fog: [NaN] }), names: 'errors.fog' });
  probes.push({ what: 'perturbationNorms(shape mismatch)', call: withTensors([okX, () => tf.zeros([3, 2, 2, 1])], (a: tf.Tensor, b: tf.Tensor) => rl.perturbationNorms(a, b, 'l2')), names: /xAdv|\bx\b/ });
  probes.push({ what: `perturbationNorms(norm: 'constructor')`, call: withTensors([okX, okX], (a: tf.Tensor, b: tf.Tensor) => rl.perturbationNorms(a, b, 'constructor' as rl.Norm)), names: 'norm' });
  probes.push({ what: 'gradientNormRatio(xAdv shape mismatch)', call: withTensors([okX, () => tf.zeros([3, 2, 2, 1]), okY], (x: tf.Tensor, a: tf.Tensor, y: tf.Tensor1D) => rl.gradientNormRatio(m, x, a, y)), names: /xAdv/ });
  for (const [key, bad] of [['norm', 'constructor'], ['norm', 'l1'], ['eps', NaN], ['eps', -1], ['batchSize', 0]] as const)
    probes.push({
      what: `evaluate({ ${key}: ${show(bad)} })`,
      call: withTensors([okX, okY], (x: tf.Tensor, y: tf.Tensor1D) => rl.evaluate(m, x, y, { norm: 'linf', eps: 0.1, attacks: [], ...{ [key]: bad } } as rl.EvaluateOptions)),
      names: key,
    });
  const findings = await runProbes(probes, KNOWN);
  m.dispose();
  assert.equal(findings, [], `\n${report(findings)}`);
});

test('training: trainer, optimiser, schedules, methods and checkpoints', async () => {
  const m = rl.mlp({ inputShape: SHAPE, hidden: [4], numClasses: K });
  const probes: Probe[] = [];
  const trainWith = (x: () => tf.Tensor, y: () => tf.Tensor, o: rl.TrainOptions = {}) => withTensors([x, y], (xs: tf.Tensor, ys: tf.Tensor1D) => rl.train(m, { x: xs, y: ys }, { batchSize: 2, ...o }));
  for (const [label, make] of badInputs(SHAPE)) probes.push({ what: `train(data.x: ${label})`, call: trainWith(make, okY), names: 'data.x' });
  for (const [label, make] of badLabels(2, K)) probes.push({ what: `train(data.y: ${label})`, call: trainWith(okX, make), names: 'data.y' });
  for (const [key, bad] of [['epochs', -1], ['epochs', 1.5], ['batchSize', 0], ['batchSize', NaN], ['maxBatches', 0], ['maxBatches', -2], ['seed', NaN]] as const)
    probes.push({ what: `train({ ${key}: ${bad} })`, call: trainWith(okX, okY, { [key]: bad }), names: key });
  probes.push({ what: 'train({ schedule: () => NaN })', call: trainWith(okX, okY, { schedule: () => NaN }), names: 'schedule' });
  probes.push({ what: 'train({ optimizer: { lr: -1 } })', call: trainWith(okX, okY, { optimizer: { lr: -1 } }), names: 'lr' });
  for (const key of ['lr', 'momentum', 'weightDecay'] as const) for (const bad of BAD_NUMBERS) probes.push({ what: `new Sgd({ ${key}: ${bad} })`, call: () => new rl.Sgd({ [key]: bad }), names: key });
  for (const bad of BAD_NUMBERS) {
    probes.push({ what: `piecewise(${bad}, [1])`, call: () => rl.piecewise(bad, [1]), names: 'lr' });
    probes.push({ what: `cosine(0.1, ${bad})`, call: () => rl.cosine(0.1, bad), names: 'epochs' });
    probes.push({ what: `cyclic(0.1, 10, ${bad})`, call: () => rl.cyclic(0.1, 10, bad), names: 'peakAt' });
  }
  probes.push({ what: 'cosine(0.1, 0)', call: () => rl.cosine(0.1, 0), names: 'epochs' });
  probes.push({ what: 'piecewise(0.1, [NaN])', call: () => rl.piecewise(0.1, [NaN]), names: 'milestones' });
  probes.push({ what: 'loadCheckpoint(a directory)', call: () => rl.loadCheckpoint(tmp, m), names: tmp });
  probes.push({ what: 'loadCheckpoint(missing file)', call: () => rl.loadCheckpoint(path.join(tmp, 'none.ckpt'), m), names: 'none.ckpt' });
  fs.writeFileSync(path.join(tmp, 'junk.ckpt'), 'RLCKPT02\x05\x00\x00\x00{"a":');
  probes.push({ what: 'loadCheckpoint(broken header)', call: () => rl.loadCheckpoint(path.join(tmp, 'junk.ckpt'), m), names: 'junk.ckpt' });
  const findings = await runProbes(probes, KNOWN);
  m.dispose();
  assert.equal(findings, [], `\n${report(findings)}`);
});

test('data: datasets, files, corruptions, augmentation, generators', async () => {
  const probes: Probe[] = [];
  const ds = dataset();
  for (const idx of [[6], [-1], [0.5], [NaN]]) probes.push({ what: `subset(idx: [${idx}])`, call: () => rl.subset(ds, idx), names: 'idx' });
  for (const f of [0, 1, NaN, -0.5]) probes.push({ what: `stratifiedSplit(trainFraction: ${f})`, call: () => rl.stratifiedSplit(ds, f), names: 'trainFraction' });
  for (const p of [0, -1, 1.5, NaN, 100]) probes.push({ what: `balancedSubset(perClass: ${p})`, call: () => rl.balancedSubset(ds, p), names: 'perClass' });
  for (const s of [0, -1, 1.5, NaN]) probes.push({ what: `batches(size: ${s})`, call: () => [...rl.batches(ds, s)], names: 'size' });
  for (const [a, b] of [[0, 0], [0, 3], [-1, 1], [0.5, 1]]) probes.push({ what: `binaryPair(${a}, ${b})`, call: () => rl.binaryPair(ds, a, b), names: /\ba\b|\bb\b/ });
  probes.push({ what: 'toTensors(idx out of range)', call: () => rl.toTensors(ds, [10]), names: 'idx' });
  // Generators take n >= 0: an empty set is the documented result of 0.
  const zeroOk = (v: number) => (v === 0 ? empty : undefined);
  for (const n of [0, -1, 1.5, NaN]) probes.push({ what: `shapes10({ n: ${n} })`, call: () => rl.shapes10({ n }), names: 'n', accept: zeroOk(n) });
  for (const v of [0, -1, NaN]) probes.push({ what: `pagToy({ perMode: ${v} })`, call: () => rl.pagToy({ perMode: v }), names: 'perMode', accept: zeroOk(v) });
  for (const v of [0, -1, NaN]) probes.push({ what: `xorBlobs({ n: ${v} })`, call: () => rl.xorBlobs({ n: v }), names: /\bn\b/, accept: zeroOk(v) });
  probes.push({ what: 'readIdx(a directory)', call: () => rl.readIdx(tmp), names: tmp });
  probes.push({ what: 'readIdx(missing)', call: () => rl.readIdx(path.join(tmp, 'none-idx3-ubyte')), names: 'none-idx3-ubyte' });
  probes.push({ what: 'readNpy(a directory)', call: () => rl.readNpy(tmp), names: tmp });
  fs.writeFileSync(path.join(tmp, 'proto.npy'), Buffer.concat([Buffer.from('\x93NUMPY\x01\x00', 'latin1'), Buffer.from([0x46, 0x00]), Buffer.from("{'descr': '<constructor', 'fortran_order': False, 'shape': (2,), }".padEnd(70, ' ') + '\n', 'latin1')]));
  probes.push({ what: "readNpy(descr '<constructor')", call: () => rl.readNpy(path.join(tmp, 'proto.npy')), names: 'proto.npy' });
  probes.push({ what: 'encodeNpy(shape mismatch)', call: () => rl.encodeNpy(new Uint8Array(3), [2, 2]), names: 'shape' });
  probes.push({ what: 'decodeImage(junk)', call: () => rl.decodeImage(Buffer.from('junk'), 'junk.png'), names: 'junk.png' });
  probes.push({ what: 'imageFolder(missing)', call: () => rl.imageFolder(path.join(tmp, 'nothing-here')), names: 'nothing-here' });
  probes.push({ what: "cifar10c({ corruption: 'constructor' })", call: () => rl.cifar10c({ corruption: 'constructor', severity: 1, dir: tmp }), names: 'corruption' });
  const img = (x: Float32Array, shape: number[]) => ({ x, shape }) as rl.ImageBatch;
  for (const key of [...PROTOTYPE_KEYS, 'fogg']) probes.push({ what: `corrupt(name: ${show(key)})`, call: () => rl.corrupt(ds, key, 1), names: 'name' });
  for (const sev of [0, 6, 1.5, NaN]) probes.push({ what: `corrupt(severity: ${sev})`, call: () => rl.corrupt(ds, 'fog', sev), names: 'severity' });
  for (const [label, v] of [['NaN', NaN], ['Infinity', Infinity], ['above 1', 2], ['below 0', -1]] as const) {
    const x = new Float32Array(16).fill(0.5);
    x[3] = v;
    probes.push({ what: `corrupt(pixel ${label})`, call: () => rl.corrupt(img(x, [1, 4, 4, 1]), 'gaussian_noise', 1), names: 'images.x' });
  }
  probes.push({ what: 'corrupt(shape without channels)', call: () => rl.corrupt(img(new Float32Array(16), [1, 4, 4] as never), 'fog', 1), names: 'images.shape' });
  probes.push({ what: 'corrupt(2 channels)', call: () => rl.corrupt(img(new Float32Array(32), [1, 4, 4, 2]), 'fog', 1), names: 'images.shape' });
  probes.push({ what: 'corrupt(x too short)', call: () => rl.corrupt(img(new Float32Array(3), [1, 4, 4, 1]), 'fog', 1), names: 'images.x' });
  probes.push({ what: 'corrupt(seed NaN)', call: () => rl.corrupt(ds, 'fog', 1, NaN), names: 'seed' });
  probes.push({ what: "corruptedSets(corruptions: ['toString'])", call: () => [...rl.corruptedSets(ds, { corruptions: ['toString'] })], names: 'corruptions' });
  probes.push({ what: "corruptionArrays(name: 'constructor')", call: () => rl.corruptionArrays(ds, 'constructor'), names: 'name' });
  for (const pad of [-1, 1.5, NaN]) probes.push({ what: `randomCropFlip(pad: ${pad})`, call: () => rl.randomCropFlip(ds.x, ds.shape, { pad }), names: 'pad' });
  probes.push({ what: 'randomCropFlip(x too short)', call: () => rl.randomCropFlip(new Float32Array(3), ds.shape), names: /\bx\b/ });
  const findings = await runProbes(probes, KNOWN);
  assert.equal(findings, [], `\n${report(findings)}`);
});

test('engine, seeds and notebook helpers', async () => {
  const probes: Probe[] = [];
  for (const s of [NaN, Infinity]) {
    probes.push({ what: `new Rng(${s})`, call: () => new rl.Rng(s), names: 'seed' });
    probes.push({ what: `uniform(seed: ${s})`, call: () => rl.uniform([2], 0, 1, s), names: 'seed' });
  }
  probes.push({ what: 'uniform(shape [-1])', call: () => rl.uniform([-1], 0, 1, 0), names: 'shape' });
  probes.push({ what: 'normal(std NaN)', call: () => rl.normal([2], NaN, 0), names: 'std' });
  for (const b of [...PROTOTYPE_KEYS, 'gpu', ''])
    probes.push({ what: `initEngine({ backend: ${show(b)} })`, call: () => rl.initEngine({ backend: b as rl.BackendName, verbose: false }), names: 'backend' });
  for (const t of [0, -1, 1.5, NaN]) probes.push({ what: `initEngine({ threads: ${t} })`, call: () => rl.initEngine({ threads: t, verbose: false }), names: 'threads' });
  probes.push({ what: 'amplify(shape mismatch)', call: withTensors([okX, () => tf.zeros([3, 2, 2, 1])], (a: tf.Tensor, b: tf.Tensor) => rl.amplify(a, b)), names: /adv|clean/ });
  probes.push({ what: 'amplify(gain NaN)', call: withTensors([okX, okX], (a: tf.Tensor, b: tf.Tensor) => rl.amplify(a, b, NaN)), names: 'gain' });
  const findings = await runProbes(probes, KNOWN);
  summary('all (cumulative, this file and the attacks file when run together)');
  assert.equal(findings, [], `\n${report(findings)}`);
});

test.run();
