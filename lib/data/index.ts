/**
 * Data: in-memory datasets, real loaders (MNIST IDX, CIFAR-10, STL-10, CIFAR-10-C `.npy`, image folders,
 * ImageNet-style folders, ImageNet-C), generated sets (`shapes10`, 2-D toys), augmentation, the 19 common
 * corruptions and figure data.
 * @module
 */
export { subset, stratifiedSplit, balancedSubset, toTensors, batches, classIndices, binaryPair, binaryPairs } from './dataset';
export type { Dataset } from './dataset';
export { readIdx } from './idx';
export type { IdxArray } from './idx';
export { mnistTestSet, mnist, hasMnist, dataDir, downloadMnist, MNIST_FILES, MNIST_TRAIN_FILES, MNIST_URLS } from './mnist';
export { shapes10, SHAPES10_CLASSES } from './shapes10';
export { pagToy, xorBlobs, pointsToTensors, PAG_TOY_MODES } from './toys';
export type { PointSet } from './toys';
export { randomCropFlip, augmentDataset } from './augment';
export { readNpy, parseNpy, encodeNpy } from './npy';
export type { NpyArray } from './npy';
export { decodeImage, readImage, encodePng } from './image';
export type { RgbImage } from './image';
export { cifar10, findCifar10, cifar10TreeFiles, readCifarPickle, CIFAR10_SOURCE_LABELS } from './cifar10';
export type { Cifar10Source, Cifar10Location, Cifar10Options } from './cifar10';
export { decodeImages, decodeThreads } from './decodePool';
export { resizeBilinear, resizedSize, centreCrop, fitImage } from './resize';
export type { FitSpec } from './resize';
export {
  imageFolder, listImageFolder, loadImageListing, imageFolderClasses, imageFolderClassNames, checkImageBudget, IMAGE_FOLDER_FILE, IMAGE_FOLDER_MAX_BYTES,
} from './imageFolder';
export type { ImageFolderListing, ImageFolderSelection, ImageFolderDecoding, ImageFolderOptions } from './imageFolder';
export { imagenetC, imagenetCListing, imagenetCSets } from './imagenetC';
export type { ImagenetCEntry, ImagenetCOptions, CleanMatch } from './imagenetC';
export { cacheDir, readCached, writeCached, sourceKey } from './cache';
export type { CachedSet } from './cache';
export { parsePickle } from './pickle';
export type { PickledArray } from './pickle';
export { bytesToUnit, unitToBytes } from './dataset';
export { stl10, cifar10c, readCifarBatch, readStl10, findDataDir, CIFAR10_CLASSES, STL10_CLASSES, CIFAR10C_FILES, SOURCES } from './loaders';
export {
  corrupt, corruptedSets, corruptionArrays, corruptionParams, CORRUPTIONS, BENCHMARK_CORRUPTIONS, CIFAR_PARAMS, diskKernel, FROST_FILES, frostTextures, clearFrostCache,
} from './corruptions/index';
export type { CorruptionFamily, ImageBatch, CorruptOptions } from './corruptions/index';
export { corruptionGrid, intensityHistogram, cleanVsCorruptedHistogram } from './figures';
export type { GridCell, HistogramRow } from './figures';
