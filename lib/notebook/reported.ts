/**
 * The paper's numbers as fixed-schema data (`notebooks/reported/NAME.json`, as RobustBench keeps each entry):
 * a title, the source (section and tables of the paper), the units, a setting, tables of rows, notes per
 * table and optional Vega-Lite figures. Read through {@link parseReported}, which checks every field, so
 * notebooks never cast.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { msg } from '../messages';

/** One row of a paper's table: a name column (e.g. `defense`) and numbers; null where the paper has no value. */
export type ReportedRow = Record<string, number | string | null>;

/** A paper's reported numbers. */
export interface ReportedPaper {
  /** Paper title, authors and venue. */
  title: string;
  /** Where in the paper the numbers come from (file name of the text and the tables). */
  source: string;
  /** Units of the numbers, e.g. "accuracy in percent on the CIFAR-10 test set". */
  units: string;
  /** The paper's setting in a few fields (dataset, model, eps ...). */
  setting: Record<string, string | number>;
  /** Tables by the paper's name, e.g. "Table 2". */
  tables: Record<string, ReportedRow[]>;
  /** One note per table or figure (what the paper says about it). */
  notes: Record<string, string>;
  /** Figures the paper gives numbers for, as Vega-Lite specs. */
  figures: Record<string, Record<string, unknown>>;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks `value` against the schema and returns it typed; throws naming the file, the field and what it saw.
 * @param file the file name for messages
 */
export function parseReported(value: unknown, file: string): ReportedPaper {
  const bad = (where: string, expected: string, v: unknown) => new Error(msg.reportedSchema(file, where, expected, v));
  if (!isObj(value)) throw bad('the top level', 'an object', value);
  const known = ['title', 'source', 'units', 'setting', 'tables', 'notes', 'figures'];
  for (const k of Object.keys(value)) if (!known.includes(k)) throw bad(`field "${k}"`, `one of ${known.join(', ')} (unknown field)`, k);
  for (const k of ['title', 'source', 'units'] as const) if (typeof value[k] !== 'string' || value[k] === '') throw bad(`"${k}"`, 'a non-empty string', value[k]);
  const setting = value.setting ?? {};
  if (!isObj(setting)) throw bad('"setting"', 'an object of strings and numbers', setting);
  for (const [k, v] of Object.entries(setting)) if (typeof v !== 'string' && !(typeof v === 'number' && Number.isFinite(v))) throw bad(`setting "${k}"`, 'a string or a finite number', v);
  if (!isObj(value.tables)) throw bad('"tables"', 'an object of named tables', value.tables);
  for (const [t, rows] of Object.entries(value.tables)) {
    if (!Array.isArray(rows) || rows.length === 0) throw bad(`table "${t}"`, 'a non-empty array of rows', rows);
    rows.forEach((r, i) => {
      if (!isObj(r)) throw bad(`table "${t}" row ${i}`, 'an object', r);
      for (const [c, v] of Object.entries(r)) if (v !== null && typeof v !== 'string' && !(typeof v === 'number' && Number.isFinite(v))) throw bad(`table "${t}" row ${i} column "${c}"`, 'a finite number, a string or null', v);
    });
  }
  const notes = value.notes ?? {};
  if (!isObj(notes)) throw bad('"notes"', 'an object of strings', notes);
  for (const [k, v] of Object.entries(notes)) if (typeof v !== 'string') throw bad(`note "${k}"`, 'a string', v);
  const figures = value.figures ?? {};
  if (!isObj(figures)) throw bad('"figures"', 'an object of Vega-Lite specs', figures);
  for (const [k, v] of Object.entries(figures)) if (!isObj(v)) throw bad(`figure "${k}"`, 'a Vega-Lite spec (object)', v);
  return {
    title: value.title as string,
    source: value.source as string,
    units: value.units as string,
    setting: setting as Record<string, string | number>,
    tables: value.tables as Record<string, ReportedRow[]>,
    notes: notes as Record<string, string>,
    figures: figures as Record<string, Record<string, unknown>>,
  };
}

/** The places `reported(name)` looks, in order: from a notebook's folder, the project root, or dist/. */
function candidates(name: string): string[] {
  return [
    path.resolve(process.cwd(), 'reported', `${name}.json`),
    path.resolve(process.cwd(), 'notebooks', 'reported', `${name}.json`),
    path.resolve(__dirname, '../../../notebooks/reported', `${name}.json`),
    path.resolve(__dirname, '../../notebooks/reported', `${name}.json`),
  ];
}

/**
 * Loads and checks `notebooks/reported/NAME.json`.
 * @example const paper = reported('02-hypersphere-embedding'); paper.tables['Table 2'];
 */
export function reported(name: string): ReportedPaper {
  const c = candidates(name);
  const f = c.find((p) => fs.existsSync(p));
  if (!f) throw new Error(msg.reportedMissing(name, c.map((p) => path.relative(process.cwd(), p) || '.')));
  return parseReported(JSON.parse(fs.readFileSync(f, 'utf8')), `reported/${name}.json`);
}

/** The numeric value of `column` in the row whose `key` column equals `keyValue` (undefined when absent). */
export function paperValue(paper: ReportedPaper, table: string, keyValue: string, column: string, key = 'defense'): number | undefined {
  const row = paper.tables[table]?.find((r) => r[key] === keyValue);
  const v = row?.[column];
  return typeof v === 'number' ? v : undefined;
}
