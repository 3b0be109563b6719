/**
 * Data for the notebooks' corruption figures: a grid of every corruption x severity on one image, and
 * pixel-intensity histograms of clean vs corrupted images (Fig. 8 of the neighbours paper), as plain records.
 * @module
 */
import { msg } from '../messages';
import type { Dataset } from './dataset';
import { CORRUPTIONS, corrupt, type CorruptionFamily, type CorruptOptions, type ImageBatch } from './corruptions/index';

/** One cell of the corruption grid. */
export interface GridCell {
  /** Corruption name, or `clean` for the original image. */
  corruption: string;
  /** Its family (`clean` for the original). */
  family: CorruptionFamily | 'clean';
  /** Severity 1..5 (0 for the original). */
  severity: number;
  /** Row (corruption index, the original is row 0) and column (severity - 1) in the grid. */
  row: number;
  /** Column: severity - 1 (0 for the original). */
  col: number;
}

/**
 * Image `index` of `images` under every corruption and severity: returns a batch of 1 + 19 x 5 images
 * (the original first) and one {@link GridCell} per image, in the same order.
 * @example const { images, cells } = corruptionGrid(test, 0, { seed: 0 });
 */
export function corruptionGrid(images: ImageBatch, index = 0, opts: { seed?: number; corruptions?: readonly string[] } & CorruptOptions = {}): { images: ImageBatch; cells: GridCell[] } {
  const [n, h, w, c] = images.shape;
  if (!(Number.isInteger(index) && index >= 0)) throw new Error(msg.nonNegativeInt('index', index));
  if (index >= n) throw new Error(msg.atMost('index', n - 1, index));
  const d = h * w * c;
  const one: ImageBatch = { x: images.x.slice(index * d, index * d + d), shape: [1, h, w, c] };
  const names = opts.corruptions ?? CORRUPTIONS.map((k) => k.name);
  const cells: GridCell[] = [{ corruption: 'clean', family: 'clean', severity: 0, row: 0, col: 0 }];
  const parts: (Float32Array | Uint8Array)[] = [one.x];
  names.forEach((name, r) => {
    const family = CORRUPTIONS.find((k) => k.name === name)?.family ?? 'extra';
    for (let s = 1; s <= 5; s++) {
      parts.push(corrupt(one, name, s, opts.seed ?? 0, opts).x);
      cells.push({ corruption: name, family, severity: s, row: r + 1, col: s - 1 });
    }
  });
  const x = images.x instanceof Uint8Array ? new Uint8Array(parts.length * d) : new Float32Array(parts.length * d);
  parts.forEach((p, i) => x.set(p, i * d));
  return { images: { x, shape: [parts.length, h, w, c] }, cells };
}

/** One bar of an intensity histogram. */
export interface HistogramRow {
  /** Bin centre, in [0, 1]. */
  bin: number;
  /** Number of pixel values in the bin. */
  count: number;
  /** Which image set. */
  set: string;
}

/**
 * Pixel-intensity histograms of several image sets, `bins` equal bins over [0, 1] (default 32; 1 falls in
 * the last bin), as long-format rows for a Vega-Lite layered bar or line chart. A `Uint8Array` is read as
 * bytes (v / 255), any other array as values in [0, 1].
 * @example intensityHistogram([{ set: 'clean', x: test.x }, { set: 'fog-3', x: corrupt(test, 'fog', 3).x }])
 */
export function intensityHistogram(sets: readonly { set: string; x: ArrayLike<number> }[], bins = 32): HistogramRow[] {
  if (!(Number.isInteger(bins) && bins >= 1)) throw new Error(msg.positiveInt('bins', bins));
  const rows: HistogramRow[] = [];
  for (const { set, x } of sets) {
    const counts = new Array<number>(bins).fill(0);
    const scale = x instanceof Uint8Array ? bins / 255 : bins;
    for (let i = 0; i < x.length; i++) counts[Math.min(bins - 1, Math.max(0, Math.floor(x[i] * scale)))]++;
    counts.forEach((count, b) => rows.push({ bin: (b + 0.5) / bins, count, set }));
  }
  return rows;
}

/**
 * Histograms of a clean set and its corrupted versions (`corruptions` at `severity`, default 3) in one table.
 * @example cleanVsCorruptedHistogram(test, ['gaussian_noise', 'fog'], { severity: 5 })
 */
export function cleanVsCorruptedHistogram(ds: Dataset, corruptions: readonly string[], opts: { severity?: number; seed?: number; bins?: number } & CorruptOptions = {}): HistogramRow[] {
  const sev = opts.severity ?? 3;
  const sets = [{ set: 'clean', x: ds.x }, ...corruptions.map((name) => ({ set: `${name}-${sev}`, x: corrupt(ds, name, sev, opts.seed ?? 0, opts).x }))];
  return intensityHistogram(sets, opts.bins);
}
