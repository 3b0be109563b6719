/**
 * Shared by the aten tests: whether the addon is built, switching to the aten backend, and running the same
 * computation on aten and on cpu with the same inputs.
 */
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import * as assert from 'uvu/assert';
import type { Test } from 'uvu';
import { registerAtenBackend } from '../../lib/engine/aten';
import { addonPath } from '../../lib/engine/aten/addon';
import { Rng } from '../../lib/engine/seed';
import '../../lib/engine/backend';
import { outputsOn } from '../helpers/backends';

/** True when native/build/aten.node exists; the aten tests skip otherwise. */
export const atenBuilt = fs.existsSync(addonPath());

/** The line the aten tests print when they skip. */
export const skipReason = 'aten addon not built (npm run build:native needs libtorch): aten tests skipped';

let previous: string | undefined;

/** Registers aten (2 threads by default: the test machines are small) and makes it the active backend. */
export async function useAten(threads = 2): Promise<void> {
  previous = tf.getBackend();
  await registerAtenBackend({ threads });
  await tf.setBackend('aten');
}

/**
 * The frame of an aten suite: with the addon built, `body` adds its tests, run on aten (2 threads) and the
 * backend restored after; without it, the suite's one test is that registering aten fails with how to build
 * it (scripts/test.mjs counts uvu's skipped tests as failures).
 */
export function atenSuite(test: Test, body: () => void): void {
  if (!atenBuilt) {
    console.log(skipReason);
    test('without the addon, registering aten fails with how to build it', async () => {
      try {
        await registerAtenBackend({ threads: 1 });
        assert.unreachable('registerAtenBackend should throw without the addon');
      } catch (e) {
        assert.match((e as Error).message, /npm run build:native/);
      }
    });
    return;
  }
  test.before(() => useAten(2));
  test.after(restore);
  body();
}

/** Restores the backend that was active before {@link useAten}. */
export async function restore(): Promise<void> {
  if (previous && previous !== 'aten') await tf.setBackend(previous);
}

/** Random values from a seed: uniform in [lo, hi). */
export function rand(shape: number[], seed: number, lo = -1, hi = 1): tf.Tensor {
  const r = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = lo + (hi - lo) * r.next();
  return tf.tensor(v, shape);
}

/** Random integers in [0, n). */
export function randInt(shape: number[], n: number, seed: number): tf.Tensor {
  const r = new Rng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Int32Array.from({ length: size }, () => r.int(n)), shape, 'int32');
}

/** Outputs of `f` (values, shape, dtype), computed inside tidy on the named backend (the shared helper). */
export { outputsOn };

/** Max relative error between aten and cpu outputs of `f` (also checks shapes and dtypes match). */
export async function atenVsCpu(f: () => tf.Tensor | tf.Tensor[]): Promise<number> {
  const a = await outputsOn('aten', f);
  const c = await outputsOn('cpu', f);
  if (a.length !== c.length) throw new Error(`aten gave ${a.length} outputs, cpu ${c.length}`);
  let worst = 0;
  for (let k = 0; k < a.length; k++) {
    if (a[k].shape.join() !== c[k].shape.join()) throw new Error(`output ${k}: aten shape [${a[k].shape}] vs cpu [${c[k].shape}]`);
    if (a[k].dtype !== c[k].dtype) throw new Error(`output ${k}: aten dtype ${a[k].dtype} vs cpu ${c[k].dtype}`);
    let num = 0;
    let den = 1e-12;
    for (let i = 0; i < a[k].values.length; i++) {
      const x = a[k].values[i];
      const y = c[k].values[i];
      if (Number.isNaN(x) !== Number.isNaN(y)) return Infinity;
      if (Number.isNaN(y) || (x === y)) continue;
      num = Math.max(num, Math.abs(x - y));
      den = Math.max(den, Math.abs(y));
    }
    for (const y of c[k].values) if (Number.isFinite(y)) den = Math.max(den, Math.abs(y));
    worst = Math.max(worst, num / den);
  }
  return worst;
}
