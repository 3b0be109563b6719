/**
 * `shapes10`: a generated 10-class colour image set, deterministic from a seed, whose classes have graded
 * similarity: five shapes, each in a warm and a cool colour family, so each class shares its shape with one
 * class and its colour family with four others, and differs in both from the remaining five. Position,
 * scale, colour, texture and background vary within a class.
 * @module
 */
import { Rng } from '../engine/seed';
import type { Dataset } from './dataset';

const SHAPES = ['disc', 'square', 'triangle', 'ring', 'cross'] as const;
const FAMILIES = ['warm', 'cool'] as const;

/** Class names: shape-family, e.g. `disc-warm`. Classes 2k and 2k+1 share a shape. */
export const SHAPES10_CLASSES = SHAPES.flatMap((s) => FAMILIES.map((f) => `${s}-${f}`));

function inside(shape: (typeof SHAPES)[number], u: number, v: number): boolean {
  // (u, v) in [-1, 1]^2, shape centred at the origin.
  switch (shape) {
    case 'disc':
      return u * u + v * v <= 0.8;
    case 'square':
      return Math.abs(u) <= 0.75 && Math.abs(v) <= 0.75;
    case 'triangle':
      return v >= -0.7 && v <= 0.8 && Math.abs(u) <= (0.8 - v) * 0.55;
    case 'ring': {
      const r = u * u + v * v;
      return r <= 0.85 && r >= 0.3;
    }
    case 'cross':
      return (Math.abs(u) <= 0.28 && Math.abs(v) <= 0.85) || (Math.abs(v) <= 0.28 && Math.abs(u) <= 0.85);
  }
}

/**
 * Generates `n` images of size `size` x `size` x 3, classes balanced (i % 10).
 * @example const train = shapes10({ n: 5000, seed: 0 });
 */
export function shapes10(opts: { n: number; size?: number; seed?: number }): Dataset {
  const size = opts.size ?? 32;
  const rng = new Rng(opts.seed ?? 0);
  const n = opts.n;
  const x = new Float32Array(n * size * size * 3);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = i % 10;
    y[i] = k;
    const shape = SHAPES[k >> 1];
    const warm = (k & 1) === 0;
    const base = warm ? [0.75 + 0.25 * rng.next(), 0.25 + 0.35 * rng.next(), 0.1 * rng.next()] : [0.1 * rng.next(), 0.3 + 0.35 * rng.next(), 0.75 + 0.25 * rng.next()];
    const bg = [0.2 + 0.6 * rng.next(), 0.2 + 0.6 * rng.next(), 0.2 + 0.6 * rng.next()].map((v) => v * 0.6 + 0.2);
    const scale = 0.45 + 0.35 * rng.next();
    const cx = (rng.next() - 0.5) * (1 - scale) * 1.6;
    const cy = (rng.next() - 0.5) * (1 - scale) * 1.6;
    const texFreq = 2 + 6 * rng.next();
    const texAmp = 0.15 * rng.next();
    const angle = rng.next() * Math.PI;
    for (let r = 0; r < size; r++)
      for (let c = 0; c < size; c++) {
        const px = (2 * (c + 0.5)) / size - 1;
        const py = (2 * (r + 0.5)) / size - 1;
        const u = (px - cx) / scale;
        const v = (py - cy) / scale;
        const on = inside(shape, u, v);
        const tex = texAmp * Math.sin(texFreq * (px * Math.cos(angle) + py * Math.sin(angle)) * Math.PI);
        const o = ((i * size + r) * size + c) * 3;
        for (let ch = 0; ch < 3; ch++) {
          const val = (on ? base[ch] : bg[ch]) + tex + 0.04 * rng.normal();
          x[o + ch] = Math.min(1, Math.max(0, val));
        }
      }
  }
  return { name: 'shapes10', x, y, shape: [n, size, size, 3], numClasses: 10, classNames: [...SHAPES10_CLASSES] };
}
