/**
 * Backend picker. `ROBUSTLAB_BACKEND` or an explicit `initEngine({backend})` chooses; otherwise the best
 * available backend in this order: `tensorflow` (GPU, then CPU; optional packages), `aten` (native
 * libtorch backend), `wasm`, `cpu`. A missing or broken optional backend is skipped with one line.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's CommonJS build registers neither the chained methods (x.add(y)) nor the gradients, and its
// ESM side-effect modules do not load from plain Node; the union package's CommonJS build registers both
// into tfjs-core's global registries.
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import * as os from 'node:os';
import { msg } from '../messages';
import { registerExtraGradients } from './gradients';

registerExtraGradients();

/** Names of the backends the picker knows, in order of preference. */
export const BACKENDS = ['tensorflow', 'aten', 'wasm', 'cpu'] as const;
/** A backend name. */
export type BackendName = (typeof BACKENDS)[number];

/** What the engine runs on; notebooks print it in their header. */
export interface EngineInfo {
  /** Active TF.js backend name. */
  backend: string;
  /** Threads the backend computes with. */
  threads: number;
  /** Device of the backend (`cpu`, `cuda`). */
  device: string;
  /** Versions: Node, tfjs-core and the backend's own (aten: libtorch and its BLAS). */
  versions: Record<string, string>;
  /** Lines about skipped backends, kernels that fall back, and other things worth knowing. */
  notes: string[];
}

/** Options of {@link initEngine}. */
export interface EngineOptions {
  /** Backend to use; default `ROBUSTLAB_BACKEND` or the best available. */
  backend?: BackendName;
  /** Threads; default `ROBUSTLAB_THREADS` or all cores. */
  threads?: number;
  /** Print skipped backends (default true). */
  verbose?: boolean;
}

interface BackendLoader {
  /** Registers the backend with TF.js; returns versions and device, or throws with the reason. */
  /** `threads` as a function: read once the backend has started (wasm knows its pool size only then). */
  load(threads: number): Promise<{ versions: Record<string, string>; device: string; threads: number | (() => number); notes?: string[] }>;
}

const notes: string[] = [];
let current: EngineInfo | undefined;
/** The initialisation in progress and what it was asked for. */
let pending: { backend?: BackendName; threads?: number; result: Promise<EngineInfo> } | undefined;

function requireOptional(name: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(name);
}

const loaders = new Map<string, BackendLoader>(Object.entries({
  tensorflow: {
    async load(threads) {
      let pkg = '@tensorflow/tfjs-node-gpu';
      let device = 'cuda';
      try {
        requireOptional(pkg);
      } catch {
        pkg = '@tensorflow/tfjs-node';
        device = 'cpu';
        try {
          requireOptional(pkg);
        } catch (e) {
          throw new Error(`neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is installed (npm install @tensorflow/tfjs-node on a machine that can download libtensorflow)`);
        }
      }
      if (tf.findBackend('tensorflow') === null) throw new Error(`${pkg} loaded but registered no 'tensorflow' backend`);
      const version = (requireOptional(`${pkg}/package.json`) as { version: string }).version;
      return { versions: { [pkg]: version }, device, threads };
    },
  },
  aten: {
    async load(threads) {
      // Our own modules load with require: it resolves the same under tsx, tslab and compiled output.
      const aten = require('./aten') as typeof import('./aten/index');
      return aten.registerAtenBackend({ threads });
    },
  },
  wasm: {
    async load(threads) {
      require('@tensorflow/tfjs-backend-wasm');
      const fast = require('./wasm') as typeof import('./wasm/index');
      // Above one thread this swaps in the threaded build (lib/engine/wasm/threads.ts), unless wasm has started.
      const registered = fast.registerWasmKernels({ threads });
      const version = (requireOptional('@tensorflow/tfjs-backend-wasm/package.json') as { version: string }).version;
      return { versions: { '@tensorflow/tfjs-backend-wasm': version }, device: 'cpu', threads: fast.wasmThreads, notes: [`wasm: robustlab kernels registered: ${registered.join(', ')}`] };
    },
  },
  cpu: {
    async load() {
      const version = (requireOptional('@tensorflow/tfjs-backend-cpu/package.json') as { version: string }).version;
      return { versions: { '@tensorflow/tfjs-backend-cpu': version }, device: 'cpu', threads: 1 };
    },
  },
} satisfies Record<BackendName, BackendLoader>));

const cores = (): number => os.availableParallelism?.() ?? os.cpus().length;

/** An environment variable, with empty (or blank) meaning unset. */
function envVar(name: string): string | undefined {
  const v = process.env[name]?.trim();
  return v ? v : undefined;
}

/** Threads asked for and whether the user asked (an explicit count may be capped, with a note). */
function requestedThreads(opt?: number): { threads: number; explicit: boolean } {
  const env = envVar('ROBUSTLAB_THREADS');
  const n = opt ?? (env !== undefined ? Number(env) : cores());
  if (!Number.isInteger(n) || n < 1) throw new Error(msg.positiveInt(opt !== undefined ? 'threads' : 'ROBUSTLAB_THREADS', opt ?? (env as unknown as number)));
  return { threads: n, explicit: opt !== undefined || env !== undefined };
}

/** Threads handed to a backend: aten (libtorch) gets at most one per core, since more only oversubscribe. */
function threadsFor(name: BackendName, requested: number): number {
  return name === 'aten' ? Math.min(requested, cores()) : requested;
}

async function tryBackend(name: BackendName, requested: { threads: number; explicit: boolean }, verbose: boolean): Promise<EngineInfo> {
  if (!loaders.has(name)) throw new Error(msg.unknownBackend(name, BACKENDS));
  const r = await loaders.get(name)!.load(threadsFor(name, requested.threads));
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tf.setBackend('${name}') failed to initialise`);
  await tf.ready();
  if (r.notes) notes.push(...r.notes);
  const threads = typeof r.threads === 'function' ? r.threads() : r.threads;
  if (requested.explicit && threads !== requested.threads && name !== 'cpu') {
    const line = msg.threadsUsed(name, requested.threads, threads, cores());
    addEngineNote(line);
    if (verbose) console.warn(line);
  }
  return {
    backend: tf.getBackend(),
    threads,
    device: r.device,
    versions: { node: process.versions.node, '@tensorflow/tfjs-core': tf.version_core, ...r.versions },
    notes,
  };
}

/**
 * Chooses and initialises the backend. Idempotent: later calls without options return the first result.
 * Calls made while one is in progress join it when they ask for the same backend (or for nothing), and are
 * refused with an error when they ask for another: two concurrent switches cannot both hold.
 * `ROBUSTLAB_BACKEND` and `ROBUSTLAB_THREADS` set to an empty string count as unset.
 * @example
 * const info = await initEngine();            // best available
 * await initEngine({ backend: 'cpu' });       // reference backend for checks
 */
export async function initEngine(opts: EngineOptions = {}): Promise<EngineInfo> {
  if (pending) {
    const want = opts.backend;
    if ((want === undefined || want === pending.backend) && (opts.threads === undefined || opts.threads === pending.threads)) return pending.result;
    const name = (b?: string) => (b === undefined ? 'the best available' : `'${b}'`);
    throw new Error(msg.engineBusy(name(pending.backend), name(want)));
  }
  if (opts.backend === undefined && opts.threads === undefined && current) return current;
  const run = async (): Promise<EngineInfo> => {
    const threads = requestedThreads(opts.threads);
    const forced = opts.backend ?? (envVar('ROBUSTLAB_BACKEND') as BackendName | undefined);
    const verbose = opts.verbose !== false;
    if (forced !== undefined) {
      if (!BACKENDS.includes(forced)) throw new Error(msg.unknownBackend(forced, BACKENDS));
      try {
        current = await tryBackend(forced, threads, verbose);
        return current;
      } catch (e) {
        throw new Error(msg.backendUnavailable(forced, (e as Error).message));
      }
    }
    for (const name of BACKENDS) {
      try {
        current = await tryBackend(name, threads, verbose);
        return current;
      } catch (e) {
        const line = msg.backendSkipped(name, (e as Error).message.split('\n')[0]);
        notes.push(line);
        if (verbose && name !== 'tensorflow') console.warn(line);
      }
    }
    throw new Error('robustlab: no TF.js backend could be initialised');
  };
  const result = run();
  pending = { backend: opts.backend, threads: opts.threads, result };
  try {
    return await result;
  } finally {
    pending = undefined;
  }
}

/** The engine in use. Call {@link initEngine} first; before that it reports TF.js's current backend. */
export function engineInfo(): EngineInfo {
  if (current && current.backend === tf.getBackend()) return { ...current, notes: [...notes] };
  return { backend: tf.getBackend(), threads: 1, device: 'cpu', versions: { node: process.versions.node, '@tensorflow/tfjs-core': tf.version_core }, notes: [...notes] };
}

/** Adds a line to {@link engineInfo}'s notes (used by backends for kernel fallbacks). */
export function addEngineNote(line: string): void {
  if (!notes.includes(line)) notes.push(line);
}
