/**
 * `npm run data -- <dataset> [--dir D] [--train]`: downloads a dataset's official files into the data
 * directory (D, else ROBUSTLAB_DATA, else ./data), verifying checksums. Opt-in; nothing else downloads.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { downloadMnist, mnistTestSet } from '../lib/data/mnist';
import { SOURCES } from '../lib/data/loaders';
import { shapes10 } from '../lib/data/shapes10';
import { subset } from '../lib/data/dataset';
import { encodeNpy } from '../lib/data/npy';
import { CORRUPTIONS, corruptionArrays } from '../lib/data/corruptions/index';

const USAGE = `usage: npm run data -- mnist [--dir D] [--train]
       npm run data -- make-c [--source shapes10|mnist] [--n N] [--seed S] [--only a,b] [--out O]
  mnist   the official MNIST test files (and training files with --train), MD5-verified, into D/mnist
  make-c  a -C set of the first N images (default 1000) of the source: O/<corruption>.npy (5N images,
          severities 1..5 in order, the CIFAR-10-C layout) and O/labels.npy; prints the time per corruption
  D defaults to ROBUSTLAB_DATA, else ./data.
Other datasets cannot be fetched by this script; put them under D by hand:
  cifar-10-batches-bin/  ${SOURCES.cifar10}
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
  if (what === 'make-c') return makeC(argv);
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

main(process.argv.slice(2)).then((code) => process.exit(code));
