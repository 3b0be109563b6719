/**
 * Tasks, the unit of work of a sweep (issue 21). A notebook's expensive calls (train a named model, one grid
 * point) each get a stable task key from (notebook, profile, the call's parameters, a hash of the compiled
 * library); a task-result store (the directory `ROBUSTLAB_STORE`, local or on a cluster's shared filesystem)
 * keeps each finished task's JSON result, and a model's weights in the checkpoint format where a later
 * section needs the model. Every entry is written whole and atomically (tmp + rename) and verified on read.
 *
 * Three modes, from the environment:
 * - plain (default): look each task up in the store, compute what is missing, store it;
 * - shard (`ROBUSTLAB_SHARD=i/n`, i in 0..n-1): compute only the tasks whose key falls in shard i
 *   ({@link shardOf}), skip the others; the notebook renders nothing (`tasks.rendering` is false);
 * - merge (`ROBUSTLAB_MERGE=1`): compute nothing, render from the store, and fail naming every missing task.
 * @module
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { msgTasks } from '../messages';
import type { Classifier } from '../models/classifier';
import { loadCheckpoint, saveCheckpoint } from '../training/checkpoint';

/** A JSON value (what a task's result and parameters may hold). */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [k: string]: Json };

/** What a task key is made of. */
export interface TaskSpec {
  /** Notebook name (file stem). */
  notebook: string;
  /** The profile's settings (all of them: a changed setting is a different task). */
  profile: Readonly<Record<string, unknown>>;
  /** The call's own parameters (method, seed, grid point ...). */
  params: Readonly<Record<string, unknown>>;
  /** Library version hash; default {@link libraryHash}. */
  version?: string;
}

/** A shard: index in 0..count-1 of count. */
export interface Shard {
  index: number;
  count: number;
}

/** JSON with object keys sorted at every depth, so equal values give equal text. Refuses non-JSON values. */
export function canonicalJson(v: unknown, where = 'value'): string {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(msgTasks.notJson(where, String(v)));
    return JSON.stringify(v);
  }
  if (Array.isArray(v)) return `[${v.map((x, i) => canonicalJson(x, `${where}[${i}]`)).join(',')}]`;
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k], `${where}.${k}`)}`)
      .join(',')}}`;
  }
  throw new Error(msgTasks.notJson(where, typeof v === 'object' ? (v.constructor?.name ?? 'object') : typeof v));
}

const sha256 = (s: string | Buffer): string => crypto.createHash('sha256').update(s).digest('hex');

let libHash: string | undefined;
/**
 * SHA-256 (first 16 hex digits) over the library this module belongs to: every `.js` and `.ts` file under
 * its parent folder (`dist/lib` when compiled, `lib` under tsx), by relative path and content. Any rebuilt
 * library file changes every key, so a store never serves results of other code. Computed once per process.
 */
export function libraryHash(): string {
  if (libHash) return libHash;
  const base = path.resolve(__dirname, '..');
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(js|ts)$/.test(e.name) && !e.name.endsWith('.d.ts')) files.push(path.relative(base, p));
    }
  };
  walk(base);
  const h = crypto.createHash('sha256');
  for (const f of files.sort()) h.update(`${f}\0`).update(fs.readFileSync(path.join(base, f))).update('\0');
  libHash = h.digest('hex').slice(0, 16);
  return libHash;
}

/**
 * The stable key of a task: `NOTEBOOK-` and 24 hex digits of SHA-256 over the canonical JSON of
 * (notebook, profile, params, version). Equal specs give equal keys in any process; any difference, a
 * setting, a parameter or the library, gives another key.
 */
export function taskKey(spec: TaskSpec): string {
  const version = spec.version ?? libraryHash();
  const text = canonicalJson({ notebook: spec.notebook, profile: spec.profile, params: spec.params, version }, 'task');
  const slug = spec.notebook.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40);
  return `${slug}-${sha256(text).slice(0, 24)}`;
}

/**
 * Parses `i/n` (i in 0..n-1, n >= 1); undefined for an absent or empty value.
 * @param where the argument's name in the error (default `ROBUSTLAB_SHARD`)
 */
export function parseShard(s: string | undefined, where = 'ROBUSTLAB_SHARD'): Shard | undefined {
  if (s === undefined || s === '') return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(s.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!(count >= 1 && index >= 0 && index < count)) throw new Error(msgTasks.badShard(where, s));
  return { index, count };
}

/** The shard (0..count-1) that task `key` belongs to: the first 48 bits of SHA-256(key) modulo `count`. */
export function shardOf(key: string, count: number): number {
  if (!(Number.isInteger(count) && count >= 1)) throw new Error(msgTasks.badShard('count', String(count)));
  return Number(BigInt(`0x${sha256(key).slice(0, 12)}`) % BigInt(count));
}

/** One stored entry, as written in `KEY.json`. */
interface Entry {
  format: 'robustlab-task/1';
  key: string;
  /** What the key was made of (for a reader; not trusted). */
  task: Json;
  /** SHA-256 of the canonical JSON of `value`. */
  digest: string;
  /** Whether `KEY.ckpt` holds the model's weights. */
  weights: boolean;
  value: Json;
}

const entryFile = (dir: string, key: string): string => path.join(dir, `${key}.json`);
const weightsFile = (dir: string, key: string): string => path.join(dir, `${key}.ckpt`);

/** Writes `text` to `file` whole: a temporary file of this process renamed over it (the last writer wins). */
function writeAtomic(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  try {
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Stores `value` under `key` in `dir` (whole, atomic). Weights, when any, are written before the entry, so an
 * entry never names weights that are not there yet.
 */
export async function writeTask(dir: string, key: string, value: unknown, task: unknown = null, model?: Classifier): Promise<void> {
  const json = canonicalJson(value, `task ${key}: result`);
  if (model) await saveCheckpoint(weightsFile(dir, key), model, undefined, { epoch: 0, extra: { key } });
  const entry: Entry = { format: 'robustlab-task/1', key, task: JSON.parse(canonicalJson(task, 'task')) as Json, digest: sha256(json), weights: Boolean(model), value: JSON.parse(json) as Json };
  writeAtomic(entryFile(dir, key), JSON.stringify(entry));
}

/** What {@link readTask} found. */
export type ReadResult = { found: true; value: Json; weights: boolean } | { found: false; corrupt?: string };

/**
 * Reads and verifies task `key` in `dir`: the file parses, names this key, and its value's digest matches.
 * A missing entry is `{ found: false }`; a corrupt one is `{ found: false, corrupt: why }`.
 */
export function readTask(dir: string, key: string): ReadResult {
  const file = entryFile(dir, key);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { found: false };
    return { found: false, corrupt: `cannot be read (${(e as Error).message})` };
  }
  let e: Entry;
  try {
    e = JSON.parse(text) as Entry;
  } catch (err) {
    return { found: false, corrupt: `not JSON (${(err as Error).message})` };
  }
  if (e === null || typeof e !== 'object' || e.format !== 'robustlab-task/1') return { found: false, corrupt: 'not a robustlab task entry' };
  if (e.key !== key) return { found: false, corrupt: `holds key ${String(e.key)}` };
  let digest: string;
  try {
    digest = sha256(canonicalJson(e.value));
  } catch (err) {
    return { found: false, corrupt: (err as Error).message };
  }
  if (digest !== e.digest) return { found: false, corrupt: 'value does not match its digest' };
  if (e.weights && !fs.existsSync(weightsFile(dir, key))) return { found: false, corrupt: 'its weights file is missing' };
  return { found: true, value: e.value, weights: Boolean(e.weights) };
}

/** The mode from the environment: shard from `ROBUSTLAB_SHARD`, merge from `ROBUSTLAB_MERGE=1`. */
export function taskMode(env: NodeJS.ProcessEnv = process.env): { shard?: Shard; merge: boolean; store?: string } {
  const shard = parseShard(env.ROBUSTLAB_SHARD);
  const merge = env.ROBUSTLAB_MERGE === '1';
  if (shard && merge) throw new Error(msgTasks.shardAndMerge());
  const store = env.ROBUSTLAB_STORE ? path.resolve(env.ROBUSTLAB_STORE) : undefined;
  if ((shard || merge) && !store) throw new Error(msgTasks.noStore(shard ? 'ROBUSTLAB_SHARD' : 'ROBUSTLAB_MERGE'));
  return { shard, merge, store };
}

/** How {@link Tasks} reports warnings (a corrupt entry recomputed); default `console.warn`. */
export type Warn = (line: string) => void;

/**
 * A notebook's tasks: looks each up in the store, computes (or skips, by mode) and counts what happened, so
 * a section can say "training: 2 of 2 tasks from the store".
 */
export class Tasks {
  readonly shard?: Shard;
  readonly merge: boolean;
  readonly store?: string;
  /** Per section: tasks found in the store, computed here, left to other shards, missing (merge). */
  private counts = { stored: 0, computed: 0, skipped: 0 };
  /** Every missing task (merge mode), by its parameters and key. */
  readonly missing: { params: string; key: string }[] = [];

  /**
   * @param notebook file stem @param profile the profile's settings (part of every key)
   * @param env where the mode is read (default process.env) @param warn where warnings go
   */
  constructor(
    readonly notebook: string,
    readonly profile: Readonly<Record<string, unknown>>,
    env: NodeJS.ProcessEnv = process.env,
    private readonly warn: Warn = (l) => console.warn(l),
  ) {
    const m = taskMode(env);
    this.shard = m.shard;
    this.merge = m.merge;
    this.store = m.store;
  }

  /** False in shard mode: a shard computes its tasks and renders nothing. */
  get rendering(): boolean {
    return !this.shard;
  }

  /** The key of the task with these parameters. */
  key(params: Readonly<Record<string, unknown>>): string {
    return taskKey({ notebook: this.notebook, profile: this.profile, params });
  }

  /** Whether this process computes the task `key` (everything, or its shard's share). */
  mine(key: string): boolean {
    return !this.merge && (!this.shard || shardOf(key, this.shard.count) === this.shard.index);
  }

  /**
   * The task's result: from the store when there, else computed (plain mode, or this shard's task) and
   * stored; undefined when skipped (another shard's task) or missing (merge mode, recorded in `missing`).
   * A corrupt entry is recomputed (where this process may compute it) with a warning naming it.
   */
  async cached<T>(params: Readonly<Record<string, unknown>>, compute: () => Promise<T> | T): Promise<T | undefined> {
    const r = await this.withWeights(params, undefined, async () => ({ value: await compute() }));
    return r?.value;
  }

  /**
   * A task that trains a model: `build()` makes the untrained model, `train(model)` trains it and returns
   * the JSON result. From the store, the weights are loaded into a fresh `build()`; computed, both are stored.
   * Undefined when skipped or missing, as {@link cached}.
   */
  async withModel<T>(params: Readonly<Record<string, unknown>>, build: () => Classifier, train: (model: Classifier) => Promise<T> | T): Promise<{ value: T; model: Classifier } | undefined> {
    const r = await this.withWeights(params, build, async () => {
      const model = build();
      return { value: await train(model), model };
    });
    return r && r.model ? { value: r.value, model: r.model } : undefined;
  }

  private async withWeights<T>(params: Readonly<Record<string, unknown>>, build: (() => Classifier) | undefined, compute: () => Promise<{ value: T; model?: Classifier }>): Promise<{ value: T; model?: Classifier } | undefined> {
    const key = this.key(params);
    const label = canonicalJson(params, 'params');
    if (this.store) {
      const r = readTask(this.store, key);
      if (r.found) {
        if (!build) {
          this.counts.stored++;
          return { value: r.value as T };
        }
        const model = build();
        try {
          loadCheckpoint(weightsFile(this.store, key), model);
          this.counts.stored++;
          return { value: r.value as T, model };
        } catch (e) {
          model.dispose();
          this.warn(msgTasks.corrupt(key, label, `weights: ${(e as Error).message}`, this.mine(key)));
        }
      } else if (r.corrupt) this.warn(msgTasks.corrupt(key, label, r.corrupt, this.mine(key)));
    }
    if (!this.mine(key)) {
      if (this.merge) this.missing.push({ params: label, key });
      else this.counts.skipped++;
      return undefined;
    }
    const out = await compute();
    if (this.store) await writeTask(this.store, key, out.value, { notebook: this.notebook, params, version: libraryHash() }, out.model);
    this.counts.computed++;
    return out;
  }

  /**
   * One line on what the section's tasks did since the last call, e.g. "training: 2 of 2 tasks from the
   * store" or "training (shard 1/3): 1 computed, 1 left to other shards; rendering skipped". In merge mode
   * with missing tasks it throws, naming each: a merge never silently computes or omits a task.
   */
  line(section: string): string {
    const { stored, computed, skipped } = this.counts;
    this.counts = { stored: 0, computed: 0, skipped: 0 };
    if (this.missing.length) throw new Error(msgTasks.missing(section, this.missing));
    const total = stored + computed + skipped;
    if (this.shard) return `${section} (shard ${this.shard.index}/${this.shard.count}): ${computed} computed, ${stored} already in the store, ${skipped} left to other shards; rendering skipped`;
    return `${section}: ${stored} of ${total} task${total === 1 ? '' : 's'} from the store${computed ? `, ${computed} computed` : ''}${this.store ? '' : ' (no ROBUSTLAB_STORE: nothing stored)'}`;
  }
}
