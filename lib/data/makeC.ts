/**
 * Writing a -C set (the 19 corruptions x 5 severities of a test set) in the CIFAR-10-C layout:
 * `<out>/<corruption>.npy` (uint8 [5n, h, w, c], severities 1..5 in order) and `<out>/labels.npy`,
 * computed on worker threads (one (corruption, severity) task at a time each), every file written whole
 * (temporary file, then rename). A manifest (`manifest.json`) records for each file the key of its inputs
 * (pixels, labels, seed, corruption code version) and its CRC-32, so a rerun skips what is done and valid.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { Worker } from 'node:worker_threads';
import type { Dataset } from './dataset';
import { encodeNpy } from './npy';
import { CORRUPTIONS, corrupt } from './corruptions/index';
import { decodeThreads } from './decodePool';

// bump when a corruption's output changes, so that sets written by older code are made again
const CORRUPTION_VERSION = 'issue-14 v1';

/** One (corruption, severity) of `ds` as bytes: the work of one task in {@link makeCorruptedSet}. */
export function corruptTask(ds: Pick<Dataset, 'x' | 'shape'>, name: string, severity: number, seed: number): Uint8Array {
  return corrupt({ x: ds.x, shape: ds.shape }, name, severity, seed).x as Uint8Array;
}

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { module: mod, tsx, x, shape, seed } = workerData;
let run;
try {
  if (tsx) require(tsx);
  run = require(mod).corruptTask;
} catch (e) {
  parentPort.postMessage({ error: String(e && e.message || e) });
}
parentPort.on('message', ({ name, severity }) => {
  try {
    const out = run({ x: new Uint8Array(x), shape }, name, severity, seed);
    parentPort.postMessage({ name, severity, out }, [out.buffer]);
  } catch (e) {
    parentPort.postMessage({ error: name + ' ' + severity + ': ' + String(e && e.message || e) });
  }
});
`;

interface Manifest {
  [file: string]: { key: string; crc: number };
}

function writeAtomic(file: string, data: Buffer): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

function valid(file: string, entry: { key: string; crc: number } | undefined, key: string): boolean {
  return !!entry && entry.key === key && fs.existsSync(file) && crc32(fs.readFileSync(file)) === entry.crc;
}

/**
 * Writes the -C set of `ds` under `out` (see the module note), on `threads` worker threads (default: the
 * cores available). Corruptions already there with the same inputs and an intact file are skipped.
 * @param opts.corruptions default all 19; `opts.seed` default 0; `opts.log` gets one line per corruption.
 * @returns seconds spent per corruption (0 for skipped ones) and in total.
 * @example await makeCorruptedSet(cifar10({ split: 'test' }), 'out/CIFAR-10-C');
 */
export async function makeCorruptedSet(
  ds: Dataset,
  out: string,
  opts: { corruptions?: readonly string[]; seed?: number; threads?: number; log?: (line: string) => void } = {},
): Promise<{ seconds: Record<string, number>; total: number }> {
  const names = opts.corruptions ?? CORRUPTIONS.map((c) => c.name);
  const seed = opts.seed ?? 0;
  const log = opts.log ?? (() => undefined);
  fs.mkdirSync(out, { recursive: true });
  const manifestFile = path.join(out, 'manifest.json');
  let manifest: Manifest = {};
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as Manifest;
  } catch {
    manifest = {};
  }
  const inputs = createHash('sha1').update(CORRUPTION_VERSION).update(String(seed)).update(JSON.stringify(ds.shape)).update(ds.x).update(new Uint8Array(ds.y.buffer, ds.y.byteOffset, ds.y.byteLength)).digest('hex');
  const keyOf = (name: string) => `${inputs}:${name}`;
  const labels = new Uint8Array(5 * ds.y.length);
  for (let s = 0; s < 5; s++) labels.set(ds.y, s * ds.y.length);
  const labelsBytes = encodeNpy(labels, [labels.length]);
  const labelsFile = path.join(out, 'labels.npy');
  if (!valid(labelsFile, manifest['labels.npy'], keyOf('labels'))) {
    writeAtomic(labelsFile, labelsBytes);
    manifest['labels.npy'] = { key: keyOf('labels'), crc: crc32(labelsBytes) };
  }
  const todo = names.filter((n) => !valid(path.join(out, `${n}.npy`), manifest[`${n}.npy`], keyOf(n)));
  const seconds: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  for (const n of names) if (!todo.includes(n)) log(`${n.padEnd(18)} present, inputs unchanged, CRC ok: skipped`);
  const t0 = performance.now();
  if (todo.length > 0) {
    const d = ds.x.length;
    const shared = new SharedArrayBuffer(d);
    new Uint8Array(shared).set(ds.x);
    const tsx = __filename.endsWith('.ts') ? require.resolve('tsx/cjs') : undefined;
    const tasks = todo.flatMap((name) => [1, 2, 3, 4, 5].map((severity) => ({ name, severity })));
    const parts = new Map<string, { bytes: Uint8Array; left: number; start: number }>();
    const nThreads = Math.max(1, Math.min(opts.threads ?? decodeThreads(), tasks.length));
    const workers = Array.from({ length: nThreads }, () => new Worker(WORKER, { eval: true, workerData: { module: __filename, tsx, x: shared, shape: ds.shape, seed } }));
    try {
      await new Promise<void>((resolve, reject) => {
        let next = 0;
        let running = 0;
        const give = (w: Worker) => {
          if (next >= tasks.length) {
            if (running === 0) resolve();
            return;
          }
          const t = tasks[next++];
          if (!parts.has(t.name)) parts.set(t.name, { bytes: new Uint8Array(5 * d), left: 5, start: performance.now() });
          running++;
          w.postMessage(t);
        };
        for (const w of workers) {
          w.on('message', (m: { error?: string; name?: string; severity?: number; out?: Uint8Array }) => {
            if (m.error) return reject(new Error(m.error));
            running--;
            const p = parts.get(m.name!)!;
            p.bytes.set(m.out!, (m.severity! - 1) * d);
            if (--p.left === 0) {
              const file = `${m.name}.npy`;
              const bytes = encodeNpy(p.bytes, [5 * ds.shape[0], ds.shape[1], ds.shape[2], ds.shape[3]]);
              writeAtomic(path.join(out, file), bytes);
              manifest[file] = { key: keyOf(m.name!), crc: crc32(bytes) };
              writeAtomic(manifestFile, Buffer.from(JSON.stringify(manifest, null, 1)));
              seconds[m.name!] = (performance.now() - p.start) / 1000;
              parts.delete(m.name!);
              log(`${m.name!.padEnd(18)} ${seconds[m.name!].toFixed(2)} s (wall, from its first task) for ${ds.shape[0]} images x 5 severities`);
            }
            give(w);
          });
          w.on('error', reject);
          give(w);
        }
      });
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
    }
  }
  writeAtomic(manifestFile, Buffer.from(JSON.stringify(manifest, null, 1)));
  return { seconds, total: (performance.now() - t0) / 1000 };
}
