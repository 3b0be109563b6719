/**
 * What every paper notebook shares: the profile (smoke, quick, full) from `ROBUSTLAB_PROFILE`, the paper's
 * reported numbers from `notebooks/reported/NAME.json`, claim verdicts, and the results JSON the runner
 * collects for the report.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The three profiles: smoke proves every cell runs, quick is the committed run, full is the paper's scale. */
export type ProfileName = 'smoke' | 'quick' | 'full';

/** Picks `profiles[ROBUSTLAB_PROFILE]` (default quick) and names it. */
export function profile<T extends object>(profiles: Record<ProfileName, T>): T & { name: ProfileName } {
  const name = (process.env.ROBUSTLAB_PROFILE ?? 'quick') as ProfileName;
  if (!(name in profiles)) throw new Error(`ROBUSTLAB_PROFILE: must be one of smoke, quick, full, got "${name}"`);
  return { ...profiles[name], name };
}

/** One claim of a paper checked on our numbers. */
export interface ClaimVerdict {
  /** The claim in one line. */
  claim: string;
  /** Whether it holds on our numbers. */
  holds: boolean;
  /** The numbers it was decided on (margins). */
  evidence: Record<string, number | string>;
  /** Why it may not hold at our scale, when it does not. */
  note?: string;
}

/** The results a notebook hands to the report. */
export class Results {
  /** Claims in order. */
  readonly claims: ClaimVerdict[] = [];
  /** Named tables of measured numbers. */
  readonly tables: Record<string, unknown[]> = {};
  /** Wall seconds per section. */
  readonly cost: Record<string, number> = {};
  /** Named Vega-Lite specs; the report renders them beside the paper's figure of the same name. */
  readonly figures: Record<string, Record<string, unknown>> = {};
  private t0 = Date.now();

  /** @param name notebook name (file stem) @param title paper title */
  constructor(
    readonly name: string,
    readonly title: string,
  ) {}

  /** Records a claim verdict and returns it. */
  claim(claim: string, holds: boolean, evidence: Record<string, number | string>, note?: string): ClaimVerdict {
    const v: ClaimVerdict = { claim, holds, evidence, ...(note ? { note } : {}) };
    this.claims.push(v);
    return v;
  }

  /**
   * Records "`a` is larger than `b` by more than `margin`" with the numbers and the margin seen.
   * @example results.claimGreater('HE raises PGD-20 accuracy', ['PGD-AT+HE', 0.52], ['PGD-AT', 0.48]);
   */
  claimGreater(claim: string, a: [string, number], b: [string, number], opts: { margin?: number; note?: string } = {}): ClaimVerdict {
    const margin = opts.margin ?? 0;
    const diff = a[1] - b[1];
    return this.claim(claim, diff > margin, { [a[0]]: a[1], [b[0]]: b[1], difference: diff, 'required margin': margin }, diff > margin ? undefined : opts.note);
  }

  /** Records a figure (a Vega-Lite spec) for the report and returns it, so `show(results.figure(...))` works. */
  figure<S extends Record<string, unknown>>(name: string, spec: S): S {
    this.figures[name] = spec;
    return spec;
  }

  /** Records a table of measured rows. */
  table(name: string, rows: unknown[]): void {
    this.tables[name] = rows;
  }

  /** Records the wall time since the last call under `section`. */
  lap(section: string): number {
    const now = Date.now();
    const s = (now - this.t0) / 1000;
    this.cost[section] = s;
    this.t0 = now;
    return s;
  }

  /** Writes `$ROBUSTLAB_RESULTS_DIR/NAME.json` (default results/) atomically; returns the path. */
  save(extra: Record<string, unknown> = {}): string {
    const dir = process.env.ROBUSTLAB_RESULTS_DIR ?? path.resolve(process.cwd(), process.cwd().endsWith('notebooks') ? '../results' : 'results');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${this.name}.json`);
    const body = JSON.stringify({ name: this.name, title: this.title, profile: process.env.ROBUSTLAB_PROFILE ?? 'quick', claims: this.claims, tables: this.tables, figures: this.figures, cost: this.cost, ...extra }, null, 1);
    fs.writeFileSync(`${file}.tmp`, body);
    fs.renameSync(`${file}.tmp`, file);
    return file;
  }
}

/** Loads `notebooks/reported/NAME.json` (the paper's numbers as data). */
export function reported<T = Record<string, unknown>>(name: string): T {
  const candidates = [path.resolve(process.cwd(), 'reported', `${name}.json`), path.resolve(process.cwd(), 'notebooks', 'reported', `${name}.json`), path.resolve(__dirname, '../../../notebooks/reported', `${name}.json`), path.resolve(__dirname, '../../notebooks/reported', `${name}.json`)];
  const f = candidates.find((c) => fs.existsSync(c));
  if (!f) throw new Error(`reported(${JSON.stringify(name)}): no file notebooks/reported/${name}.json (looked in ${candidates.join(', ')})`);
  return JSON.parse(fs.readFileSync(f, 'utf8')) as T;
}
