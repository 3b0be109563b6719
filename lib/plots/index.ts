/**
 * Plot builders: functions returning plain Vega-Lite specs (edit them, then `show(spec)`).
 * @module
 */
export { groupedBars, linesWithBands, heatmap, histogram, scatterWithDiagonal, decisionRegions, imageGrid } from './specs';
export { facetBars } from './smallMultiples';
