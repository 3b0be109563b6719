/**
 * Frost textures: the frost photographs of ImageNet-C (`<data>/frost/frost1.png .. frost5.jpg`), resized by
 * the CIFAR code's factor, or a procedural stand-in when none are present.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng } from '../../engine/seed';
import { msg } from '../../messages';
import { readImage } from '../image';
import { blank, cvResizeLinear, gaussianFilter, type Img } from './image';

/** The photographs the CIFAR code picks from (`np.random.randint(5)`: frost6 is never used there). */
export const FROST_FILES = ['frost1.png', 'frost2.png', 'frost3.png', 'frost4.jpg', 'frost5.jpg'] as const;

const cache = new Map<string, { textures: Img[]; procedural: boolean }>();

/** Drops cached textures (tests that switch directories). */
export function clearFrostCache(): void {
  cache.clear();
}

/**
 * A procedural frost texture: sparse bright seeds smeared into short crystalline streaks and blurred,
 * bluish white, in bytes 0..255 like the photographs.
 */
function proceduralFrost(h: number, w: number, seed: number): Img {
  const rng = new Rng(seed);
  const g = blank(h, w, 1);
  for (let i = 0; i < (h * w) / 12; i++) {
    let y = rng.int(h);
    let x = rng.int(w);
    const a = rng.next() * 2 * Math.PI;
    const len = 2 + rng.int(8);
    const v = 0.4 + 0.6 * rng.next();
    for (let t = 0; t < len; t++) {
      g.d[y * w + x] = Math.max(g.d[y * w + x], v);
      y = Math.min(h - 1, Math.max(0, Math.round(y + Math.sin(a))));
      x = Math.min(w - 1, Math.max(0, Math.round(x + Math.cos(a))));
    }
  }
  const b = gaussianFilter(g, 0.7);
  const out = blank(h, w, 3);
  for (let p = 0; p < h * w; p++) {
    const v = Math.min(1, 1.6 * b.d[p]) * 255;
    out.d[3 * p] = 0.85 * v;
    out.d[3 * p + 1] = 0.92 * v;
    out.d[3 * p + 2] = v;
  }
  return out;
}

/**
 * The frost textures for images of size h x w: the photographs from `dir/frost` (default
 * `ROBUSTLAB_DATA/frost`) resized by 0.2 * min(h, w) / 32 (the CIFAR code's x0.2 for 32x32, scaled), and
 * at least the image size; else five procedural textures, with a printed note (once per directory).
 */
export function frostTextures(h: number, w: number, dir?: string): { textures: Img[]; procedural: boolean } {
  const base = dir ?? process.env.ROBUSTLAB_DATA;
  const key = `${base}|${h}x${w}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const folder = base ? path.join(base, 'frost') : undefined;
  let result: { textures: Img[]; procedural: boolean };
  if (folder && FROST_FILES.every((f) => fs.existsSync(path.join(folder, f)))) {
    const factor = (0.2 * Math.min(h, w)) / 32;
    const textures = FROST_FILES.map((f) => {
      const rgb = readImage(path.join(folder, f));
      const img: Img = { h: rgb.height, w: rgb.width, c: 3, d: Float64Array.from(rgb.data) };
      // cv2.resize rounds the target size; a texture must still cover the image
      const f2 = Math.max(factor, (h + 1) / img.h, (w + 1) / img.w);
      return cvResizeLinear(img, Math.round(img.h * f2), Math.round(img.w * f2));
    });
    result = { textures, procedural: false };
  } else {
    console.warn(msg.frostFallback(folder ?? '(ROBUSTLAB_DATA is not set)'));
    const textures = FROST_FILES.map((_, i) => proceduralFrost(Math.max(4 * h, h + 8), Math.max(4 * w, w + 8), 1000 + i));
    result = { textures, procedural: true };
  }
  cache.set(key, result);
  return result;
}
