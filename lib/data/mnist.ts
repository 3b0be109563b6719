/**
 * MNIST from IDX files under a data directory (`ROBUSTLAB_DATA/mnist`), verified by MD5, and the opt-in
 * download of the official files.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { msg } from '../messages';
import { stratifiedSplit, type Dataset } from './dataset';
import { readIdx } from './idx';

/** The official files and their MD5 digests (the test set is what this project carries). */
export const MNIST_FILES = {
  testImages: { file: 't10k-images-idx3-ubyte.gz', md5: '9fb629c4189551a2d022fa330f9573f3' },
  testLabels: { file: 't10k-labels-idx1-ubyte.gz', md5: 'ec29112dd5afa0611ce80d1b7f02629c' },
} as const;

/** The official training files, downloaded only on request (`npm run data -- mnist --train`). */
export const MNIST_TRAIN_FILES = {
  trainImages: { file: 'train-images-idx3-ubyte.gz', md5: 'f68b3c2dcbeaaa9fbdd348bbdeb94873' },
  trainLabels: { file: 'train-labels-idx1-ubyte.gz', md5: 'd53e105ee54ea40749a09fcbcd1e9432' },
} as const;

/** Where the official files are served, tried in order. */
export const MNIST_URLS = ['https://ossci-datasets.s3.amazonaws.com/mnist/', 'http://yann.lecun.com/exdb/mnist/'] as const;

const MNIST_SOURCE = 'the MNIST database of LeCun, Cortes and Burges, http://yann.lecun.com/exdb/mnist/, or run `npm run data -- mnist` when online';

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
 * The MNIST test set (10,000 images 28x28x1, bytes), both files checked against their MD5 digests.
 * @example const { train, test } = stratifiedSplit(mnistTestSet(), 0.8, 0);
 */
export function mnistTestSet(dir?: string): Dataset {
  const d = dataDir(dir);
  if (!d || !hasMnist(d)) {
    throw new Error(
      `MNIST: files not found in ${d ? path.join(d, 'mnist') : '(ROBUSTLAB_DATA is not set)'}; put ${MNIST_FILES.testImages.file} and ${MNIST_FILES.testLabels.file} there (official source: ${MNIST_SOURCE}) or set ROBUSTLAB_DATA`,
    );
  }
  const img = readIdx(path.join(d, 'mnist', MNIST_FILES.testImages.file), MNIST_FILES.testImages.md5);
  const lab = readIdx(path.join(d, 'mnist', MNIST_FILES.testLabels.file), MNIST_FILES.testLabels.md5);
  if (img.shape.length !== 3 || lab.shape[0] !== img.shape[0]) throw new Error(msg.dataCorrupt(path.join(d, 'mnist'), `images [${img.shape}] and labels [${lab.shape}] do not match`));
  const [n, h, w] = img.shape;
  const x = Uint8Array.from(img.data);
  return { name: 'mnist', source: 'idx', x, y: Int32Array.from(lab.data), shape: [n, h, w, 1], numClasses: 10, classNames: Array.from({ length: 10 }, (_, i) => String(i)) };
}

/**
 * The experiment splits of the MNIST test set: a deterministic class-stratified split of the 10,000
 * official test images into `train` (default fraction 0.8) and `test`.
 * @param opts.split `'train'` or `'test'` (default `'test'`); `opts.trainFraction` in (0, 1), default 0.8;
 *   `opts.seed` default 0; `opts.dir` defaults to `ROBUSTLAB_DATA`.
 * @example const train = mnist({ split: 'train' }); const test = mnist({ split: 'test' });
 */
export function mnist(opts: { dir?: string; split?: 'train' | 'test'; trainFraction?: number; seed?: number } = {}): Dataset {
  const split = opts.split ?? 'test';
  if (split !== 'train' && split !== 'test') throw new Error(msg.oneOf('split', ['train', 'test'], split));
  const parts = stratifiedSplit(mnistTestSet(opts.dir), opts.trainFraction ?? 0.8, opts.seed ?? 0);
  return { ...parts[split], name: `mnist-${split}` };
}

/**
 * Downloads the official MNIST files into `<dir>/mnist` (skipping files already present with the right
 * MD5), verifies each MD5 and stores it atomically (temporary file, then rename), so an interrupted or
 * corrupted download never leaves a file under the final name.
 * @param opts.urls mirrors to try in order (default {@link MNIST_URLS}); `opts.train` adds the training files.
 * @returns the paths written or verified.
 */
export async function downloadMnist(dir: string, opts: { train?: boolean; urls?: readonly string[]; log?: (line: string) => void } = {}): Promise<string[]> {
  const log = opts.log ?? (() => undefined);
  const out = path.join(dir, 'mnist');
  fs.mkdirSync(out, { recursive: true });
  const wanted = [...Object.values(MNIST_FILES), ...(opts.train ? Object.values(MNIST_TRAIN_FILES) : [])];
  const done: string[] = [];
  for (const { file, md5 } of wanted) {
    const dest = path.join(out, file);
    if (fs.existsSync(dest) && createHash('md5').update(fs.readFileSync(dest)).digest('hex') === md5) {
      log(`${dest}: present, MD5 ok`);
      done.push(dest);
      continue;
    }
    const errors: string[] = [];
    let bytes: Buffer | undefined;
    for (const base of opts.urls ?? MNIST_URLS) {
      try {
        const res = await fetch(base + file);
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const b = Buffer.from(await res.arrayBuffer());
        const got = createHash('md5').update(b).digest('hex');
        if (got !== md5) throw new Error(`MD5 ${got}, expected ${md5}`);
        bytes = b;
        break;
      } catch (e) {
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        errors.push(`${base}${file}: ${(e as Error).message}${cause ? ` (${cause.code ?? cause.message})` : ''}`);
      }
    }
    if (!bytes) throw new Error(msg.downloadFailed(file, `${errors.join('; ')}; are you offline? put the file in ${out} yourself`));
    const tmp = `${dest}.part-${process.pid}`;
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, dest);
    log(`${dest}: downloaded, MD5 ok`);
    done.push(dest);
  }
  return done;
}
