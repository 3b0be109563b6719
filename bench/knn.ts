/**
 * Exact 1NN search on the engine beside FAISS IndexFlatL2 (Debian python3-faiss) with the same threads, in
 * one run, and the ratio; then the whole exact robust-accuracy computation of the 1NN classifier for one
 * binary CIFAR-10 problem (l2 1.74 and l-inf 8/255, test set and training points).
 *
 * Usage: node --import tsx bench/knn.ts [--pair cat,dog] [--train 10000] [--test 2000] [--repeats 3]
 *        [--robust-test 2000] [--robust-train 2000] [--no-robust]
 * Data: CIFAR-10 from ROBUSTLAB_DATA (the JPEG copy); without it, uniform random points of the same size
 * (said in the output). Standalone: `npm run bench -- --ops knn` needs bench/run.ts (another owner's) to spawn
 * this script with its arguments when `knn` is among the ops.
 * @module
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine, engineInfo } from '../lib/engine/backend';
import { nearestNeighbours } from '../lib/models/nearestNeighbour';
import { nnRobustness } from '../lib/metrics/nnRobustness';
import type { NnSet } from '../lib/metrics/nnRobustness';
import { cifar10 } from '../lib/data/cifar10';
import { CIFAR10_CLASSES } from '../lib/data/loaders';
import { binaryPair } from '../lib/data/dataset';
import { encodeNpy, readNpy } from '../lib/data/npy';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

function loadProblem(pair: [string, string], nTrain: number, nTest: number): { train: NnSet; test: NnSet; source: string } {
  const D = 3072;
  try {
    const [a, b] = pair.map((c) => CIFAR10_CLASSES.indexOf(c as (typeof CIFAR10_CLASSES)[number]));
    if (a < 0 || b < 0) throw new Error(`--pair: unknown class in ${pair.join(',')}; classes: ${CIFAR10_CLASSES.join(', ')}`);
    const tr = binaryPair(cifar10({ split: 'train' }), a, b);
    const te = binaryPair(cifar10({ split: 'test' }), a, b);
    // Datasets hold bytes; the search works on pixels in [0, 1].
    const cut = (ds: typeof tr, n: number): NnSet => ({ x: Float32Array.from(ds.x.subarray(0, Math.min(n, ds.shape[0]) * D), (v) => v / 255), y: ds.y.subarray(0, Math.min(n, ds.shape[0])), n: Math.min(n, ds.shape[0]), dim: D });
    return { train: cut(tr, nTrain), test: cut(te, nTest), source: `CIFAR-10 (JPEG q75 copy) ${pair.join(' vs ')}` };
  } catch (e) {
    if ((e as Error).message.startsWith('--pair')) throw e;
    let s = 1;
    const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 4294967296);
    const make = (n: number): NnSet => ({ x: Float32Array.from({ length: n * D }, rnd), y: Int32Array.from({ length: n }, (_, i) => i % 2), n, dim: D });
    return { train: make(nTrain), test: make(nTest), source: `uniform random points (CIFAR-10 not found: ${(e as Error).message.slice(0, 80)})` };
  }
}

async function main(): Promise<void> {
  await initEngine({ verbose: false });
  const info = engineInfo();
  const pair = arg('pair', 'cat,dog').split(',') as [string, string];
  const nTrain = Number(arg('train', '10000'));
  const nTest = Number(arg('test', '2000'));
  const repeats = Number(arg('repeats', '3'));
  const t0 = Date.now();
  const { train, test, source } = loadProblem(pair, nTrain, nTest);
  console.log(`data: ${source}; ${train.n} x ${test.n} points, D = ${train.dim} (loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  console.log(`engine: ${info.backend}, ${info.threads} threads; load average ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}`);

  // FAISS first, so both sides see the same machine state as far as one run allows.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knn-bench-'));
  let faiss: { faiss: string; threads: number; build: number[]; search: number[] } | null = null;
  let faissIdx: Int32Array | null = null;
  try {
    fs.writeFileSync(path.join(dir, 'train.npy'), encodeNpy(train.x, [train.n, train.dim]));
    fs.writeFileSync(path.join(dir, 'query.npy'), encodeNpy(test.x, [test.n, test.dim]));
    const py = spawnSync('/usr/bin/python3', [path.join(__dirname, 'knn_faiss.py'), path.join(dir, 'train.npy'), path.join(dir, 'query.npy'), String(info.threads), String(repeats), path.join(dir, 'idx.npy')], { encoding: 'utf8' });
    if (py.status === 0) {
      faiss = JSON.parse(py.stdout.trim().split('\n').pop()!);
      faissIdx = Int32Array.from(readNpy(path.join(dir, 'idx.npy')).data as ArrayLike<number>);
    } else console.log(`FAISS side failed (apt-get install -y python3-faiss): ${py.stderr.slice(-300)}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const rt = tf.tensor2d(train.x, [train.n, train.dim]);
  const qt = tf.tensor2d(test.x, [test.n, test.dim]);
  const ours: number[] = [];
  let idx: Int32Array | null = null;
  for (let r = 0; r <= repeats; r++) {
    const s = performance.now();
    idx = (await nearestNeighbours(rt, qt, { k: 1 })).indices;
    if (r > 0) ours.push((performance.now() - s) / 1000);
  }
  rt.dispose();
  qt.dispose();
  const oursS = median(ours);
  console.log(`ours  exact 1NN search (${info.backend}): median ${oursS.toFixed(3)} s over ${repeats} (after one warm-up): ${ours.map((v) => v.toFixed(3)).join(', ')}`);
  if (faiss && faissIdx && idx) {
    const f = median(faiss.build.map((b, i) => b + faiss!.search[i]));
    let agree = 0;
    for (let i = 0; i < idx.length; i++) if (idx[i] === faissIdx[i]) agree++;
    console.log(`faiss IndexFlatL2 ${faiss.faiss} (${faiss.threads} threads): median build+search ${f.toFixed(3)} s: ${faiss.search.map((v, i) => (v + faiss!.build[i]).toFixed(3)).join(', ')}`);
    console.log(`ratio ours / faiss = ${(oursS / f).toFixed(2)} (target <= 1.2); same nearest neighbour for ${agree} of ${idx.length} queries (the rest: float ties)`);
  }

  if (process.argv.includes('--no-robust')) return;
  const nRobTrain = Math.min(train.n, Number(arg('robust-train', '2000')));
  const nRobTest = Math.min(test.n, Number(arg('robust-test', String(test.n))));
  const testQ: NnSet = { x: test.x.subarray(0, nRobTest * test.dim), y: test.y.subarray(0, nRobTest), n: nRobTest, dim: test.dim };
  const self = Int32Array.from({ length: nRobTrain }, (_, i) => Math.floor((i * train.n) / nRobTrain));
  const trainQ: NnSet = { x: new Float32Array(nRobTrain * train.dim), y: new Int32Array(nRobTrain), n: nRobTrain, dim: train.dim };
  self.forEach((j, i) => {
    trainQ.x.set(train.x.subarray(j * train.dim, (j + 1) * train.dim), i * train.dim);
    trainQ.y[i] = train.y[j];
  });
  for (const [norm, eps] of [['l2', (8 / 255) * Math.sqrt(3072)], ['linf', 8 / 255]] as const)
    for (const [what, q, selfIndex] of [['test', testQ, undefined], ['train', trainQ, self]] as const) {
      const s = performance.now();
      const r = await nnRobustness(train, q, { norm, eps, selfIndex });
      const secs = (performance.now() - s) / 1000;
      console.log(
        `exact 1NN robust accuracy, ${norm} eps ${eps.toFixed(4)}, ${q.n} ${what} points: ${(100 * r.robustAccuracy).toFixed(2)}% ` +
          `(clean ${(100 * r.cleanAccuracy).toFixed(2)}%) in ${secs.toFixed(1)} s; settled: ${JSON.stringify(r.settled)}; exact stage ${JSON.stringify(r.exactStage)}`,
      );
    }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
