/**
 * Plot builders for the figure types the papers use. Each returns a plain Vega-Lite spec a user can edit
 * before passing it to `show`.
 * @module
 */
import type { VegaLiteSpec } from '../notebook/display';

type Rows = Record<string, unknown>[];

/** Grouped bars: `y` per `x`, one bar per `color` (accuracy per method per attack). */
export function groupedBars(rows: Rows, f: { x: string; y: string; color: string; title?: string }): VegaLiteSpec {
  return {
    title: f.title ?? `${f.y} by ${f.x} and ${f.color}`,
    data: { values: rows },
    mark: 'bar',
    encoding: {
      x: { field: f.x, type: 'nominal' },
      xOffset: { field: f.color },
      y: { field: f.y, type: 'quantitative' },
      color: { field: f.color, type: 'nominal' },
      tooltip: [{ field: f.x }, { field: f.color }, { field: f.y, format: '.4f' }],
    },
  };
}

/** Options of {@link linesWithBands}. */
export interface LinesOptions {
  /** Field on the x axis. */
  x: string;
  /** Field on the y axis. */
  y: string;
  /** One colour per value of this field (e.g. the method). */
  color?: string;
  /** Lower and upper band fields (e.g. a 95% interval). */
  lo?: string;
  /** Upper band field. */
  hi?: string;
  /** One dash pattern per value of this field, in `dashOrder` (first solid, second dashed, third dotted). */
  dash?: string;
  /** The dash field's values in order (default: as they first appear in the rows). */
  dashOrder?: string[];
  /** Integer ticks on x (epochs, step counts): no 1.5 or 2.5. */
  integerX?: boolean;
  /** Title. */
  title?: string;
}

const DASHES = [[1, 0], [6, 4], [2, 3], [8, 3, 2, 3]];

/**
 * Lines of `y` against `x` per `color` (and per `dash`), with an optional band from `lo` to `hi` (accuracy vs
 * epochs). With `dash`, the first value in `dashOrder` is solid, the second dashed, and the legend draws them.
 */
export function linesWithBands(rows: Rows, f: LinesOptions): VegaLiteSpec {
  const x = { field: f.x, type: 'quantitative', ...(f.integerX ? { axis: { tickMinStep: 1, format: 'd' }, scale: { nice: false } } : {}) };
  const order = f.dash ? (f.dashOrder ?? [...new Set(rows.map((r) => String(r[f.dash!])))]) : [];
  const detail = f.dash ? { detail: { field: f.dash } } : {};
  const enc = { x, ...(f.color ? { color: { field: f.color, type: 'nominal', legend: { labelLimit: 400 } } } : {}), ...detail };
  const dash = f.dash
    ? { strokeDash: { field: f.dash, type: 'nominal', sort: order, scale: { domain: order, range: order.map((_, i) => DASHES[i % DASHES.length]) }, legend: { symbolType: 'stroke', symbolStrokeColor: 'black', symbolStrokeWidth: 2, symbolSize: 400 } } }
    : {};
  const layers: Record<string, unknown>[] = [{ mark: { type: 'line', point: !f.dash }, encoding: { ...enc, ...dash, y: { field: f.y, type: 'quantitative', title: f.y } } }];
  // The band's y channel carries the title of the line's, or the axis would read "lo, hi, y".
  if (f.lo && f.hi) layers.unshift({ mark: { type: 'area', opacity: 0.15 }, encoding: { ...enc, y: { field: f.lo, type: 'quantitative', title: f.y }, y2: { field: f.hi } } });
  return { title: f.title ?? `${f.y} vs ${f.x}`, data: { values: rows }, layer: layers };
}

/**
 * Heatmap of `value` over `x` x `y` (corruption x severity), x labels turned so long names do not overlap;
 * with `label`, each cell also shows that field as text.
 */
export function heatmap(rows: Rows, f: { x: string; y: string; value: string; label?: string; title?: string }): VegaLiteSpec {
  const x = { field: f.x, type: 'ordinal', axis: { labelAngle: -40, labelLimit: 160 } };
  const y = { field: f.y, type: 'ordinal', axis: { labelLimit: 200 } };
  const rect = { mark: 'rect', encoding: { x, y, color: { field: f.value, type: 'quantitative' }, tooltip: [{ field: f.x }, { field: f.y }, { field: f.value }] } };
  const base = { title: f.title ?? `${f.value} by ${f.x} and ${f.y}`, data: { values: rows }, width: { step: 44 }, height: { step: 22 } };
  if (!f.label) return { ...base, ...rect };
  return { ...base, layer: [rect, { mark: { type: 'text', fontSize: 10 }, encoding: { x, y, text: { field: f.label } } }] };
}

/** Histogram of `field`, optionally one colour per `color` (similarity rank, pixel intensity). */
export function histogram(rows: Rows, f: { field: string; color?: string; maxbins?: number; title?: string }): VegaLiteSpec {
  return {
    title: f.title ?? `histogram of ${f.field}`,
    data: { values: rows },
    mark: { type: 'bar', opacity: 0.7 },
    encoding: {
      x: { field: f.field, bin: { maxbins: f.maxbins ?? 30 }, type: 'quantitative' },
      y: { aggregate: 'count', type: 'quantitative', stack: null },
      ...(f.color ? { color: { field: f.color, type: 'nominal' } } : {}),
    },
  };
}

/** Scatter of `y` against `x` with the diagonal y = x (per-problem 1NN vs TRADES). */
export function scatterWithDiagonal(rows: Rows, f: { x: string; y: string; label?: string; title?: string }): VegaLiteSpec {
  return {
    title: f.title ?? `${f.y} vs ${f.x}`,
    layer: [
      { data: { values: rows }, mark: { type: 'point', filled: true }, encoding: { x: { field: f.x, type: 'quantitative', scale: { domain: [0, 1] } }, y: { field: f.y, type: 'quantitative', scale: { domain: [0, 1] } }, ...(f.label ? { tooltip: [{ field: f.label }] } : {}) } },
      { data: { values: [{ d: 0 }, { d: 1 }] }, mark: { type: 'line', strokeDash: [4, 4], color: 'gray' }, encoding: { x: { field: 'd', type: 'quantitative' }, y: { field: 'd', type: 'quantitative' } } },
    ],
  };
}

/** 2-D decision regions (a grid of predicted classes; `size`: each grid square's area, default 40) with the data points on top. */
export function decisionRegions(grid: Rows, points: Rows, f: { x: string; y: string; cls: string; title?: string; size?: number }): VegaLiteSpec {
  return {
    title: f.title ?? 'decision regions',
    layer: [
      { data: { values: grid }, mark: { type: 'square', opacity: 0.25, size: f.size ?? 40 }, encoding: { x: { field: f.x, type: 'quantitative' }, y: { field: f.y, type: 'quantitative' }, color: { field: f.cls, type: 'nominal' } } },
      { data: { values: points }, mark: { type: 'point', filled: true, stroke: 'black', strokeWidth: 0.5 }, encoding: { x: { field: f.x, type: 'quantitative' }, y: { field: f.y, type: 'quantitative' }, color: { field: f.cls, type: 'nominal' } } },
    ],
  };
}

/**
 * A grid of small images as a Vega-Lite spec (one `rect` per pixel, faceted by image), for a handful of
 * low-resolution images a user wants as an editable plot; large grids go out as PNG (`showImages`).
 * @param images pixel values in [0, 1], row-major `[N, H, W, C]` with C 1 or 3
 * @example imageGrid({ data: await x.data(), shape: x.shape }, { labels: ['3', '7'], columns: 5 })
 */
export function imageGrid(images: { data: ArrayLike<number>; shape: readonly number[] }, f: { labels?: string[]; columns?: number; size?: number; title?: string } = {}): VegaLiteSpec {
  const [n, h, w, c] = images.shape;
  const hex = (v: number) => Math.round(255 * Math.min(1, Math.max(0, v))).toString(16).padStart(2, '0');
  const names = Array.from({ length: n }, (_, i) => (f.labels?.[i] !== undefined ? `${i}: ${f.labels[i]}` : `#${i}`));
  const values: Rows = [];
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < h; r++) {
      for (let q = 0; q < w; q++) {
        const o = ((i * h + r) * w + q) * c;
        const rgb = c === 3 ? hex(images.data[o]) + hex(images.data[o + 1]) + hex(images.data[o + 2]) : hex(images.data[o]).repeat(3);
        values.push({ image: names[i], row: r, col: q, color: `#${rgb}` });
      }
    }
  }
  const size = f.size ?? 3 * w;
  return {
    title: f.title ?? 'images',
    data: { values },
    columns: f.columns ?? Math.min(n, 10),
    facet: { field: 'image', type: 'nominal', sort: names, header: { title: null } },
    spec: {
      width: size,
      height: (size * h) / w,
      mark: 'rect',
      encoding: {
        x: { field: 'col', type: 'ordinal', axis: null },
        y: { field: 'row', type: 'ordinal', axis: null },
        color: { field: 'color', type: 'nominal', scale: null },
      },
    },
  };
}
