/**
 * Data: in-memory datasets, the MNIST IDX loader, and the generated `shapes10` set.
 * @module
 */
export { subset, stratifiedSplit, balancedSubset, toTensors } from './dataset';
export type { Dataset } from './dataset';
export { readIdx } from './idx';
export type { IdxArray } from './idx';
export { mnistTestSet, hasMnist, dataDir, MNIST_FILES } from './mnist';
export { shapes10, SHAPES10_CLASSES } from './shapes10';
