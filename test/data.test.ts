// MNIST and Fashion-MNIST splits: sizes, value range, order, shared memory,
// and the error for a missing or inconsistent dataset.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { FASHION_MNIST_DEBIAN_DIR, fashionMnistFiles } from '../src/data/fashion-mnist.js';
import { encodeIdx } from '../src/data/idx.js';
import { loadDataset, loadDatasetFiles, type DataSplit } from '../src/data/index.js';
import { mnistFiles } from '../src/data/mnist.js';
import { HypersweepError } from '../src/errors.js';

const tmp = mkdtempSync(join(tmpdir(), 'hs-data-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function checkSplit(split: DataSplit, rows: number): void {
  expect(split.rows).toBe(rows);
  expect(split.features).toBe(784);
  expect(split.x.length).toBe(rows * 784);
  expect(split.y.length).toBe(rows);
  expect(split.x.buffer).toBeInstanceOf(SharedArrayBuffer);
  expect(split.y.buffer).toBeInstanceOf(SharedArrayBuffer);
  let min = Infinity;
  let max = -Infinity;
  for (const v of split.x) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  expect(min).toBe(0);
  expect(max).toBe(1);
  expect(Math.max(...split.y)).toBe(9);
}

describe('MNIST split', () => {
  it('is 50,000 / 10,000 / 10,000 rows of float32 in [0, 1]', async () => {
    const d = await loadDataset('mnist');
    checkSplit(d.train, 50_000);
    checkSplit(d.val, 10_000);
    checkSplit(d.test, 10_000);
    // The well-known first labels: training file 5 0 4 1 9, t10k 7 2 1 0 4.
    expect(Array.from(d.train.y.subarray(0, 5))).toEqual([5, 0, 4, 1, 9]);
    expect(Array.from(d.test.y.subarray(0, 5))).toEqual([7, 2, 1, 0, 4]);
    // Pixels are byte / 255: every value times 255 is an integer.
    for (let i = 0; i < 784 * 3; i++) {
      const scaled = d.train.x[i]! * 255;
      expect(Math.abs(scaled - Math.round(scaled))).toBeLessThan(1e-4);
    }
  });

  it('takes validation from the end of the training file and honours subset', async () => {
    const full = await loadDataset('mnist');
    const small = await loadDataset('mnist', { subset: 1000 });
    expect(small.train.rows).toBe(1000);
    expect(Array.from(small.train.x.subarray(0, 784 * 1000))).toEqual(Array.from(full.train.x.subarray(0, 784 * 1000)));
    expect(small.val.rows).toBe(10_000);
    expect(Array.from(small.val.y)).toEqual(Array.from(full.val.y));
    // Validation is not a copy of the start of training.
    expect(Array.from(full.val.y.subarray(0, 50))).not.toEqual(Array.from(full.train.y.subarray(0, 50)));
  });

  it('rejects a subset out of range', async () => {
    await expect(loadDataset('mnist', { subset: 0 })).rejects.toThrow(/--subset/);
    await expect(loadDataset('mnist', { subset: 50_001 })).rejects.toThrow(/--subset/);
  });
});

describe('Fashion-MNIST', () => {
  const installed = existsSync(FASHION_MNIST_DEBIAN_DIR);
  it.skipIf(!installed)(
    `splits like MNIST (skipped when ${FASHION_MNIST_DEBIAN_DIR} is missing: apt-get install dataset-fashion-mnist)`,
    async () => {
      const d = await loadDataset('fashion-mnist');
      checkSplit(d.train, 50_000);
      checkSplit(d.val, 10_000);
      checkSplit(d.test, 10_000);
      // First labels of the Fashion-MNIST training file: ankle boot, t-shirt, t-shirt, dress, t-shirt.
      expect(Array.from(d.train.y.subarray(0, 5))).toEqual([9, 0, 0, 3, 0]);
    },
  );

  it('says how to install it when missing', () => {
    let error: unknown;
    try {
      fashionMnistFiles(join(tmp, 'nowhere'));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HypersweepError);
    expect((error as HypersweepError).oneLine()).toMatch(
      /dataset fashion-mnist not found at .*nowhere.*apt-get install dataset-fashion-mnist/,
    );
  });
});

describe('inconsistent files', () => {
  it('rejects image and label files of different lengths, naming both', async () => {
    const files = { ...mnistFiles() };
    files.trainLabels = join(tmp, 'short-labels');
    writeFileSync(files.trainLabels, encodeIdx('labels', [59_999], new Uint8Array(59_999)));
    await expect(loadDatasetFiles('mnist', files)).rejects.toThrow(/has 60000 images but .*short-labels has 59999 labels/);
  });

  it('rejects a label outside 0..9, naming the file', async () => {
    const files = { ...mnistFiles() };
    files.testLabels = join(tmp, 'bad-labels');
    const y = new Uint8Array(10_000);
    y[17] = 10;
    writeFileSync(files.testLabels, encodeIdx('labels', [10_000], y));
    await expect(loadDatasetFiles('mnist', files)).rejects.toThrow(/bad-labels: label 10 at item 17/);
  });
});
