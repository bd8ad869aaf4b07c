// How CNN minibatches are made: rescaling (none / unit / standardize, for
// float [0,1] and raw byte storage alike) and label encoding.
import { describe, expect, it } from 'vitest';

import { channelStats, copyImage, encodeLabels, makeRescaler, type CnnData } from '../src/trials/cnn/data.js';

function bytesData(): CnnData {
  // 3 images of 2×2×3, raw bytes; channel k of pixel i of image n = 10·n + 3·i + k.
  const images = new Uint8Array(3 * 12);
  for (let n = 0; n < 3; n++) for (let i = 0; i < 4; i++) for (let k = 0; k < 3; k++) images[n * 12 + i * 3 + k] = 10 * n + 3 * i + k;
  const split = { images, labels: new Uint8Array([0, 1, 0]), count: 3 };
  return { name: 'x', height: 2, width: 2, channels: 3, classes: 2, pixelScale: 1, train: split, val: split, test: null };
}

describe('rescaling', () => {
  it('none feeds raw 0..255 pixels, unit divides by 255, for byte and [0,1] float storage alike', () => {
    const bytes = bytesData();
    const floats: CnnData = {
      ...bytes,
      pixelScale: 255,
      train: { ...bytes.train, images: Float32Array.from(bytes.train.images, (v) => v / 255) },
    };
    const out = new Float32Array(12);
    for (const data of [bytes, floats]) {
      copyImage(out, 0, data.train, 2, 12, 3, makeRescaler(data, 'none'));
      expect(Array.from(out)).toEqual(Array.from(bytes.train.images.subarray(24, 36)).map((v) => expect.closeTo(v, 4)));
      copyImage(out, 0, data.train, 2, 12, 3, makeRescaler(data, 'unit'));
      expect(Array.from(out)).toEqual(Array.from(bytes.train.images.subarray(24, 36)).map((v) => expect.closeTo(v / 255, 6)));
    }
  });

  it('standardize gives each channel mean 0 and standard deviation 1 over the training split', () => {
    const data = bytesData();
    const r = makeRescaler(data, 'standardize');
    const all = new Float32Array(36);
    for (let n = 0; n < 3; n++) copyImage(all, n * 12, data.train, n, 12, 3, r);
    const stats = channelStats({ images: all, labels: data.train.labels, count: 3 }, 3, 1);
    for (let k = 0; k < 3; k++) {
      expect(stats.mean[k]).toBeCloseTo(0, 5);
      expect(stats.std[k]).toBeCloseTo(1, 5);
    }
    // Per channel: pixel (n, i, k) - (n', i, k) differences are the same for every k, means differ by 1 per channel.
    const raw = channelStats(data.train, 3, 1);
    expect(raw.mean[1]! - raw.mean[0]!).toBeCloseTo(1, 10);
  });
});

describe('labels', () => {
  it('one-hot rows for softmax outputs, 0/1 for a single sigmoid output, following the batch order', () => {
    const labels = new Uint8Array([2, 0, 1]);
    const order = [1, 2, 0];
    const onehot = new Float32Array(9).fill(7);
    encodeLabels(onehot, labels, order, 0, 3, 3);
    expect(Array.from(onehot)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const binary = new Float32Array(2);
    encodeLabels(binary, new Uint8Array([1, 0, 1]), order, 1, 3, 1);
    expect(Array.from(binary)).toEqual([1, 1]);
  });
});
