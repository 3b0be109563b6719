/**
 * MNIST from IDX files under a data directory (`ROBUSTLAB_DATA/mnist`), verified by MD5.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Dataset } from './dataset';
import { readIdx } from './idx';

/** The official files and their MD5 digests. */
export const MNIST_FILES = {
  testImages: { file: 't10k-images-idx3-ubyte.gz', md5: '9fb629c4189551a2d022fa330f9573f3' },
  testLabels: { file: 't10k-labels-idx1-ubyte.gz', md5: 'ec29112dd5afa0611ce80d1b7f02629c' },
} as const;

/** The data directory: the argument, else `ROBUSTLAB_DATA`. */
export function dataDir(dir?: string): string | undefined {
  return dir ?? process.env.ROBUSTLAB_DATA;
}

/** True when the MNIST test files are present. */
export function hasMnist(dir?: string): boolean {
  const d = dataDir(dir);
  return !!d && fs.existsSync(path.join(d, 'mnist', MNIST_FILES.testImages.file)) && fs.existsSync(path.join(d, 'mnist', MNIST_FILES.testLabels.file));
}

/**
 * The MNIST test set (10,000 images 28x28x1 in [0, 1]).
 * @example const { train, test } = stratifiedSplit(mnistTestSet(), 0.8, 0);
 */
export function mnistTestSet(dir?: string): Dataset {
  const d = dataDir(dir);
  if (!d || !hasMnist(d)) {
    throw new Error(
      `MNIST: files not found in ${d ? path.join(d, 'mnist') : '(ROBUSTLAB_DATA is not set)'}; put ${MNIST_FILES.testImages.file} and ${MNIST_FILES.testLabels.file} there (official source: the MNIST database by LeCun, Cortes and Burges) or set ROBUSTLAB_DATA`,
    );
  }
  const img = readIdx(path.join(d, 'mnist', MNIST_FILES.testImages.file), MNIST_FILES.testImages.md5);
  const lab = readIdx(path.join(d, 'mnist', MNIST_FILES.testLabels.file), MNIST_FILES.testLabels.md5);
  if (img.shape.length !== 3 || lab.shape[0] !== img.shape[0]) throw new Error(`MNIST: images [${img.shape}] and labels [${lab.shape}] do not match`);
  const [n, h, w] = img.shape;
  const x = new Float32Array(n * h * w);
  for (let i = 0; i < x.length; i++) x[i] = img.data[i] / 255;
  return { name: 'mnist', x, y: Int32Array.from(lab.data), shape: [n, h, w, 1], numClasses: 10, classNames: Array.from({ length: 10 }, (_, i) => String(i)) };
}
