// Our BatchMatMul and _FusedMatMul (bias + relu/linear) against tfjs's stock
// cpu kernels: all four transposes, odd sizes, batches with and without
// broadcasting; within the rounding bound of a float32 sum of length K.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { installNativeKernels, uninstallNativeKernels } from '../src/engine/tfjs/index.js';
import { hasAddon } from './helpers/native.js';
import { expectClose, fallbackCalls, nativeCalls, randomTensor, rng, run, setupTfjs, withStock } from './helpers/tfjs-kernels.js';

interface MatCase {
  aOuter: number[];
  bOuter: number[];
  M: number;
  N: number;
  K: number;
  ta: boolean;
  tb: boolean;
}

const cases: MatCase[] = [];
{
  const r = rng(8);
  const outers: [number[], number[]][] = [[[], []], [[1], [1]], [[3], [3]], [[1], [4]], [[4], [1]], [[2, 3], [2, 3]], [[2, 3], []], [[], [1, 1, 2]]];
  for (const [aOuter, bOuter] of outers) {
    for (let k = 0; k < 3; k++) {
      cases.push({
        aOuter, bOuter,
        M: 1 + Math.floor(r() * 40), N: 1 + Math.floor(r() * 40), K: 1 + Math.floor(r() * 300),
        ta: r() < 0.5, tb: r() < 0.5,
      });
    }
  }
  // The light CNN's dense layer and its two gradients.
  cases.push({ aOuter: [1], bOuter: [1], M: 64, N: 10, K: 1568, ta: false, tb: false });
  cases.push({ aOuter: [1], bOuter: [1], M: 64, N: 1568, K: 10, ta: false, tb: true });
  cases.push({ aOuter: [1], bOuter: [1], M: 1568, N: 10, K: 64, ta: true, tb: false });
}

function shapes(c: MatCase): [number[], number[]] {
  return [
    [...c.aOuter, ...(c.ta ? [c.K, c.M] : [c.M, c.K])],
    [...c.bOuter, ...(c.tb ? [c.N, c.K] : [c.K, c.N])],
  ];
}

const label = (c: MatCase) => {
  const [a, b] = shapes(c);
  return `[${a}]${c.ta ? 'ᵀ' : ''} x [${b}]${c.tb ? 'ᵀ' : ''}`;
};

describe.skipIf(!hasAddon)('tfjs matmul kernels vs stock (skipped: native addon not built)', () => {
  beforeAll(async () => {
    await setupTfjs();
    installNativeKernels({ threads: 2 });
  });
  afterAll(() => uninstallNativeKernels());

  it.each(cases.map((c) => [label(c), c] as const))('BatchMatMul and _FusedMatMul %s', (_n, c) => {
    const r = rng(c.M * 7 + c.N * 13 + c.K);
    const [as, bs] = shapes(c);
    const a = randomTensor(r, as), b = randomTensor(r, bs), bias = randomTensor(r, [c.N]);
    const attrs = { transposeA: c.ta, transposeB: c.tb };
    const fused = { ...attrs, activation: 'relu' };
    const [stock, scale, stockFused, fusedScale] = withStock(() => [
      run('BatchMatMul', { a, b }, attrs),
      run('BatchMatMul', { a: a.abs(), b: b.abs() }, attrs),
      run('_FusedMatMul', { a, b, bias }, fused),
      run('_FusedMatMul', { a: a.abs(), b: b.abs(), bias: bias.abs() }, { ...attrs, activation: 'linear' }),
    ]);
    const before = nativeCalls('BatchMatMul'), beforeFused = nativeCalls('_FusedMatMul');
    expectClose(run('BatchMatMul', { a, b }, attrs), stock!, scale!, c.K, `BatchMatMul ${label(c)}`);
    expectClose(run('_FusedMatMul', { a, b, bias }, fused), stockFused!, fusedScale!, c.K, `_FusedMatMul ${label(c)}`);
    expect(nativeCalls('BatchMatMul')).toBe(before + 1);
    expect(nativeCalls('_FusedMatMul')).toBe(beforeFused + 1);
  });

  it('leaves other activations, prelu and batch broadcasts it does not handle to the stock kernels', () => {
    const r = rng(2);
    const a = randomTensor(r, [2, 5, 4]), b = randomTensor(r, [2, 4, 3]), bias = randomTensor(r, [3]);
    const calls: [string, Record<string, tf.Tensor>, Record<string, unknown>][] = [
      ['_FusedMatMul', { a, b, bias }, { transposeA: false, transposeB: false, activation: 'elu' }],
      ['_FusedMatMul', { a, b, bias, preluActivationWeights: bias }, { transposeA: false, transposeB: false, activation: 'prelu' }],
      ['_FusedMatMul', { a, b, bias: randomTensor(r, [5, 3]) }, { transposeA: false, transposeB: false, activation: 'linear' }],
      ['BatchMatMul', { a: randomTensor(r, [2, 1, 5, 4]), b: randomTensor(r, [1, 3, 4, 3]) }, { transposeA: false, transposeB: false }],
    ];
    for (const [kernel, inputs, attrs] of calls) {
      const stock = withStock(() => run(kernel, inputs, attrs));
      const before = fallbackCalls(kernel);
      const ours = run(kernel, inputs, attrs);
      expect(fallbackCalls(kernel), `${kernel} ${JSON.stringify(attrs)}`).toBe(before + 1);
      expect(Array.from(ours.dataSync())).toEqual(Array.from(stock.dataSync()));
    }
  });
});
