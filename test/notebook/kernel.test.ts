// The notebook platform end to end, through the real Jupyter + tslab kernel: the smoke notebook's saved
// outputs (Vega-Lite JSON object, non-empty SVG, table, no error), the main job on two fixture notebooks (one
// fails: the run goes on, the exit code is non-zero, the report holds the verdicts and the paper's numbers),
// and headless Chromium drawing the plot of the HTML export. Each part skips with a message when Jupyter or
// Chromium is absent (.ci/run installs both).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';

const root = path.resolve(__dirname, '../..');
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'robustlab-reproduce-'));
let jupyter = false;
let runner: { status: number | null; stdout: string } | undefined;

function skip(what: string, why: string): void {
  console.log(`\n  SKIPPED ${what}: ${why}`);
}

test('the smoke notebook runs through the real kernel with a Vega-Lite object, an SVG, a table and no errors', async () => {
  const { check } = (await import(path.join(root, 'kernel-setup/check.mjs'))) as { check: (o?: { build?: boolean }) => { ok: boolean; problems: string[]; skipped?: boolean } };
  const r = check({ build: true });
  if (r.skipped) return skip('kernel check', `${r.problems.join('; ')}; npm run kernel:setup installs Jupyter`);
  jupyter = true;
  assert.ok(r.ok, r.problems.join('\n'));
});

test('a burst of 6,000 outputs reaches the client whole and in order (tslab sends serialised, IOPub unbounded)', async () => {
  if (!jupyter) return skip('output burst', 'no Jupyter');
  const { setup, KERNEL_NAME } = (await import(path.join(root, 'kernel-setup/setup.mjs'))) as { setup: (o: { quiet: boolean }) => { python: string } | undefined; KERNEL_NAME: string };
  const k = setup({ quiet: true });
  assert.ok(k, 'kernel spec written');
  // 3,000 display bundles and 3,000 console lines in one cell: with tslab's own sends this failed with "Socket
  // is busy writing" (an unhandled rejection), and once that was caught, PUB's high-water mark dropped most lines.
  const burst = [
    `const nb = require(${JSON.stringify(path.join(root, 'dist/lib/notebook'))});`,
    'for (let i = 0; i < 3000; i++) { nb.markdown(`md ${i} ` + "x".repeat(1000)); console.log(`log ${i}`); }',
  ].join('\n');
  const cell = (source: string, id: string) => ({ id, cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source });
  const notebook = { cells: [cell(burst, 'burst'), cell('console.log("after")', 'after')], metadata: { kernelspec: { name: KERNEL_NAME, display_name: 'TypeScript (robustlab)', language: 'typescript' } }, nbformat: 4, nbformat_minor: 5 };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'robustlab-burst-'));
  fs.writeFileSync(path.join(dir, 'burst.ipynb'), JSON.stringify(notebook));
  const r = spawnSync(k!.python, [path.join(root, 'kernel-setup/execute.py'), path.join(dir, 'burst.ipynb'), path.join(dir, 'out.ipynb'), '--kernel', KERNEL_NAME, '--timeout', '120'], { encoding: 'utf8' });
  assert.is(r.status, 0, `${r.stdout}${r.stderr}`);
  const cells = JSON.parse(fs.readFileSync(path.join(dir, 'out.ipynb'), 'utf8')).cells as { outputs: { output_type: string; text?: string | string[]; data?: Record<string, string | string[]> }[] }[];
  const text = (t: string | string[] | undefined) => [t ?? ''].flat().join('');
  const md = cells[0].outputs.filter((o) => o.output_type === 'display_data').map((o) => text(o.data?.['text/plain']).split(' ')[1]);
  const logs = cells[0].outputs.filter((o) => o.output_type === 'stream').map((o) => text(o.text)).join('').trim().split('\n');
  const want = Array.from({ length: 3000 }, (_, i) => String(i));
  assert.equal(md, want, 'every display bundle, in order');
  assert.equal(logs, want.map((i) => `log ${i}`), 'every console line, in order');
  assert.equal(cells[1].outputs.map((o) => text(o.text)), ['after\n']);
});

test('the main job: a failing cell stops its notebook only, is shown, and makes the exit code non-zero', () => {
  if (!jupyter) return skip('main job', 'no Jupyter');
  const r = spawnSync(process.execPath, [path.join(root, 'scripts/reproduce.mjs'), '--profile', 'smoke', '--notebooks', path.join(__dirname, 'fixtures'), '--out', out, '--no-build'], { encoding: 'utf8', env: { ...process.env, ROBUSTLAB_PROFILE: 'quick' } });
  runner = { status: r.status, stdout: r.stdout };
  const log = r.stdout;
  assert.is(r.status, 1, log);
  assert.match(log, /\[1\/2\] a-ok \(profile smoke\)/);
  assert.match(log, /cell 2\/2 .*await show/);
  assert.match(log, /ok a-ok/);
  assert.match(log, /FAILED in cell 2\/3/);
  assert.match(log, /throw new Error\("deliberate failure "/); // the cell
  assert.match(log, /Error: deliberate failure 42/); // the error
  assert.not.match(log, /never reached/);
  assert.match(log, /FAILED b-fail/);
  const res = JSON.parse(fs.readFileSync(path.join(out, 'a-ok.json'), 'utf8'));
  assert.is(res.profileSeen, 'smoke'); // --profile wins over the environment's ROBUSTLAB_PROFILE
  assert.is(res.n, 1);
  assert.equal(res.claims.map((c: { verdict: string }) => c.verdict), ['holds', 'does not hold']);
  assert.ok(fs.existsSync(path.join(out, 'notebooks/b-fail.ipynb')), 'partially executed notebook kept');
  assert.ok(!fs.existsSync(path.join(out, 'b-fail.json')));
  const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
  assert.match(md, /\| a-ok \| ok \|/);
  assert.match(md, /Claims: 1 hold, 1 do not, 0 inconclusive of 2 \(profile smoke\)/);
  assert.match(md, /\| b-fail \| FAILED \|/);
  assert.match(md, /\| b beats a \| holds \| sign test .* \| 0\.0215 \| 9 of 10, p 0\.0215 \|/);
  assert.match(md, /\| a beats b \| does not hold \| .*\(it does not\)/);
  assert.match(md, /Paper:\n\n\| method \| accuracy \|\n\| --- \| --- \|\n\| a \| 0\.3 \|/);
  const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
  assert.is(html.match(/<svg/g)?.length, 2, 'paper and our figure side by side');
  assert.ok(fs.existsSync(path.join(out, 'figures/a-ok-bars-ours.svg')));
});

/** Screenshots an HTML file with headless Chromium and counts pixels of Vega's first category colour. */
function vegaBluePixels(htmlFile: string): number {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'robustlab-chromium-'));
  const shot = path.join(tmp, 'shot.png');
  const r = spawnSync('/usr/bin/chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', `--user-data-dir=${path.join(tmp, 'profile')}`, '--hide-scrollbars', '--window-size=1000,900', `--screenshot=${shot}`, `file://${htmlFile}`], { encoding: 'utf8', timeout: 60_000 });
  assert.ok(fs.existsSync(shot), `no screenshot: ${r.stderr.slice(-500)}`);
  const png = PNG.sync.read(fs.readFileSync(shot));
  fs.rmSync(tmp, { recursive: true, force: true });
  let n = 0;
  // #4c78a8, the bars' colour (one attack, so one colour); code highlighting and text use none near it.
  for (let i = 0; i < png.data.length; i += 4) if (Math.abs(png.data[i] - 0x4c) + Math.abs(png.data[i + 1] - 0x78) + Math.abs(png.data[i + 2] - 0xa8) < 30) n++;
  return n;
}

test('headless Chromium draws the plot of the HTML export (and a page without it has none of its pixels)', () => {
  if (!runner) return skip('browser check', 'the main job did not run (no Jupyter)');
  if (!fs.existsSync('/usr/bin/chromium')) return skip('browser check', 'no /usr/bin/chromium (apt-get install chromium)');
  const exported = path.join(out, 'html/a-ok.html');
  const page = fs.readFileSync(exported, 'utf8');
  assert.match(page, /<img src="data:image\/svg\+xml;base64,/);
  // Two bars of 20 x 100-200 px in a 200 px tall plot: several thousand pixels.
  const drawn = vegaBluePixels(exported);
  assert.ok(drawn > 2000, `only ${drawn} plot pixels`);
  const blank = path.join(out, 'html/a-ok-no-plot.html');
  fs.writeFileSync(blank, page.replace(/<img src="data:image\/svg\+xml;base64,[^"]*">/g, ''));
  assert.ok(vegaBluePixels(blank) < 50, 'control page without the plot');
});

test.after(() => fs.rmSync(out, { recursive: true, force: true }));

test.run();
