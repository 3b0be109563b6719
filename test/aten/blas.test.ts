// The BLAS behind aten's matrix products: engineInfo names it, and a reference BLAS (netlib, ~40 times slower
// than OpenBLAS here) fails a throughput check relative to a oneDNN convolution in the same run.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { atenBuilt, restore, skipReason, useAten } from './common';
import { engineInfo, initEngine } from '../../lib/engine/backend';
import { blasInfo } from '../../lib/engine/aten';
import { loadAddon } from '../../lib/engine/aten/addon';
import { MIN_MATMUL_TO_CONV, matmulVsConv } from './blasProbe';

const test = suite('aten BLAS');

/** A directory holding netlib's libblas.so.3 (Debian's libblas3, or ROBUSTLAB_REFERENCE_BLAS), if any. */
function referenceBlasDir(): string | undefined {
  const dirs = [process.env.ROBUSTLAB_REFERENCE_BLAS, '/usr/lib/x86_64-linux-gnu/blas', '/usr/lib/aarch64-linux-gnu/blas'];
  return dirs.find((d): d is string => !!d && fs.existsSync(path.join(d, 'libblas.so.3')));
}

if (!atenBuilt) {
  console.log(skipReason);
} else {
  test.before(() => useAten(2));
  test.after(restore);

  test('engineInfo names the BLAS, its version and threads; its pool has the engine threads', async () => {
    await initEngine({ backend: 'aten', threads: 2, verbose: false });
    const info = engineInfo();
    const blas = blasInfo(loadAddon());
    assert.ok(info.versions.blas, `versions.blas missing: ${JSON.stringify(info.versions)}`);
    assert.is(info.versions.node, process.versions.node);
    assert.ok(info.notes.some((n) => n.startsWith(`aten: BLAS ${info.versions.blas}`) && n.includes(blas.file)), info.notes.join('\n'));
    if (blas.name === 'OpenBLAS' || blas.name === 'MKL' || blas.name === 'BLIS') assert.is(blas.threads, info.threads);
  });

  test(`matmul throughput is an optimised BLAS's: at least ${MIN_MATMUL_TO_CONV} of a oneDNN conv's GFLOP/s`, () => {
    const before = tf.memory().numTensors;
    const r = matmulVsConv();
    assert.is(tf.memory().numTensors, before, 'numTensors');
    assert.ok(
      r.ratio >= MIN_MATMUL_TO_CONV,
      `matmul ${r.matmul.toFixed(1)} GFLOP/s vs conv ${r.conv.toFixed(1)} GFLOP/s (ratio ${r.ratio.toFixed(2)}): ` +
        `a reference BLAS's (${blasInfo(loadAddon()).file}); install libopenblas0-pthread`,
    );
  });

  const ref = referenceBlasDir();
  if (!ref) {
    console.log('aten BLAS: no reference libblas.so.3 here (Debian libblas3, or ROBUSTLAB_REFERENCE_BLAS=DIR): its detection test skipped');
  } else {
    test('with the reference BLAS loaded, the check above fails, engineInfo says so and warns once with the fix', () => {
      const probe = path.join(__dirname, 'blasProbe.ts');
      const env = { ...process.env, LD_LIBRARY_PATH: [ref, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') };
      const r = spawnSync(process.execPath, ['--import', 'tsx', probe], { encoding: 'utf8', env, cwd: path.join(__dirname, '..', '..') });
      assert.is(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { blas: string; notes: string[]; ratio: number };
      assert.is(out.blas, 'reference');
      assert.ok(out.ratio < MIN_MATMUL_TO_CONV, `reference BLAS ratio ${out.ratio.toFixed(2)} passes the check`);
      const warnings = r.stderr.split('\n').filter((l) => l.includes('reference BLAS'));
      assert.is(warnings.length, 1, r.stderr);
      assert.match(warnings[0], /apt-get install libopenblas0-pthread/);
    });
  }
}

test.run();
