/**
 * PNG and JPEG decoding to RGB bytes, with errors that name the file: PNG by pngjs, baseline JPEG as libjpeg
 * decodes it (`jpegDecode.ts`: the pixels PIL and torchvision read), other JPEG forms by jpeg-js.
 * @module
 */
import * as fs from 'node:fs';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import { msg } from '../messages';
import { decodeJpegLibjpeg } from './jpegDecode';

/** An 8-bit RGB image, row-major HWC. */
export interface RgbImage {
  /** Height in pixels. */
  height: number;
  /** Width in pixels. */
  width: number;
  /** h * w * 3 bytes. */
  data: Uint8Array;
}

function dropAlpha(rgba: Uint8Array, width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < width * height; i++, j += 4) {
    data[3 * i] = rgba[j];
    data[3 * i + 1] = rgba[j + 1];
    data[3 * i + 2] = rgba[j + 2];
  }
  return { width, height, data };
}

/** Decodes PNG or JPEG bytes (by signature); `file` names the source in errors. */
export function decodeImage(buf: Buffer, file = '<buffer>'): RgbImage {
  const isPng = buf.length > 8 && buf.readUInt32BE(0) === 0x89504e47;
  const isJpeg = buf.length > 3 && buf[0] === 0xff && buf[1] === 0xd8;
  if (!isPng && !isJpeg) throw new Error(msg.dataCorrupt(file, 'neither a PNG nor a JPEG image (unknown signature)'));
  try {
    if (isPng) {
      const png = PNG.sync.read(buf);
      return dropAlpha(png.data, png.width, png.height);
    }
    // libjpeg's pixels where the stream is a form it takes (baseline, 4:2:0 / 4:4:4 / grey), else jpeg-js
    const exact = decodeJpegLibjpeg(buf);
    if (exact) return exact;
    const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
    return dropAlpha(img.data, img.width, img.height);
  } catch (e) {
    throw new Error(msg.dataCorrupt(file, `could not decode the ${isPng ? 'PNG' : 'JPEG'} image (${(e as Error).message}); truncated or corrupt`));
  }
}

/** Reads and decodes a PNG or JPEG file. */
export function readImage(file: string): RgbImage {
  return decodeImage(fs.readFileSync(file), file);
}

/** Encodes an RGB image as PNG bytes. */
export function encodePng(img: RgbImage): Buffer {
  const png = new PNG({ width: img.width, height: img.height });
  for (let i = 0; i < img.width * img.height; i++) {
    png.data[4 * i] = img.data[3 * i];
    png.data[4 * i + 1] = img.data[3 * i + 1];
    png.data[4 * i + 2] = img.data[3 * i + 2];
    png.data[4 * i + 3] = 255;
  }
  return PNG.sync.write(png);
}
