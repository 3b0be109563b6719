/**
 * Everything a notebook needs besides the library itself: display (plots, tables, images, Markdown),
 * progress bars, profiles, the paper's reported numbers, claim verdicts and the results JSON.
 * @module
 */
export { show, table, markdown, plotBundle, tableBundle, renderSvg, inNotebook, sendBundle, newDisplayId } from './display';
export type { Bundle, VegaLiteSpec } from './display';
export { showImages, imageGridPng, imageGridBundle, amplify } from './images';
export type { ImageRow, ImageGridOptions } from './images';
export { progressBar } from './progress';
export type { ProgressOptions } from './progress';
export type { ProgressSink } from '../training/progress';
export { profile, reported, Results } from './profile';
export type { ProfileName, ClaimVerdict } from './profile';
export * from '../plots/index';
