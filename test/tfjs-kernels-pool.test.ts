// Our MaxPool and MaxPoolGrad against tfjs's stock cpu kernels: bit-identical
// (a maximum is a comparison, not a sum; a gradient element sums its windows'
// dy in the same order), including ties — the gradient goes to the first
// maximum in window order, as tfjs does — NaN (never a maximum) and -Infinity.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { installNativeKernels, uninstallNativeKernels } from '../src/engine/tfjs/index.js';
import { hasAddon } from './helpers/native.js';
import { expectSameBits, nativeCalls, pick, randomTensor, rng, run, setupTfjs, withStock } from './helpers/tfjs-kernels.js';

interface PoolCase {
  batch: number;
  h: number;
  w: number;
  c: number;
  filter: [number, number];
  strides: [number, number];
  pad: 'same' | 'valid' | number;
  ties: boolean;
}

function randomCases(seed: number, count: number): PoolCase[] {
  const r = rng(seed);
  const out: PoolCase[] = [];
  while (out.length < count) {
    const filter = pick(r, [[2, 2], [3, 3], [2, 3], [1, 1]] as [number, number][]);
    const c: PoolCase = {
      batch: pick(r, [1, 3]),
      h: 2 + Math.floor(r() * 12),
      w: 2 + Math.floor(r() * 12),
      c: pick(r, [1, 3, 8, 19, 32]),
      filter,
      strides: pick(r, [[1, 1], [2, 2], [1, 2]] as [number, number][]),
      pad: pick(r, ['same', 'valid', 1] as const),
      ties: r() < 0.5,
    };
    // tfjs: filter 1×1 with the input's shape is an identity; explicit pads must keep windows in range.
    if (c.pad === 'valid' && (c.h < filter[0] || c.w < filter[1])) continue;
    if (c.pad === 1 && (filter[0] < 2 || filter[1] < 2)) continue;
    out.push(c);
  }
  out.push({ batch: 2, h: 28, w: 28, c: 32, filter: [2, 2], strides: [2, 2], pad: 'valid', ties: true });
  out.push({ batch: 2, h: 7, w: 7, c: 32, filter: [2, 2], strides: [2, 2], pad: 'same', ties: false });
  return out;
}

/** Values with many ties (a few small integers), some NaN and -Infinity. */
function tiedTensor(r: () => number, shape: number[]): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const k = Math.floor(r() * 12);
    v[i] = k === 0 ? Number.NaN : k === 1 ? -Infinity : k === 2 ? -0 : Math.floor(r() * 4) - 2;
  }
  return tf.tensor(v, shape);
}

const label = (c: PoolCase) =>
  `b${c.batch} ${c.h}x${c.w}x${c.c} f${c.filter.join('x')} s${c.strides.join(',')} pad ${c.pad}${c.ties ? ' ties' : ''}`;

describe.skipIf(!hasAddon)('tfjs pooling kernels vs stock (skipped: native addon not built)', () => {
  beforeAll(async () => {
    await setupTfjs();
    installNativeKernels({ threads: 2 });
  });
  afterAll(() => uninstallNativeKernels());

  it.each(randomCases(3, 30).map((c) => [label(c), c] as const))('MaxPool and MaxPoolGrad %s', (_name, c) => {
    const r = rng(c.h * 1000 + c.w * 10 + c.c);
    const shape = [c.batch, c.h, c.w, c.c];
    const x = c.ties ? tiedTensor(r, shape) : randomTensor(r, shape);
    const attrs = { filterSize: c.filter, strides: c.strides, pad: c.pad };
    const y = withStock(() => run('MaxPool', { x }, attrs));
    const dy = randomTensor(r, y.shape);
    const dx = withStock(() => run('MaxPoolGrad', { dy, input: x, output: y }, attrs));
    const identity = c.filter[0] === 1 && c.filter[1] === 1 && y.shape.every((d, i) => d === shape[i]);
    const before = nativeCalls('MaxPool');
    expectSameBits(run('MaxPool', { x }, attrs), y, `MaxPool ${label(c)}`);
    expectSameBits(run('MaxPoolGrad', { dy, input: x, output: y }, attrs), dx, `MaxPoolGrad ${label(c)}`);
    if (!identity) expect(nativeCalls('MaxPool')).toBe(before + 1);
  });

  it('sends the gradient of tied maxima to the first one in window order', () => {
    // One 2×2 window per channel: [1 3 / 3 0] -> second element; [NaN 2 / 2 NaN] -> second;
    // [-inf -inf / -inf -inf] -> none.
    const x = tf.tensor([1, Number.NaN, -Infinity, 3, 2, -Infinity, 3, 2, -Infinity, 0, Number.NaN, -Infinity], [1, 2, 2, 3]);
    const attrs = { filterSize: [2, 2], strides: [2, 2], pad: 'valid' };
    const y = run('MaxPool', { x }, attrs);
    expect(Array.from(y.dataSync())).toEqual([3, 2, -Infinity]);
    const dx = run('MaxPoolGrad', { dy: tf.tensor([10, 20, 30], [1, 1, 1, 3]), input: x, output: y }, attrs);
    expect(Array.from(dx.dataSync())).toEqual([0, 0, 0, 10, 20, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('gives the same gradient through tf.grad as the stock kernels (overlapping 3×3 windows, stride 1)', () => {
    const r = rng(11);
    const x = tiedTensor(r, [2, 9, 8, 5]);
    const f = (t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, 3, 1, 'same').square().sum();
    const stock = withStock(() => tf.grad(f)(x));
    expectSameBits(tf.grad(f)(x), stock, 'grad of maxPool');
  });
});
