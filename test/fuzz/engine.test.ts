// Issue 13 item 6, engine part: concurrent initEngine calls, thread counts above the core count, empty
// environment variables. Runs the probes in a child process (initEngine switches the process-wide backend).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../..');

test('initEngine: concurrent switches are refused, agreeing calls share, threads and empty env vars are explained', () => {
  const { ROBUSTLAB_BACKEND, ROBUSTLAB_THREADS, ...env } = process.env;
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), path.join(__dirname, 'engineScript.ts')], { cwd: root, encoding: 'utf8', env });
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.is(lines.length, 6, r.stdout + r.stderr);
  assert.equal(lines[0], ['wasm', "initEngine: asked for backend 'cpu' while an initialisation for 'wasm' is in progress; await the first call before switching"]);
  assert.equal(lines[1], ['cpu', 'cpu', 'cpu']);
  // wasm started with the default pool above (at most 8 threads), so it cannot grow now: the note says so.
  assert.ok(lines[2].threads >= 1 && lines[2].threads <= 8, `wasm threads ${lines[2].threads}`);
  assert.equal(lines[2].notes, [`threads: 64 requested, backend 'wasm' uses ${lines[2].threads} (this machine has ${os.availableParallelism()} cores)`]);
  assert.is.not(lines[3], 'cpu', 'ROBUSTLAB_BACKEND= picks the best available backend (wasm or better), no error');
  assert.is(lines[4], 'cpu', 'ROBUSTLAB_THREADS=" " means the default');
  assert.is(lines[5], 'ROBUSTLAB_THREADS: must be an integer >= 1, got "many"');
});

test.run();
