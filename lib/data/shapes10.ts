/**
 * `shapes10`: a generated 10-class colour image set, deterministic from a seed, whose classes have graded
 * similarity. Five shapes, each in two texture variants (stripes or checks on the object): the two classes
 * of a shape share the shape and the hue range and differ only in texture (close pairs); classes of
 * different shapes differ in shape and in hue, neighbouring hues (shape k and k+1) being nearer than the
 * rest (graded). Within a class, position, scale, rotation, hue, saturation, brightness, texture frequency
 * and angle, background colour and gradient, and pixel noise vary.
 * @module
 */
import { Rng } from '../engine/seed';
import { msg } from '../messages';
import { unitToBytes, type Dataset } from './dataset';

const SHAPES = ['disc', 'square', 'triangle', 'ring', 'cross'] as const;
const TEXTURES = ['stripes', 'checks'] as const;

/** Class names: shape-texture, e.g. `disc-stripes`. Classes 2k and 2k+1 share a shape and a hue range. */
export const SHAPES10_CLASSES = SHAPES.flatMap((s) => TEXTURES.map((t) => `${s}-${t}`));

function inside(shape: (typeof SHAPES)[number], u: number, v: number): boolean {
  // (u, v) in [-1, 1]^2, shape centred at the origin.
  switch (shape) {
    case 'disc':
      return u * u + v * v <= 0.8;
    case 'square':
      return Math.abs(u) <= 0.72 && Math.abs(v) <= 0.72;
    case 'triangle':
      return v >= -0.7 && v <= 0.8 && Math.abs(u) <= (0.8 - v) * 0.6;
    case 'ring': {
      const r = u * u + v * v;
      return r <= 0.85 && r >= 0.3;
    }
    case 'cross':
      return (Math.abs(u) <= 0.28 && Math.abs(v) <= 0.85) || (Math.abs(v) <= 0.28 && Math.abs(u) <= 0.85);
  }
}

function hsv(h: number, s: number, v: number): [number, number, number] {
  const f = (n: number) => {
    const k = (n + h * 6) % 6;
    return v - v * s * Math.max(0, Math.min(k, 4 - k, 1));
  };
  return [f(5), f(3), f(1)];
}

/**
 * Generates `n` images of size `size` x `size` x 3 (default 32), classes balanced (label i % 10).
 * @param opts.seed default 0; equal seeds give equal sets.
 * @example const train = shapes10({ n: 5000, seed: 0 });
 */
export function shapes10(opts: { n: number; size?: number; seed?: number }): Dataset {
  const size = opts.size ?? 32;
  const n = opts.n;
  if (!(Number.isInteger(n) && n >= 0)) throw new Error(msg.nonNegativeInt('n', n));
  if (!(Number.isInteger(size) && size >= 1)) throw new Error(msg.positiveInt('size', size));
  const rng = new Rng(opts.seed ?? 0);
  const x = new Float32Array(n * size * size * 3);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = i % 10;
    y[i] = k;
    const shape = SHAPES[k >> 1];
    const checks = (k & 1) === 1;
    // hue centres 0.2 apart on the colour wheel; jitter keeps neighbouring shapes' ranges apart
    const fg = hsv(((k >> 1) * 0.2 + 0.12 * (rng.next() - 0.5) + 1) % 1, 0.55 + 0.4 * rng.next(), 0.6 + 0.4 * rng.next());
    const bg0 = hsv(rng.next(), 0.25 * rng.next(), 0.15 + 0.5 * rng.next());
    const bgGrad = [0.3 * (rng.next() - 0.5), 0.3 * (rng.next() - 0.5)];
    const scale = 0.45 + 0.35 * rng.next();
    const cx = (rng.next() - 0.5) * (1 - scale) * 1.6;
    const cy = (rng.next() - 0.5) * (1 - scale) * 1.6;
    const rot = (rng.next() - 0.5) * 0.7;
    const cr = Math.cos(rot);
    const sr = Math.sin(rot);
    const freq = 2.5 + 2.5 * rng.next();
    const tAngle = rng.next() * Math.PI;
    const ta = Math.cos(tAngle);
    const tb = Math.sin(tAngle);
    const amp = 0.12 + 0.1 * rng.next();
    const noise = 0.03 + 0.03 * rng.next();
    for (let r = 0; r < size; r++)
      for (let c = 0; c < size; c++) {
        const px = (2 * (c + 0.5)) / size - 1;
        const py = (2 * (r + 0.5)) / size - 1;
        const u0 = (px - cx) / scale;
        const v0 = (py - cy) / scale;
        const u = cr * u0 + sr * v0;
        const v = -sr * u0 + cr * v0;
        const o = ((i * size + r) * size + c) * 3;
        if (inside(shape, u, v)) {
          // stripes: one sinusoid across the object; checks: the product of two at right angles
          const a = Math.sin(freq * Math.PI * (ta * u + tb * v));
          const tex = checks ? Math.sign(a * Math.sin(freq * Math.PI * (-tb * u + ta * v))) : Math.sign(a);
          for (let ch = 0; ch < 3; ch++) x[o + ch] = Math.min(1, Math.max(0, fg[ch] * (1 + amp * tex) + noise * (2 * rng.next() - 1)));
        } else {
          const g = bgGrad[0] * px + bgGrad[1] * py;
          for (let ch = 0; ch < 3; ch++) x[o + ch] = Math.min(1, Math.max(0, bg0[ch] + g + noise * (2 * rng.next() - 1)));
        }
      }
  }
  return { name: 'shapes10', source: 'generated', x: unitToBytes(x), y, shape: [n, size, size, 3], numClasses: 10, classNames: [...SHAPES10_CLASSES] };
}
