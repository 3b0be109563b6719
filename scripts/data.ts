/**
 * `npm run data -- <dataset> [--dir D] [--train]`: downloads a dataset's official files into the data
 * directory (D, else ROBUSTLAB_DATA, else ./data), verifying checksums. Opt-in; nothing else downloads.
 */
import { downloadMnist } from '../lib/data/mnist';
import { SOURCES } from '../lib/data/loaders';

const USAGE = `usage: npm run data -- mnist [--dir D] [--train]
  mnist   the official MNIST test files (and training files with --train), MD5-verified, into D/mnist
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

main(process.argv.slice(2)).then((code) => process.exit(code));
