/**
 * What every paper notebook shares: the profile (smoke, quick, full) from `ROBUSTLAB_PROFILE`, validated; the
 * results (three-valued claims with their tests, tables, figures, cost, data provenance) that the runner
 * collects for the report.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { msg } from '../messages';
import { countVerdicts, verdictSummary, type ClaimVerdict, type VerdictCounts } from './claims';
import type { Provenance } from './provenance';

export type { ClaimVerdict } from './claims';
export { reported } from './reported';

/** The three profiles: smoke proves every cell runs, quick is the committed run, full is the paper's scale. */
export type ProfileName = 'smoke' | 'quick' | 'full';

/** The profile names, in order of size. */
export const PROFILE_NAMES: readonly ProfileName[] = ['smoke', 'quick', 'full'];

/** A profile setting: a number, string, boolean, or an array of them. */
export type Setting = number | string | boolean | readonly (number | string | boolean)[];

function validSetting(v: unknown): boolean {
  const scalar = (x: unknown) => (typeof x === 'number' && Number.isFinite(x)) || typeof x === 'string' || typeof x === 'boolean';
  return scalar(v) || (Array.isArray(v) && v.every(scalar));
}

/**
 * Picks `profiles[ROBUSTLAB_PROFILE]` (default quick), checks it and names it. Every profile must have the
 * same settings, each a finite number, a string, a boolean or an array of them; the name must be one of
 * smoke, quick, full (an inherited name such as `constructor` is refused). The result is frozen.
 * @example const P = profile({ smoke: { epochs: 1 }, quick: { epochs: 5 }, full: { epochs: 100 } });
 */
export function profile<T extends Record<string, Setting>>(profiles: Record<ProfileName, T>): Readonly<T & { name: ProfileName }> {
  const name = process.env.ROBUSTLAB_PROFILE ?? 'quick';
  if (!(PROFILE_NAMES as readonly string[]).includes(name) || !Object.hasOwn(profiles, name)) throw new Error(msg.unknownProfile(name, PROFILE_NAMES));
  const keys = Object.keys(profiles.quick);
  for (const p of PROFILE_NAMES) {
    if (!Object.hasOwn(profiles, p)) throw new Error(msg.unknownProfile(p, Object.keys(profiles)));
    const own = Object.keys(profiles[p]);
    const missing = keys.filter((k) => !own.includes(k));
    const extra = own.filter((k) => !keys.includes(k));
    if (missing.length || extra.length) throw new Error(msg.profileKeys(p, missing, extra));
    for (const k of own) if (!validSetting(profiles[p][k])) throw new Error(msg.profileValue(p, k, profiles[p][k]));
  }
  return Object.freeze({ ...profiles[name as ProfileName], name: name as ProfileName });
}

/** The profile as rows `{ setting, value }` for a table (arrays joined by spaces). */
export function profileRows(p: Readonly<Record<string, Setting>>): { setting: string; value: string }[] {
  return Object.entries(p).map(([setting, v]) => ({ setting, value: Array.isArray(v) ? v.join(' ') : String(v) }));
}

/** The results a notebook hands to the report. */
export class Results {
  /** Claims in order. */
  readonly claims: ClaimVerdict[] = [];
  /** Named tables of measured numbers (per paper table: ours, or ours beside the paper's). */
  readonly tables: Record<string, Record<string, unknown>[]> = {};
  /** Wall seconds per section. */
  readonly cost: Record<string, number> = {};
  /** Named Vega-Lite specs; the report renders them beside the paper's figure of the same name. */
  readonly figures: Record<string, Record<string, unknown>> = {};
  /** Where the data came from (set by the notebook's data cell). */
  provenance?: Provenance;
  private t0 = Date.now();

  /** @param name notebook name (file stem) @param title paper title */
  constructor(
    readonly name: string,
    readonly title: string,
  ) {}

  /** Records verdicts (from `claimGreater`, `claimNotWorse` ...) and returns the last. */
  add(...v: ClaimVerdict[]): ClaimVerdict {
    this.claims.push(...v);
    return v[v.length - 1];
  }

  /** Counts of the three outcomes so far. */
  counts(): VerdictCounts {
    return countVerdicts(this.claims);
  }

  /** "H hold, N do not, I inconclusive of T". */
  summary(): string {
    return verdictSummary(this.counts());
  }

  /** Records a figure (a Vega-Lite spec) for the report and returns it, so `show(results.figure(...))` works. */
  figure<S extends Record<string, unknown>>(name: string, spec: S): S {
    this.figures[name] = spec;
    return spec;
  }

  /** Records a table of rows and returns them. */
  table<R extends Record<string, unknown>>(name: string, rows: R[]): R[] {
    this.tables[name] = rows;
    return rows;
  }

  /** Records the wall time since the last call under `section`; returns nothing (a cell may end with it). */
  lap(section: string): void {
    const now = Date.now();
    this.cost[section] = (now - this.t0) / 1000;
    this.t0 = now;
  }

  /** The results record as written by {@link save}. */
  toJSON(extra: Record<string, unknown> = {}): Record<string, unknown> {
    const counts = this.counts();
    return { name: this.name, title: this.title, profile: process.env.ROBUSTLAB_PROFILE ?? 'quick', provenance: this.provenance, counts, summary: verdictSummary(counts), claims: this.claims, tables: this.tables, figures: this.figures, cost: this.cost, ...extra };
  }

  /**
   * Writes `$ROBUSTLAB_RESULTS_DIR/NAME.json` (default results/) whole and atomically (tmp + rename); returns
   * one line for the notebook that names the file relative to the results folder (no machine paths).
   */
  save(extra: Record<string, unknown> = {}): string {
    const dir = process.env.ROBUSTLAB_RESULTS_DIR ?? path.resolve(process.cwd(), process.cwd().endsWith('notebooks') ? '../results' : 'results');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${this.name}.json`);
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(this.toJSON(extra), null, 1));
    fs.renameSync(`${file}.tmp`, file);
    return `results saved to ${this.name}.json in the results folder: claims ${this.summary()}`;
  }

  /** The path {@link save} writes. */
  static file(name: string): string {
    const dir = process.env.ROBUSTLAB_RESULTS_DIR ?? path.resolve(process.cwd(), process.cwd().endsWith('notebooks') ? '../results' : 'results');
    return path.join(dir, `${name}.json`);
  }
}
