/**
 * The reproduction report (`report.md` and `report.html`) from the notebooks' results JSON: at the top the
 * data each notebook used (generated data said loudly) and the claim counts in three outcomes; per notebook
 * its verdicts with the test that decided each, its tables (our rows beside the paper's where the notebook
 * made the comparison; paper tables not measured named in one line), figures and cost.
 * `scripts/reproduce.mjs` calls {@link writeReport} after executing the notebooks.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderSvg } from './display';
import { claimRows, countVerdicts, verdictSummary, type ClaimVerdict, type VerdictCounts } from './claims';
import { parseReported, type ReportedPaper } from './reported';
import { provenanceLine, type Provenance } from './provenance';

/** One executed notebook as the runner saw it. */
export interface NotebookStatus {
  /** File stem. */
  name: string;
  /** Whether every cell ran. */
  ok: boolean;
  /** Wall seconds. */
  seconds: number;
}

/** The parts of a results JSON the report reads (written by `Results.save`). */
interface ResultsJson {
  title?: string;
  profile?: string;
  provenance?: Provenance;
  claims?: ClaimVerdict[];
  tables?: Record<string, Record<string, unknown>[]>;
  figures?: Record<string, Record<string, unknown>>;
  cost?: Record<string, number>;
}

type Row = Record<string, unknown>;

const esc = (v: unknown) => String(v).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** Numbers with at most 2 decimals (4 below 1), so no table shows 0.37666666666666665. */
export function formatCell(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(+v.toFixed(Math.abs(v) < 1 ? 4 : 2));
  if (v === undefined || v === null) return '–';
  return String(v);
}
function columns(rows: Row[]): string[] {
  return [...new Set(rows.flatMap((r) => Object.keys(r)))];
}
function mdTable(rows: Row[]): string[] {
  const cols = columns(rows);
  return [`| ${cols.join(' | ')} |`, `| ${cols.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${cols.map((c) => formatCell(r[c]).replace(/\|/g, '\\|')).join(' | ')} |`)];
}
function htmlTable(rows: Row[]): string {
  const cols = columns(rows);
  const cell = (v: unknown) => {
    const t = formatCell(v);
    const cls = t === 'holds' ? ' class="ok"' : t === 'does not hold' ? ' class="no"' : t === 'inconclusive' ? ' class="maybe"' : '';
    return `<td${cls}>${esc(t)}</td>`;
  };
  return `<table><tr>${cols.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${cols.map((c) => cell(r[c])).join('')}</tr>`).join('')}</table>`;
}
/** Markdown inline: bold and code only, for the provenance line in HTML. */
function mdInline(s: string): string {
  return esc(s).replace(/\*\*(.+?)\*\*/g, '<b>$1</b>').replace(/`(.+?)`/g, '<code>$1</code>');
}

function readJson(file: string): unknown {
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined;
}


/**
 * Writes `out/report.md` and `out/report.html` for the executed notebooks.
 * @param o.out the results folder (holds NAME.json, notebooks/, html/) @param o.nbDir the notebooks folder
 *   (holds reported/NAME.json) @param o.profile the profile run
 */
export async function writeReport(o: { status: NotebookStatus[]; out: string; nbDir: string; profile: string }): Promise<{ counts: VerdictCounts }> {
  const figDir = path.join(o.out, 'figures');
  const when = new Date().toISOString();
  const per = o.status.map((s) => {
    const res = readJson(path.join(o.out, `${s.name}.json`)) as ResultsJson | undefined;
    let rep: ReportedPaper | undefined;
    let repError: string | undefined;
    const raw = readJson(path.join(o.nbDir, 'reported', `${s.name}.json`));
    if (raw !== undefined) {
      try {
        rep = parseReported(raw, `reported/${s.name}.json`);
      } catch (e) {
        repError = (e as Error).message;
      }
    }
    return { s, res, rep, repError, claims: res?.claims ?? [] };
  });
  const all = countVerdicts(per.flatMap((p) => p.claims));
  const md = ['# robustlab reproduction report', '', `Profile: ${o.profile}. Generated ${when}.`, ''];
  const html = [`<h1>robustlab reproduction report</h1><p>Profile: ${esc(o.profile)}. Generated ${esc(when)}.</p>`];

  // Data first: a reader must know before any number whether it came from the paper's data.
  const generated = per.filter((p) => p.res?.provenance?.generated).map((p) => p.s.name);
  if (generated.length) {
    const line = `**Generated data**: ${generated.join(', ')} ran on the generated shapes10 set, not on real data; their numbers say nothing about the papers and their claims are expected to be mostly inconclusive.`;
    md.push(`> ${line}`, '');
    html.push(`<p class="warn">${mdInline(line)}</p>`);
  }
  md.push('## Data', '');
  html.push('<h2>Data</h2><ul>');
  for (const p of per) {
    const line = p.res?.provenance ? provenanceLine(p.res.provenance) : 'no data provenance recorded';
    md.push(`- \`${p.s.name}\`: ${line}`);
    html.push(`<li><code>${esc(p.s.name)}</code>: ${mdInline(line)}</li>`);
  }
  md.push('', `Claims over all notebooks: **${verdictSummary(all)}**.`, '');
  html.push(`</ul><p>Claims over all notebooks: <b>${esc(verdictSummary(all))}</b>.</p>`);
  const statusRows = o.status.map((s) => ({ notebook: s.name, status: s.ok ? 'ok' : 'FAILED', seconds: +s.seconds.toFixed(1), claims: verdictSummary(countVerdicts(per.find((p) => p.s === s)?.claims ?? [])) }));
  md.push(...mdTable(statusRows), '');
  html.push(htmlTable(statusRows));

  for (const { s, res, rep, repError, claims } of per) {
    const title = res?.title ?? rep?.title ?? s.name;
    md.push(`## ${title}`, '', `Notebook \`${s.name}\`: ${s.ok ? 'ran' : '**FAILED** (numbers below, if any, are partial)'}; executed copy \`notebooks/${s.name}.ipynb\`, HTML \`html/${s.name}.html\`.`, '');
    html.push(`<h2>${esc(title)}</h2><p>Notebook <code>${esc(s.name)}</code>: ${s.ok ? 'ran' : '<b>FAILED</b>'}; <a href="html/${esc(s.name)}.html">HTML</a>, <a href="notebooks/${esc(s.name)}.ipynb">notebook</a>.</p>`);
    if (!res) {
      md.push('No results JSON was written.', '');
      html.push('<p>No results JSON was written.</p>');
      continue;
    }
    if (res.provenance) {
      md.push(provenanceLine(res.provenance), '');
      html.push(`<p>${mdInline(provenanceLine(res.provenance))}</p>`);
    }
    if (repError) {
      md.push(`The paper's numbers could not be read: ${repError}`, '');
      html.push(`<p class="no">The paper's numbers could not be read: ${esc(repError)}</p>`);
    } else if (rep) {
      md.push(`Paper's numbers: ${rep.source} (${rep.units}).`, '');
      html.push(`<p>Paper's numbers: ${esc(rep.source)} (${esc(rep.units)}).</p>`);
    }
    if (claims.length) {
      const c = verdictSummary(countVerdicts(claims));
      md.push(`Claims: ${c} (profile ${res.profile ?? o.profile}).`, '', '### Claims', '', ...mdTable(claimRows(claims)), '');
      html.push(`<p>Claims: <b>${esc(c)}</b> (profile ${esc(res.profile ?? o.profile)}).</p><h3>Claims</h3>${htmlTable(claimRows(claims))}`);
    }
    const ours = res.tables ?? {};
    for (const [t, rows] of Object.entries(ours)) {
      if (!Array.isArray(rows) || rows.length === 0) continue;
      // A comparison table (compareRows) already holds the paper's column; others get the paper's rows above.
      const compared = rows.some((r) => Object.hasOwn(r, 'paper'));
      const paper = compared ? undefined : rep?.tables[t];
      const note = rep?.notes[t];
      md.push(`### ${t}`, '');
      html.push(`<h3>${esc(t)}</h3>`);
      if (note) {
        md.push(`Paper's note: ${note}`, '');
        html.push(`<p>Paper's note: ${esc(note)}</p>`);
      }
      if (paper) {
        md.push('Paper:', '', ...mdTable(paper), '', 'Ours:', '');
        html.push(`<p>Paper:</p>${htmlTable(paper)}<p>Ours:</p>`);
      }
      md.push(...mdTable(rows), '');
      html.push(htmlTable(rows));
    }
    const unmeasured = Object.keys(rep?.tables ?? {}).filter((t) => !Object.hasOwn(ours, t));
    if (unmeasured.length) {
      md.push(`Paper tables not measured in this run: ${unmeasured.join(', ')}.`, '');
      html.push(`<p class="none">Paper tables not measured in this run: ${esc(unmeasured.join(', '))}.</p>`);
    }
    const figs = [...new Set([...Object.keys(rep?.figures ?? {}), ...Object.keys(res.figures ?? {})])];
    for (const g of figs) {
      const svgs: Record<string, string> = {};
      const file = (who: string) => `${s.name}-${g.replace(/[^\w.-]+/g, '_')}-${who}.svg`;
      for (const [who, spec] of [['paper', rep?.figures[g]], ['ours', res.figures?.[g]]] as const) {
        if (!spec) continue;
        try {
          svgs[who] = await renderSvg(spec);
          fs.mkdirSync(figDir, { recursive: true });
          fs.writeFileSync(path.join(figDir, file(who)), svgs[who]);
        } catch (e) {
          svgs[who] = `<p class="none">figure failed to render: ${esc((e as Error).message)}</p>`;
        }
      }
      md.push(`### Figure: ${g}`, '', ...['paper', 'ours'].filter((w) => svgs[w]).map((w) => `${w}: ![${g} (${w})](figures/${file(w)})`), '');
      html.push(`<h3>Figure: ${esc(g)}</h3><div class="pair">${['paper', 'ours'].filter((w) => svgs[w]).map((w) => `<div><h4>${w}</h4>${svgs[w]}</div>`).join('')}</div>`);
    }
    if (res.cost && Object.keys(res.cost).length) {
      const line = `Cost (wall seconds): ${Object.entries(res.cost).map(([k, v]) => `${k} ${formatCell(+v.toFixed(1))}`).join(', ')}`;
      md.push(line, '');
      html.push(`<p>${esc(line)}</p>`);
    }
  }
  fs.writeFileSync(path.join(o.out, 'report.md.tmp'), md.join('\n'));
  fs.renameSync(path.join(o.out, 'report.md.tmp'), path.join(o.out, 'report.md'));
  const css = 'body{font-family:sans-serif;max-width:1200px;margin:auto}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #bbb;padding:3px 6px;text-align:left}.pair{display:flex;gap:2em;align-items:flex-start}.pair>div{flex:1;overflow:auto}.ok{color:#070}.no{color:#b00}.maybe{color:#a60}.none{color:#888}.warn{border:2px solid #b00;padding:.5em}';
  fs.writeFileSync(path.join(o.out, 'report.html.tmp'), `<!doctype html><meta charset="utf-8"><title>robustlab report</title><style>${css}</style><body>${html.join('\n')}</body>`);
  fs.renameSync(path.join(o.out, 'report.html.tmp'), path.join(o.out, 'report.html'));
  return { counts: all };
}
