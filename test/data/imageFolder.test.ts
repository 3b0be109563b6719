// ImageNet-style folders and ImageNet-C (issues 18, 20): tiny trees in a temp dir, PNG (lossless, so pixels
// can be checked exactly) and one JPEG fixture whose libjpeg pixels are known.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { encodePng, readImage } from '../../lib/data/image';
import { imageFolder, listImageFolder, imageFolderClasses, IMAGE_FOLDER_MAX_BYTES } from '../../lib/data/imageFolder';
import { imagenetC, imagenetCListing, imagenetCSets } from '../../lib/data/imagenetC';
import { resizedSize, centreCrop } from '../../lib/data/resize';
import { decodeImages } from '../../lib/data/decodePool';
import { loadData, provenanceLine } from '../../lib/notebook/provenance';
import { corruptionPredictions } from '../../lib/notebook/classwise';
import type { Classifier } from '../../lib/models/classifier';
import * as rl from '../../lib/index';
import { engine } from '../helpers/setup';

test.before(engine);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'robustlab-imagefolder-'));
const fixtures = path.join(__dirname, 'fixtures');

/** A PNG of `w` x `h` whose pixel (row r, column c, channel ch) is `f(r, c, ch)`. */
const png = (w: number, h: number, f: (r: number, c: number, ch: number) => number) =>
  encodePng({ width: w, height: h, data: Uint8Array.from({ length: w * h * 3 }, (_, i) => f(Math.floor(i / 3 / w), Math.floor(i / 3) % w, i % 3)) });
/** A flat PNG: red `v`, green `g`, blue 7. */
const flat = (w: number, h: number, v: number, g = 0) => png(w, h, (_r, _c, ch) => (ch === 0 ? v : ch === 1 ? g : 7));

function put(file: string, bytes: Buffer | Uint8Array): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, bytes);
  return file;
}

const px = (ds: { x: Uint8Array; shape: number[] }, i: number, r: number, c: number, ch: number) => ds.x[((i * ds.shape[1] + r) * ds.shape[2] + c) * 3 + ch];

test('resize then centre crop: a 8x4 image, shorter side to 2, crop 2x2, against bilinear values by hand', () => {
  // red channel; green 100 and blue 7 everywhere (so a channel mix-up shows)
  const red = [
    [0, 10, 20, 30, 40, 50, 60, 70],
    [5, 15, 200, 101, 45, 56, 65, 75],
    [9, 9, 9, 9, 9, 9, 9, 9],
    [250, 240, 230, 220, 210, 200, 190, 180],
  ];
  const d = path.join(tmp, 'hand1');
  put(path.join(d, 'a', 'x.png'), png(8, 4, (r, c, ch) => (ch === 0 ? red[r][c] : ch === 1 ? 100 : 7)));
  const ds = imageFolder({ dir: d, size: 2, resize: 2 });
  assert.equal(ds.shape, [1, 2, 2, 3]);
  // 8x4 -> 4x2 (scale 2 on both axes): output (i, j) samples input (2i + 0.5, 2j + 0.5), the mean of a 2x2
  // block; the crop keeps columns 1..2 of 4 (left = round((4 - 2) / 2) = 1), i.e. input columns 2..5
  //   (0,0): (20 + 30 + 200 + 101) / 4 = 87.75 -> 88     (0,1): (40 + 50 + 45 + 56) / 4 = 47.75 -> 48
  //   (1,0): (9 + 9 + 230 + 220) / 4 = 117               (1,1): (9 + 9 + 210 + 200) / 4 = 107
  assert.equal([px(ds, 0, 0, 0, 0), px(ds, 0, 0, 1, 0), px(ds, 0, 1, 0, 0), px(ds, 0, 1, 1, 0)], [88, 48, 117, 107]);
  for (let i = 0; i < 4; i++) assert.equal([ds.x[3 * i + 1], ds.x[3 * i + 2]], [100, 7]);
});

test('resize then centre crop: a 5x3 image, uneven scales and the half-to-even crop offset', () => {
  const red = [
    [0, 30, 60, 90, 120],
    [93, 60, 32, 0, 210],
    [255, 0, 255, 0, 255],
  ];
  const d = path.join(tmp, 'hand2');
  put(path.join(d, 'a', 'x.png'), png(5, 3, (r, c, ch) => (ch === 0 ? red[r][c] : 9)));
  assert.equal(resizedSize(5, 3, 2), { width: 3, height: 2 }); // floor(2 * 5 / 3) = 3, as torchvision's int()
  const ds = imageFolder({ dir: d, size: 2, resize: 2 });
  // rows: scale 1.5, output 0 reads row 0.25 (rows 0, 1 at weight 0.75, 0.25), output 1 row 1.75 (rows 1, 2
  // at 0.25, 0.75); columns: scale 5/3, output 0 reads column 1/3 (0, 1 at 2/3, 1/3), output 1 column 2.
  // The crop's left offset is round((3 - 2) / 2) = round(0.5) = 0 (Python rounds halves to even).
  //   (0,0): row 0: 2/3 * 0 + 1/3 * 30 = 10; row 1: 2/3 * 93 + 1/3 * 60 = 82; 10 + 0.25 * (82 - 10) = 28
  //   (0,1): 60 + 0.25 * (32 - 60) = 53
  //   (1,0): row 1: 82; row 2: 2/3 * 255 + 1/3 * 0 = 170; 82 + 0.75 * (170 - 82) = 148
  //   (1,1): 32 + 0.75 * (255 - 32) = 199.25 -> 199
  assert.equal([px(ds, 0, 0, 0, 0), px(ds, 0, 0, 1, 0), px(ds, 0, 1, 0, 0), px(ds, 0, 1, 1, 0)], [28, 53, 148, 199]);
  // upscaling clamps at the borders: a 1x1 image becomes a flat 2x2
  const up = path.join(tmp, 'up');
  put(path.join(up, 'a', 'x.png'), flat(1, 1, 77));
  assert.equal(Array.from(imageFolder({ dir: up, size: 2, resize: 2 }).x), [77, 0, 7, 77, 0, 7, 77, 0, 7, 77, 0, 7]);
});

test('a JPEG goes through the exact decoder: the 13x9 fixture at resize 9 is its libjpeg pixels, cropped', () => {
  const d = path.join(tmp, 'jpeg');
  put(path.join(d, 'j', 'photo.JPEG'), fs.readFileSync(path.join(fixtures, 'j420-13x9.jpg')));
  const rgb = fs.readFileSync(path.join(fixtures, 'j420-13x9.rgb'));
  const img = readImage(path.join(d, 'j', 'photo.JPEG'));
  assert.equal([img.width, img.height], [13, 9]);
  const ds = imageFolder({ dir: d, size: 9, resize: 9 });
  // shorter side already 9: no resampling; the crop starts at column round((13 - 9) / 2) = 2
  const want: number[] = [];
  for (let r = 0; r < 9; r++) for (let c = 2; c < 11; c++) for (let ch = 0; ch < 3; ch++) want.push(rgb[(r * 13 + c) * 3 + ch]);
  assert.equal(Array.from(ds.x), want);
});

test('class indexing: sorted class folders by code point, names from LOC_synset_mapping.txt, mixed sizes to one shape', () => {
  const root = path.join(tmp, 'inet');
  const d = path.join(root, 'train');
  // created out of order; code-point order is B < a < n01 < n02 (an upper-case name sorts first)
  const classes = ['n02', 'a', 'n01', 'B'];
  const sizes = [[6, 4], [5, 9], [8, 8], [4, 4]];
  classes.forEach((c, i) => {
    put(path.join(d, c, `img1.png`), flat(sizes[i][0], sizes[i][1], 10 + i));
    put(path.join(d, c, `img0.PNG`), flat(sizes[(i + 1) % 4][0], sizes[(i + 1) % 4][1], 10 + i, 1));
  });
  put(path.join(d, 'a', 'readme.txt'), Buffer.from('not an image'));
  fs.mkdirSync(path.join(d, '.hidden'), { recursive: true });
  put(path.join(root, 'LOC_synset_mapping.txt'), Buffer.from('n01 tench, Tinca tinca\nn02 goldfish, Carassius auratus\n'));
  assert.equal(imageFolderClasses(d), ['B', 'a', 'n01', 'n02']);
  const ds = imageFolder({ dir: root, split: 'train', size: 4, resize: 4 });
  assert.is(ds.name, 'inet-train');
  assert.equal(ds.shape, [8, 4, 4, 3]);
  assert.is(ds.numClasses, 4);
  assert.equal(ds.classNames, ['B', 'a', 'tench', 'goldfish']);
  // interleaved: image 0 of every class, then image 1; within a class by name (img0.PNG < img1.png)
  assert.equal(Array.from(ds.y), [0, 1, 2, 3, 0, 1, 2, 3]);
  const label = ['B', 'a', 'n01', 'n02'];
  for (let i = 0; i < 8; i++) {
    assert.is(ds.x[i * 48], 10 + classes.indexOf(label[ds.y[i]]), `image ${i}'s red byte is its class's`);
    assert.is(ds.x[i * 48 + 1], i < 4 ? 1 : 0, `image ${i} is ${i < 4 ? 'img0' : 'img1'}`);
  }
  // the listing says which file each example is
  const l = listImageFolder({ dir: d });
  assert.equal(l.classes, ['B', 'a', 'n01', 'n02']);
  assert.equal(l.files.slice(0, 2), [{ path: 'B/img0.PNG', label: 0 }, { path: 'a/img0.PNG', label: 1 }]);
  // the public index's imageFolder takes both forms; a path string is the older same-size loader
  assert.equal(rl.imageFolder({ dir: d, size: 4, resize: 4 }).y, ds.y);
  assert.throws(() => rl.imageFolder(d), /expected \d+x\d+ like/);
});

test('perClass: a balanced seeded pick before decoding, the same files of a class whatever other classes are loaded', () => {
  const d = path.join(tmp, 'pick');
  ['c0', 'c1', 'c2'].forEach((c, k) => {
    for (let j = 0; j < (k === 2 ? 2 : 7); j++) put(path.join(d, c, `f${j}.png`), flat(3, 3, 20 * k + j));
  });
  const pick = (seed: number, classes?: string[]) => listImageFolder({ dir: d, perClass: 3, seed, classes }).files;
  const a = pick(0);
  const count = (files: { label: number }[], k: number) => files.filter((f) => f.label === k).length;
  assert.equal([count(a, 0), count(a, 1), count(a, 2)], [3, 3, 2]); // c2 has only 2
  assert.equal(a, pick(0), 'the same seed picks the same files');
  assert.not.equal(a.map((f) => f.path), pick(1).map((f) => f.path), 'another seed picks others');
  const c1 = a.filter((f) => f.label === 1).map((f) => f.path);
  assert.equal(c1, [...c1].sort(), 'a class keeps its files in name order');
  assert.equal(pick(0, ['c1']).map((f) => f.path), c1, 'loading c1 alone picks the same files of c1');
  assert.equal(pick(0, ['c1']).map((f) => f.label), [0, 0, 0], 'and labels it 0 of 1');
  assert.equal(a.map((f) => f.label), [0, 1, 2, 0, 1, 2, 0, 1]);
  // the decoded images are the listed files
  const ds = imageFolder({ dir: d, perClass: 3, size: 3, resize: 3 });
  assert.equal(Array.from({ length: ds.shape[0] }, (_, i) => ds.x[i * 27]), a.map((f) => 20 * f.label + Number(/f(\d)/.exec(f.path)![1])));
  // without perClass every file
  assert.is(listImageFolder({ dir: d }).files.length, 16);
});

test('memory guard: an estimate over maxBytes is refused before decoding, naming perClass', () => {
  const d = path.join(tmp, 'big');
  put(path.join(d, 'a', 'x.png'), flat(4, 4, 1));
  put(path.join(d, 'a', 'y.png'), Buffer.from('not a png at all')); // decoding would fail on this one
  const err = (() => {
    try {
      imageFolder({ dir: d, size: 4, resize: 4, maxBytes: 95 });
    } catch (e) {
      return (e as Error).message;
    }
    return '';
  })();
  assert.match(err, /2 images at 4x4x3 need 96 bytes \(0.00 GiB\), over the cap of 95 bytes \(maxBytes\).*perClass/);
  assert.throws(() => imageFolder({ dir: d, size: 4, resize: 4, maxBytes: IMAGE_FOLDER_MAX_BYTES + 1 }), /maxBytes: must be at most 4294967296/);
  // 2 x 4 x 4 x 3 = 96 bytes fits in 96, and then the bad file is met and named
  assert.throws(() => imageFolder({ dir: d, size: 4, resize: 4, maxBytes: 96 }), /y\.png: neither a PNG nor a JPEG/);
  // perClass 1 fits in 48 bytes (the bad file replaced, whichever the pick takes)
  put(path.join(d, 'a', 'y.png'), flat(4, 4, 2));
  assert.is(imageFolder({ dir: d, size: 4, resize: 4, maxBytes: 48, perClass: 1, seed: 0 }).shape[0], 1);
});

test('errors name the argument or the file: missing dir, no class folders, empty class, bad image, options', () => {
  const missing = path.join(tmp, 'nothing-here');
  assert.throws(() => imageFolder({ dir: missing }), /dir: .*nothing-here is not a directory/);
  const flatDir = path.join(tmp, 'flatval');
  put(path.join(flatDir, 'ILSVRC2012_val_00000001.JPEG'), flat(2, 2, 1));
  assert.throws(() => imageFolder({ dir: flatDir }), /flatval: no class folders.*valprep/);
  assert.throws(() => imageFolder({ dir: path.join(tmp, 'inet'), split: 'val' }), /split: .*val is not a directory/);
  const empty = path.join(tmp, 'emptyclass');
  put(path.join(empty, 'full', 'a.png'), flat(2, 2, 1));
  put(path.join(empty, 'hollow', 'notes.txt'), Buffer.from('x'));
  assert.throws(() => imageFolder({ dir: empty, size: 2, resize: 2 }), /hollow: class folder has no images/);
  const bad = path.join(tmp, 'badimage');
  const good = flat(4, 4, 3);
  put(path.join(bad, 'k', 'ok.png'), good);
  put(path.join(bad, 'k', 'cut.png'), good.subarray(0, good.length - 20));
  assert.throws(() => imageFolder({ dir: bad, size: 2, resize: 2 }), /cut\.png: could not decode the PNG image/);
  const ok = path.join(tmp, 'hand1');
  assert.throws(() => imageFolder({ dir: ok, size: 4, resize: 3 }), /resize: must be an integer >= size \(4\), got 3/);
  assert.throws(() => imageFolder({ dir: ok, size: 0 }), /size: must be an integer >= 1/);
  assert.throws(() => imageFolder({ dir: ok, perClass: 0 }), /perClass: must be an integer >= 1, got 0/);
  assert.throws(() => imageFolder({ dir: ok, classes: ['a', 'zzz'] }), /classes: no class folder "zzz"/);
  assert.throws(() => centreCrop({ width: 3, height: 5, data: new Uint8Array(45) }, 4, 'tiny.png'), /tiny\.png: is 3x5, smaller than the 4x4 crop/);
});

/** ImageNet-C: `<root>/<corruption>/<severity>/<class>/<file>`; red byte = 100 * severity + 10 * class + file. */
function writeC(root: string, entries: [string, number[]][], classes: string[], files: string[]): void {
  for (const [c, sevs] of entries)
    for (const s of sevs)
      classes.forEach((k, ki) => files.forEach((f, fi) => put(path.join(root, c, String(s), k, f), flat(6, 6, 100 * (s - 1) + 10 * ki + fi))));
}

test('ImageNet-C: listing in ImageNet-C order, class matching by folder name, the clean files in the clean order', () => {
  const clean = path.join(tmp, 'clean-val');
  for (const k of ['b', 'c', 'd']) for (const f of ['v1.JPEG', 'v2.JPEG', 'v3.JPEG']) put(path.join(clean, k, f), flat(6, 6, 1));
  const cleanList = listImageFolder({ dir: clean, perClass: 2, seed: 5 });
  const root = path.join(tmp, 'imagenet-c');
  // the -C set also holds a class 'a' the clean set lacks; it sorts first, so its own indices would differ
  writeC(root, [['fog', [3, 1]], ['gaussian_noise', [2]], ['zz_custom', [1]]], ['a', 'b', 'c', 'd'], ['v1.JPEG', 'v2.JPEG', 'v3.JPEG']);
  fs.mkdirSync(path.join(root, 'no_severities', 'x'), { recursive: true });
  fs.mkdirSync(path.join(root, 'fog', '7'), { recursive: true });
  assert.equal(imagenetCListing(root), [
    { corruption: 'gaussian_noise', family: 'noise', severities: [2] },
    { corruption: 'fog', family: 'weather', severities: [1, 3] },
    { corruption: 'zz_custom', family: undefined, severities: [1] },
  ]);
  // with the clean listing: the same files, order and labels; the pixels are the -C copies
  const fog3 = imagenetC({ dir: root, corruption: 'fog', severity: 3, like: cleanList, size: 6 });
  assert.equal(Array.from(fog3.y), cleanList.files.map((f) => f.label));
  const cIndex = (p: string) => ['a', 'b', 'c', 'd'].indexOf(p.split('/')[0]);
  const fIndex = (p: string) => Number(/v(\d)/.exec(p)![1]) - 1;
  assert.equal(Array.from({ length: fog3.shape[0] }, (_, i) => fog3.x[i * 108]), cleanList.files.map((f) => 200 + 10 * cIndex(f.path) + fIndex(f.path)));
  assert.equal(fog3.classNames, ['b', 'c', 'd']);
  assert.is(fog3.numClasses, 3);
  // with the classes only: every file of the clean classes, labelled by the clean indices ('a' left out)
  const own = imagenetC({ dir: root, corruption: 'gaussian_noise', severity: 2, like: { classes: ['b', 'c', 'd'] }, size: 6 });
  assert.equal(Array.from(own.y), [0, 1, 2, 0, 1, 2, 0, 1, 2]);
  assert.equal(Array.from({ length: 3 }, (_, i) => own.x[i * 108]), [110, 120, 130]);
  // without a match: its own sorted classes, 'a' first
  assert.equal(imagenetC({ dir: root, corruption: 'fog', severity: 1, size: 6 }).classNames, ['a', 'b', 'c', 'd']);
  // larger images are centre-cropped, not resized: a 6x5 image to 4x4 keeps rows 0..3 (round(0.5) = 0) and
  // columns 1..4
  const big = path.join(tmp, 'imagenet-c-big');
  put(path.join(big, 'fog', '1', 'k', 'p.png'), png(6, 5, (r, c, ch) => 40 * r + 6 * c + ch));
  const crop = imagenetC({ dir: big, corruption: 'fog', severity: 1, size: 4 });
  assert.equal(crop.shape, [1, 4, 4, 3]);
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) assert.is(px(crop, 0, r, c, 1), 40 * r + 6 * (c + 1) + 1);
  // the sets, shaped as corruptedSets' items, in the listing's order
  const sets = [...imagenetCSets({ dir: root, like: cleanList, size: 6 })];
  assert.equal(sets.map((s) => [s.corruption, s.family, s.severity]), [['gaussian_noise', 'noise', 2], ['fog', 'weather', 1], ['fog', 'weather', 3], ['zz_custom', undefined, 1]]);
  assert.equal(Array.from(sets[2].data.x), Array.from(fog3.x));
  assert.equal([...imagenetCSets({ dir: root, like: cleanList, size: 6, corruptions: ['fog'], severities: [3] })].length, 1);
});

test('ImageNet-C errors: a missing class or file named, severity outside 1..5, absent corruption or severity', () => {
  const root = path.join(tmp, 'imagenet-c-bad');
  writeC(root, [['fog', [1, 2]]], ['b', 'c'], ['v1.JPEG']);
  assert.throws(() => imagenetC({ dir: root, corruption: 'fog', severity: 1, like: { classes: ['b', 'c', 'd'] }, size: 6 }), /fog.1: no folder for class "d"/);
  const like = { classes: ['b', 'c'], files: [{ path: 'b/v1.JPEG', label: 0 }, { path: 'c/v9.JPEG', label: 1 }] };
  assert.throws(() => imagenetC({ dir: root, corruption: 'fog', severity: 1, like, size: 6 }), /c.v9\.JPEG: missing; the clean set's image c\/v9\.JPEG/);
  for (const s of [0, 6, 2.5]) assert.throws(() => imagenetC({ dir: root, corruption: 'fog', severity: s }), /severity: must be one of 1, 2, 3, 4, 5/);
  assert.throws(() => imagenetC({ dir: root, corruption: 'snow', severity: 1 }), /corruption: must be one of "fog", got "snow"/);
  assert.throws(() => imagenetC({ dir: root, corruption: 'fog', severity: 4 }), /fog.4: severity folder missing \(this corruption has 1, 2\)/);
  assert.throws(() => imagenetCSets({ dir: root, corruptions: ['fog', 'snow'] }).next(), /corruption: must be one of "fog", got "snow"/);
  assert.throws(() => imagenetCSets({ dir: root, severities: [2, 5] }).next(), /fog.5: severity folder missing/);
  assert.throws(() => imagenetCSets({ dir: root, severities: [9] }).next(), /severity: must be one of 1, 2, 3, 4, 5, got 9/);
  assert.throws(() => imagenetC({ dir: root, corruption: 'fog', severity: 1, size: 7 }), /v1\.JPEG: is 6x6, smaller than the 7x7 crop/);
  assert.throws(() => imagenetCListing(path.join(tmp, 'no-c')), /dir: .*no-c is not a directory/);
  const hollow = path.join(tmp, 'c-hollow');
  fs.mkdirSync(path.join(hollow, 'fog', 'x'), { recursive: true });
  assert.throws(() => imagenetCListing(hollow), /c-hollow: no corruption folders/);
});

test('decoding threads resize and crop as this thread does', () => {
  const d = path.join(tmp, 'pool');
  const files = [put(path.join(d, '0.png'), png(8, 4, (r, c, ch) => (r * 8 + c) * 7 + ch)), put(path.join(d, '1.png'), png(5, 7, (r, c) => r * 30 + c))];
  const list = Array.from({ length: 1200 }, (_, i) => files[i % 2]);
  const fit = { size: 3, resize: 4 };
  const two = decodeImages(list, 3, 3, 2, fit);
  const one = decodeImages(list.slice(0, 2), 3, 3, 1, fit);
  assert.equal(Array.from(two.subarray(0, 54)), Array.from(one));
  assert.equal(Array.from(two.subarray(1199 * 27)), Array.from(one.subarray(27)));
});

test("loadData: 'imagenet' reads imagenet/{train,val} and matches ImageNet-C to the test images; absent, it falls back", () => {
  const data = path.join(tmp, 'datadir');
  const wnids = ['n01', 'n02', 'n03', 'n04'];
  for (const [split, n] of [['train', 4], ['val', 3]] as const)
    wnids.forEach((w, k) => {
      for (let j = 0; j < n; j++) put(path.join(data, 'imagenet', split, w, `${split}_${j}.JPEG`), flat(9, 8, 10 * k + j));
    });
  const opts = { trainPerClass: 2, testPerClass: 2, classEvery: 2, size: 4, resize: 5 };
  const noC = loadData(['imagenet', 'shapes10'], { paperDataset: 'ImageNet (ILSVRC-2012)', dir: data, imagenet: opts });
  assert.is(noC.provenance.dataset, 'imagenet');
  assert.is(noC.imagenetC, undefined);
  assert.equal(noC.train.classNames, ['n01', 'n03']); // one class in 2
  assert.equal(noC.train.shape, [4, 4, 4, 3]);
  assert.equal(noC.test.shape, [4, 4, 4, 3]);
  assert.is(noC.provenance.isPapers, false, 'a class subset is not the paper dataset');
  assert.match(noC.provenance.form, /2 classes \(one in 2 of 4\): 4 training images, 4 val images .*resized to 5 and centre-cropped to 4x4; no ImageNet-C/);
  writeC(path.join(data, 'imagenet-c'), [['fog', [1, 2]]], wnids, ['val_0.JPEG', 'val_1.JPEG', 'val_2.JPEG']);
  const withC = loadData(['imagenet'], { paperDataset: 'ImageNet', dir: data, imagenet: { ...opts, classEvery: 1, size: 6, resize: 6 } });
  assert.is(withC.provenance.isPapers, true);
  assert.match(provenanceLine(withC.provenance), /ImageNet-C \(1 corruption\) on the same val images.*The paper's dataset/);
  assert.equal(withC.imagenetC!.listing.map((e) => e.severities), [[1, 2]]);
  const fog2 = withC.imagenetC!.load('fog', 2);
  assert.equal(fog2.y, withC.test.y);
  // each -C image is the copy of the test image at the same index: same class, same file
  // (clean red byte 10 k + j for file j of class k; its fog-2 copy's 100 + 10 k + j)
  for (let i = 0; i < fog2.shape[0]; i++) assert.is(fog2.x[i * 108], 100 + withC.test.x[i * 108]);
  const none = loadData(['imagenet', 'shapes10'], { paperDataset: 'ImageNet', dir: path.join(tmp, 'nodata'), shapesN: 40 });
  assert.is(none.provenance.dataset, 'shapes10');
  assert.equal(none.provenance.fallbacks, ['ImageNet: not found under ROBUSTLAB_DATA/imagenet/{train,val}']);
  put(path.join(tmp, 'flatdata', 'imagenet', 'train', 'n01', 'a.JPEG'), flat(2, 2, 1));
  put(path.join(tmp, 'flatdata', 'imagenet', 'val', 'ILSVRC2012_val_00000001.JPEG'), flat(2, 2, 1));
  const flatVal = loadData(['imagenet', 'shapes10'], { paperDataset: 'ImageNet', dir: path.join(tmp, 'flatdata'), shapesN: 40 });
  assert.match(flatVal.provenance.fallbacks[0], /^ImageNet: .*val: no class folders/);
});

test('corruptionPredictions: sets read from elsewhere replace the generated copies; their labels must be the test labels', async () => {
  // a "model" whose logits are the mean of each channel: it predicts the brightest channel
  const model = { name: 'mean', inputShape: [2, 2, 3], numClasses: 3, apply: (x: tf.Tensor) => ({ logits: tf.mean(x, [1, 2]) }) } as unknown as Classifier;
  const mk = (chs: number[], y: number[]) => ({
    name: 's', x: Uint8Array.from(chs.flatMap((ch) => Array.from({ length: 12 }, (_, i) => (i % 3 === ch ? 200 : 10)))),
    y: Int32Array.from(y), shape: [chs.length, 2, 2, 3] as [number, number, number, number], numClasses: 3, classNames: ['r', 'g', 'b'],
  });
  const testSet = mk([0, 0, 0], [0, 1, 2]);
  const sets = (c: string, s: number) => mk(c === 'fog' ? [2, 1, s - 1] : [0, 0, 0], [0, 1, 2]);
  const p = await corruptionPredictions([{ name: 'm', model }], testSet, { corruptions: ['fog'], severities: [1, 3], sets });
  assert.equal(p.preds[0].fog.map((a) => Array.from(a)), [[2, 1, 0], [2, 1, 2]]);
  let err = '';
  await corruptionPredictions([{ name: 'm', model }], testSet, { corruptions: ['fog'], severities: [1], sets: () => mk([0, 0, 0], [0, 2, 1]) }).catch((e: Error) => (err = e.message));
  assert.match(err, /sets: the fog set at severity 1 does not hold the test set's labels/);
});

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test.run();
