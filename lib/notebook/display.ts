/**
 * Rich display inside the tslab kernel: one display bundle per call, with Vega-Lite as a JSON object (tslab's
 * own `display.raw` can only send strings), an SVG rendered by vega in Node (so the plot shows on GitHub and in
 * the HTML export), and plain text. Outside a kernel, functions return the bundle and print a text line.
 * vega, vega-lite and arquero are ESM-only: they load through `import()` from this module on disk, which works
 * where a notebook cell's own `import()` does not.
 * @module
 */
import { randomBytes } from 'node:crypto';

/** A MIME bundle: MIME type to payload (strings, or JSON objects for JSON MIME types). */
export type Bundle = Record<string, unknown>;

type Writer = (msg: { data: Bundle; metadata: Record<string, unknown>; transient: { display_id?: string } }, update: boolean) => void;

/** The kernel's display writer when running inside tslab (same module instance as the kernel's). */
function writer(): Writer | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const jupyter = require('tslab/dist/jupyter') as { lastWriteDisplayData: Writer | null };
    return jupyter.lastWriteDisplayData ?? undefined;
  } catch {
    return undefined;
  }
}

/** True inside a running tslab kernel. */
export function inNotebook(): boolean {
  return writer() !== undefined;
}

/** Sends a bundle as display_data (or update_display_data for an existing display id). */
export function sendBundle(data: Bundle, opts: { displayId?: string; update?: boolean; metadata?: Record<string, unknown> } = {}): void {
  const w = writer();
  if (!w) return;
  w({ data, metadata: opts.metadata ?? {}, transient: opts.displayId ? { display_id: opts.displayId } : {} }, opts.update ?? false);
}

/** A fresh display id, for outputs that update in place. */
export function newDisplayId(): string {
  return randomBytes(8).toString('hex');
}

/** A Vega-Lite spec (plain object). */
export type VegaLiteSpec = Record<string, unknown>;

const VL_SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

/** Compiles a Vega-Lite spec and renders it to SVG with vega in Node. */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const vl = await import('vega-lite');
  const vega = await import('vega');
  const compiled = vl.compile({ $schema: VL_SCHEMA, ...spec } as never);
  const view = new vega.View(vega.parse(compiled.spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** The display bundle of a Vega-Lite plot: the spec as a JSON object, an SVG rendering and a text line. */
export async function plotBundle(spec: VegaLiteSpec): Promise<Bundle> {
  const full = { $schema: VL_SCHEMA, ...spec };
  const svg = await renderSvg(full);
  const title = typeof spec.title === 'string' ? spec.title : 'Vega-Lite plot';
  return { 'application/vnd.vegalite.v5+json': full, 'image/svg+xml': svg, 'text/plain': `<${title}>` };
}

/**
 * Shows a Vega-Lite plot in the notebook (outside one, prints its title).
 * @example await show(groupedBars(rows, { x: 'method', y: 'accuracy', color: 'attack' }));
 */
export async function show(spec: VegaLiteSpec): Promise<void> {
  const b = await plotBundle(spec);
  if (inNotebook()) sendBundle(b);
  else console.log(b['text/plain']);
}

/** Shows rows as a table in the notebook (outside one, prints the text table). */
export async function table(rows: Record<string, unknown>[], opts: { title?: string; digits?: number } = {}): Promise<void> {
  const b = await tableBundle(rows, opts);
  if (inNotebook()) sendBundle(b);
  else console.log(b['text/plain']);
}

/** The display bundle of a table: HTML (arquero) and tab-separated text. */
export async function tableBundle(rows: Record<string, unknown>[], opts: { title?: string; digits?: number } = {}): Promise<Bundle> {
  const aq = await import('arquero');
  const digits = opts.digits ?? 4;
  const clean = rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' && !Number.isInteger(v) ? +v.toFixed(digits) : v])));
  const t = aq.from(clean);
  const cols = t.columnNames();
  const text = [cols.join('\t'), ...clean.map((r) => cols.map((c) => String(r[c] ?? '')).join('\t'))].join('\n');
  const html = `${opts.title ? `<h4>${opts.title}</h4>` : ''}${t.toHTML({ limit: 1000 })}`;
  return { 'text/html': html, 'text/plain': text };
}

/** Shows Markdown text (outside a notebook, prints it). */
export function markdown(md: string): void {
  if (inNotebook()) sendBundle({ 'text/markdown': md, 'text/plain': md });
  else console.log(md);
}
