// On-disk cache of decoded image folders, so that only the first trial of a
// study pays for decoding thousands of JPEGs.
//
// One cache file per (folder, target size, limit) "slot", so a changed folder
// overwrites its old cache instead of piling up new ones. The file records
// the key it was built for: a SHA-256 over the folder's file list with every
// file's size and mtime, the labels, the target size and the decoder's
// version. A file is trusted only if its key matches the folder as it is now,
// its header is well formed, its length is exact and the SHA-256 of its pixels
// matches; anything else is a miss and the caller rebuilds it.
//
// Layout: "HSIMAGES" | u32 LE header length | header JSON | count×H×W×C bytes.
// Writes go to a temporary file in the same folder, are flushed to disk, then
// renamed over the slot: a reader sees the old file or the new one, never a
// half-written one, even if the writer is killed.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import sharp from 'sharp';

import { Errors } from '../errors.js';
import type { DecodedImages, ImageTarget } from './image-decode.js';
import type { ImageFolderScan, SkippedFile } from './image-scan.js';

export const IMAGE_CACHE_FORMAT = 1;
const MAGIC = Buffer.from('HSIMAGES', 'ascii');
const PREAMBLE = MAGIC.length + 4;
/** A header is a file list: generous, but bounded so a corrupt length cannot allocate gigabytes. */
const MAX_HEADER_BYTES = 256 * 1024 * 1024;
/** fs reads and writes of one call stay below 2 GiB. */
const CHUNK = 256 * 1024 * 1024;
/** Temporary files this old were left by a killed writer. */
const STALE_TMP_MS = 60 * 60 * 1000;

export type ImageCacheStatus = 'hit' | 'new' | 'stale' | 'corrupt';

export interface ImageCacheRef {
  file: string;
  /** Hex SHA-256 of everything the decoded images depend on. */
  key: string;
}

interface Header {
  format: number;
  key: string;
  width: number;
  height: number;
  channels: number;
  count: number;
  files: string[];
  labels: number[];
  skipped: SkippedFile[];
  blankDropped: number;
  pixelsSha256: string;
}

/** The cache folder of a results folder. */
export function defaultImageCacheDir(resultsDir: string): string {
  return join(resultsDir, '.cache', 'images');
}

function sha256(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

export function imageCacheRef(
  cacheDir: string,
  scan: ImageFolderScan,
  target: ImageTarget,
  limit: number | undefined,
): ImageCacheRef {
  const slot = sha256(JSON.stringify([scan.dir, target.width, target.height, target.channels, limit ?? null]));
  const key = sha256(
    JSON.stringify({
      format: IMAGE_CACHE_FORMAT,
      decoder: `sharp ${sharp.versions.sharp} vips ${sharp.versions.vips}`,
      dir: scan.dir,
      layout: scan.layout,
      classes: scan.classes,
      target: [target.width, target.height, target.channels],
      files: scan.images.map((i) => [i.file, i.label, i.size, i.mtimeMs]),
    }),
  );
  return { file: join(cacheDir, `${slot.slice(0, 32)}.images`), key };
}

function isHeader(value: unknown): value is Header {
  if (typeof value !== 'object' || value === null) return false;
  const h = value as Record<string, unknown>;
  const int = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
  return (
    int(h.format) &&
    typeof h.key === 'string' &&
    int(h.width) &&
    int(h.height) &&
    int(h.channels) &&
    int(h.count) &&
    int(h.blankDropped) &&
    typeof h.pixelsSha256 === 'string' &&
    Array.isArray(h.files) &&
    h.files.length === h.count &&
    h.files.every((f) => typeof f === 'string') &&
    Array.isArray(h.labels) &&
    h.labels.length === h.count &&
    h.labels.every((l) => int(l) && l < 256) &&
    Array.isArray(h.skipped) &&
    h.skipped.every(
      (s) =>
        typeof s === 'object' &&
        s !== null &&
        typeof (s as SkippedFile).file === 'string' &&
        typeof (s as SkippedFile).reason === 'string',
    )
  );
}

export type ImageCacheRead = { status: 'hit'; data: DecodedImages } | { status: Exclude<ImageCacheStatus, 'hit'> };

/** Reads a cache file; any doubt about it is a miss ('new', 'stale' or 'corrupt'), never an error. */
export async function readImageCache(ref: ImageCacheRef, target: ImageTarget): Promise<ImageCacheRead> {
  let fh;
  try {
    fh = await open(ref.file, 'r');
  } catch {
    return { status: 'new' };
  }
  try {
    const size = (await fh.stat()).size;
    const pre = Buffer.alloc(PREAMBLE);
    if (size < PREAMBLE || (await fh.read(pre, 0, PREAMBLE, 0)).bytesRead !== PREAMBLE) return { status: 'corrupt' };
    if (!pre.subarray(0, MAGIC.length).equals(MAGIC)) return { status: 'corrupt' };
    const headerBytes = pre.readUInt32LE(MAGIC.length);
    if (headerBytes > MAX_HEADER_BYTES || PREAMBLE + headerBytes > size) return { status: 'corrupt' };
    const raw = Buffer.alloc(headerBytes);
    if ((await fh.read(raw, 0, headerBytes, PREAMBLE)).bytesRead !== headerBytes) return { status: 'corrupt' };
    let header: unknown;
    try {
      header = JSON.parse(raw.toString('utf8'));
    } catch {
      return { status: 'corrupt' };
    }
    if (!isHeader(header) || header.format !== IMAGE_CACHE_FORMAT) return { status: 'corrupt' };
    if (header.key !== ref.key) return { status: 'stale' };
    const frame = target.width * target.height * target.channels;
    if (header.width !== target.width || header.height !== target.height || header.channels !== target.channels) {
      return { status: 'corrupt' };
    }
    const pixelBytes = header.count * frame;
    if (size !== PREAMBLE + headerBytes + pixelBytes) return { status: 'corrupt' };
    const images = new Uint8Array(pixelBytes);
    for (let at = 0; at < pixelBytes; ) {
      const { bytesRead } = await fh.read(images, at, Math.min(CHUNK, pixelBytes - at), PREAMBLE + headerBytes + at);
      if (bytesRead === 0) return { status: 'corrupt' };
      at += bytesRead;
    }
    if (sha256(images) !== header.pixelsSha256) return { status: 'corrupt' };
    return {
      status: 'hit',
      data: {
        images,
        labels: Uint8Array.from(header.labels),
        files: header.files,
        count: header.count,
        skipped: header.skipped,
        blankDropped: header.blankDropped,
      },
    };
  } catch {
    return { status: 'corrupt' };
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** Removes temporary files of this slot that a killed writer left behind. */
async function removeStaleTemporaries(file: string): Promise<void> {
  const prefix = `${basename(file)}.`;
  const now = Date.now();
  let names: string[];
  try {
    names = await readdir(dirname(file));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const path = join(dirname(file), name);
    try {
      if (now - (await stat(path)).mtimeMs > STALE_TMP_MS) await unlink(path);
    } catch {
      // Gone already, or another process's business.
    }
  }
}

/** Appends all of `bytes` (a write may be partial; one call stays below 2 GiB). */
async function writeAll(fh: FileHandle, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length; ) {
    const { bytesWritten } = await fh.write(bytes, at, Math.min(CHUNK, bytes.length - at));
    at += bytesWritten;
  }
}

/** Writes the cache atomically (temporary file, flush, rename); throws E_IMAGE_CACHE_WRITE on failure. */
export async function writeImageCache(ref: ImageCacheRef, target: ImageTarget, data: DecodedImages): Promise<void> {
  const header: Header = {
    format: IMAGE_CACHE_FORMAT,
    key: ref.key,
    width: target.width,
    height: target.height,
    channels: target.channels,
    count: data.count,
    files: data.files,
    labels: Array.from(data.labels),
    skipped: data.skipped,
    blankDropped: data.blankDropped,
    pixelsSha256: sha256(data.images),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const pre = Buffer.alloc(PREAMBLE);
  MAGIC.copy(pre);
  pre.writeUInt32LE(json.length, MAGIC.length);
  const tmp = `${ref.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await mkdir(dirname(ref.file), { recursive: true });
    await removeStaleTemporaries(ref.file);
    const fh = await open(tmp, 'wx');
    try {
      await writeAll(fh, pre);
      await writeAll(fh, json);
      await writeAll(fh, data.images);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await rename(tmp, ref.file);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw Errors.imageCacheUnwritable(ref.file, error);
  }
}
