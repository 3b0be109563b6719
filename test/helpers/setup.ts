/**
 * Shared test set-up: the engine under test (ROBUSTLAB_BACKEND or the picker's choice) and closeness checks.
 * Running on other backends and comparing with cpu: backends.ts.
 */
import * as assert from 'uvu/assert';
import { initEngine } from '../../lib/engine/backend';

/** Initialises the engine once per process. */
export async function engine(): Promise<void> {
  await initEngine({ verbose: false });
}

/** Asserts |a - b| <= atol + rtol*|b| elementwise. */
export function assertClose(a: ArrayLike<number> | number, b: ArrayLike<number> | number, atol = 1e-5, rtol = 0, what = ''): void {
  const av = typeof a === 'number' ? [a] : Array.from(a);
  const bv = typeof b === 'number' ? [b] : Array.from(b);
  assert.is(av.length, bv.length, `${what} length`);
  for (let i = 0; i < av.length; i++) {
    const d = Math.abs(av[i] - bv[i]);
    if (!(d <= atol + rtol * Math.abs(bv[i]))) assert.unreachable(`${what} element ${i}: ${av[i]} vs ${bv[i]} (|diff| ${d})`);
  }
}

/** Max relative error ||a - b||_inf / max(||b||_inf, tiny). */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 1e-12;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}
