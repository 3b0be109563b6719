/**
 * Small multiples: one panel per value of a field, the same bars in each (the gain-from-neighbours
 * supplement's Fig. 7 draws one rank histogram per corruption), with an optional reference line.
 * @module
 */
import type { VegaLiteSpec } from '../notebook/display';

/**
 * Bars of `y` against an ordinal `x`, one panel per `facet` value, `columns` panels a row; `rule` draws a
 * horizontal reference at that y in every panel (e.g. the uniform share).
 * @example show(facetBars(rows, { x: 'rank', y: 'share', facet: 'corruption', rule: 1 / 9 }))
 */
export function facetBars(rows: Record<string, unknown>[], f: { x: string; y: string; facet: string; columns?: number; rule?: number; title?: string }): VegaLiteSpec {
  const bars = { mark: 'bar', encoding: { x: { field: f.x, type: 'ordinal' }, y: { field: f.y, type: 'quantitative' }, tooltip: [{ field: f.x }, { field: f.y, format: '.4f' }] } };
  const rule = f.rule === undefined ? [] : [{ mark: { type: 'rule', strokeDash: [4, 3], color: 'black' }, encoding: { y: { datum: f.rule } } }];
  return {
    title: f.title ?? `${f.y} by ${f.x}, per ${f.facet}`,
    data: { values: rows },
    facet: { field: f.facet, type: 'nominal', title: null },
    columns: f.columns ?? 5,
    spec: { width: 110, height: 80, layer: [bars, ...rule] },
  };
}
