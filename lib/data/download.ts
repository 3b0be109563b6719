/**
 * Downloading a dataset archive for users who are online: resumable (an interrupted transfer continues
 * from its `.part` file with an HTTP Range request), atomic (the file gets its final name only once whole
 * and MD5-verified), with a progress bar; and unpacking `.tar.gz` archives without a system `tar`.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { msg } from '../messages';

/** The official CIFAR-10 binary archive and its MD5. */
export const CIFAR10_ARCHIVE = {
  url: 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz',
  file: 'cifar-10-binary.tar.gz',
  md5: 'c32a1d4ab5d03f1284b67883e8d87530',
} as const;

function md5File(file: string): string {
  const h = createHash('md5');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

/** A one-line progress bar: `[#####.....]  42%  71.2 / 170.5 MB`. */
export function progressBar(done: number, total: number | undefined, width = 30): string {
  const mb = (b: number) => (b / 1e6).toFixed(1);
  if (!total) return `${mb(done)} MB`;
  const f = Math.min(1, done / total);
  const n = Math.round(f * width);
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}] ${(100 * f).toFixed(0).padStart(3)}%  ${mb(done)} / ${mb(total)} MB`;
}

/**
 * Downloads `url` to `dest`: bytes go to `dest.part` (continued with a Range request when it exists and
 * the server accepts ranges), the MD5 of the whole is checked, and only then is it renamed to `dest`. A
 * wrong MD5 deletes the part file; an interrupted transfer keeps it for the next call; `dest` is never
 * left partial. Skips the download when `dest` is already there with the right MD5.
 * @param opts.progress called with a progress line (default: none); `opts.log` with status lines.
 * @example await downloadFile(CIFAR10_ARCHIVE.url, 'data/cifar-10-binary.tar.gz', { md5: CIFAR10_ARCHIVE.md5 });
 */
export async function downloadFile(url: string, dest: string, opts: { md5: string; progress?: (line: string) => void; log?: (line: string) => void }): Promise<void> {
  const log = opts.log ?? (() => undefined);
  if (fs.existsSync(dest)) {
    if (md5File(dest) === opts.md5) {
      log(`${dest}: present, MD5 ok`);
      return;
    }
    throw new Error(msg.dataCorrupt(dest, `exists but its MD5 is not ${opts.md5}; delete it to download again`));
  }
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  const have = fs.existsSync(part) ? fs.statSync(part).size : 0;
  let res: Response;
  try {
    res = await fetch(url, { headers: have > 0 ? { Range: `bytes=${have}-` } : {} });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(msg.downloadFailed(url, `${(e as Error).message}${cause ? ` (${cause.code ?? cause.message})` : ''}; are you offline?`));
  }
  if (res.status === 416 && have > 0) {
    // the part file already holds every byte: only the check and the rename are left
    await res.body?.cancel();
  } else if (!res.ok) {
    await res.body?.cancel();
    throw new Error(msg.downloadFailed(url, `HTTP ${res.status} ${res.statusText}`));
  } else {
    const resumed = res.status === 206 && have > 0;
    if (have > 0) log(resumed ? `${part}: resuming after ${have} bytes` : `${part}: the server ignored the range request; starting over`);
    const length = Number(res.headers.get('content-length') ?? NaN);
    const total = Number.isFinite(length) ? length + (resumed ? have : 0) : undefined;
    const fd = fs.openSync(part, resumed ? 'a' : 'w');
    let done = resumed ? have : 0;
    let lastShown = 0;
    try {
      const reader = res.body!.getReader();
      for (;;) {
        const { done: end, value } = await reader.read();
        if (end) break;
        fs.writeSync(fd, value);
        done += value.length;
        if (opts.progress && (done - lastShown > 1 << 20 || done === total)) {
          lastShown = done;
          opts.progress(progressBar(done, total));
        }
      }
      fs.fsyncSync(fd);
    } catch (e) {
      throw new Error(msg.downloadFailed(url, `transfer interrupted after ${done} bytes (${(e as Error).message}); run again to resume from ${part}`));
    } finally {
      fs.closeSync(fd);
    }
    if (total !== undefined && done !== total) throw new Error(msg.downloadFailed(url, `got ${done} of ${total} bytes; run again to resume from ${part}`));
  }
  const got = md5File(part);
  if (got !== opts.md5) {
    fs.rmSync(part, { force: true });
    throw new Error(msg.md5Mismatch(url, got, opts.md5));
  }
  fs.renameSync(part, dest);
  log(`${dest}: downloaded, MD5 ok`);
}

/** One regular file of a tar archive. */
export interface TarEntry {
  /** Path inside the archive. */
  name: string;
  /** Contents. */
  data: Buffer;
}

/**
 * The regular files of an (uncompressed) tar archive: ustar/GNU headers, names with the ustar prefix.
 * Throws naming `file` on a bad header checksum or a truncated archive.
 */
export function readTar(buf: Buffer, file = '<buffer>'): TarEntry[] {
  const out: TarEntry[] = [];
  let p = 0;
  let longName: string | undefined;
  while (p + 512 <= buf.length) {
    const h = buf.subarray(p, p + 512);
    if (h.every((b) => b === 0)) break;
    const str = (o: number, n: number) => h.toString('latin1', o, o + n).replace(/\0.*$/s, '');
    const size = Number.parseInt(str(124, 12).trim() || '0', 8);
    const want = Number.parseInt(str(148, 8).trim(), 8);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
    if (sum !== want || !Number.isFinite(size)) throw new Error(msg.dataCorrupt(file, `not a tar archive or corrupt (bad header at byte ${p})`));
    const type = String.fromCharCode(h[156] || 48);
    const body = p + 512;
    if (body + size > buf.length) throw new Error(msg.dataCorrupt(file, `truncated tar archive (entry at byte ${p} needs ${size} bytes)`));
    const data = buf.subarray(body, body + size);
    const prefix = str(345, 155);
    const name = longName ?? (prefix ? `${prefix}/${str(0, 100)}` : str(0, 100));
    longName = undefined;
    if (type === 'L') longName = data.toString('latin1').replace(/\0.*$/s, '');
    else if (type === '0' || type === '7') out.push({ name, data });
    p = body + Math.ceil(size / 512) * 512;
  }
  return out;
}

/**
 * Unpacks the files of a `.tar.gz` under `dir/<top>` whole: into a temporary sibling folder, then renamed,
 * so `dir/<top>` appears complete or not at all. Entries outside `top/` (or with `..`) are refused, and so
 * is an archive that lacks one of the `required` files (paths below `top/`).
 * @returns the paths written.
 */
export function extractTarGz(archive: string, dir: string, top: string, required: readonly string[] = []): string[] {
  let tar: Buffer;
  try {
    tar = gunzipSync(fs.readFileSync(archive));
  } catch (e) {
    throw new Error(msg.dataCorrupt(archive, `cannot be gunzipped (${(e as Error).message})`));
  }
  const entries = readTar(tar, archive);
  for (const f of required) if (!entries.some((e) => e.name.replace(/^\.\//, '') === `${top}/${f}`)) throw new Error(msg.dataCorrupt(archive, `has no ${top}/${f}`));
  const tmp = path.join(dir, `${top}.tmp-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  const written: string[] = [];
  try {
    for (const e of entries) {
      const rel = e.name.replace(/^\.\//, '');
      if (!rel.startsWith(`${top}/`) || rel.split('/').includes('..')) throw new Error(msg.dataCorrupt(archive, `entry ${JSON.stringify(e.name)} is outside ${top}/`));
      const target = path.join(tmp, rel.slice(top.length + 1));
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, e.data);
      written.push(path.join(dir, rel));
    }
    fs.rmSync(path.join(dir, top), { recursive: true, force: true });
    fs.renameSync(tmp, path.join(dir, top));
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return written;
}

/**
 * `npm run data -- cifar10`: the official binary archive into `dir` (MD5-checked, resumable), unpacked to
 * `dir/cifar-10-batches-bin/`, which {@link cifar10} then reads. The archive is kept (delete it to save 170 MB).
 * @param opts.url another mirror of the same file (default {@link CIFAR10_ARCHIVE}); `opts.md5` its MD5.
 */
export async function downloadCifar10(dir: string, opts: { url?: string; md5?: string; progress?: (line: string) => void; log?: (line: string) => void } = {}): Promise<string> {
  const archive = path.join(dir, CIFAR10_ARCHIVE.file);
  await downloadFile(opts.url ?? CIFAR10_ARCHIVE.url, archive, { md5: opts.md5 ?? CIFAR10_ARCHIVE.md5, progress: opts.progress, log: opts.log });
  const files = extractTarGz(archive, dir, 'cifar-10-batches-bin', ['test_batch.bin', ...[1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`)]);
  opts.log?.(`${path.join(dir, 'cifar-10-batches-bin')}: ${files.length} files unpacked`);
  return path.join(dir, 'cifar-10-batches-bin');
}
