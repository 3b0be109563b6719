/**
 * The geometry of torchvision's standard evaluation transform, `Resize(resize)` then `CenterCrop(size)`, on
 * 8-bit RGB images: the shorter side scaled to `resize` by bilinear interpolation, then the centre `size` x
 * `size` square cut out. Written here (no image library) so that worker threads and tests share one exact
 * definition.
 * @module
 */
import { msg } from '../messages';
import type { RgbImage } from './image';

/**
 * Output size of a shorter-side resize, as torchvision computes it: the shorter side becomes `resize`, the
 * longer `floor(resize * long / short)` (Python's `int()` truncation), so a 500x375 image at 256 is 341x256.
 */
export function resizedSize(width: number, height: number, resize: number): { width: number; height: number } {
  if (width <= height) return { width: resize, height: Math.floor((resize * height) / width) };
  return { width: Math.floor((resize * width) / height), height: resize };
}

/** Python 3's `round()`: halves go to the even neighbour (torchvision's crop offsets use it). */
function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const r = v - f;
  if (r > 0.5) return f + 1;
  if (r < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * One axis of bilinear sampling with half-pixel centres (PyTorch's `align_corners=False`): output `i` reads
 * input coordinate `(i + 0.5) * in / out - 0.5`, clamped below at 0, between samples `lo` and `hi`.
 */
function axisTaps(inSize: number, outSize: number): { lo: Int32Array; hi: Int32Array; t: Float64Array } {
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const t = new Float64Array(outSize);
  const scale = inSize / outSize;
  for (let i = 0; i < outSize; i++) {
    const src = Math.max(0, (i + 0.5) * scale - 0.5);
    const l = Math.min(Math.floor(src), inSize - 1);
    lo[i] = l;
    hi[i] = Math.min(l + 1, inSize - 1);
    t[i] = src - l;
  }
  return { lo, hi, t };
}

/**
 * Bilinear resize of an RGB image to `width` x `height`, values rounded to the nearest level. **No
 * antialiasing**: each output pixel reads its 4 nearest input pixels, as PyTorch's
 * `interpolate(mode='bilinear', align_corners=False, antialias=False)`. PIL (torchvision's path for PIL
 * images) widens the filter when shrinking, so on downscaled photos the pixels differ from a torchvision
 * pipeline by a few levels (more on fine textures, which aliasing keeps sharper here).
 */
export function resizeBilinear(img: RgbImage, width: number, height: number): RgbImage {
  if (width === img.width && height === img.height) return img;
  const xs = axisTaps(img.width, width);
  const ys = axisTaps(img.height, height);
  const src = img.data;
  const out = new Uint8Array(width * height * 3);
  const rowStride = img.width * 3;
  for (let y = 0; y < height; y++) {
    const r0 = ys.lo[y] * rowStride;
    const r1 = ys.hi[y] * rowStride;
    const ty = ys.t[y];
    for (let x = 0; x < width; x++) {
      const c0 = xs.lo[x] * 3;
      const c1 = xs.hi[x] * 3;
      const tx = xs.t[x];
      const o = (y * width + x) * 3;
      for (let ch = 0; ch < 3; ch++) {
        const top = src[r0 + c0 + ch] + tx * (src[r0 + c1 + ch] - src[r0 + c0 + ch]);
        const bottom = src[r1 + c0 + ch] + tx * (src[r1 + c1 + ch] - src[r1 + c0 + ch]);
        out[o + ch] = Math.round(top + ty * (bottom - top));
      }
    }
  }
  return { width, height, data: out };
}

/**
 * The centre `size` x `size` square of an image at least that large on both sides; the offsets are
 * torchvision's `CenterCrop`: `round((h - size) / 2)`, `round((w - size) / 2)` with Python's half-to-even
 * rounding (a 3-pixel-wide image cropped to 2 starts at column 0, not 1). `file` names the image in errors.
 */
export function centreCrop(img: RgbImage, size: number, file = '<image>'): RgbImage {
  if (img.width < size || img.height < size)
    throw new Error(msg.dataCorrupt(file, `is ${img.width}x${img.height}, smaller than the ${size}x${size} crop (size)`));
  if (img.width === size && img.height === size) return img;
  const top = roundHalfEven((img.height - size) / 2);
  const left = roundHalfEven((img.width - size) / 2);
  const out = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    const from = ((top + y) * img.width + left) * 3;
    out.set(img.data.subarray(from, from + size * 3), y * size * 3);
  }
  return { width: size, height: size, data: out };
}

/**
 * How images of any size become one `size` x `size` set: the shorter side resized to `resize` first (the
 * standard evaluation transform), or, with `resize` null, only centre-cropped (sets stored already at their
 * final size, as ImageNet-C's 224 x 224 JPEGs). Plain data, so it can travel to decoding threads.
 */
export interface FitSpec {
  /** Side of the square crop. */
  size: number;
  /** Shorter side before cropping, at least `size`; null: no resize, crop only. */
  resize: number | null;
}

/** Applies a {@link FitSpec} to one decoded image; `file` names it in errors. */
export function fitImage(img: RgbImage, fit: FitSpec, file = '<image>'): RgbImage {
  if (fit.resize === null) return centreCrop(img, fit.size, file);
  const to = resizedSize(img.width, img.height, fit.resize);
  return centreCrop(resizeBilinear(img, to.width, to.height), fit.size, file);
}
