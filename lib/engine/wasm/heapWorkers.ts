/**
 * Worker threads that run robustlab's SIMD loops on the wasm backend's heap beside the calling thread.
 * XNNPACK's own operators run on its thread pool; loops of ours (simd.ts) otherwise run on the calling thread
 * only. The threaded build's memory is a shared `WebAssembly.Memory`, so a worker can instantiate the same
 * SIMD module over it and work on tensors in place. Calls stay synchronous: the caller posts a task by shared
 * counters, runs its own share, and blocks on `Atomics.wait` until every worker is done. A task is a plain
 * function exported (in `HEAP_TASKS`) by a module that the worker loads itself (through tsx when it runs from
 * source), so the caller and the workers run the same code.
 * @module
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { heapMemory, heapSimd, type HeapSimd } from './simd';
import { wasmThreads } from './threads';

/** A task: runs SIMD loops on the heap with integer parameters (byte offsets, sizes). */
export type HeapTask = (simd: HeapSimd, params: readonly number[]) => void;

// Slots of a worker's control block (Int32).
const SEQ = 0; // task number, posted by the caller (-1: stop)
const DONE = 1; // last task number finished, written by the worker
const READY = 2; // 1 once the worker has linked the module
const STATUS = 3; // 0 ok, else an error (its message in the slots from MESSAGE)
const TASK = 4;
const NPARAMS = 5;
const PARAMS = 8;
const MAX_PARAMS = 56;
const MESSAGE = PARAMS + MAX_PARAMS;
const MESSAGE_LENGTH = 64;

const WORKER = `
const { workerData } = require('node:worker_threads');
const { tsx, simdPath, tasksPath, memory, ctrl } = workerData;
const c = new Int32Array(ctrl);
if (tsx) require(tsx);
const { simdModuleBytes } = require(simdPath);
const simd = new WebAssembly.Instance(new WebAssembly.Module(simdModuleBytes(true)), { env: { memory } }).exports;
const tasks = require(tasksPath).HEAP_TASKS;
const names = Object.keys(tasks).sort();
Atomics.store(c, ${READY}, 1);
Atomics.notify(c, ${READY});
let seq = 0;
for (;;) {
  Atomics.wait(c, ${SEQ}, seq);
  seq = Atomics.load(c, ${SEQ});
  if (seq < 0) break;
  let status = 0;
  try {
    tasks[names[c[${TASK}]]](simd, Array.from(c.subarray(${PARAMS}, ${PARAMS} + c[${NPARAMS}])));
  } catch (e) {
    status = 1;
    const text = String(e && e.message ? e.message : e).slice(0, ${MESSAGE_LENGTH});
    for (let i = 0; i < ${MESSAGE_LENGTH}; i++) c[${MESSAGE} + i] = i < text.length ? text.charCodeAt(i) : 0;
  }
  Atomics.store(c, ${STATUS}, status);
  Atomics.store(c, ${DONE}, seq);
  Atomics.notify(c, ${DONE});
}
`;

/** The caller's side of a set of heap workers. */
export interface HeapWorkers {
  /** Worker threads (the caller is one more). */
  readonly size: number;
  /**
   * Runs `shares[k]` (a task name of the module and its parameters) on worker k and `own` on the calling
   * thread, and returns once all are done; throws a worker's error after all have finished.
   */
  run(shares: readonly (readonly [task: string, params: readonly number[]])[], own: () => void): void;
}

const pools = new Map<object, Map<string, HeapWorkers | null>>();

/** How long a new worker may take to link the module before the pool is given up (ms). */
const START_TIMEOUT_MS = 20_000;
/** A task unfinished after this long means a worker is gone: an error instead of waiting for ever (ms). */
const STALL_MS = 120_000;

/**
 * Workers for the wasm `backend` that can run the tasks `HEAP_TASKS` of the module `tasksModule` (an absolute
 * path, usually the caller's `__filename`): one per XNNPACK thread beyond the first. Undefined where the
 * backend runs one thread, its memory is not shared, or a worker could not start (callers then run every
 * share themselves, which must give the same result).
 */
export function heapWorkers(backend: unknown, tasksModule: string, tasks: Record<string, HeapTask>): HeapWorkers | undefined {
  const memory = heapMemory(backend);
  if (!memory || typeof SharedArrayBuffer === 'undefined' || !(memory.buffer instanceof SharedArrayBuffer)) return undefined;
  const size = wasmThreads() - 1;
  if (size < 1 || !heapSimd(backend)) return undefined;
  let byModule = pools.get(memory);
  if (!byModule) pools.set(memory, (byModule = new Map()));
  if (!byModule.has(tasksModule)) byModule.set(tasksModule, startPool(memory, tasksModule, Object.keys(tasks).sort(), size));
  return byModule.get(tasksModule) ?? undefined;
}

function startPool(memory: object, tasksModule: string, names: string[], size: number): HeapWorkers | null {
  const tsx = __filename.endsWith('.ts') ? require.resolve('tsx/cjs') : undefined;
  const simdPath = path.join(__dirname, `simd${path.extname(__filename)}`);
  const ctrls: Int32Array[] = [];
  const workers: Worker[] = [];
  try {
    for (let k = 0; k < size; k++) {
      const ctrl = new Int32Array(new SharedArrayBuffer(4 * (MESSAGE + MESSAGE_LENGTH)));
      const worker = new Worker(WORKER, { eval: true, workerData: { tsx, simdPath, tasksPath: tasksModule, memory, ctrl: ctrl.buffer } });
      worker.unref();
      worker.on('error', () => undefined); // a worker that fails to start never reports ready: handled below
      ctrls.push(ctrl);
      workers.push(worker);
    }
    for (const c of ctrls) if (Atomics.wait(c, READY, 0, START_TIMEOUT_MS) === 'timed-out' && Atomics.load(c, READY) !== 1) throw new Error('not ready');
  } catch {
    for (const w of workers) void w.terminate();
    return null;
  }
  let seq = 0;
  let broken = false;
  return {
    size,
    run(shares, own) {
      if (broken) throw new Error('wasm heap workers: a worker stopped answering earlier in this process');
      if (shares.length > size) throw new Error(`heapWorkers.run: ${shares.length} shares for ${size} workers`);
      const ids = shares.map(([task, params]) => {
        const id = names.indexOf(task);
        if (id < 0) throw new Error(`heapWorkers.run: no task '${task}' (have ${names.join(', ')})`);
        if (params.length > MAX_PARAMS) throw new Error(`heapWorkers.run: ${params.length} parameters, at most ${MAX_PARAMS}`);
        return id;
      });
      seq++;
      shares.forEach(([, params], k) => {
        const c = ctrls[k];
        c[TASK] = ids[k];
        c[NPARAMS] = params.length;
        c.set(params, PARAMS);
        Atomics.store(c, SEQ, seq);
        Atomics.notify(c, SEQ);
      });
      let error: unknown;
      try {
        own();
      } catch (e) {
        error = e;
      }
      // Always wait: a worker still writing into tensors the caller frees next would corrupt them.
      shares.forEach((_, k) => {
        const c = ctrls[k];
        const start = Date.now();
        while (Atomics.load(c, DONE) !== seq) {
          Atomics.wait(c, DONE, Atomics.load(c, DONE), 1000);
          if (Atomics.load(c, DONE) !== seq && Date.now() - start > STALL_MS) {
            broken = true;
            throw new Error(`wasm heap worker ${k} has not finished task ${seq} (${names[ids[k]]}) after ${STALL_MS / 1000} s; control block ${Array.from(c.subarray(0, PARAMS + c[NPARAMS]))}`);
          }
        }
        if (c[STATUS] !== 0 && error === undefined) {
          const text = String.fromCharCode(...Array.from(c.subarray(MESSAGE, MESSAGE + MESSAGE_LENGTH)).filter((x) => x !== 0));
          error = new Error(`wasm heap worker ${k}: ${text}`);
        }
      });
      if (error !== undefined) throw error;
    },
  };
}
