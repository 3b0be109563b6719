// Issue 13 item 4: the notebook runner (scripts/reproduce.mjs + kernel-setup/execute.py) through the real
// kernel, with tiny throwaway notebooks: a cell that kills the kernel, a cell over --timeout, an unhandled
// promise rejection, a thrown error and an unreadable notebook are each one FAILED line naming the notebook and the cell, the
// partial notebook is kept, the report links only files that exist; SIGTERM to the runner leaves no process.
// Skips with a message when no Jupyter is installed (.ci/run installs it).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'robustlab-runner-'));
test.after(() => fs.rmSync(work, { recursive: true, force: true }));

/** Writes a notebook of code cells for the robustlab kernel. */
function notebook(dir: string, name: string, cells: string[]): void {
  fs.mkdirSync(dir, { recursive: true });
  const nb = {
    cells: cells.map((source, i) => ({ cell_type: 'code', execution_count: null, id: `c${i}`, metadata: {}, outputs: [], source })),
    metadata: { kernelspec: { display_name: 'TypeScript (robustlab)', language: 'typescript', name: 'robustlab-tslab' } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  fs.writeFileSync(path.join(dir, `${name}.ipynb`), JSON.stringify(nb));
}

let ready: boolean | undefined;
/** Jupyter present, kernel spec registered, dist/ built (the report renders figures with it). */
async function prepared(): Promise<boolean> {
  if (ready !== undefined) return ready;
  const { setup } = (await import(path.join(root, 'kernel-setup/setup.mjs'))) as { setup: (o: { quiet: boolean; install: boolean }) => unknown };
  ready = Boolean(setup({ quiet: true, install: false }));
  if (!ready) console.log('\n  SKIPPED runner tests: no Jupyter with nbclient (npm run kernel:setup installs it)');
  else if (!fs.existsSync(path.join(root, 'dist/lib/notebook/display.js'))) spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', root], { stdio: 'ignore' });
  return ready;
}

const reproduce = (nbDir: string, out: string, extra: string[] = []) => [path.join(root, 'scripts/reproduce.mjs'), '--profile', 'smoke', '--notebooks', nbDir, '--out', out, '--no-build', ...extra];

test('a dead kernel, a cell timeout, an unhandled rejection, a thrown error and an unreadable notebook: one line each, partial notebooks kept', async () => {
  if (!(await prepared())) return;
  const dir = path.join(work, 'failing');
  const out = path.join(work, 'out');
  notebook(dir, 'dies', ['console.log("first");', 'process.exit(3);', 'console.log("never reached");']);
  notebook(dir, 'hangs', ['console.log("first");', 'while (true) {}']);
  notebook(dir, 'rejects', ['console.log("first");', 'Promise.reject(new Error("nobody caught me")); 1;', 'console.log("third");']);
  notebook(dir, 'throws', ['throw new TypeError("bad thing " + 42);']);
  fs.writeFileSync(path.join(dir, 'unreadable.ipynb'), '{ not json');
  const r = spawnSync(process.execPath, reproduce(dir, out, ['--timeout', '3']), { encoding: 'utf8', timeout: 120_000 });
  const log = r.stdout + r.stderr;
  assert.is(r.status, 1, log);
  assert.match(log, /^FAILED in cell 2\/3 of dies\.ipynb \(process\.exit\(3\);\): the kernel died during this cell/m);
  assert.match(log, /^FAILED in cell 2\/2 of hangs\.ipynb \(while \(true\) \{\}\): did not finish within 3 s \(--timeout\)/m);
  assert.match(log, /^FAILED in cell 2\/3 of rejects\.ipynb \(Promise\.reject.*\): unhandled promise rejection: Error: nobody caught me/m);
  assert.match(log, /^FAILED unreadable\.ipynb: cannot read the notebook/m);
  assert.match(log, /^FAILED in cell 1\/1 of throws\.ipynb \(throw new TypeError.*\): TypeError: bad thing 42$/m);
  assert.not.match(log, /Traceback|DeadKernelError|CellTimeoutError/, 'no Python traceback');
  assert.not.match(log, /never reached/);
  for (const n of ['dies', 'hangs', 'rejects']) {
    const nb = JSON.parse(fs.readFileSync(path.join(out, 'notebooks', `${n}.ipynb`), 'utf8'));
    assert.equal(nb.cells[0].outputs[0].text, ['first\n'], `${n}: the partial notebook has the first cell's output`);
  }
  assert.not.ok(fs.existsSync(path.join(out, 'notebooks/unreadable.ipynb')));
  const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
  assert.match(md, /\| dies \| FAILED \| [\d.]+ \| cell 2\/3: the kernel died/);
  assert.match(md, /Notebook `unreadable`: \*\*FAILED\*\* .*; no executed copy was written\./);
  assert.not.match(md, /notebooks\/unreadable\.ipynb|html\/unreadable\.html/);
  // Every file the HTML report links exists.
  const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
  const links = [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]);
  assert.ok(links.length >= 3, `links ${links}`);
  for (const l of links) assert.ok(fs.existsSync(path.join(out, l)), `report links ${l}, which does not exist`);
});

/** Pids whose command line mentions `needle` (the throwaway folder), other than this process. */
function processesMentioning(needle: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)
    .filter((p) => {
      try {
        return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(needle);
      } catch {
        return false;
      }
    })
    .map(Number);
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    // A zombie still answers kill(0); it holds no CPU and waits for its parent.
    return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
};

test('SIGTERM to the runner kills execute.py and the kernel, keeps the partial notebook, exits 143', async () => {
  if (!(await prepared())) return;
  const dir = path.join(work, 'signal');
  const out = path.join(work, 'out-signal');
  const pidFile = path.join(work, 'kernel.pid');
  notebook(dir, 'busy', [`require("fs").writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));`, 'while (true) {}']);
  notebook(dir, 'later', ['console.log("not run");']);
  const child = spawn(process.execPath, reproduce(dir, out), { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const t0 = Date.now();
  while (!fs.existsSync(pidFile) && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 100));
  assert.ok(fs.existsSync(pidFile), `the kernel never started: ${log}`);
  const kernelPid = Number(fs.readFileSync(pidFile, 'utf8'));
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(alive(kernelPid), 'the kernel is busy in cell 2');
  child.kill('SIGTERM');
  const code = await exited;
  assert.is(code, 143, log);
  assert.match(log, /FAILED in cell 2\/2 of busy\.ipynb .*interrupted by SIGTERM/);
  assert.match(log, /stopped by SIGTERM; 1 notebook\(s\) not run/);
  // The kernel gets SIGKILL before execute.py exits; allow the kernel a moment to be reaped.
  const t1 = Date.now();
  while ((alive(kernelPid) || processesMentioning(dir).length) && Date.now() - t1 < 5000) await new Promise((r) => setTimeout(r, 100));
  assert.not.ok(alive(kernelPid), `kernel ${kernelPid} still running`);
  assert.equal(processesMentioning(dir), [], 'no runner process left');
  assert.ok(fs.existsSync(path.join(out, 'notebooks/busy.ipynb')), 'partial notebook kept');
  assert.match(fs.readFileSync(path.join(out, 'report.md'), 'utf8'), /\| busy \| FAILED \| [\d.]+ \| cell 2\/2: interrupted by SIGTERM/);
});

test('--timeout must be a whole number of seconds', async () => {
  const r = spawnSync(process.execPath, reproduce(work, path.join(work, 'o'), ['--timeout', '0.5']), { encoding: 'utf8' });
  // dist may be absent before the first test built it; the check comes first either way.
  assert.is(r.status, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /--timeout: must be a whole number of seconds >= 1 \(per cell\), got "0.5"/);
});

test.run();
