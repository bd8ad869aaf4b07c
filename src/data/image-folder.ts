// loadImageFolder(dir, options): an image-classification dataset from a
// folder of JPEG/PNG files, for the CNN trials (--dataset <folder>).
//
//   scan (image-scan.ts)       layout, classes (sorted → label index), files
//   cache (image-cache.ts)     decoded pixels of the same file list, if valid
//   decode (image-decode.ts)   sharp, resized to the model's input
//   split (stratified-split.ts) validation split per class, from the seed
//
// Pixels stay raw bytes (0..255), N×H×W×C, in SharedArrayBuffers so worker
// threads can share them; scaling and augmentation happen per batch.
// The split depends on the seed only, not on the cache: pass the study's seed
// (not each trial's) to validate every trial on the same images.
import { Errors } from '../errors.js';
import { imageCacheRef, readImageCache, writeImageCache, type ImageCacheStatus } from './image-cache.js';
import { decodeImages, type DecodedImages, type DecodeProgress } from './image-decode.js';
import { scanImageFolder, type ImageFolderLayout, type SkippedFile } from './image-scan.js';
import { stratifiedSplit } from './stratified-split.js';

export { defaultImageCacheDir } from './image-cache.js';
export type { ImageCacheStatus } from './image-cache.js';
export type { ImageFolderLayout, SkippedFile } from './image-scan.js';

export const MAX_IMAGE_SIDE = 4096;

export interface ImageFolderOptions {
  width: number;
  height: number;
  channels: 1 | 3;
  /** Fraction of each class held out for validation, in [0, 1). */
  valFraction: number;
  /** Seed of the validation split (an unsigned 32-bit integer). */
  seed: number;
  /** Where decoded images are cached (see defaultImageCacheDir); no caching when absent. */
  cacheDir?: string;
  /** Use only the first `limit` files of each class, in sorted order (quick runs, tests). */
  limit?: number;
  /** Called as images are decoded (not on a cache hit). */
  onProgress?: DecodeProgress;
}

export interface ImageSet {
  /** count × height × width × channels bytes, 0..255; SharedArrayBuffer-backed. */
  images: Uint8Array;
  /** count labels in [0, classes.length); SharedArrayBuffer-backed. */
  labels: Uint8Array;
  /** Path of each image relative to the folder. */
  files: string[];
  count: number;
}

export interface ImageFolderDataset {
  /** The folder, absolute. */
  dir: string;
  layout: ImageFolderLayout;
  /** Class names sorted by name; a label is an index into this list. */
  classes: string[];
  train: ImageSet;
  val: ImageSet;
  height: number;
  width: number;
  channels: 1 | 3;
  /** Files not used, each with the reason (unreadable, undecodable, not an image, no class). */
  skipped: SkippedFile[];
  /** Images dropped because every pixel had the same colour. */
  blankDropped: number;
  fromCache: boolean;
  /** The cache file and what was found there ('new': none, 'stale'/'corrupt': rebuilt); null without cacheDir. */
  cache: { file: string; status: ImageCacheStatus } | null;
}

function checkOptions(o: ImageFolderOptions): void {
  const intIn = (v: unknown, lo: number, hi: number): boolean => Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;
  if (!intIn(o.width, 1, MAX_IMAGE_SIDE)) throw Errors.invalidOption('image width', o.width, `an integer in [1, ${MAX_IMAGE_SIDE}]`);
  if (!intIn(o.height, 1, MAX_IMAGE_SIDE)) throw Errors.invalidOption('image height', o.height, `an integer in [1, ${MAX_IMAGE_SIDE}]`);
  if (o.channels !== 1 && o.channels !== 3) throw Errors.invalidOption('image channels', o.channels, '1 or 3');
  if (!(typeof o.valFraction === 'number' && o.valFraction >= 0 && o.valFraction < 1)) {
    throw Errors.invalidOption('validation fraction', o.valFraction, 'a number in [0, 1)');
  }
  if (!intIn(o.seed, 0, 0xffffffff)) throw Errors.invalidOption('seed', o.seed, 'an integer in [0, 4294967295]');
  if (o.limit !== undefined && !intIn(o.limit, 1, Number.MAX_SAFE_INTEGER)) {
    throw Errors.invalidOption('limit', o.limit, 'a positive integer');
  }
}

/** Copies the listed items into a SharedArrayBuffer-backed set. */
function gather(data: DecodedImages, indices: Uint32Array, frame: number): ImageSet {
  const count = indices.length;
  const images = new Uint8Array(new SharedArrayBuffer(count * frame));
  const labels = new Uint8Array(new SharedArrayBuffer(count));
  const files: string[] = new Array(count);
  for (let k = 0; k < count; k++) {
    const i = indices[k]!;
    images.set(data.images.subarray(i * frame, (i + 1) * frame), k * frame);
    labels[k] = data.labels[i]!;
    files[k] = data.files[i]!;
  }
  return { images, labels, files, count };
}

function checkUsable(dir: string, layout: ImageFolderLayout, classes: string[], data: DecodedImages): void {
  if (data.count === 0) {
    throw Errors.imageFolderEmpty(
      dir,
      `every image was dropped (${data.skipped.length} unreadable or undecodable, ${data.blankDropped} blank)`,
    );
  }
  const present = new Set(data.labels);
  if (present.size < 2) throw Errors.imageFolderOneClass(dir, classes[data.labels[0]!]!, layout);
}

export async function loadImageFolder(dir: string, options: ImageFolderOptions): Promise<ImageFolderDataset> {
  checkOptions(options);
  const { width, height, channels } = options;
  const target = { width, height, channels };
  const scan = await scanImageFolder(dir);
  if (options.limit !== undefined) {
    const taken = new Array<number>(scan.classes.length).fill(0);
    scan.images = scan.images.filter((image) => taken[image.label]!++ < options.limit!);
  }

  let data: DecodedImages | null = null;
  let cache: ImageFolderDataset['cache'] = null;
  const ref = options.cacheDir === undefined ? null : imageCacheRef(options.cacheDir, scan, target, options.limit);
  if (ref) {
    const found = await readImageCache(ref, target);
    cache = { file: ref.file, status: found.status };
    if (found.status === 'hit') data = found.data;
  }
  const fromCache = data !== null;
  if (data === null) {
    data = await decodeImages(scan.dir, scan.images, target, options.onProgress);
    if (ref) await writeImageCache(ref, target, data);
  }
  checkUsable(scan.dir, scan.layout, scan.classes, data);

  const frame = width * height * channels;
  const split = stratifiedSplit(data.labels, scan.classes.length, options.valFraction, options.seed);
  const skipped = [...scan.skipped, ...data.skipped].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return {
    dir: scan.dir,
    layout: scan.layout,
    classes: scan.classes,
    train: gather(data, split.train, frame),
    val: gather(data, split.val, frame),
    height,
    width,
    channels,
    skipped,
    blankDropped: data.blankDropped,
    fromCache,
    cache,
  };
}
