/**
 * Image grids as PNG: rows of images (clean, adversarial, perturbation amplified), each tensor [N, H, W, C]
 * with values in [0, 1] and C 1 or 3. PNG rather than a Vega-Lite plot because an image grid of a few
 * hundred thousand pixels would make a spec of megabytes; PNG shows the same on GitHub and in the export.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { PNG } from 'pngjs';
import { msg } from '../messages';
import { inNotebook, sendBundle, type Bundle } from './display';

/** One row of the grid: a label and the images, [N, H, W, C] in [0, 1]. */
export interface ImageRow {
  /** Row label, shown in the text part of the display. */
  label: string;
  /** Images [N, H, W, C] with C 1 (grey) or 3 (RGB), values in [0, 1] (clipped for display). */
  images: tf.Tensor;
}

/** Options of {@link imageGridPng}. */
export interface ImageGridOptions {
  /** Pixels per image pixel (default 3: a 28x28 digit is 84 pixels wide). */
  scale?: number;
  /** Padding between images in output pixels (default 2, white). */
  pad?: number;
  /** At most this many images per row (default 10). */
  maxPerRow?: number;
}

/**
 * The PNG of a grid with one row per {@link ImageRow}.
 * @example const png = await imageGridPng([{ label: 'clean', images: x }, { label: 'adversarial', images: xAdv }]);
 */
export async function imageGridPng(rows: ImageRow[], opts: ImageGridOptions = {}): Promise<Buffer> {
  const scale = opts.scale ?? 3;
  const pad = opts.pad ?? 2;
  const maxPerRow = opts.maxPerRow ?? 10;
  if (!Number.isInteger(scale) || scale < 1) throw new Error(msg.positiveInt('scale', scale));
  if (rows.length === 0) throw new Error(msg.positiveInt('rows.length', 0));
  const first = rows[0].images.shape;
  for (const r of rows) {
    const s = r.images.shape;
    if (s.length !== 4 || (s[3] !== 1 && s[3] !== 3)) throw new Error(msg.rank(`images of row "${r.label}"`, 'rank 4 [N, H, W, C] with C 1 or 3', s));
    if (s[1] !== first[1] || s[2] !== first[2]) throw new Error(msg.shape(`images of row "${r.label}"`, [null, first[1] ?? null, first[2] ?? null, null], s));
  }
  const [, h, w] = first;
  const cols = Math.min(maxPerRow, Math.max(...rows.map((r) => r.images.shape[0])));
  const cw = w * scale + pad;
  const ch = h * scale + pad;
  const png = new PNG({ width: cols * cw + pad, height: rows.length * ch + pad });
  png.data.fill(255);
  for (let ri = 0; ri < rows.length; ri++) {
    const [n, , , c] = rows[ri].images.shape;
    const v = await rows[ri].images.data();
    for (let k = 0; k < Math.min(n, cols); k++) {
      for (let y = 0; y < h * scale; y++) {
        for (let x = 0; x < w * scale; x++) {
          const src = ((k * h + Math.floor(y / scale)) * w + Math.floor(x / scale)) * c;
          const dst = ((pad + ri * ch + y) * png.width + pad + k * cw + x) * 4;
          for (let q = 0; q < 3; q++) png.data[dst + q] = Math.round(255 * Math.min(1, Math.max(0, v[src + (c === 3 ? q : 0)])));
          png.data[dst + 3] = 255;
        }
      }
    }
  }
  return PNG.sync.write(png);
}

/**
 * The display bundle of an image grid: HTML with each row's label above its strip of images (what notebook
 * front ends show), the whole grid as PNG (base64, for viewers without HTML) and a text line naming the rows.
 */
export async function imageGridBundle(rows: ImageRow[], opts: ImageGridOptions = {}): Promise<Bundle> {
  const png = await imageGridPng(rows, opts);
  const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const strips: string[] = [];
  for (const r of rows) {
    const one = await imageGridPng([r], opts);
    strips.push(`<div style="margin:2px 0"><div style="font:12px sans-serif;color:#333">${esc(r.label)}</div><img src="data:image/png;base64,${one.toString('base64')}"></div>`);
  }
  return { 'text/html': `<div>${strips.join('')}</div>`, 'image/png': png.toString('base64'), 'text/plain': `<image grid, rows: ${rows.map((r) => r.label).join(' | ')}>` };
}

/**
 * Shows rows of images in the notebook (outside one, prints the row labels).
 * @example await showImages([{ label: 'clean', images: x }, { label: 'PGD', images: xAdv }, { label: 'x10 perturbation', images: amplify(xAdv, x) }]);
 */
export async function showImages(rows: ImageRow[], opts: ImageGridOptions = {}): Promise<void> {
  const b = await imageGridBundle(rows, opts);
  if (inNotebook()) sendBundle(b);
  else console.log(b['text/plain']);
}

/**
 * A perturbation made visible: `0.5 + gain * (adv - clean)`, clipped to [0, 1] (grey is no change).
 * @param gain amplification (default 10: an 8/255 step becomes about a third of the range).
 */
export function amplify(adv: tf.Tensor, clean: tf.Tensor, gain = 10): tf.Tensor {
  return tf.tidy(() => tf.clipByValue(tf.add(tf.mul(tf.sub(adv, clean), gain), 0.5), 0, 1));
}
