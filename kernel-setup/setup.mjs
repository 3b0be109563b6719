#!/usr/bin/env node
// Registers the tslab kernel spec `robustlab-tslab` pointing at this project's own tslab, for the Jupyter of
// the Python that has jupyter_client + nbclient (Debian's /usr/bin/python3 first). Idempotent; never touches
// another kernel spec. `tslab install` needs IPython, so the kernel.json is written here.
// Usage: node kernel-setup/setup.mjs [--node PATH]   (the Node that runs the kernel; default: the one running
// this script). The spec records that Node's version, so a user with several knows which one notebooks get.
// JUPYTER_DATA_DIR, as Jupyter reads it, moves the spec (the tests use a scratch one per Node version).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const KERNEL_NAME = 'robustlab-tslab';

/** The first Python that can execute notebooks (nbclient + jupyter_client), or undefined. */
export function findPython() {
  // ROBUSTLAB_PYTHON, when set, is the only candidate: a user who names a Python means that one.
  for (const py of process.env.ROBUSTLAB_PYTHON ? [process.env.ROBUSTLAB_PYTHON] : ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', 'import nbclient, nbconvert, jupyter_client, jupyter_core.paths as p; print(p.jupyter_data_dir())'], { encoding: 'utf8' });
    if (r.status === 0) return { python: py, dataDir: r.stdout.trim() };
  }
  return undefined;
}

const DEBIAN = ['jupyter-nbconvert', 'python3-nbclient', 'jupyter-client', 'python3-ipykernel'];
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

/**
 * Installs a Jupyter able to execute notebooks: Debian packages when root with apt, else `pip install --user
 * jupyter nbclient`. Returns the Python that has it, or undefined after printing what to install.
 */
export function ensureJupyter({ install = true, quiet = false } = {}) {
  let found = findPython();
  // A Python named in ROBUSTLAB_PYTHON that lacks Jupyter is the user's to fix; installing into another one would not help.
  if (found || !install || process.env.ROBUSTLAB_PYTHON) return found;
  const log = (s) => quiet || console.log(s);
  if (process.getuid?.() === 0 && has('apt-get')) {
    log(`kernel-setup: installing ${DEBIAN.join(' ')} with apt-get`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...DEBIAN], { stdio: 'inherit', env });
    found = findPython();
  }
  if (!found) {
    for (const py of ['python3', 'python']) {
      if (!has(py)) continue;
      log(`kernel-setup: pip install --user jupyter nbclient (with ${py})`);
      spawnSync(py, ['-m', 'pip', 'install', '--user', '--quiet', 'jupyter', 'nbclient'], { stdio: 'inherit' });
      found = findPython();
      if (found) break;
    }
  }
  return found;
}

/** `node --version` of a Node binary (without the v), or undefined when it does not run. */
function nodeVersion(node) {
  const r = spawnSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * Registers the kernel spec (after {@link ensureJupyter}); returns the Python, the kernel.json path and the
 * kernel's Node, or undefined.
 * @param {{quiet?: boolean, install?: boolean, node?: string}} [opts] node: the Node binary that runs the
 *   kernel (default: process.execPath)
 */
export function setup({ quiet = false, install = true, node = process.execPath } = {}) {
  const nodeBin = path.resolve(node);
  const version = nodeVersion(nodeBin);
  if (!version) {
    console.error(`kernel-setup: --node ${node}: not a Node binary that runs (expected a path such as /usr/bin/node)`);
    return undefined;
  }
  const found = ensureJupyter({ install, quiet });
  if (!found) {
    console.error('kernel-setup: no Python with nbclient, nbconvert and jupyter_client found. Install them: `apt-get install ' + DEBIAN.join(' ') + '` (Debian, as root) or `pip install --user jupyter nbclient`; or set ROBUSTLAB_PYTHON to a Python that has them.');
    return undefined;
  }
  const tslab = path.join(root, 'node_modules', 'tslab', 'bin', 'tslab');
  if (!fs.existsSync(tslab)) {
    console.error('kernel-setup: node_modules/tslab is missing: run `npm ci` first.');
    return undefined;
  }
  // tslab's kernel behind a launcher that orders its socket sends (kernel-setup/kernel.cjs says why).
  const launcher = path.join(root, 'kernel-setup', 'kernel.cjs');
  const dir = path.join(found.dataDir, 'kernels', KERNEL_NAME);
  const spec = {
    argv: [nodeBin, launcher, 'kernel', '--config-path', '{connection_file}'],
    display_name: 'TypeScript (robustlab)',
    language: 'typescript',
    metadata: { robustlab: { root, node: version } },
  };
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'kernel.json');
  const body = JSON.stringify(spec, null, 1);
  if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== body) {
    fs.writeFileSync(`${file}.tmp`, body);
    fs.renameSync(`${file}.tmp`, file);
  }
  if (!quiet) console.log(`kernel-setup: kernel '${KERNEL_NAME}' -> ${file} (Node ${version} at ${nodeBin}; python: ${found.python})`);
  return { ...found, kernelFile: file, node: nodeBin, nodeVersion: version };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--node');
  if (i >= 0 && !process.argv[i + 1]) {
    console.error('kernel-setup: --node needs the path of a Node binary');
    process.exit(1);
  }
  process.exit(setup(i >= 0 ? { node: process.argv[i + 1] } : {}) ? 0 : 1);
}
