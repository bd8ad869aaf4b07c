// Augmentation: identity, exact flips, a 90° turn, agreement with Keras'
// apply_affine_transform replayed in numpy/scipy, range, determinism, and the
// epoch order's bookkeeping of (image, copy) pairs and their labels.
import { execFileSync, spawnSync } from 'node:child_process';

import { describe, expect, it } from 'vitest';

import {
  affineMatrix,
  augmentedEpochOrder,
  augmentInto,
  DEFAULT_AUGMENT,
  drawAffine,
  fillBatch,
  NO_AUGMENT,
  warpInto,
  type AffineParams,
  type AugmentOptions,
} from '../src/data/augment.js';

function pattern(n: number, h: number, w: number, c: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n * h * w * c);
  let s = seed;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

function augmentOne(src: Uint8Array | Float32Array, h: number, w: number, c: number, options: AugmentOptions, image: number, copy = 0, epoch = 0, seed = 5): Float32Array {
  const out = new Float32Array(h * w * c);
  augmentInto(out, 0, src, h, w, c, options, { seed, epoch, image, copy });
  return out;
}

const hasScipy = spawnSync('python3', ['-c', 'import scipy.ndimage, numpy'], { stdio: 'ignore' }).status === 0;

describe('single transforms', () => {
  it('is the identity, exactly, when every range is 0', () => {
    const [h, w, c] = [9, 13, 3];
    const src = pattern(4, h, w, c);
    for (let image = 0; image < 4; image++) {
      const out = augmentOne(src, h, w, c, NO_AUGMENT, image);
      expect(Array.from(out)).toEqual(Array.from(src.subarray(image * h * w * c, (image + 1) * h * w * c)));
    }
  });

  it('a pure flip mirrors the image exactly, about half the time', () => {
    const [h, w, c] = [7, 10, 3];
    const src = pattern(1, h, w, c);
    const flipOnly = { ...NO_AUGMENT, flip: true };
    let flipped = 0;
    for (let copy = 0; copy < 200; copy++) {
      const out = augmentOne(src, h, w, c, flipOnly, 0, copy);
      const isFlip = drawAffine(flipOnly, h, w, { seed: 5, epoch: 0, image: 0, copy }).flip;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const from = isFlip ? w - 1 - x : x;
          for (let k = 0; k < c; k++) expect(out[(y * w + x) * c + k]).toBe(src[(y * w + from) * c + k]);
        }
      }
      flipped += isFlip ? 1 : 0;
    }
    expect(flipped).toBeGreaterThan(70);
    expect(flipped).toBeLessThan(130);
  });

  it('a 90° turn moves the top-right corner to the top-left (counter-clockwise), pixel for pixel', () => {
    const n = 8;
    const c = 2;
    const src = pattern(1, n, n, c, 9);
    const params: AffineParams = { theta: 90, shiftX: 0, shiftY: 0, shear: 0, zoomX: 1, zoomY: 1, flip: false };
    const out = new Float32Array(n * n * c);
    warpInto(out, 0, src, 0, n, n, c, affineMatrix(params, n, n));
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        for (let k = 0; k < c; k++) {
          // Output row y, column x reads input row x, column n − 1 − y.
          expect(out[(y * n + x) * c + k]).toBeCloseTo(src[(x * n + (n - 1 - y)) * c + k]!, 6);
        }
      }
    }
  });

  it.skipIf(!hasScipy)('matches Keras apply_affine_transform replayed with numpy and scipy.ndimage (bilinear, fill nearest)', () => {
    const wide: AugmentOptions = { rotation: 60, shear: 25, zoom: 0.4, shift: 0.25, flip: true };
    const cases: { h: number; w: number; c: number; params: AffineParams; pixels: number[]; ours: number[] }[] = [];
    for (const [h, w, c] of [
      [9, 13, 3],
      [12, 12, 1],
      [16, 11, 3],
    ] as const) {
      const src = pattern(1, h, w, c, h * w);
      for (const [options, copy] of [
        [DEFAULT_AUGMENT, 0],
        [DEFAULT_AUGMENT, 1],
        [wide, 2],
        [wide, 3],
        [wide, 4],
      ] as const) {
        const params = drawAffine(options, h, w, { seed: 17, epoch: 2, image: 0, copy });
        const out = new Float32Array(h * w * c);
        warpInto(out, 0, src, 0, h, w, c, affineMatrix(params, h, w));
        cases.push({ h, w, c, params, pixels: Array.from(src), ours: Array.from(out) });
      }
    }
    expect(cases.some((k) => k.params.flip) && cases.some((k) => !k.params.flip)).toBe(true);
    // Keras' matrices in (x = column, y = row) order, the product order of
    // apply_affine_transform, centred on ((w-1)/2, (h-1)/2), converted to
    // scipy's (row, column) order; the flip afterwards, as flip_axis does.
    const script = String.raw`
import json, sys
import numpy as np
from scipy import ndimage
cases = json.load(sys.stdin)
res = []
for k in cases:
    h, w, c, p = k['h'], k['w'], k['c'], k['params']
    x = np.array(k['pixels'], dtype=np.float64).reshape(h, w, c)
    t = np.deg2rad(p['theta']); s = np.deg2rad(p['shear'])
    R = np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])
    T = np.array([[1, 0, p['shiftX']], [0, 1, p['shiftY']], [0, 0, 1]])
    S = np.array([[1, -np.sin(s), 0], [0, np.cos(s), 0], [0, 0, 1]])
    Z = np.array([[p['zoomX'], 0, 0], [0, p['zoomY'], 0], [0, 0, 1]])
    M = R @ T @ S @ Z
    ox, oy = (w - 1) / 2, (h - 1) / 2
    M = np.array([[1, 0, ox], [0, 1, oy], [0, 0, 1]]) @ M @ np.array([[1, 0, -ox], [0, 1, -oy], [0, 0, 1]])
    P = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1]])
    M = P @ M @ P
    y = np.stack([ndimage.affine_transform(x[:, :, ch], M[:2, :2], M[:2, 2], order=1, mode='nearest') for ch in range(c)], axis=2)
    if p['flip']:
        y = y[:, ::-1, :]
    res.append(y.reshape(-1).tolist())
print(json.dumps(res))
`;
    const ref = JSON.parse(execFileSync('python3', ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8' })) as number[][];
    cases.forEach((k, i) => {
      let worst = 0;
      k.ours.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - ref[i]![j]!))));
      expect(worst, `case ${i}: ${JSON.stringify(k.params)}`).toBeLessThan(1e-3);
    });
  });

  it('stays within the input range and never gives NaN, for bytes and for floats', () => {
    const [h, w, c] = [16, 16, 3];
    const bytes = pattern(20, h, w, c);
    for (let i = 0; i < bytes.length; i += 7) bytes[i] = i % 2 === 0 ? 0 : 255; // extremes next to each other
    const floats = Float32Array.from(bytes, (v) => v / 255);
    const strong: AugmentOptions = { rotation: 180, shear: 45, zoom: 0.9, shift: 0.5, flip: true };
    for (const options of [DEFAULT_AUGMENT, strong]) {
      for (let image = 0; image < 20; image++) {
        for (const [src, hi] of [
          [bytes, 255],
          [floats, 1],
        ] as const) {
          const out = augmentOne(src, h, w, c, options, image, image % 3);
          for (const v of out) {
            expect(Number.isFinite(v)).toBe(true);
            expect(v).toBeGreaterThanOrEqual(0);
            expect(v).toBeLessThanOrEqual(hi);
          }
        }
      }
    }
  });

  it('draws within the ranges', () => {
    let seen = { theta: [Infinity, -Infinity], zoom: [Infinity, -Infinity], shift: [Infinity, -Infinity] };
    for (let image = 0; image < 2000; image++) {
      const p = drawAffine(DEFAULT_AUGMENT, 64, 32, { seed: 1, epoch: 0, image, copy: 0 });
      expect(Math.abs(p.theta)).toBeLessThanOrEqual(15);
      expect(Math.abs(p.shear)).toBeLessThanOrEqual(10);
      expect(Math.abs(p.shiftY)).toBeLessThanOrEqual(6.4);
      expect(Math.abs(p.shiftX)).toBeLessThanOrEqual(3.2);
      for (const z of [p.zoomX, p.zoomY]) expect(z >= 0.8 && z <= 1.2).toBe(true);
      seen = {
        theta: [Math.min(seen.theta[0]!, p.theta), Math.max(seen.theta[1]!, p.theta)],
        zoom: [Math.min(seen.zoom[0]!, p.zoomX), Math.max(seen.zoom[1]!, p.zoomX)],
        shift: [Math.min(seen.shift[0]!, p.shiftY), Math.max(seen.shift[1]!, p.shiftY)],
      };
    }
    expect(seen.theta[0]).toBeLessThan(-14);
    expect(seen.theta[1]).toBeGreaterThan(14);
    expect(seen.zoom[0]).toBeLessThan(0.81);
    expect(seen.zoom[1]).toBeGreaterThan(1.19);
    expect(seen.shift[0]).toBeLessThan(-6);
    expect(seen.shift[1]).toBeGreaterThan(6);
  });

  it('is a pure function of (seed, epoch, image, copy), and copies differ', () => {
    const [h, w, c] = [12, 12, 3];
    const src = pattern(3, h, w, c);
    const base = augmentOne(src, h, w, c, DEFAULT_AUGMENT, 1, 0, 0, 5);
    expect(Array.from(augmentOne(src, h, w, c, DEFAULT_AUGMENT, 1, 0, 0, 5))).toEqual(Array.from(base));
    const differs = (a: Float32Array) => expect(Array.from(a)).not.toEqual(Array.from(base));
    differs(augmentOne(src, h, w, c, DEFAULT_AUGMENT, 1, 1, 0, 5)); // another copy
    differs(augmentOne(src, h, w, c, DEFAULT_AUGMENT, 1, 0, 1, 5)); // another epoch
    differs(augmentOne(src, h, w, c, DEFAULT_AUGMENT, 1, 0, 0, 6)); // another seed
    // Turning one kind of transform off leaves the others' draws alone.
    const key = { seed: 5, epoch: 0, image: 1, copy: 0 };
    const all = drawAffine(DEFAULT_AUGMENT, h, w, key);
    const noRotation = drawAffine({ ...DEFAULT_AUGMENT, rotation: 0 }, h, w, key);
    expect(noRotation.theta).toBe(0);
    expect({ ...noRotation, theta: all.theta }).toEqual(all);
  });
});

describe('epoch order and batches', () => {
  it('lists every (image, copy) pair once, shuffled by (seed, epoch)', () => {
    for (const [count, copies] of [
      [10, 0],
      [10, 1],
      [7, 3],
    ] as const) {
      const order = augmentedEpochOrder(count, copies, 3, 1);
      const k = Math.max(1, copies);
      expect(order.length).toBe(count * k);
      const pairs = new Set<string>();
      for (let i = 0; i < order.length; i++) pairs.add(`${order.image[i]}/${order.copy[i]}`);
      expect(pairs.size).toBe(count * k);
      for (let image = 0; image < count; image++) for (let copy = 0; copy < k; copy++) expect(pairs.has(`${image}/${copy}`)).toBe(true);
      expect(augmentedEpochOrder(count, copies, 3, 1)).toEqual(order);
      expect(Array.from(augmentedEpochOrder(count, copies, 3, 2).image)).not.toEqual(Array.from(order.image));
    }
  });

  it('fillBatch gives each picture its own label and leaves the labels alone', () => {
    // Each image is filled with its label's value, so the label can be read back from the pixels.
    const [h, w, c, n] = [6, 6, 3, 9];
    const labels = Uint8Array.from({ length: n }, (_, i) => (i * 5) % 3);
    const images = new Uint8Array(n * h * w * c);
    labels.forEach((l, i) => images.fill(40 + 80 * l, i * h * w * c, (i + 1) * h * w * c));
    const before = labels.slice();
    const order = augmentedEpochOrder(n, 2, 8, 0);
    const x = new Float32Array(4 * h * w * c);
    const y = new Int32Array(4);
    for (const augment of [null, { options: DEFAULT_AUGMENT, seed: 8, epoch: 0 }]) {
      for (let start = 0; start < order.length; start += 4) {
        const end = Math.min(order.length, start + 4);
        fillBatch(x, y, { images, labels, height: h, width: w, channels: c }, order, start, end, augment, 1 / 255);
        for (let b = 0; b < end - start; b++) {
          expect(y[b]).toBe(labels[order.image[start + b]!]);
          const shade = (40 + 80 * y[b]!) / 255;
          for (let i = 0; i < h * w * c; i++) expect(x[b * h * w * c + i]).toBeCloseTo(shade, 5);
        }
      }
    }
    expect(Array.from(labels)).toEqual(Array.from(before));
  });

  it('fillBatch with augmentation equals augmentInto image by image', () => {
    const [h, w, c, n] = [8, 8, 1, 5];
    const images = pattern(n, h, w, c);
    const labels = new Uint8Array(n);
    const order = augmentedEpochOrder(n, 2, 4, 3);
    const x = new Float32Array(order.length * h * w * c);
    const y = new Uint8Array(order.length);
    fillBatch(x, y, { images, labels, height: h, width: w, channels: c }, order, 0, order.length, { options: DEFAULT_AUGMENT, seed: 4, epoch: 3 });
    for (let k = 0; k < order.length; k++) {
      const one = new Float32Array(h * w * c);
      augmentInto(one, 0, images, h, w, c, DEFAULT_AUGMENT, { seed: 4, epoch: 3, image: order.image[k]!, copy: order.copy[k]! });
      expect(Array.from(x.subarray(k * h * w * c, (k + 1) * h * w * c))).toEqual(Array.from(one));
    }
  });
});
