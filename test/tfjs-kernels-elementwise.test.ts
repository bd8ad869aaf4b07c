// Our Add, Sub, Multiply, Relu, Step, Sum and GatherV2 against tfjs's stock
// cpu kernels: bit-identical (one float32 operation per element; sums in
// double in index order, as tfjs's), with NaN, ±Infinity and -0 among the
// values; the broadcasts and dtypes we leave to the stock kernels still give
// the stock results.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { installNativeKernels, uninstallNativeKernels } from '../src/engine/tfjs/index.js';
import { hasAddon } from './helpers/native.js';
import { expectSameBits, fallbackCalls, nativeCalls, randomTensor, rng, run, setupTfjs, withStock } from './helpers/tfjs-kernels.js';

/** Random values with some NaN, ±Infinity, ±0 and exact ties among them. */
function specialTensor(r: () => number, shape: number[]): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  const specials = [Number.NaN, Infinity, -Infinity, 0, -0, 1e-40, -3.5];
  for (let i = 0; i < n; i++) v[i] = r() < 0.1 ? specials[Math.floor(r() * specials.length)]! : (r() - 0.5) * 8;
  return tf.tensor(v, shape, 'float32');
}

/** Runs the kernel with stock and native kernels; the results must be the same bits. */
function compare(kernel: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>, native: boolean): void {
  const stock = withStock(() => run(kernel, inputs, attrs));
  const counter = native ? nativeCalls : fallbackCalls;
  const before = counter(kernel);
  const what = `${kernel} ${Object.values(inputs).map((t) => `${t.dtype}[${t.shape.join(',')}]`).join(' ')} ${JSON.stringify(attrs)}`;
  expectSameBits(run(kernel, inputs, attrs), stock, what);
  expect(counter(kernel), `${what} should run ${native ? 'natively' : 'on the stock kernel'}`).toBe(before + 1);
}

describe.skipIf(!hasAddon)('tfjs element-wise kernels vs stock (skipped: native addon not built)', () => {
  beforeAll(async () => {
    await setupTfjs();
    installNativeKernels({ threads: 2 });
  });
  afterAll(() => uninstallNativeKernels());

  const r = rng(42);
  // [a shape, b shape, handled natively?]
  const shapes: [number[], number[], boolean][] = [
    [[3, 5, 7], [3, 5, 7], true],
    [[2, 60, 60, 16], [2, 60, 60, 16], true], // several threads' worth
    [[2, 9, 9, 17], [17], true], // bias over channels
    [[17], [2, 9, 9, 17], true],
    [[2, 9, 9, 17], [1, 1, 17], true],
    [[4, 6], [], true], // scalar
    [[], [4, 6], true],
    [[1], [4, 6], true],
    [[], [], true],
    [[1, 6], [6], true],
    [[4, 1], [1, 5], false], // outer product: stock
    [[64, 1], [64, 10], false],
    [[2, 3, 4], [2, 1, 4], false],
  ];
  it.each(shapes.map(([a, b, n]) => [`[${a}] and [${b}]`, a, b, n] as const))('Add, Sub, Multiply on %s', (_n, as, bs, native) => {
    const a = specialTensor(r, as), b = specialTensor(r, bs);
    for (const kernel of ['Add', 'Sub', 'Multiply']) compare(kernel, { a, b }, {}, native);
  });

  it('leaves int32 and mixed dtypes to the stock kernels', () => {
    const a = tf.tensor([1, 2, 3], [3], 'int32'), b = tf.tensor([4, 5, 6], [3], 'int32');
    compare('Add', { a, b }, {}, false);
    compare('Multiply', { a, b }, {}, false);
    compare('Relu', { x: a }, {}, false);
  });

  it('Relu and Step on specials', () => {
    for (const shape of [[7], [3, 50, 50, 11]]) {
      const x = specialTensor(r, shape);
      compare('Relu', { x }, {}, true);
      compare('Step', { x }, { alpha: 0 }, true);
      compare('Step', { x }, { alpha: 0.3 }, true);
    }
  });

  // [shape, axis, keepDims, native?]
  const sums: [number[], number | number[] | null, boolean, boolean][] = [
    [[6, 5, 4, 8], [0, 1, 2], false, true], // a bias gradient
    [[6, 5, 4, 8], [0, 1, 2], true, true],
    [[5, 7], 1, false, true],
    [[5, 7], -1, true, true],
    [[3, 4, 5], 1, false, true],
    [[3, 4, 5], [1, 2], false, true],
    [[3, 4, 5], null, false, true],
    [[300, 1000], 0, false, true],
    [[7], 0, false, true],
    [[3, 4, 5], [0, 2], false, false], // not one block of axes: stock
  ];
  it.each(sums.map(([s, a, k, n]) => [`[${s}] axis ${JSON.stringify(a)} keepDims ${k}`, s, a, k, n] as const))('Sum %s', (_n, shape, axis, keepDims, native) => {
    compare('Sum', { x: specialTensor(r, shape) }, { axis, keepDims }, native);
    // Without specials too, where a sum is not swamped by NaN or Infinity.
    compare('Sum', { x: randomTensor(r, shape, -100, 100) }, { axis, keepDims }, native);
  });

  it('GatherV2 selects rows like the stock kernel, float32 and int32, any axis', () => {
    const x = specialTensor(r, [10, 3, 4]);
    const xi = tf.tensor(Array.from({ length: 120 }, (_, i) => i * 7 - 300), [10, 3, 4], 'int32');
    const idx = tf.tensor([9, 0, 3, 3, 7], [5], 'int32');
    const idx2 = tf.tensor([2, 1, 0, 2, 2, 1], [2, 3], 'int32');
    for (const t of [x, xi]) {
      compare('GatherV2', { x: t, indices: idx }, { axis: 0, batchDims: 0 }, true);
      compare('GatherV2', { x: t, indices: idx2 }, { axis: 1, batchDims: 0 }, true);
      compare('GatherV2', { x: t, indices: idx2 }, { axis: -1, batchDims: 0 }, true);
    }
    compare('GatherV2', { x: tf.tensor([[1, 2], [3, 4]]), indices: tf.tensor([[1], [0]], [2, 1], 'int32') }, { axis: 1, batchDims: 1 }, false);
  });

  it('GatherV2 with an index out of range throws tfjs\'s own error', () => {
    const x = tf.zeros([4, 2]);
    const bad = tf.tensor([0, 4], [2], 'int32');
    const stock = withStock(() => {
      try {
        run('GatherV2', { x, indices: bad }, { axis: 0, batchDims: 0 });
        return 'no error';
      } catch (e) {
        return (e as Error).message;
      }
    });
    expect(stock).toMatch(/index value 4 is not in \[0, 3\]/);
    expect(() => run('GatherV2', { x, indices: bad }, { axis: 0, batchDims: 0 })).toThrow(stock);
  });
});
