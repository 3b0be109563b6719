/**
 * The CIFAR training augmentation of the papers: a random crop of the zero-padded image and a random
 * horizontal flip, in plain typed-array loops, seeded.
 * @module
 */
import { Rng } from '../engine/seed';
import { msg } from '../messages';
import { checkNonNegativeInt } from '../tensor/validate';
import type { Dataset } from './dataset';

/**
 * Random crop with `pad` pixels of zero padding (default 4) and a horizontal flip with probability 1/2,
 * per image. Works on any NHWC batch, bytes or floats; returns a new array of the same type and shape.
 * @example const aug = randomCropFlip(batch.x, batch.shape, { seed: step });
 */
export function randomCropFlip<T extends Float32Array | Uint8Array>(x: T, shape: readonly [number, number, number, number], opts: { pad?: number; flip?: boolean; seed?: number } = {}): T {
  const [n, h, w, c] = shape;
  const pad = opts.pad ?? 4;
  checkNonNegativeInt(pad, 'pad');
  if (x.length !== n * h * w * c) throw new Error(msg.shape('x (flat)', [n * h * w * c], [x.length]));
  const rng = new Rng(opts.seed ?? 0);
  const out = (x instanceof Uint8Array ? new Uint8Array(x.length) : new Float32Array(x.length)) as T;
  const d = h * w * c;
  for (let i = 0; i < n; i++) {
    // offset of the crop in the padded image, minus pad: the source shift
    const dy = rng.int(2 * pad + 1) - pad;
    const dx = rng.int(2 * pad + 1) - pad;
    const flip = (opts.flip ?? true) && rng.next() < 0.5;
    for (let r = 0; r < h; r++) {
      const sr = r + dy;
      if (sr < 0 || sr >= h) continue;
      for (let col = 0; col < w; col++) {
        const sc = (flip ? w - 1 - col : col) + dx;
        if (sc < 0 || sc >= w) continue;
        const o = i * d + (r * w + col) * c;
        const s = i * d + (sr * w + sc) * c;
        for (let ch = 0; ch < c; ch++) out[o + ch] = x[s + ch];
      }
    }
  }
  return out;
}

/** {@link randomCropFlip} over a whole dataset (labels unchanged). */
export function augmentDataset(ds: Dataset, opts: { pad?: number; flip?: boolean; seed?: number } = {}): Dataset {
  return { ...ds, x: randomCropFlip(ds.x, ds.shape, opts) };
}
