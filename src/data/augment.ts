// Data augmentation for training images, after Keras' ImageDataGenerator:
// one random affine transform per image about its centre (rotation, shift,
// shear, zoom), then a random horizontal flip, sampled bilinearly with
// fill_mode 'nearest' (points outside the image take the nearest edge pixel).
//
// As in Keras (apply_affine_transform, with its row/column swap), the matrix
// maps an output pixel to where it is read in the input, in (x = column,
// y = row) coordinates relative to the centre:
//   in = R(θ) · T(shift) · Sh(shear) · Z(zx, zy) · (out − centre) + centre
// with R = [[cos θ, −sin θ], [sin θ, cos θ]], Sh = [[1, −sin s], [0, cos s]],
// Z = diag(zx, zy) (zoom > 1 shows more of the image, as in Keras).
// Two deliberate differences: the centre is ((w − 1)/2, (h − 1)/2), the true
// centre of the pixel grid (Keras uses w/2 + 0.5, one pixel off, which makes
// a 90° turn or a pure zoom shift the image), and the width shift moves
// columns and the height shift rows (Keras' swap applies height_shift_range to
// columns). The distribution of transforms is otherwise Keras': θ ~ U(±rotation°),
// shifts ~ U(±shift) × size, s ~ U(±shear°), zx, zy ~ U(1 ± zoom) independently,
// flip with probability 1/2.
//
// Randomness is a pure function of (seed, epoch, image index, copy): every
// draw comes from its own xoshiro128** generator (src/samplers/rng.ts), so
// batches can be built in any order, in any thread, and give the same bits.
import { Rng } from '../samplers/rng.js';

export interface AugmentOptions {
  /** Largest rotation, degrees (Keras rotation_range). */
  rotation: number;
  /** Largest shear angle, degrees (Keras shear_range). */
  shear: number;
  /** Zoom factors are drawn from [1 − zoom, 1 + zoom] (Keras zoom_range). */
  zoom: number;
  /** Largest shift, as a fraction of the width / height (Keras width_shift_range, height_shift_range). */
  shift: number;
  /** Mirror left-right with probability 1/2 (Keras horizontal_flip). */
  flip: boolean;
}

/** The homework's generator: rotation 15°, shear 10°, zoom 0.2, shifts 0.1, horizontal flip. */
export const DEFAULT_AUGMENT: Readonly<AugmentOptions> = Object.freeze({
  rotation: 15,
  shear: 10,
  zoom: 0.2,
  shift: 0.1,
  flip: true,
});

/** Every transform is the identity. */
export const NO_AUGMENT: Readonly<AugmentOptions> = Object.freeze({ rotation: 0, shear: 0, zoom: 0, shift: 0, flip: false });

/** One image's transform. */
export interface AffineParams {
  /** Rotation, degrees. */
  theta: number;
  /** Shift, pixels: x moves columns, y moves rows. */
  shiftX: number;
  shiftY: number;
  /** Shear angle, degrees. */
  shear: number;
  zoomX: number;
  zoomY: number;
  flip: boolean;
}

export const IDENTITY_AFFINE: Readonly<AffineParams> = Object.freeze({
  theta: 0,
  shiftX: 0,
  shiftY: 0,
  shear: 0,
  zoomX: 1,
  zoomY: 1,
  flip: false,
});

/** Which image of an epoch gets which transform. */
export interface AugmentKey {
  seed: number;
  epoch: number;
  /** Index of the image in its (training) set. */
  image: number;
  /** Which of the image's copies in this epoch (0 ≤ copy < augment_copies). */
  copy: number;
}

/** 'AUG1' and 'ORDR': keep the per-image draws and the epoch order apart from other uses of the seed. */
export const AUGMENT_STREAM = 0x41554731;
export const ORDER_STREAM = 0x4f524452;

const DEG = Math.PI / 180;

/**
 * Draws the transform of one (seed, epoch, image, copy). All seven values are
 * drawn whatever the ranges, so that turning one kind off leaves the others' draws as they were.
 */
export function drawAffine(options: AugmentOptions, h: number, w: number, key: AugmentKey): AffineParams {
  const epochWord = new Rng(key.seed >>> 0, key.epoch >>> 0, AUGMENT_STREAM).nextUint32();
  const rng = new Rng(epochWord, key.image >>> 0, key.copy >>> 0);
  const theta = rng.uniform(-options.rotation, options.rotation);
  const shiftY = rng.uniform(-options.shift, options.shift) * h;
  const shiftX = rng.uniform(-options.shift, options.shift) * w;
  const shear = rng.uniform(-options.shear, options.shear);
  const zoomX = rng.uniform(1 - options.zoom, 1 + options.zoom);
  const zoomY = rng.uniform(1 - options.zoom, 1 + options.zoom);
  const flip = rng.nextFloat() < 0.5 && options.flip;
  return { theta, shiftX, shiftY, shear, zoomX, zoomY, flip };
}

/**
 * The affine map from output pixel (x, y) to the input point it is read from:
 * [inX, inY] = [m0·x + m1·y + m2, m3·x + m4·y + m5].
 */
export function affineMatrix(p: AffineParams, h: number, w: number): Float64Array {
  const cos = Math.cos(p.theta * DEG);
  const sin = Math.sin(p.theta * DEG);
  const shs = Math.sin(p.shear * DEG);
  const shc = Math.cos(p.shear * DEG);
  // L = R · Sh · Z
  const rs00 = cos;
  const rs01 = -cos * shs - sin * shc;
  const rs10 = sin;
  const rs11 = -sin * shs + cos * shc;
  let a = rs00 * p.zoomX;
  let b = rs01 * p.zoomY;
  let d = rs10 * p.zoomX;
  let e = rs11 * p.zoomY;
  const ox = (w - 1) / 2;
  const oy = (h - 1) / 2;
  // in = L·(out − o) + R·t + o
  let c = -(a * ox + b * oy) + (cos * p.shiftX - sin * p.shiftY) + ox;
  let f = -(d * ox + e * oy) + (sin * p.shiftX + cos * p.shiftY) + oy;
  if (p.flip) {
    // Flip after the transform: out(x, y) = transformed(w − 1 − x, y).
    c += a * (w - 1);
    f += d * (w - 1);
    a = -a;
    d = -d;
  }
  return Float64Array.of(a, b, c, d, e, f);
}

/**
 * Warps one H×W×C image of `src` (starting at element srcOffset) into `out`
 * (starting at outOffset) through the matrix m of affineMatrix, bilinear,
 * edges extended; every value is multiplied by `scale` (e.g. 1/255).
 * The weights are non-negative and sum to one, so values stay within the input's range.
 */
export function warpInto(
  out: Float32Array,
  outOffset: number,
  src: Uint8Array | Float32Array,
  srcOffset: number,
  h: number,
  w: number,
  c: number,
  m: Float64Array,
  scale = 1,
): void {
  const m0 = m[0]!;
  const m1 = m[1]!;
  const m2 = m[2]!;
  const m3 = m[3]!;
  const m4 = m[4]!;
  const m5 = m[5]!;
  const xMax = w - 1;
  const yMax = h - 1;
  const row = w * c;
  let o = outOffset;
  for (let y = 0; y < h; y++) {
    let sx = m1 * y + m2;
    let sy = m4 * y + m5;
    for (let x = 0; x < w; x++, sx += m0, sy += m3) {
      const cx = sx < 0 ? 0 : sx > xMax ? xMax : sx;
      const cy = sy < 0 ? 0 : sy > yMax ? yMax : sy;
      const x0 = cx | 0; // cx ≥ 0: truncation is floor
      const y0 = cy | 0;
      const fx = cx - x0;
      const fy = cy - y0;
      const dx = x0 < xMax ? c : 0;
      const dy = y0 < yMax ? row : 0;
      const w00 = (1 - fx) * (1 - fy) * scale;
      const w01 = fx * (1 - fy) * scale;
      const w10 = (1 - fx) * fy * scale;
      const w11 = fx * fy * scale;
      const p = srcOffset + y0 * row + x0 * c;
      for (let k = 0; k < c; k++, o++) {
        const q = p + k;
        out[o] = w00 * src[q]! + w01 * src[q + dx]! + w10 * src[q + dy]! + w11 * src[q + dy + dx]!;
      }
    }
  }
}

/** Writes the augmented version of image `key.image` (an H×W×C slice of src) into out at outOffset. */
export function augmentInto(
  out: Float32Array,
  outOffset: number,
  src: Uint8Array | Float32Array,
  h: number,
  w: number,
  c: number,
  options: AugmentOptions,
  key: AugmentKey,
  scale = 1,
): void {
  const m = affineMatrix(drawAffine(options, h, w, key), h, w);
  warpInto(out, outOffset, src, key.image * h * w * c, h, w, c, m, scale);
}

/** The (image, copy) pairs an epoch trains on, in training order. */
export interface EpochOrder {
  image: Uint32Array;
  copy: Uint32Array;
  length: number;
}

/**
 * Every image `copies` times (once when copies is 0: the images as they are),
 * shuffled by (seed, epoch) with Fisher-Yates. Pair k trains on image
 * order.image[k], whose label is labels[order.image[k]].
 */
export function augmentedEpochOrder(count: number, copies: number, seed: number, epoch: number): EpochOrder {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`augmentedEpochOrder: bad count ${count}`);
  if (!Number.isInteger(copies) || copies < 0) throw new RangeError(`augmentedEpochOrder: bad copies ${copies}`);
  const k = Math.max(1, copies);
  const length = count * k;
  const ids = new Uint32Array(length);
  for (let i = 0; i < length; i++) ids[i] = i;
  const rng = new Rng(seed >>> 0, epoch >>> 0, ORDER_STREAM);
  for (let i = length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const t = ids[i]!;
    ids[i] = ids[j]!;
    ids[j] = t;
  }
  const image = new Uint32Array(length);
  const copy = new Uint32Array(length);
  for (let i = 0; i < length; i++) {
    image[i] = Math.floor(ids[i]! / k);
    copy[i] = ids[i]! % k;
  }
  return { image, copy, length };
}

export interface BatchSource {
  /** N × H × W × C, 0..255. */
  images: Uint8Array | Float32Array;
  labels: Uint8Array;
  height: number;
  width: number;
  channels: number;
}

/**
 * Fills x (batch × H × W × C) and y (batch labels) with pairs [start, end) of
 * `order`. With `augment` null the images are copied as they are (times scale);
 * otherwise each pair gets its (seed, epoch, image, copy) transform.
 */
export function fillBatch(
  x: Float32Array,
  y: Uint8Array | Int32Array | Float32Array,
  source: BatchSource,
  order: EpochOrder,
  start: number,
  end: number,
  augment: { options: AugmentOptions; seed: number; epoch: number } | null,
  scale = 1,
): void {
  const { height: h, width: w, channels: c } = source;
  const frame = h * w * c;
  if (end - start > y.length || (end - start) * frame > x.length) {
    throw new RangeError(`fillBatch: ${end - start} images do not fit the batch arrays`);
  }
  for (let k = start; k < end; k++) {
    const image = order.image[k]!;
    const at = (k - start) * frame;
    y[k - start] = source.labels[image]!;
    if (augment === null) {
      const from = image * frame;
      for (let i = 0; i < frame; i++) x[at + i] = source.images[from + i]! * scale;
    } else {
      const key = { seed: augment.seed, epoch: augment.epoch, image, copy: order.copy[k]! };
      augmentInto(x, at, source.images, h, w, c, augment.options, key, scale);
    }
  }
}
