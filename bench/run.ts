/**
 * `npm run bench [-- --json] [--models smallCnn,resnet18] [--backends aten,wasm,cpu] [--reps N] [--batch N]
 * [--train-batch model=N,...] [--threads N]`: our engine and PyTorch CPU (bench/torch_bench.py, same models,
 * batch and threads) in one run, per operation: forward, training step (SGD with momentum, cross-entropy),
 * PGD-10 (l-inf, eps 8/255, step 2/255) and its per-step time, with the ratio ours / torch. Medians of `reps`
 * timed runs after one warm-up. With --json the last line is one JSON array of rows.
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
import { uniform } from '../lib/engine/seed';
import type { Classifier } from '../lib/models/classifier';

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
}

type Op = 'forward' | 'trainStep' | 'pgd10';
const OPS: Op[] = ['forward', 'trainStep', 'pgd10'];
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const EPS = 8 / 255;
const STEP = 2 / 255;

const args = process.argv.slice(2);
const flag = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const asJson = args.includes('--json');
const models = flag('models', 'smallCnn,resnet18').split(',');
const reps = Number(flag('reps', '3'));
const batch = Number(flag('batch', '128'));
// wasm addresses 4 GiB: a ResNet-18 training step at batch 128 keeps more activations than that (3.4 GiB
// at batch 64), so its training step runs at 64 unless told otherwise. Forward and PGD fit at 128.
const trainBatch: Record<string, number> = { resnet18: Math.min(64, batch), ...Object.fromEntries(flag('train-batch', '').split(',').filter(Boolean).map((kv) => [kv.split('=')[0], Number(kv.split('=')[1])])) };
const log = (line: string) => console.log(line);

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
  throw new Error(`bench: unknown model '${name}' (smallCnn, resnet18)`);
}

/** Times the three ops of our engine; batch sizes per op as given. */
async function ours(name: string, b: Record<Op, number>, n: number): Promise<Record<Op, number>> {
  const model = build(name);
  const data = (m: number) => ({ x: uniform([m, 32, 32, 3], 0, 1, 1), y: tf.tensor1d(Array.from({ length: m }, (_, i) => i % 10), 'int32') });
  const opt = new Sgd({ lr: 0.01, momentum: 0.9, weightDecay: 2e-4 });
  const vars = model.trainableVariables();
  const out = {} as Record<Op, number>;
  let d = data(b.forward);
  const forward = async () => {
    const l = tf.tidy(() => model.apply(d.x).logits);
    await l.data();
    l.dispose();
  };
  out.forward = await medianMs(forward, forward, n);
  tf.dispose([d.x, d.y]);
  d = data(b.trainStep);
  const train = async () => {
    const { value, grads } = tf.variableGrads(() => crossEntropy(model.apply(d.x, { training: true }).logits, d.y).mean() as tf.Scalar, vars);
    opt.apply(vars, grads);
    await value.data();
    value.dispose();
    tf.dispose(grads);
  };
  out.trainStep = await medianMs(train, train, n);
  tf.dispose([d.x, d.y]);
  d = data(b.pgd10);
  const attack = (steps: number) => async () => {
    const xa = pgd(model, d.x, d.y, { eps: EPS, steps, stepSize: STEP });
    await xa.data();
    xa.dispose();
  };
  // One PGD step warms up every kernel PGD-10 uses.
  out.pgd10 = await medianMs(attack(1), attack(10), n);
  tf.dispose([d.x, d.y]);
  opt.dispose();
  model.dispose();
  return out;
}

const TORCH_MISSING = 'PyTorch CPU not found: install it with `apt-get install python3-torch` (Debian); the bench installs nothing itself';

/** Times the same ops in PyTorch; a string says why there are no numbers. */
function torch(name: string, b: Record<Op, number>, threads: number, n: number): Record<Op, number> | string {
  const script = path.join(__dirname, 'torch_bench.py');
  const r = spawnSync(PYTHON, [script, JSON.stringify({ model: name, batches: b, threads, reps: n, ops: OPS })], { encoding: 'utf8' });
  if (r.error) return TORCH_MISSING;
  if (r.status !== 0) {
    const err = r.stderr ?? '';
    if (/No module named 'torch'/.test(err)) return TORCH_MISSING;
    return `PyTorch side failed: ${err.trim().split('\n').slice(-1)[0]}`;
  }
  return (JSON.parse(r.stdout.trim().split('\n').pop()!) as { ms: Record<Op, number> }).ms;
}

function table(rows: Row[]): string {
  const head = ['backend', 'model', 'op', 'batch', 'threads', 'ours ms', 'torch ms', 'ours/torch'];
  const cells = rows.map((r) => [r.backend, r.model, r.op, r.batch, r.threads, r.oursMs, r.torchMs ?? '-', r.ratio ?? '-'].map(String));
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
  for (const backend of candidates) {
    try {
      await initEngine({ backend, verbose: false, threads: threadsFlag });
    } catch (e) {
      log(`bench: backend ${backend} unavailable: ${(e as Error).message.split('\n')[0]}`);
      continue;
    }
    const info = engineInfo();
    const threads = info.backend === 'wasm' ? wasmThreads() : info.threads;
    // The cpu backend takes seconds per image-batch step: a small batch, one model, one rep.
    const small = info.backend === 'cpu';
    for (const m of small ? ['smallCnn'] : models) {
      const base = small ? 8 : batch;
      const b: Record<Op, number> = { forward: base, trainStep: small ? base : trainBatch[m] ?? base, pgd10: base };
      const n = small ? 1 : reps;
      if (!asJson) log(`bench: ${info.backend} ${m} (batch ${JSON.stringify(b)}, ${threads} thread(s), ${n} rep(s)) ...`);
      const o = await ours(m, b, n);
      const t = torch(m, b, threads, n);
      if (typeof t === 'string') log(`bench: ${t}`);
      const add = (op: string, bt: number, ourMs: number, torchMs: number | null) =>
        rows.push({ backend: info.backend, model: m, op, batch: bt, threads, oursMs: +ourMs.toFixed(1), torchMs: torchMs === null ? null : +torchMs.toFixed(1), ratio: torchMs ? +(ourMs / torchMs).toFixed(2) : null });
      for (const op of OPS) add(op, b[op], o[op], typeof t === 'string' ? null : t[op]);
      add('pgdStep', b.pgd10, o.pgd10 / 10, typeof t === 'string' ? null : t.pgd10 / 10);
    }
  }
  log(table(rows));
  if (!asJson) log('pgdStep = pgd10 / 10. Other processes on this machine compete for its cores: compare ratios, not times.');
  if (asJson) log(JSON.stringify(rows));
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
