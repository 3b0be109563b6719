/**
 * Decoding many small images of one size into one NHWC byte array, on worker threads. The call is
 * synchronous (loaders stay plain functions): the workers write into shared memory and the caller blocks
 * on `Atomics.wait` until each has said it is done, then reads its message (an error naming the file).
 * @module
 */
import * as os from 'node:os';
import { Worker, MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { msg } from '../messages';
import { readImage } from './image';
import { fitImage, type FitSpec } from './resize';

/**
 * Decodes `files[i]` into `out` at image `first + i`; each must be `h` x `w` RGB, or is brought to that size
 * by `fit` (resize and centre crop, see `resize.ts`). Throws naming the file. The work of one thread in
 * {@link decodeImages}.
 */
export function decodeInto(files: readonly string[], out: Uint8Array, first: number, h: number, w: number, fit?: FitSpec): void {
  const d = h * w * 3;
  files.forEach((file, i) => {
    const img = fit ? fitImage(readImage(file), fit, file) : readImage(file);
    if (img.width !== w || img.height !== h) throw new Error(msg.dataCorrupt(file, `is ${img.width}x${img.height}, expected ${w}x${h} like the rest of the set`));
    out.set(img.data, (first + i) * d);
  });
}

// The worker loads this very module (through tsx when it runs from source) and calls decodeInto.
const WORKER = `
const { workerData } = require('node:worker_threads');
const { module: mod, tsx, files, first, h, w, fit, shared, flags, index, port } = workerData;
try {
  if (tsx) require(tsx);
  require(mod).decodeInto(files, new Uint8Array(shared), first, h, w, fit);
  port.postMessage({ ok: true });
} catch (e) {
  port.postMessage({ error: e && e.message ? e.message : String(e) });
}
Atomics.store(flags, index, 1);
Atomics.notify(flags, index);
`;

/** The default number of decoding threads: `ROBUSTLAB_DECODE_THREADS`, else the cores available (at most 8). */
export function decodeThreads(): number {
  const env = Number(process.env.ROBUSTLAB_DECODE_THREADS);
  if (Number.isInteger(env) && env >= 1) return env;
  return Math.max(1, Math.min(8, os.availableParallelism()));
}

/**
 * Decodes `files` (PNG or JPEG, all `h` x `w`, or any size with `fit`: each resized and centre-cropped to
 * `h` x `w` on its thread) into one NHWC byte array, in file order, over `threads` worker threads (default
 * {@link decodeThreads}; sets of at most 1,000 images are decoded on this thread). Throws the first error a
 * thread met, naming the file.
 * @example const x = decodeImages(files, 32, 32);
 * @example const x = decodeImages(files, 224, 224, undefined, { size: 224, resize: 256 });
 */
export function decodeImages(files: readonly string[], h: number, w: number, threads = decodeThreads(), fit?: FitSpec): Uint8Array {
  const n = files.length;
  const t = Math.min(threads, Math.ceil(n / 1000));
  if (t <= 1) {
    const out = new Uint8Array(n * h * w * 3);
    decodeInto(files, out, 0, h, w, fit);
    return out;
  }
  const shared = new SharedArrayBuffer(n * h * w * 3);
  const flags = new Int32Array(new SharedArrayBuffer(4 * t));
  const tsx = __filename.endsWith('.ts') ? require.resolve('tsx/cjs') : undefined;
  const jobs = Array.from({ length: t }, (_, index) => {
    const first = Math.floor((index * n) / t);
    const last = Math.floor(((index + 1) * n) / t);
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(WORKER, {
      eval: true,
      workerData: { module: __filename, tsx, files: files.slice(first, last), first, h, w, fit, shared, flags, index, port: port2 },
      transferList: [port2],
    });
    return { worker, port: port1 };
  });
  const errors: string[] = [];
  jobs.forEach(({ worker, port }, index) => {
    // a worker that cannot even start reports nothing; ten minutes is far beyond any real decode
    if (Atomics.wait(flags, index, 0, 600_000) === 'timed-out') errors.push(`decoding thread ${index} did not finish within 10 minutes`);
    const m = receiveMessageOnPort(port)?.message as { ok?: boolean; error?: string } | undefined;
    if (m?.error) errors.push(m.error);
    else if (!m?.ok && errors.length === 0) errors.push(`decoding thread ${index} ended without a result`);
    port.close();
    void worker.terminate();
  });
  if (errors.length > 0) throw new Error(errors[0]);
  return new Uint8Array(shared);
}
