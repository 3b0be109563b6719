/**
 * `npm run bench [-- --json] [--models smallCnn,resnet18] [--reps N] [--batch N] [--backends wasm,aten]`:
 * our engine and PyTorch CPU on the same models, batch and threads, in one run, with ratios (ours / torch).
 * With --json the last line is one JSON array of rows.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine, engineInfo, type BackendName } from '../lib/engine/backend';
import { smallCnn } from '../lib/models/smallCnn';
import { resnet18 } from '../lib/models/resnet';
import { crossEntropy } from '../lib/losses/crossEntropy';
import { Sgd } from '../lib/training/sgd';
import { pgd } from '../lib/attacks/pgd';
import { uniform } from '../lib/engine/seed';
import type { Classifier } from '../lib/models/classifier';

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

const args = process.argv.slice(2);
const flag = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const asJson = args.includes('--json');
const models = flag('models', 'smallCnn,resnet18').split(',');
const reps = Number(flag('reps', '3'));
const batch = Number(flag('batch', '128'));
const OPS = ['forward', 'trainStep', 'pgd10'] as const;
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

async function medianMs(f: () => Promise<void>): Promise<number> {
  await f();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await f();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)];
}

function build(name: string): Classifier {
  return name === 'smallCnn' ? smallCnn({ seed: 0 }) : resnet18({ seed: 0 });
}

async function ours(name: string): Promise<Record<string, number>> {
  const model = build(name);
  const x = uniform([batch, 32, 32, 3], 0, 1, 1);
  const y = tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 10), 'int32');
  const opt = new Sgd({ lr: 0.01, momentum: 0.9, weightDecay: 2e-4 });
  const vars = model.trainableVariables();
  const out: Record<string, number> = {};
  out.forward = await medianMs(async () => {
    const l = tf.tidy(() => model.apply(x).logits);
    await l.data();
    l.dispose();
  });
  out.trainStep = await medianMs(async () => {
    const { value, grads } = tf.variableGrads(() => crossEntropy(model.apply(x, { training: true }).logits, y).mean() as tf.Scalar, vars);
    opt.apply(vars, grads);
    await value.data();
    value.dispose();
    tf.dispose(grads);
  });
  out.pgd10 = await medianMs(async () => {
    const xa = pgd(model, x, y, { eps: 8 / 255, steps: 10, stepSize: 2 / 255 });
    await xa.data();
    xa.dispose();
  });
  tf.dispose([x, y]);
  opt.dispose();
  model.dispose();
  return out;
}

function torch(name: string, threads: number): Record<string, number> | string {
  const script = path.join(__dirname, 'torch_bench.py');
  const r = spawnSync(PYTHON, [script, JSON.stringify({ model: name, batch, threads, reps, ops: OPS })], { encoding: 'utf8' });
  if (r.status !== 0) {
    const err = `${r.stderr ?? ''}${r.error ?? ''}`;
    if (/No module named 'torch'/.test(err) || r.error) return 'PyTorch CPU not found: install it with `apt-get install python3-torch` (Debian) or `pip install torch`; the bench installs nothing itself';
    return `PyTorch side failed: ${err.trim().split('\n').slice(-1)[0]}`;
  }
  return (JSON.parse(r.stdout.trim().split('\n').pop()!) as { ms: Record<string, number> }).ms;
}

async function main(): Promise<void> {
  const requested = flag('backends', '').split(',').filter(Boolean) as BackendName[];
  const candidates: BackendName[] = requested.length ? requested : ['aten', 'wasm'];
  const rows: Row[] = [];
  for (const b of candidates) {
    try {
      await initEngine({ backend: b, verbose: false });
    } catch (e) {
      console.log(`bench: backend ${b} unavailable: ${(e as Error).message.split('\n')[0]}`);
      continue;
    }
    const info = engineInfo();
    for (const m of models) {
      const o = await ours(m);
      const t = torch(m, info.threads);
      if (typeof t === 'string') console.log(`bench: ${t}`);
      for (const op of OPS) {
        const torchMs = typeof t === 'string' ? null : t[op];
        rows.push({ backend: info.backend, model: m, op, batch, threads: info.threads, oursMs: +o[op].toFixed(1), torchMs: torchMs === null ? null : +torchMs.toFixed(1), ratio: torchMs ? +(o[op] / torchMs).toFixed(2) : null });
      }
      if (!asJson) console.log(`bench: ${info.backend} ${m} done`);
    }
  }
  console.log(['backend', 'model', 'op', 'batch', 'threads', 'ours ms', 'torch ms', 'ratio'].map((h) => h.padEnd(10)).join(''));
  for (const r of rows) console.log([r.backend, r.model, r.op, r.batch, r.threads, r.oursMs, r.torchMs ?? '-', r.ratio ?? '-'].map((v) => String(v).padEnd(10)).join(''));
  if (asJson) console.log(JSON.stringify(rows));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
