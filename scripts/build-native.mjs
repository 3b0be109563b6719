#!/usr/bin/env node
// Builds the native `aten` addon (native/aten.cc -> native/build/aten.node) against the first libtorch found:
//   1. LIBTORCH=/path/to/libtorch (an unpacked libtorch zip: include/ and lib/),
//   2. Debian's libtorch-dev (headers under /usr/include, libraries in the multiarch lib directory),
//   3. the `torch` package of a Python on PATH (python3, python; its bundled include/ and lib/).
// It runs as the package's `install` script, so it never fails `npm install`/`npm ci`: when no libtorch is
// found or the compiler fails it prints one line saying how to enable the backend and exits 0.
// One g++ call instead of node-gyp: node-gyp would download Node's headers, which offline machines cannot.
// Usage: node scripts/build-native.mjs [--force] [--quiet]   (ROBUSTLAB_NATIVE=0 skips the build)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'native', 'aten.cc');
const outDir = path.join(root, 'native', 'build');
const out = path.join(outDir, 'aten.node');
const logFile = path.join(outDir, 'build.log');
const force = process.argv.includes('--force');
const quiet = process.argv.includes('--quiet');
const howTo =
  'install libtorch (apt-get install libtorch-dev, or pip install torch, or set LIBTORCH=/path/to/libtorch), then run npm run build:native';

const say = (line) => console.log(`robustlab: ${line}`);
const exists = (p) => {
  try {
    fs.accessSync(p);
    return true;
  } catch {
    return false;
  }
};

/** A libtorch candidate: include dirs, library dir, C++ ABI flag (null: compiler default), where it came from. */
function fromRoot(dir, origin, abi) {
  const inc = path.join(dir, 'include');
  const lib = path.join(dir, 'lib');
  if (!exists(path.join(inc, 'ATen', 'ATen.h')) || !exists(path.join(lib, 'libc10.so'))) return null;
  return { origin, includes: [inc, path.join(inc, 'torch', 'csrc', 'api', 'include')], lib, abi };
}

function libtorchAbi(dir) {
  // An unpacked libtorch records its ABI in its CMake config.
  for (const f of ['share/cmake/Torch/TorchConfig.cmake', 'share/cmake/Caffe2/Caffe2Targets.cmake']) {
    try {
      const m = fs.readFileSync(path.join(dir, f), 'utf8').match(/_GLIBCXX_USE_CXX11_ABI=([01])/);
      if (m) return m[1];
    } catch {}
  }
  return null;
}

function findDebian() {
  if (!exists('/usr/include/ATen/ATen.h') || !exists('/usr/include/torch/csrc/api/include/torch/version.h')) return null;
  const arch = spawnSync('dpkg-architecture', ['-qDEB_HOST_MULTIARCH'], { encoding: 'utf8' }).stdout?.trim();
  for (const lib of [arch && `/usr/lib/${arch}`, '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib']) {
    if (lib && exists(path.join(lib, 'libtorch_cpu.so')) && exists(path.join(lib, 'libc10.so')))
      return { origin: 'Debian libtorch-dev', includes: ['/usr/include', '/usr/include/torch/csrc/api/include'], lib, abi: null };
  }
  return null;
}

function findPython() {
  const code =
    'import torch, os; print(os.path.dirname(torch.__file__)); print(int(torch._C._GLIBCXX_USE_CXX11_ABI)); print(torch.__version__)';
  for (const py of [process.env.PYTHON, 'python3', 'python'].filter(Boolean)) {
    const r = spawnSync(py, ['-c', code], { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) continue;
    const [dir, abi, version] = r.stdout.trim().split('\n');
    const c = fromRoot(dir, `torch ${version} of ${py}`, abi);
    if (c) return c;
  }
  return null;
}

function findLibtorch() {
  if (process.env.LIBTORCH) {
    const c = fromRoot(process.env.LIBTORCH, `LIBTORCH=${process.env.LIBTORCH}`, libtorchAbi(process.env.LIBTORCH));
    if (!c) say(`LIBTORCH=${process.env.LIBTORCH} has no include/ATen/ATen.h and lib/libc10.so; looking elsewhere`);
    else return c;
  }
  return findDebian() ?? findPython();
}

function nodeIncludes() {
  const require = createRequire(import.meta.url);
  const candidates = [
    process.env.NODE_INCLUDE,
    path.resolve(path.dirname(process.execPath), '..', 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ].filter(Boolean);
  const nodeInc = candidates.find((d) => exists(path.join(d, 'node_api.h')));
  if (!nodeInc) return null;
  let napi;
  try {
    napi = String(require('node-addon-api').include_dir ?? '').replace(/"/g, '');
    if (!path.isAbsolute(napi)) napi = path.join(root, napi);
  } catch {
    return null;
  }
  return exists(path.join(napi, 'napi.h')) ? [nodeInc, napi] : null;
}

function main() {
  if (process.env.ROBUSTLAB_NATIVE === '0') return say('ROBUSTLAB_NATIVE=0: aten addon not built');
  const torch = findLibtorch();
  if (!torch) return say(`aten backend not built: no libtorch found; to enable it, ${howTo}`);
  const node = nodeIncludes();
  if (!node) return say(`aten backend not built: Node's N-API headers (node_api.h) or node-addon-api not found; set NODE_INCLUDE to Node's include/node and run npm run build:native`);
  const cxx = process.env.CXX || 'g++';
  const stamp = path.join(outDir, 'config.json');
  const config = JSON.stringify({ ...torch, node, cxx });
  const upToDate =
    !force && exists(out) && fs.statSync(out).mtimeMs > fs.statSync(src).mtimeMs && exists(stamp) && fs.readFileSync(stamp, 'utf8') === config;
  if (upToDate) return quiet || say(`aten addon up to date (${torch.origin})`);
  fs.mkdirSync(outDir, { recursive: true });
  const libs = ['torch', 'torch_cpu', 'c10'];
  // A CUDA build of torch registers its CUDA kernels from libtorch_cuda; link it so that device 'cuda' can work.
  for (const extra of ['torch_cuda', 'c10_cuda']) if (exists(path.join(torch.lib, `lib${extra}.so`))) libs.push(extra);
  const args = [
    '-O3', '-std=c++17', '-ffp-contract=off', '-fPIC', '-shared', '-fvisibility=hidden', '-fexceptions',
    '-DNAPI_VERSION=8', '-DNAPI_CPP_EXCEPTIONS', '-DNODE_ADDON_API_DISABLE_DEPRECATED',
    ...(torch.abi !== null ? [`-D_GLIBCXX_USE_CXX11_ABI=${torch.abi}`] : []),
    // The compiler's own system directories stay out: naming them again breaks libstdc++'s #include_next.
    ...[...node, ...torch.includes].filter((d) => d !== '/usr/include' && d !== '/usr/local/include').flatMap((d) => ['-isystem', d]),
    src, '-o', out + '.tmp',
    `-L${torch.lib}`, `-Wl,-rpath,${torch.lib}`, '-Wl,--no-as-needed', ...libs.map((l) => `-l${l}`), '-Wl,--as-needed',
  ];
  if (!quiet) say(`building the aten addon against ${torch.origin} (one C++ file, about a minute) ...`);
  const t0 = Date.now();
  const r = spawnSync(cxx, args, { encoding: 'utf8' });
  fs.writeFileSync(logFile, `${cxx} ${args.join(' ')}\n${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}\n`);
  if (r.status !== 0) {
    return say(`aten backend not built: ${cxx} failed against ${torch.origin} (log: ${path.relative(root, logFile)}); fix it or ${howTo}`);
  }
  fs.renameSync(out + '.tmp', out);
  fs.writeFileSync(stamp, config);
  say(`aten addon built in ${((Date.now() - t0) / 1000).toFixed(0)} s against ${torch.origin}: ${path.relative(root, out)}`);
}

try {
  main();
} catch (e) {
  say(`aten backend not built: ${e?.message ?? e}; ${howTo}`);
}
process.exit(0);
