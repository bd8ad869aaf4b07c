// The images a CNN trial trains on, whatever their source (MNIST-style IDX
// splits or an image folder), and how a minibatch is assembled from them:
// which images in which order, augmented or not, rescaled as the trial asks.
//
// Pixels are stored as they come: MNIST as float32 in [0, 1] (the MLP's shared
// arrays, not copied), image folders as raw bytes 0..255. `pixelScale` says
// which, so that `rescale` means the same thing for both (see Rescaler).
import type { DatasetSplits } from '../../data/index.js';
import type { RescaleName } from './params.js';

export interface ImageSplit {
  /** count × height × width × channels, row-major (NHWC). */
  images: Float32Array | Uint8Array;
  labels: Uint8Array;
  count: number;
  /** Image folders: each image's path relative to the folder (for reports). */
  files?: string[];
}

export interface CnnData {
  /** `mnist`, `fashion-mnist`, or the image folder's path. */
  name: string;
  height: number;
  width: number;
  channels: number;
  classes: number;
  /** Class names in label order (image folders; the digits' names are their labels). */
  classNames?: string[];
  /** Raw pixel value (0..255) = stored value × pixelScale. */
  pixelScale: 1 | 255;
  train: ImageSplit;
  val: ImageSplit;
  test: ImageSplit | null;
}

/** MNIST-style splits (28×28×1, floats in [0, 1]) seen as images; the arrays are shared, not copied. */
export function cnnDataFromSplits(splits: DatasetSplits): CnnData {
  const view = (s: DatasetSplits['train']): ImageSplit => ({ images: s.x, labels: s.y, count: s.rows });
  return {
    name: splits.dataset,
    height: 28,
    width: 28,
    channels: 1,
    classes: splits.classes,
    pixelScale: 255,
    train: view(splits.train),
    val: view(splits.val),
    test: view(splits.test),
  };
}

/**
 * stored value → network input, per channel: input = stored·scale[c] + shift[c].
 *   none         raw pixels 0..255 (what the homework fed its cats-vs-dogs net)
 *   unit         raw / 255
 *   standardize  (raw − mean[c]) / std[c], mean and std over the training split
 */
export interface Rescaler {
  scale: Float32Array;
  shift: Float32Array;
}

export function makeRescaler(data: CnnData, rescale: RescaleName): Rescaler {
  const c = data.channels;
  const scale = new Float32Array(c);
  const shift = new Float32Array(c);
  const toRaw = data.pixelScale;
  if (rescale === 'none' || rescale === 'unit') {
    scale.fill(rescale === 'none' ? toRaw : toRaw / 255);
    return { scale, shift };
  }
  const { mean, std } = channelStats(data.train, c, toRaw);
  for (let k = 0; k < c; k++) {
    const s = std[k]! > 1e-6 ? std[k]! : 1;
    scale[k] = toRaw / s;
    shift[k] = -mean[k]! / s;
  }
  return { scale, shift };
}

/** Per-channel mean and standard deviation of the raw pixels (double sums: exact enough for any size). */
export function channelStats(split: ImageSplit, channels: number, toRaw: number): { mean: number[]; std: number[] } {
  const sum = new Float64Array(channels);
  const sumSq = new Float64Array(channels);
  const px = split.images;
  for (let i = 0; i < px.length; i++) {
    const v = px[i]! * toRaw;
    const k = i % channels;
    sum[k] = sum[k]! + v;
    sumSq[k] = sumSq[k]! + v * v;
  }
  const n = px.length / channels;
  const mean = Array.from(sum, (s) => s / n);
  const std = Array.from(sumSq, (s, k) => Math.sqrt(Math.max(0, s / n - mean[k]! ** 2)));
  return { mean, std };
}

/** Writes image `index` of `split`, rescaled, into `out` at `offset`. */
export function copyImage(
  out: Float32Array,
  offset: number,
  split: ImageSplit,
  index: number,
  pixels: number,
  channels: number,
  rescaler: Rescaler,
): void {
  const src = split.images;
  const base = index * pixels;
  if (channels === 1) {
    const a = rescaler.scale[0]!;
    const b = rescaler.shift[0]!;
    for (let i = 0; i < pixels; i++) out[offset + i] = src[base + i]! * a + b;
    return;
  }
  for (let i = 0; i < pixels; i++) out[offset + i] = src[base + i]! * rescaler.scale[i % channels]! + rescaler.shift[i % channels]!;
}

/** Rescales `pixels` stored values already in `out` (an augmented image) in place. */
export function rescaleInPlace(out: Float32Array, offset: number, pixels: number, channels: number, rescaler: Rescaler): void {
  for (let i = 0; i < pixels; i++) {
    const k = i % channels;
    out[offset + i] = out[offset + i]! * rescaler.scale[k]! + rescaler.shift[k]!;
  }
}

/** Labels of a minibatch as the loss wants them: one-hot rows, or 0/1 for a single sigmoid output. */
export function encodeLabels(out: Float32Array, labels: Uint8Array, indices: ArrayLike<number>, from: number, to: number, outputs: number): void {
  out.fill(0, 0, (to - from) * outputs);
  for (let r = 0, i = from; i < to; i++, r++) {
    const y = labels[indices[i]!]!;
    if (outputs === 1) out[r] = y;
    else out[r * outputs + y] = 1;
  }
}
