/**
 * Multi-threaded wasm in Node. tfjs-backend-wasm 4.22 ships a threaded SIMD build whose Emscripten glue
 * supports Node's worker_threads, but the package never picks it in Node (WASM_HAS_MULTITHREAD_SUPPORT is
 * hard-wired to false there, tfjs issue 3830), hands the pthread workers a blob: URL that Node's Worker cannot
 * load, and caps the pool at half the logical cores (it assumes two hyper-threads per core, so one thread on
 * a 2-core machine). This module re-registers the 'wasm' backend factory with the threaded build: the worker
 * script goes to a temporary file, and the core count the module reads while it starts is reported as twice
 * the threads wanted, so that XNNPACK's pool gets exactly that many.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

interface WasmPackage {
  BackendWasm: new (module: unknown) => tf.KernelBackend;
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
}

interface EmscriptenModule {
  cwrap(name: string, ret: string | null, args: string[]): unknown;
  tfjs?: Record<string, unknown>;
  PThread?: { runningWorkers: { unref?(): void }[]; unusedWorkers: { unref?(): void }[] };
}

/** Priority tfjs-backend-wasm registers its backend with; kept so that the picker's order is unchanged. */
const WASM_PRIORITY = 2;
let requested = 1;

/** Threads the wasm backend computes with: XNNPACK's pool size once the backend has started, else 1. */
export function wasmThreads(): number {
  try {
    const n = (require('@tensorflow/tfjs-backend-wasm') as WasmPackage).getThreadsCount();
    return n > 0 ? n : 1;
  } catch {
    return 1;
  }
}

/** Threads asked for with {@link useThreadedWasm}, whether or not the backend has started yet. */
export function requestedWasmThreads(): number {
  return requested;
}

function backendStarted(): boolean {
  // tf.findBackend would start the backend as a side effect; the registry only holds started ones.
  const registry = (tf.engine() as unknown as { registry: Record<string, unknown> }).registry;
  return registry.wasm !== undefined;
}

/**
 * Makes the 'wasm' backend start with the threaded SIMD build and `threads` XNNPACK threads. Has no effect
 * for `threads` <= 1, once the wasm backend has started, or where the threaded build is missing; returns
 * whether the factory was replaced.
 * @param threads XNNPACK threads, the calling thread included (at most 8, the build's worker pool).
 * @example
 * require('@tensorflow/tfjs-backend-wasm');
 * useThreadedWasm(2);
 * await tf.setBackend('wasm'); // wasmThreads() === 2
 */
export function useThreadedWasm(threads: number): boolean {
  if (threads <= 1 || backendStarted()) return false;
  const pkg = require('@tensorflow/tfjs-backend-wasm') as WasmPackage;
  let dir: string;
  try {
    dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js'));
  } catch {
    return false;
  }
  const script = path.join(dir, 'tfjs-backend-wasm-threaded-simd.js');
  const n = Math.min(threads, 8);
  requested = n;
  tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => {
      const workerSource = (require(path.join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string }).wasmWorkerContents;
      // One file per package version, shared by every process: written once, atomically.
      const version = (require('@tensorflow/tfjs-backend-wasm/package.json') as { version: string }).version;
      const workerFile = path.join(os.tmpdir(), `robustlab-tfjs-wasm-${version}.worker.js`);
      // The source is a template literal: its "\n" escapes became real newlines inside string literals.
      const text = workerSource.replace(/\n/g, '\\n');
      if (!fs.existsSync(workerFile) || fs.readFileSync(workerFile, 'utf8') !== text) {
        const tmp = `${workerFile}.${process.pid}`;
        fs.writeFileSync(tmp, text);
        fs.renameSync(tmp, workerFile);
      }
      const factory = require(script) as (config: Record<string, unknown>) => Promise<EmscriptenModule>;
      // The glue calls require("os").cpus(); patch that very module object, not an import copy of it.
      const nodeOs = require('os') as { cpus: typeof os.cpus };
      const cpus = nodeOs.cpus;
      const real = cpus();
      nodeOs.cpus = () => Array.from({ length: 2 * n }, (_, i) => real[i % real.length]);
      let module: EmscriptenModule;
      try {
        module = await factory({
          locateFile: (p: string) => (p.endsWith('.worker.js') ? workerFile : path.join(dir, p)),
          mainScriptUrlOrBlob: script,
        });
      } finally {
        nodeOs.cpus = cpus;
      }
      module.tfjs = {
        init: module.cwrap('init', null, []),
        initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
        getThreadsCount: module.cwrap('get_threads_count', 'number', []),
        registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
        disposeData: module.cwrap('dispose_data', null, ['number']),
        dispose: module.cwrap('dispose', null, []),
      };
      pkg.setThreadsCount(n);
      const backend = new pkg.BackendWasm(module);
      // XNNPACK's pool threads wait for work forever; unreferenced, they no longer keep Node from exiting
      // (every computation is driven synchronously from the main thread).
      for (const w of [...(module.PThread?.runningWorkers ?? []), ...(module.PThread?.unusedWorkers ?? [])]) w.unref?.();
      return backend;
    },
    WASM_PRIORITY,
  );
  return true;
}
