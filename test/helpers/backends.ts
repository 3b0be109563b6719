/**
 * The one cross-backend helper of the tests: which backends this process can run (cpu always, wasm with
 * robustlab's kernels, aten when its addon is built), running a computation on one of them, and comparing
 * every backend with the cpu reference (tfjs's `describeWithFlags` in spirit).
 */
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from '../../lib/engine/wasm';
import { registerAtenBackend } from '../../lib/engine/aten';
import { addonPath } from '../../lib/engine/aten/addon';

/** One output of a computation, read back from its backend. */
export interface Output {
  values: Float32Array | Int32Array | Uint8Array;
  shape: number[];
  dtype: tf.DataType;
}

let ready: Promise<string[]> | undefined;

/**
 * Registers wasm (robustlab's kernels) and aten (2 threads; only if its addon is built) next to cpu, once;
 * returns the backends to compare, cpu first.
 */
export function backends(): Promise<string[]> {
  ready ??= (async () => {
    const names = ['cpu'];
    registerWasmKernels();
    names.push('wasm');
    if (fs.existsSync(addonPath())) {
      await registerAtenBackend({ threads: 2 });
      names.push('aten');
    }
    return names;
  })();
  return ready;
}

/** Runs `fn` with `name` as the active backend, then switches back (also when it throws). */
export async function withBackend<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
  const prev = tf.getBackend();
  await tf.setBackend(name);
  try {
    return await fn();
  } finally {
    await tf.setBackend(prev);
  }
}

/** The outputs of `f`, computed inside `tf.tidy` on backend `name`, with their shapes and dtypes. */
export function outputsOn(name: string, f: () => tf.Tensor | tf.Tensor[]): Promise<Output[]> {
  return withBackend(name, () => {
    const out = tf.tidy(f);
    const list = Array.isArray(out) ? out : [out];
    const res = list.map((t) => ({ values: t.dataSync() as Output['values'], shape: t.shape, dtype: t.dtype }));
    tf.dispose(list);
    return res;
  });
}

/** The values of `f`'s outputs on backend `name` (see {@link outputsOn}). */
export async function dataOn(name: string, f: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  return (await outputsOn(name, f)).map((o) => o.values as Float32Array);
}

/** Same bits as far as a test cares: equal numbers, both NaN, or zeros of the same sign unless `signedZero` is off. */
export function sameValue(a: number, b: number, signedZero = true): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  return signedZero ? Object.is(a, b) : a === b;
}

/**
 * Where `got` differs from the cpu reference `want`, as readable lines (empty when they agree): shape, dtype,
 * then each element with |got - want| > atol + rtol*|want|, NaN against a number, an infinity against another
 * value, or (with `signedZero`) -0 against +0.
 */
export function differences(got: Output[], want: Output[], opts: { atol?: number; rtol?: number; signedZero?: boolean } = {}): string[] {
  const { atol = 0, rtol = 0, signedZero = true } = opts;
  const lines: string[] = [];
  if (got.length !== want.length) return [`${got.length} outputs vs ${want.length}`];
  got.forEach((g, k) => {
    const w = want[k];
    if (g.shape.join() !== w.shape.join()) lines.push(`output ${k}: shape [${g.shape}] vs [${w.shape}]`);
    if (g.dtype !== w.dtype) lines.push(`output ${k}: dtype ${g.dtype} vs ${w.dtype}`);
    const n = Math.min(g.values.length, w.values.length);
    for (let i = 0; i < n && lines.length < 20; i++) {
      const [a, b] = [g.values[i], w.values[i]];
      if (sameValue(a, b, signedZero)) continue;
      const finite = Number.isFinite(a) && Number.isFinite(b);
      if (finite && Math.abs(a - b) <= atol + rtol * Math.abs(b) && (!signedZero || a !== 0 || b !== 0)) continue;
      lines.push(`output ${k}[${i}]: ${show(a)} vs cpu ${show(b)}`);
    }
  });
  return lines;
}

const show = (v: number) => (Object.is(v, -0) ? '-0' : String(v));

/**
 * Runs `f` on every backend and returns, per backend other than cpu, where it differs from cpu
 * ({@link differences}); `{}` entries with empty lists mean agreement.
 */
export async function compareWithCpu(f: () => tf.Tensor | tf.Tensor[], opts: { atol?: number; rtol?: number; signedZero?: boolean; only?: string[] } = {}): Promise<Record<string, string[]>> {
  const names = (await backends()).filter((b) => b !== 'cpu' && (!opts.only || opts.only.includes(b)));
  const want = await outputsOn('cpu', f);
  const out: Record<string, string[]> = {};
  for (const b of names) out[b] = differences(await outputsOn(b, f), want, opts);
  return out;
}

/** Runs `fn` with TF.js flags set to `values` (robustlab's wasm flags among them), then restores them. */
export async function withFlags<T>(values: Record<string, number | boolean | string>, fn: () => T | Promise<T>): Promise<T> {
  const env = tf.env();
  const saved = Object.fromEntries(Object.keys(values).map((k) => [k, env.get(k)]));
  try {
    for (const [k, v] of Object.entries(values)) env.set(k, v);
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) env.set(k, v);
  }
}
