/**
 * The common corruptions of CIFAR-10-C / ImageNet-C (Hendrycks & Dietterich, ICLR 2019): 15 benchmark
 * corruptions plus 4 extra, severities 1-5, with the parameters of `make_cifar_c.py`, seeded.
 *
 * Conventions, as in the original: inputs are taken as bytes (round(x * 255)), each corruption works on
 * x / 255, and the output is clipped to [0, 1] and truncated to bytes (`np.uint8(v * 255)`, not rounded),
 * returned as bytes / 255.
 *
 * Scale rule for other sizes: the parameters are for 32x32. With s = min(h, w) / 32, every length in pixels
 * (blur sigmas and radii, motion-blur radius, glass-blur sigma, snow-blur radius and sigma, spatter sigmas,
 * the frost photographs' resize factor 0.2) is multiplied by s; the glass-blur swap distance becomes
 * max(1, round(s)); the elastic-transform parameters are fractions of min(h, w) already, zoom and pixelate
 * factors are relative, and noise and colour parameters do not depend on size. The fog plasma is drawn on
 * the next power of two >= max(h, w) (32 for 28x28) and cropped. For 28x28 MNIST, s = 0.875.
 * Grey (1-channel) images: corruptions that act per channel run on the grey channel; those that need colour
 * (brightness, saturate, snow, frost, spatter) run on the grey image repeated to RGB and return its luma
 * 0.299 R + 0.587 G + 0.114 B (OpenCV's RGB2GRAY).
 *
 * JPEG follows libjpeg's defaults (4:2:0, integer DCT; `libjpeg.ts`), defocus_blur OpenCV's float32 kernel
 * and gaussian_blur SciPy's summation order, byte for byte (test/data/corruptionFidelity.test.ts).
 * Differences from the original that cannot be avoided without its libraries: motion blur (and the blur
 * of the snow layer) uses the line kernel of bethgelab/imagecorruptions instead of ImageMagick; the affine warp of elastic_transform
 * interpolates exactly rather than with OpenCV's 5-bit fixed-point weights; random draws come from the
 * library's mulberry32 streams, so images differ from CIFAR-10-C's draw for draw but follow the same law.
 * @module
 */
import { Rng } from '../../engine/seed';
import { msg } from '../../messages';
import type { Dataset } from '../dataset';
import { FUNCTIONS, NEEDS_RGB, CIFAR_PARAMS, type CorruptionContext } from './functions';
import type { Img } from './image';
import { lookup, checkFinite, checkPixels } from '../../tensor/validate';

export { CIFAR_PARAMS, diskKernel } from './functions';
export { FROST_FILES, frostTextures, clearFrostCache } from './frost';

/** Corruption families of the benchmark, plus `extra` for the four held-out ones. */
export type CorruptionFamily = 'noise' | 'blur' | 'weather' | 'digital' | 'extra';

/** The 19 corruptions in CIFAR-10-C order (15 benchmark, then the 4 extra), with their family. */
export const CORRUPTIONS: readonly { name: string; family: CorruptionFamily }[] = [
  { name: 'gaussian_noise', family: 'noise' },
  { name: 'shot_noise', family: 'noise' },
  { name: 'impulse_noise', family: 'noise' },
  { name: 'defocus_blur', family: 'blur' },
  { name: 'glass_blur', family: 'blur' },
  { name: 'motion_blur', family: 'blur' },
  { name: 'zoom_blur', family: 'blur' },
  { name: 'snow', family: 'weather' },
  { name: 'frost', family: 'weather' },
  { name: 'fog', family: 'weather' },
  { name: 'brightness', family: 'weather' },
  { name: 'contrast', family: 'digital' },
  { name: 'elastic_transform', family: 'digital' },
  { name: 'pixelate', family: 'digital' },
  { name: 'jpeg_compression', family: 'digital' },
  { name: 'speckle_noise', family: 'extra' },
  { name: 'gaussian_blur', family: 'extra' },
  { name: 'spatter', family: 'extra' },
  { name: 'saturate', family: 'extra' },
];

const CORRUPTION_NAMES = CORRUPTIONS.map((c) => c.name);

/** Checks an NHWC image batch: a shape of 4 positive integers with 1 or 3 channels, pixels finite in [0, 1]. */
function checkImageBatch(images: ImageBatch, arg = 'images'): void {
  const shape = (images as Partial<ImageBatch> | null)?.shape;
  const ok = Array.isArray(shape) && shape.length === 4 && shape.every((d) => Number.isInteger(d) && d >= 1) && (shape[3] === 1 || shape[3] === 3);
  if (!ok) throw new Error(msg.imageBatchShape(`${arg}.shape`, shape));
  const x = images.x as ArrayLike<number> | undefined;
  const n = shape.reduce((a, b) => a * b, 1);
  if (!x || typeof x.length !== 'number') throw new Error(msg.shape(`${arg}.x (flat)`, [n], []));
  if (x.length !== n) throw new Error(msg.shape(`${arg}.x (flat)`, [n], [x.length]));
  // Bytes are valid pixels by construction; float pixels must be finite and in [0, 1].
  if (!(x instanceof Uint8Array)) checkPixels(x, 0, 1, `${arg}.x`);
}

/** The 15 benchmark corruptions (the mCE set). */
export const BENCHMARK_CORRUPTIONS = CORRUPTIONS.slice(0, 15).map((c) => c.name);

/** Images as an NHWC batch: bytes (as in a {@link Dataset}, which is one) or float32 values in [0, 1]. */
export interface ImageBatch {
  /** Pixels, NHWC: bytes, or values in [0, 1]. */
  x: Float32Array | Uint8Array;
  /** [n, h, w, c], c = 1 or 3. */
  shape: [number, number, number, number];
}

/** Options of {@link corrupt}. */
export interface CorruptOptions {
  /** Data directory holding `frost/` (default ROBUSTLAB_DATA). */
  frostDir?: string;
}

function streamSeed(seed: number, name: string, severity: number, i: number): number {
  let hsh = Math.imul(Math.floor(seed) ^ 0x2545f491, 0x9e3779b1);
  for (let k = 0; k < name.length; k++) hsh = Math.imul(hsh ^ name.charCodeAt(k), 0x85ebca6b);
  hsh = Math.imul(hsh ^ severity, 0xc2b2ae35);
  hsh = Math.imul(hsh ^ i, 0x27d4eb2f);
  return (hsh ^ (hsh >>> 15)) >>> 0;
}

/**
 * Applies corruption `name` at `severity` (1..5) to every image. Each image draws from its own stream,
 * fixed by (seed, name, severity, index), so a batch gives the same images whole or in parts. Float pixels must
 * be finite and in [0, 1] (NaN is refused, not turned into 0); `name` is one of {@link CORRUPTIONS}' own names.
 * @returns a copy of `images` (labels and other fields kept) with new pixels: bytes for bytes, else bytes / 255.
 * @example const fog3 = corrupt(testSet, 'fog', 3, 0);
 */
export function corrupt<T extends ImageBatch>(images: T, name: string, severity: number, seed = 0, opts: CorruptOptions = {}): T {
  const fn = lookup(FUNCTIONS, name, 'name', CORRUPTION_NAMES);
  if (![1, 2, 3, 4, 5].includes(severity)) throw new Error(msg.oneOf('severity', [1, 2, 3, 4, 5], severity));
  checkFinite(seed, 'seed');
  checkImageBatch(images);
  const [n, h, w, c] = images.shape;
  const ctx: CorruptionContext = { scale: Math.min(h, w) / 32, frostDir: opts.frostDir };
  const d = h * w * c;
  const bytes = images.x instanceof Uint8Array;
  const out = bytes ? new Uint8Array(images.x.length) : new Float32Array(images.x.length);
  const rgb = c === 1 && NEEDS_RGB.has(name);
  for (let i = 0; i < n; i++) {
    const cc = rgb ? 3 : c;
    const img: Img = { h, w, c: cc, d: new Float64Array(h * w * cc) };
    for (let p = 0; p < h * w * cc; p++) {
      const v = images.x[i * d + (rgb ? Math.floor(p / 3) : p)];
      img.d[p] = (bytes ? v : Math.round(Math.min(1, Math.max(0, v)) * 255)) / 255;
    }
    const r = fn(img, severity, new Rng(streamSeed(seed, name, severity, i)), ctx);
    for (let p = 0; p < d; p++) {
      let v: number;
      if (rgb) {
        const cl = (u: number) => Math.min(1, Math.max(0, u));
        v = 0.299 * cl(r.d[3 * p]) + 0.587 * cl(r.d[3 * p + 1]) + 0.114 * cl(r.d[3 * p + 2]);
      } else v = r.d[p];
      // np.uint8(np.clip(v, 0, 1) * 255): truncation (inputs are checked finite, so NaN cannot arise here)
      const b = v > 0 ? Math.floor(Math.min(1, v) * 255) : 0;
      out[i * d + p] = bytes ? b : b / 255;
    }
  }
  return { ...images, x: out, ...(Object.hasOwn(images, 'name') ? { name: `${(images as unknown as Dataset).name}-${name}-${severity}` } : {}) };
}

/**
 * Every (corruption, severity) version of a test set, made one at a time as the generator is advanced
 * (memory holds one corrupted copy). Defaults: all 19 corruptions, severities 1..5, seed 0.
 * @example for (const { corruption, severity, data } of corruptedSets(test)) evaluate(model, data);
 */
export function* corruptedSets(
  ds: Dataset,
  opts: { corruptions?: readonly string[]; severities?: readonly number[]; seed?: number } & CorruptOptions = {},
): Generator<{ corruption: string; family: CorruptionFamily; severity: number; data: Dataset }> {
  const names = opts.corruptions ?? CORRUPTIONS.map((c) => c.name);
  for (const name of names) {
    const family = CORRUPTIONS.find((c) => c.name === name)?.family;
    if (!family) throw new Error(msg.oneOf('corruptions', CORRUPTION_NAMES, name));
    for (const severity of opts.severities ?? [1, 2, 3, 4, 5]) yield { corruption: name, family, severity, data: corrupt(ds, name, severity, opts.seed ?? 0, opts) };
  }
}

/**
 * One corruption of a test set in the CIFAR-10-C file layout: uint8 images [5n, h, w, c] with severities
 * 1..5 in order and the labels repeated 5 times, ready for `encodeNpy`.
 * @example const { images, labels, shape } = corruptionArrays(test, 'fog'); fs.writeFileSync('fog.npy', encodeNpy(images, shape));
 */
export function corruptionArrays(ds: Dataset, name: string, seed = 0, opts: CorruptOptions = {}): { images: Uint8Array; labels: Uint8Array; shape: [number, number, number, number] } {
  lookup(FUNCTIONS, name, 'name', CORRUPTION_NAMES);
  checkImageBatch(ds, 'ds');
  const [n, h, w, c] = ds.shape;
  const images = new Uint8Array(5 * ds.x.length);
  const labels = new Uint8Array(5 * n);
  for (let s = 1; s <= 5; s++) {
    const x = corrupt(ds, name, s, seed, opts).x;
    images.set(x, (s - 1) * x.length);
    labels.set(ds.y, (s - 1) * n);
  }
  return { images, labels, shape: [5 * n, h, w, c] };
}

/** Exposed for the parameter table in the docs and tests: the CIFAR parameters of one corruption. */
export function corruptionParams(name: string): readonly unknown[] {
  return lookup(CIFAR_PARAMS as Record<string, readonly unknown[]>, name, 'name', CORRUPTION_NAMES);
}
