/**
 * `npm run bench [-- --json] [--models smallCnn,resnet18] [--backends aten,wasm,cpu] [--ops forward,pgd20,...]
 * [--reps N] [--batch N] [--train-batch model=N,...] [--threads N] [--no-ceiling]`: our engine and PyTorch CPU
 * (bench/torch_bench.py, same models, batch and threads) in one run, per operation, with the ratio ours / torch:
 * - forward; trainStep (SGD with momentum, cross-entropy);
 * - pgd10 and its per-step time pgdStep (l-inf, eps 8/255, step 2/255, random start);
 * - pgd20: PGD-20, the same attack with 20 steps (torchattacks-style PGD in plain PyTorch on the torch side);
 * - apgdCe: APGD-CE with 20 iterations (eps 8/255, momentum 0.75, rho 0.75, step 2 eps halved at the
 *   checkpoints of {@link apgdCheckpoints}; plain PyTorch APGD-CE with the same schedule on the torch side), on
 *   labels that are each model's own predictions so that every example is attacked (APGD skips misclassified ones);
 * - cwL2: C&W l2 with 3 binary-search steps of 10 Adam steps (lr 0.01, c0 1e-3); per step both sides run one
 *   forward-backward for Adam and one forward on the new iterate to track the best, as lib/attacks/minNorm.ts.
 * `--ops` picks operations of the image models (default: all). Medians of `reps` timed runs after one warm-up
 * (the attacks warm up with a one-step run). With --json the last line is one JSON array of rows.
 * Dense rows, picked in `--models` like the image models: `matmul` (tf.matMul of [2000, 3072] by [3072,
 * 10000]), `mlp` (a training step of a 3072-1024-1024-10 MLP at the bench's batch) and `knn` (the nearest of
 * 10,000 CIFAR-sized references for each of 2,000 queries, lib/models/nearestNeighbour.ts: the same product
 * plus norms and a min).
 * Every row prints its GFLOP/s (convolutions and products counted, bench/flops.ts) and its share of the
 * machine's ceiling: the product's GFLOP/s in child processes without OPENBLAS_CORETYPE, on OpenBLAS's own
 * kernels and on oneDNN's sgemm, the faster of the two (bench/ceiling.ts), measured in the same run
 * (`--no-ceiling` skips it: on a reference BLAS it takes minutes). The header names the BLAS of both sides
 * and where aten's products run (ROBUSTLAB_ATEN_GEMM=blas puts them on the BLAS, like for like with PyTorch).
 * The PyTorch child gets the thread and malloc settings the aten addon uses (see TORCH_ENV).
 * Default backends: 'aten' where it registers, and 'wasm'; 'cpu' only on request (it runs at batch 8).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine, engineInfo, type BackendName } from '../lib/engine/backend';
import { wasmThreads } from '../lib/engine/wasm';
import { smallCnn } from '../lib/models/smallCnn';
import { resnet18 } from '../lib/models/resnet';
import { crossEntropy } from '../lib/losses/crossEntropy';
import { Sgd } from '../lib/training/sgd';
import { pgd } from '../lib/attacks/pgd';
import { apgdCe } from '../lib/attacks/apgd';
import { cwL2 } from '../lib/attacks/minNorm';
import { uniform } from '../lib/engine/seed';
import type { Classifier } from '../lib/models/classifier';
import { mlp } from '../lib/models/mlp';
import { nearestNeighbours } from '../lib/models/nearestNeighbour';
import { MLP_WIDTHS, PRODUCT, opFlops } from './flops';

/** One line of the result: one op of one model on one backend. */
interface Row {
  backend: string;
  model: string;
  op: string;
  batch: number;
  threads: number;
  oursMs: number;
  torchMs: number | null;
  ratio: number | null;
  /** Our GFLOP/s (null where the op's work is not counted). */
  gflops: number | null;
  /** Our GFLOP/s over the ceiling's. */
  ceiling: number | null;
  /** PyTorch's GFLOP/s over the ceiling's. */
  torchCeiling: number | null;
}

type Op = 'forward' | 'trainStep' | 'pgd10' | 'pgd20' | 'apgdCe' | 'cwL2';
const ALL_OPS: Op[] = ['forward', 'trainStep', 'pgd10', 'pgd20', 'apgdCe', 'cwL2'];
/** The dense rows and the one op each times. */
const DENSE: Record<string, string> = { matmul: 'product', mlp: 'trainStep', knn: 'search' };
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
/** The attacks' settings, shared with the torch side through its JSON argument. */
const PARAMS = { eps: 8 / 255, step: 2 / 255, apgdSteps: 20, cwSteps: 10, cwBinarySteps: 3, cwLr: 0.01, cwConst: 1e-3 };

const args = process.argv.slice(2);
const flag = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const asJson = args.includes('--json');
const models = flag('models', 'smallCnn,resnet18,matmul,mlp,knn').split(',');
const reps = Number(flag('reps', '3'));
const batch = Number(flag('batch', '128'));
// wasm addresses 4 GiB: a ResNet-18 training step at batch 128 keeps more activations than that (3.4 GiB
// at batch 64), so its training step runs at 64 unless told otherwise. Forward and PGD fit at 128.
const trainBatch: Record<string, number> = { resnet18: Math.min(64, batch), ...Object.fromEntries(flag('train-batch', '').split(',').filter(Boolean).map((kv) => [kv.split('=')[0], Number(kv.split('=')[1])])) };
const log = (line: string) => console.log(line);
const OPS = flag('ops', ALL_OPS.join(',')).split(',').filter(Boolean) as Op[];
for (const op of OPS) if (!ALL_OPS.includes(op)) throw new Error(`bench: unknown op '${op}' (${ALL_OPS.join(', ')})`);

async function medianMs(warmUp: () => Promise<void>, f: () => Promise<void>, n: number): Promise<number> {
  await warmUp();
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await f();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)];
}

function build(name: string): Classifier {
  if (name === 'smallCnn') return smallCnn({ seed: 0 });
  if (name === 'resnet18') return resnet18({ seed: 0 });
  if (name === 'mlp') return mlp({ inputShape: [MLP_WIDTHS[0]], hidden: MLP_WIDTHS.slice(1, -1), numClasses: MLP_WIDTHS[MLP_WIDTHS.length - 1], seed: 0 });
  throw new Error(`bench: unknown model '${name}' (smallCnn, resnet18, ${Object.keys(DENSE).join(', ')})`);
}

/** Times the product or the k-NN search on our engine. */
async function oursDense(name: 'matmul' | 'knn', n: number): Promise<number> {
  const { m, k, n: cols } = PRODUCT;
  const a = uniform([m, k], 0, 1, 1);
  const b = uniform(name === 'matmul' ? [k, cols] : [cols, k], 0, 1, 2);
  const product = async () => {
    const c = tf.matMul(a, b);
    await c.data();
    c.dispose();
  };
  const search = async () => {
    await nearestNeighbours(b, a, { k: 1 });
  };
  const f = name === 'matmul' ? product : search;
  const ms = await medianMs(f, f, n);
  tf.dispose([a, b]);
  return ms;
}

/** Times the chosen ops of our engine; batch sizes per op as given. */
async function ours(name: string, b: Record<Op, number>, n: number, ops: Op[]): Promise<Partial<Record<Op, number>>> {
  const model = build(name);
  const shape = name === 'mlp' ? [MLP_WIDTHS[0]] : [32, 32, 3];
  const data = (m: number) => ({ x: uniform([m, ...shape], 0, 1, 1), y: tf.tensor1d(Array.from({ length: m }, (_, i) => i % 10), 'int32') });
  const opt = new Sgd({ lr: 0.01, momentum: 0.9, weightDecay: 2e-4 });
  const vars = model.trainableVariables();
  const { eps, step } = PARAMS;
  const done = async (t: tf.Tensor) => {
    await t.data();
    t.dispose();
  };
  const out: Partial<Record<Op, number>> = {};
  for (const op of ops) {
    const d = data(b[op]);
    // APGD attacks only the examples the model classifies correctly: label each example with the model's own prediction.
    if (op === 'apgdCe') {
      const own = tf.tidy(() => model.apply(d.x).logits.argMax(1).toInt() as tf.Tensor1D);
      d.y.dispose();
      d.y = own;
    }
    const forward = () => done(tf.tidy(() => model.apply(d.x).logits));
    const train = async () => {
      const { value, grads } = tf.variableGrads(() => crossEntropy(model.apply(d.x, { training: true }).logits, d.y).mean() as tf.Scalar, vars);
      opt.apply(vars, grads);
      tf.dispose(grads);
      await done(value);
    };
    const attack = (steps: number) => () => done(pgd(model, d.x, d.y, { eps, steps, stepSize: step }));
    const apgd = (steps: number) => () => done(apgdCe(model, d.x, d.y, { eps, steps }));
    const cw = (steps: number, binarySteps: number) => () => done(cwL2(model, d.x, d.y, { steps, binarySteps, lr: PARAMS.cwLr, initialConst: PARAMS.cwConst }));
    // A one-step run of each attack warms up every kernel the full run uses.
    const [warm, run]: [() => Promise<void>, () => Promise<void>] =
      op === 'forward' ? [forward, forward]
      : op === 'trainStep' ? [train, train]
      : op === 'pgd10' ? [attack(1), attack(10)]
      : op === 'pgd20' ? [attack(1), attack(20)]
      : op === 'apgdCe' ? [apgd(1), apgd(PARAMS.apgdSteps)]
      : [cw(1, 1), cw(PARAMS.cwSteps, PARAMS.cwBinarySteps)];
    out[op] = await medianMs(warm, run, n);
    tf.dispose([d.x, d.y]);
  }
  opt.dispose();
  model.dispose();
  return out;
}

const TORCH_MISSING = 'PyTorch CPU not found: install it with `apt-get install python3-torch` (Debian); the bench installs nothing itself';

/** What the torch side reports besides its times. */
interface TorchRun {
  ms: Partial<Record<string, number>>;
  blas?: { name: string; file: string; threads: number; config?: string; core?: string };
}

/**
 * The environment of the PyTorch child: the thread and allocator settings the aten addon gives itself
 * (lib/engine/aten/addon.ts sets the first two in the environment; native/aten.cc's init makes the malloc calls
 * that the MALLOC_* variables make here), passed explicitly so that both sides run alike whichever backends
 * ran first in this process; a user's own values win. Without them PyTorch's time depended on the order of its
 * work: glibc's dynamic mmap threshold left its training step faulting its activations in again every step
 * unless a forward pass had run first (small CNN 33 vs 18.4 ms), and its spinning libgomp and OpenBLAS threads
 * took the mlp step from 15 to 25-32 ms (2026-12-01).
 */
const TORCH_ENV: Record<string, string> = {
  OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE',
  OPENBLAS_THREAD_TIMEOUT: process.env.OPENBLAS_THREAD_TIMEOUT ?? '4',
  ...(process.env.MALLOC_MMAP_THRESHOLD_ || process.env.MALLOC_TRIM_THRESHOLD_ || process.env.MALLOC_MMAP_MAX_
    ? {}
    : { MALLOC_MMAP_THRESHOLD_: String(32 << 20), MALLOC_TRIM_THRESHOLD_: String(1 << 30), MALLOC_MMAP_MAX_: '0' }),
};

/** Times the same ops in PyTorch; a string says why there are no numbers. */
function torch(name: string, b: Record<Op, number>, threads: number, n: number, ops: string[]): TorchRun | string {
  const script = path.join(__dirname, 'torch_bench.py');
  const env = { ...process.env, ...TORCH_ENV };
  const r = spawnSync(PYTHON, [script, JSON.stringify({ model: name, batches: b, threads, reps: n, ops, params: PARAMS })], { encoding: 'utf8', env });
  if (r.error) return TORCH_MISSING;
  if (r.status !== 0) {
    const err = r.stderr ?? '';
    if (/No module named 'torch'/.test(err)) return TORCH_MISSING;
    return `PyTorch side failed: ${err.trim().split('\n').slice(-1)[0]}`;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as TorchRun;
}

/** One run of bench/ceiling.ts on the given product path, OPENBLAS_CORETYPE unset. */
function ceilingRun(threads: number, gemm: 'blas' | 'onednn'): { gflops: number; ms: number; blas?: string; core?: string; threads?: number; gemm?: string } | string {
  const env: NodeJS.ProcessEnv = { ...process.env, ROBUSTLAB_ATEN_GEMM: gemm };
  delete env.OPENBLAS_CORETYPE;
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'ceiling.ts'), String(threads), String(Math.max(3, reps))], { encoding: 'utf8', env });
  const last = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  let c: { gflops?: number; ms?: number; blas?: string; core?: string; threads?: number; gemm?: string; error?: string };
  try {
    c = JSON.parse(last);
  } catch {
    return `ceiling child failed: ${(r.stderr ?? '').trim().split('\n').pop()}`;
  }
  if (c.error || !c.gflops) return `ceiling unavailable: ${c.error ?? 'no figure'}`;
  return { ...c, gflops: c.gflops, ms: c.ms ?? NaN };
}

/**
 * The ceiling of this run: the product's GFLOP/s on the faster of OpenBLAS's own kernels and oneDNN's sgemm
 * (bench/ceiling.ts, OPENBLAS_CORETYPE unset for that row alone), so that no row can exceed it.
 */
function ceiling(threads: number): { gflops: number; ms: number; line: string } | string {
  const forced = process.env.OPENBLAS_CORETYPE;
  const blas = ceilingRun(threads, 'blas');
  if (typeof blas === 'string') return blas;
  const onednn = ceilingRun(threads, 'onednn');
  const dnn = typeof onednn === 'string' || onednn.gemm !== 'onednn' ? undefined : onednn;
  const top = dnn && dnn.gflops > blas.gflops ? dnn : blas;
  const line =
    `ceiling: ${top.gflops.toFixed(0)} GFLOP/s, the [${PRODUCT.m}, ${PRODUCT.k}] x [${PRODUCT.k}, ${PRODUCT.n}] product on aten, the faster of ` +
    `${blas.blas}${blas.core ? ` on its ${blas.core} kernels` : ''} (${blas.gflops.toFixed(0)} GFLOP/s, OPENBLAS_CORETYPE unset) and ` +
    `${dnn ? `oneDNN's sgemm (${dnn.gflops.toFixed(0)} GFLOP/s)` : "oneDNN's sgemm (not available)"}, ${blas.threads} thread(s); ` +
    `the rows run with ${forced ? `OPENBLAS_CORETYPE=${forced}` : 'OPENBLAS_CORETYPE unset too'}`;
  return { gflops: top.gflops, ms: top.ms, line };
}

/** One line naming a BLAS as either side reports it. */
function blasLine(b: { name: string; file: string; threads: number; config?: string; core?: string }): string {
  const version = b.config?.match(/^OpenBLAS\s+(\S+)/)?.[1];
  return `${b.name}${version ? ` ${version}` : ''}${b.core ? ` (${b.core} kernels)` : ''}, ${b.threads} thread(s): ${b.file}`;
}

function table(rows: Row[]): string {
  const head = ['backend', 'model', 'op', 'batch', 'threads', 'ours ms', 'torch ms', 'ours/torch', 'GFLOP/s', 'of ceiling', 'torch of ceiling'];
  const pct = (v: number | null) => (v === null ? '-' : `${(100 * v).toFixed(0)}%`);
  const cells = rows.map((r) =>
    [r.backend, r.model, r.op, r.batch, r.threads, r.oursMs, r.torchMs ?? '-', r.ratio ?? '-', r.gflops ?? '-', pct(r.ceiling), pct(r.torchCeiling)].map(String),
  );
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)) + 2);
  const line = (c: string[]) => c.map((v, i) => (i < 3 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('');
  return [line(head), ...cells.map(line)].join('\n');
}

async function main(): Promise<void> {
  const requested = flag('backends', '').split(',').filter(Boolean) as BackendName[];
  const candidates: BackendName[] = requested.length ? requested : ['aten', 'wasm'];
  const threadsFlag = args.includes('--threads') ? Number(flag('threads', '1')) : undefined;
  // The wasm loader reads ROBUSTLAB_THREADS when it picks the (threaded) build.
  if (threadsFlag !== undefined) process.env.ROBUSTLAB_THREADS = String(threadsFlag);
  const rows: Row[] = [];
  const ceilings = new Map<number, { gflops: number; ms: number; line: string } | string>();
  const torchBlas = new Set<string>();
  for (const backend of candidates) {
    try {
      await initEngine({ backend, verbose: false, threads: threadsFlag });
    } catch (e) {
      log(`bench: backend ${backend} unavailable: ${(e as Error).message.split('\n')[0]}`);
      continue;
    }
    const info = engineInfo();
    const threads = info.backend === 'wasm' ? wasmThreads() : info.threads;
    if (!ceilings.has(threads)) {
      const c = args.includes('--no-ceiling') ? 'ceiling not measured (--no-ceiling)' : ceiling(threads);
      ceilings.set(threads, c);
      log(`bench: ${typeof c === 'string' ? c : c.line}`);
      // The roofline as a row of its own: aten's product, OpenBLAS on the kernels it picks itself.
      if (typeof c !== 'string')
        rows.push({ backend: 'aten', model: 'ceiling', op: 'product', batch: PRODUCT.m, threads, oursMs: +c.ms.toFixed(1), torchMs: null, ratio: null, gflops: +c.gflops.toFixed(1), ceiling: 1, torchCeiling: null });
    }
    const roof = ceilings.get(threads)!;
    const top = typeof roof === 'string' ? null : roof.gflops;
    const blasNote = info.notes.find((l) => l.startsWith('aten: BLAS'));
    const gemmNote = info.notes.find((l) => l.startsWith('aten: float32 products'));
    const atenNotes = [blasNote, gemmNote].filter(Boolean).map((l) => l!.replace('aten: ', '')).join('; ');
    log(`bench: ${info.backend} on Node ${process.versions.node}${info.backend === 'aten' && atenNotes ? `, ${atenNotes}` : info.backend === 'wasm' ? ' (its own SIMD kernels, no BLAS)' : ''}`);
    log(`bench: the PyTorch child runs with ${Object.entries(TORCH_ENV).map(([k, v]) => `${k}=${v}`).join(' ')} (aten's own settings)`);
    // The cpu backend takes seconds per image-batch step: a small batch, one model, one rep.
    const small = info.backend === 'cpu';
    for (const m of small ? ['smallCnn'] : models) {
      const base = small ? 8 : batch;
      const b: Record<Op, number> = { forward: base, trainStep: small ? base : trainBatch[m] ?? base, pgd10: base, pgd20: base, apgdCe: base, cwL2: base };
      const n = small ? 1 : reps;
      const ops: string[] = DENSE[m] ? [DENSE[m]] : OPS;
      if (!asJson) log(`bench: ${info.backend} ${m} (${DENSE[m] ? DENSE[m] : `batch ${JSON.stringify(b)}`}, ${threads} thread(s), ${n} rep(s)) ...`);
      const o: Partial<Record<string, number>> = m === 'matmul' || m === 'knn' ? { [DENSE[m]]: await oursDense(m, n) } : await ours(m, b, n, ops as Op[]);
      const t = torch(m, b, threads, n, ops);
      if (typeof t === 'string') log(`bench: ${t}`);
      else if (t.blas) torchBlas.add(blasLine(t.blas));
      const add = (op: string, bt: number, ourMs: number, torchMs: number | null) => {
        const work = opFlops(m, op, bt, PARAMS);
        const rate = (ms: number | null) => (work === undefined || ms === null ? null : work / ms / 1e6);
        const share = (ms: number | null) => (top === null || rate(ms) === null ? null : +(rate(ms)! / top).toFixed(3));
        rows.push({
          backend: info.backend, model: m, op, batch: m === 'matmul' || m === 'knn' ? PRODUCT.m : bt, threads,
          oursMs: +ourMs.toFixed(1), torchMs: torchMs === null ? null : +torchMs.toFixed(1), ratio: torchMs ? +(ourMs / torchMs).toFixed(2) : null,
          gflops: rate(ourMs) === null ? null : +rate(ourMs)!.toFixed(1), ceiling: share(ourMs), torchCeiling: share(torchMs),
        });
      };
      const theirs = (op: string) => (typeof t === 'string' ? null : t.ms[op] ?? null);
      for (const op of ops) add(op, b[op as Op] ?? base, o[op]!, theirs(op));
      if (o.pgd10 !== undefined) add('pgdStep', b.pgd10, o.pgd10 / 10, theirs('pgd10') === null ? null : theirs('pgd10')! / 10);
    }
  }
  for (const line of torchBlas) log(`bench: torch's BLAS: ${line}`);
  log(table(rows));
  if (!asJson)
    log(
      `pgdStep = pgd10 / 10; apgdCe: ${PARAMS.apgdSteps} iterations; cwL2: ${PARAMS.cwBinarySteps} x ${PARAMS.cwSteps} steps. ` +
        `GFLOP/s counts convolutions and products (forward F, training step 3F, input gradient 2F: bench/flops.ts); "of ceiling" divides it by the ceiling line's. ` +
        `Other processes on this machine compete for its cores: compare ratios, not times.`,
    );
  if (asJson) log(JSON.stringify(rows));
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
