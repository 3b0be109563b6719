/**
 * `npm run data -- <dataset> [--dir D] [--train]`: downloads a dataset's official files into the data
 * directory (D, else ROBUSTLAB_DATA, else ./data), verifying checksums. Opt-in; nothing else downloads.
 * `npm run data -- make-c --source cifar10` writes the CIFAR-10-C layout from CIFAR-10's test set.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { downloadMnist, mnistTestSet } from '../lib/data/mnist';
import { SOURCES } from '../lib/data/loaders';
import { shapes10 } from '../lib/data/shapes10';
import { subset } from '../lib/data/dataset';
import { encodeNpy } from '../lib/data/npy';
import { CORRUPTIONS, corruptionArrays } from '../lib/data/corruptions/index';
import { cifar10 } from '../lib/data/cifar10';
import { cacheDir } from '../lib/data/cache';
import { downloadCifar10 } from '../lib/data/download';
import { makeCorruptedSet } from '../lib/data/makeC';

const USAGE = `usage: npm run data -- mnist [--dir D] [--train]
       npm run data -- cifar10 [--dir D] [--url U]
       npm run data -- make-c [--source shapes10|mnist|cifar10] [--n N] [--seed S] [--only a,b] [--out O] [--threads T]
  mnist   the official MNIST test files (and training files with --train), MD5-verified, into D/mnist
  cifar10 the official binary archive (MD5-verified, resumable), unpacked to D/cifar-10-batches-bin
  make-c  a -C set of the first N images (default 1000; cifar10: all 10,000 test images unless --n) of the
          source: O/<corruption>.npy (5N images, severities 1..5 in order, the CIFAR-10-C layout) and
          O/labels.npy; prints the time per corruption. For cifar10 it runs on T worker threads (default:
          the cores), O defaults to <cache dir>/CIFAR-10-C-generated (where cifar10c() looks when the
          published CIFAR-10-C is absent), and corruptions already made from the same images are skipped.
  D defaults to ROBUSTLAB_DATA, else ./data.
Other datasets cannot be fetched by this script; put them under D by hand:
  stl10_binary/          ${SOURCES.stl10}
  CIFAR-10-C/            ${SOURCES.cifar10c}
  frost/                 frost1.png .. frost6.jpg from hendrycks/robustness ImageNet-C/create_c`;

async function main(argv: string[]): Promise<number> {
  const what = argv.find((a) => !a.startsWith('--') && argv[argv.indexOf(a) - 1] !== '--dir');
  const di = argv.indexOf('--dir');
  const dir = di >= 0 ? argv[di + 1] : (process.env.ROBUSTLAB_DATA ?? 'data');
  if (!what || argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return what ? 0 : 1;
  }
  if (what === 'make-c') return opt(argv, '--source', 'shapes10') === 'cifar10' ? makeCifar10C(argv) : makeC(argv);
  if (what === 'cifar10') {
    try {
      const tty = process.stderr.isTTY;
      await downloadCifar10(dir, {
        url: argv.includes('--url') ? opt(argv, '--url', '') : undefined,
        progress: (l) => process.stderr.write(tty ? `\r${l}` : `${l}\n`),
        log: (l) => console.log(`${tty ? '\n' : ''}${l}`),
      });
      return 0;
    } catch (e) {
      console.error(`\n${(e as Error).message}`);
      return 1;
    }
  }
  if (what !== 'mnist') {
    console.error(`data: unknown dataset ${JSON.stringify(what)}\n${USAGE}`);
    return 1;
  }
  try {
    await downloadMnist(dir, { train: argv.includes('--train'), log: (l) => console.log(l) });
    return 0;
  } catch (e) {
    console.error((e as Error).message);
    return 1;
  }
}

function opt(argv: string[], name: string, def: string): string {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : def;
}

function makeC(argv: string[]): number {
  const n = Number(opt(argv, '--n', '1000'));
  const seed = Number(opt(argv, '--seed', '0'));
  const source = opt(argv, '--source', 'shapes10');
  const only = opt(argv, '--only', '');
  const out = opt(argv, '--out', '');
  const ds = source === 'mnist' ? subset(mnistTestSet(), Array.from({ length: n }, (_, i) => i)) : shapes10({ n, seed });
  const names = only ? only.split(',') : CORRUPTIONS.map((c) => c.name);
  if (out) fs.mkdirSync(out, { recursive: true });
  let total = 0;
  for (const name of names) {
    const t0 = performance.now();
    const { images, labels, shape } = corruptionArrays(ds, name, seed);
    const ms = performance.now() - t0;
    total += ms;
    console.log(`${name.padEnd(18)} ${(ms / 1000).toFixed(2)} s for ${n} images x 5 severities`);
    if (out) {
      fs.writeFileSync(path.join(out, `${name}.npy`), encodeNpy(images, shape));
      fs.writeFileSync(path.join(out, 'labels.npy'), encodeNpy(labels, [labels.length]));
    }
  }
  console.log(`total ${(total / 1000).toFixed(1)} s for ${names.length} corruptions x 5 severities of ${n} ${ds.shape.slice(1).join('x')} images`);
  return 0;
}

async function makeCifar10C(argv: string[]): Promise<number> {
  const seed = Number(opt(argv, '--seed', '0'));
  const only = opt(argv, '--only', '');
  const out = opt(argv, '--out', path.join(cacheDir(), 'CIFAR-10-C-generated'));
  const threads = argv.includes('--threads') ? Number(opt(argv, '--threads', '2')) : undefined;
  try {
    const all = cifar10({ split: 'test', dir: argv.includes('--dir') ? opt(argv, '--dir', '') : undefined });
    const n = Number(opt(argv, '--n', String(all.shape[0])));
    const ds = n < all.shape[0] ? subset(all, Array.from({ length: n }, (_, i) => i)) : all;
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'source.txt'), `${all.source} (${ds.shape[0]} CIFAR-10 test images)\n`);
    const r = await makeCorruptedSet(ds, out, { corruptions: only ? only.split(',') : undefined, seed, threads, log: (l) => console.log(l) });
    console.log(`total ${r.total.toFixed(1)} s (wall) for ${only ? only.split(',').length : CORRUPTIONS.length} corruptions x 5 severities of ${ds.shape[0]} CIFAR-10 test images (${all.source}) into ${out}`);
    return 0;
  } catch (e) {
    console.error((e as Error).message);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
