// A real client: Debian's classic Jupyter Notebook server on 127.0.0.1 with a token, the tour opened in headless
// Chromium and driven through the DevTools protocol (run all cells in the UI, with the robustlab kernel, smoke
// profile), then the page checked for a drawn plot (an SVG with Vega marks) and no error output. It proves the
// interactive path that the headless runner does not. Skips when jupyter-notebook or Chromium is absent.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';

const root = path.resolve(__dirname, '../..');
const CHROMIUM = '/usr/bin/chromium';
const NOTEBOOK = '/usr/bin/jupyter-notebook';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const getJson = (url: string) =>
  new Promise<unknown>((resolve, reject) => {
    http.get(url, (res) => {
      let b = '';
      res.on('data', (c) => (b += c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(b));
        } catch (e) {
          reject(e);
        }
      });
    }).on('error', reject);
  });
async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms: number): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(500);
  }
}

/** A minimal WebSocket client (RFC 6455 text frames) for the DevTools protocol: send, and await replies by id. */
async function devtools(wsUrl: string): Promise<{ call: (method: string, params?: object) => Promise<Record<string, unknown>>; close: () => void }> {
  const u = new URL(wsUrl);
  const socket = await new Promise<Duplex>((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': randomBytes(16).toString('base64') } });
    req.on('upgrade', (_res, s) => resolve(s));
    req.on('error', reject);
    req.end();
  });
  const pending = new Map<number, (v: Record<string, unknown>) => void>();
  let buf = Buffer.alloc(0);
  let message = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      if (buf.length < 2) return;
      let len = buf[1] & 0x7f;
      let off = 2;
      if (len === 126) [len, off] = [buf.readUInt16BE(2), 4];
      else if (len === 127) [len, off] = [Number(buf.readBigUInt64BE(2)), 10];
      if (buf.length < off + len) return;
      message = Buffer.concat([message, buf.subarray(off, off + len)]);
      const fin = (buf[0] & 0x80) !== 0;
      buf = buf.subarray(off + len);
      if (!fin) continue;
      const m = JSON.parse(message.toString('utf8')) as { id?: number; result?: Record<string, unknown>; error?: unknown };
      message = Buffer.alloc(0);
      if (m.id !== undefined) pending.get(m.id)?.(m.result ?? { error: m.error });
    }
  });
  let id = 0;
  const send = (text: string) => {
    const payload = Buffer.from(text, 'utf8');
    const mask = randomBytes(4);
    const head = payload.length < 126 ? Buffer.from([0x81, 0x80 | payload.length]) : payload.length < 65536 ? Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 255]) : Buffer.concat([Buffer.from([0x81, 0x80 | 127]), Buffer.alloc(8)]);
    if (payload.length >= 65536) head.writeBigUInt64BE(BigInt(payload.length), 2);
    for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];
    socket.write(Buffer.concat([head, mask, payload]));
  };
  return {
    call: (method, params = {}) =>
      new Promise((resolve) => {
        const n = ++id;
        pending.set(n, resolve);
        send(JSON.stringify({ id: n, method, params }));
      }),
    close: () => socket.destroy(),
  };
}

test('the tour runs in a browser through the classic Notebook UI: a plot with marks, no error output', async () => {
  for (const [file, why] of [[NOTEBOOK, 'apt-get install jupyter-notebook'], [CHROMIUM, 'apt-get install chromium']]) {
    if (!fs.existsSync(file)) return console.log(`\n  SKIPPED browser test: no ${file} (${why})`);
  }
  if (!fs.existsSync(path.join(root, 'dist/lib/notebook/index.js'))) spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', root]);
  // A scratch copy, so the server's autosave never touches the repository's notebook.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'robustlab-browser-'));
  fs.mkdirSync(path.join(dir, 'notebooks'));
  fs.copyFileSync(path.join(root, 'notebooks/00-tour.ipynb'), path.join(dir, 'notebooks/00-tour.ipynb'));
  fs.symlinkSync(path.join(root, 'dist'), path.join(dir, 'dist'));
  const token = randomBytes(16).toString('hex');
  const [port, cdpPort] = [await freePort(), await freePort()];
  const procs: ChildProcess[] = [];
  let client: Awaited<ReturnType<typeof devtools>> | undefined;
  try {
    const server = spawn(NOTEBOOK, ['--no-browser', '--ip=127.0.0.1', `--port=${port}`, `--NotebookApp.token=${token}`, `--notebook-dir=${dir}`, ...(process.getuid?.() === 0 ? ['--allow-root'] : [])], { env: { ...process.env, ROBUSTLAB_PROFILE: 'smoke', JUPYTER_RUNTIME_DIR: path.join(dir, 'runtime') }, stdio: 'ignore', detached: true });
    procs.push(server);
    await waitFor('the notebook server', async () => ((await getJson(`http://127.0.0.1:${port}/api/status?token=${token}`)) ? true : undefined), 60_000);
    const chrome = spawn(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', `--remote-debugging-port=${cdpPort}`, '--remote-debugging-address=127.0.0.1', `--user-data-dir=${path.join(dir, 'chrome')}`, 'about:blank'], { stdio: 'ignore', detached: true });
    procs.push(chrome);
    const targets = await waitFor('Chromium DevTools', async () => {
      const t = (await getJson(`http://127.0.0.1:${cdpPort}/json/list`)) as { type: string; webSocketDebuggerUrl: string }[];
      return t.find((x) => x.type === 'page') ? t : undefined;
    }, 60_000);
    client = await devtools(targets.find((x) => x.type === 'page')!.webSocketDebuggerUrl);
    const c = client;
    const evaluate = async (expr: string) => ((await c.call('Runtime.evaluate', { expression: expr, returnByValue: true })).result as { value?: unknown } | undefined)?.value;
    await c.call('Page.navigate', { url: `http://127.0.0.1:${port}/notebooks/notebooks/00-tour.ipynb?token=${token}` });
    await waitFor('the robustlab kernel', async () => ((await evaluate('!!(window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel && Jupyter.notebook.kernel.is_connected())')) ? true : undefined), 120_000);
    assert.is(await evaluate('Jupyter.notebook.kernel.name'), 'robustlab-tslab');
    await evaluate('Jupyter.notebook.execute_all_cells()');
    // Done when every code cell has a number (not "*") and the kernel is idle.
    const done = "Jupyter.notebook.get_cells().filter((c) => c.cell_type === 'code').every((c) => typeof c.input_prompt_number === 'number') && !Jupyter.notebook.kernel_busy";
    await waitFor('every cell to run', async () => ((await evaluate(done)) ? true : undefined), 600_000);
    const marks = (await evaluate("document.querySelectorAll('.output_area svg g[class*=\"mark-\"]').length")) as number;
    const errors = (await evaluate("document.querySelectorAll('.output_error').length")) as number;
    const stderr = (await evaluate("Array.from(document.querySelectorAll('.output_stderr')).map((e) => e.textContent).join('\\n')")) as string;
    assert.ok(marks > 0, `no Vega marks in an SVG output (found ${marks})`);
    assert.is(errors, 0, 'error outputs');
    assert.not.match(stderr, /Error|looks like you are running TensorFlow/);
  } finally {
    client?.close();
    for (const p of procs) if (p.pid) try { process.kill(-p.pid, 'SIGTERM'); } catch { /* already gone */ }
    await sleep(500);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
