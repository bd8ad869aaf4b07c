// Our Conv2D, FusedConv2D, Conv2DBackpropFilter and Conv2DBackpropInput
// against tfjs's stock cpu kernels on random shapes: batch 1 and 3, 1 to 8
// input channels, strides 1, 2 and mixed, 'same' / 'valid' / explicit
// padding, odd sizes, 1×1 to 5×5 filters. The two sides sum in different
// orders (and the stock gradients in double), so they agree within the
// rounding bound of a float32 sum of that length (helpers/tfjs-kernels.ts).
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { installNativeKernels, uninstallNativeKernels } from '../src/engine/tfjs/index.js';
import { hasAddon } from './helpers/native.js';
import { expectClose, fallbackCalls, nativeCalls, pick, randomTensor, rng, run, setupTfjs, withStock } from './helpers/tfjs-kernels.js';

type Pad = 'same' | 'valid' | number[][];

interface ConvCase {
  batch: number;
  h: number;
  w: number;
  inC: number;
  outC: number;
  fh: number;
  fw: number;
  strides: [number, number];
  pad: Pad;
}

function label(c: ConvCase): string {
  return `b${c.batch} ${c.h}x${c.w}x${c.inC} f${c.fh}x${c.fw}->${c.outC} s${c.strides.join(',')} pad ${JSON.stringify(c.pad)}`;
}

function randomCases(seed: number, count: number): ConvCase[] {
  const r = rng(seed);
  const cases: ConvCase[] = [];
  while (cases.length < count) {
    const fh = pick(r, [1, 2, 3, 5]), fw = pick(r, [1, 3, 2, 5]);
    const c: ConvCase = {
      batch: pick(r, [1, 3]),
      h: 3 + Math.floor(r() * 11),
      w: 3 + Math.floor(r() * 11),
      inC: pick(r, [1, 3, 5, 8]),
      outC: pick(r, [1, 4, 17]),
      fh,
      fw,
      strides: pick(r, [[1, 1], [2, 2], [1, 2], [3, 2]] as [number, number][]),
      pad: pick(r, ['same', 'valid', 'explicit'] as const) === 'explicit'
        ? [[0, 0], [Math.floor(r() * fh), Math.floor(r() * fh)], [Math.floor(r() * fw), Math.floor(r() * fw)], [0, 0]]
        : pick(r, ['same', 'valid'] as const),
    };
    if (c.pad === 'valid' && (c.h < fh || c.w < fw)) continue;
    cases.push(c);
  }
  // The shapes of the light CNN (batch 2 instead of 64) and a 64×64×3 input with an 8×8 stride-2 conv.
  cases.push({ batch: 2, h: 28, w: 28, inC: 1, outC: 32, fh: 3, fw: 3, strides: [1, 1], pad: 'same' });
  cases.push({ batch: 2, h: 14, w: 14, inC: 32, outC: 32, fh: 3, fw: 3, strides: [1, 1], pad: 'same' });
  cases.push({ batch: 1, h: 64, w: 64, inC: 3, outC: 8, fh: 8, fw: 8, strides: [2, 2], pad: 'same' });
  return cases;
}

const cases = randomCases(6, 24);

describe.skipIf(!hasAddon)('tfjs conv kernels vs stock (skipped: native addon not built)', () => {
  beforeAll(async () => {
    await setupTfjs();
    installNativeKernels({ threads: 2 });
  });
  afterAll(() => uninstallNativeKernels());

  it.each(cases.map((c) => [label(c), c] as const))('Conv2D and FusedConv2D %s', (_name, c) => {
    const r = rng(c.h * 131 + c.w * 7 + c.inC);
    const x = randomTensor(r, [c.batch, c.h, c.w, c.inC]);
    const filter = randomTensor(r, [c.fh, c.fw, c.inC, c.outC]);
    const bias = randomTensor(r, [c.outC]);
    const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dilations: [1, 1] };
    const K = c.fh * c.fw * c.inC;
    const [stock, scale, stockFused, fusedScale] = withStock(() => [
      run('Conv2D', { x, filter }, attrs),
      run('Conv2D', { x: x.abs(), filter: filter.abs() }, attrs),
      run('FusedConv2D', { x, filter, bias }, { ...attrs, activation: 'relu' }),
      run('FusedConv2D', { x: x.abs(), filter: filter.abs(), bias: bias.abs() }, { ...attrs, activation: 'linear' }),
    ]);
    const before = nativeCalls('Conv2D'), beforeFused = nativeCalls('FusedConv2D');
    expectClose(run('Conv2D', { x, filter }, attrs), stock!, scale!, K, `Conv2D ${label(c)}`);
    expectClose(run('FusedConv2D', { x, filter, bias }, { ...attrs, activation: 'relu' }), stockFused!, fusedScale!, K, `FusedConv2D ${label(c)}`);
    expect(nativeCalls('Conv2D')).toBe(before + 1);
    expect(nativeCalls('FusedConv2D')).toBe(beforeFused + 1);
  });

  it.each(cases.map((c) => [label(c), c] as const))('Conv2DBackpropFilter and Conv2DBackpropInput %s', (_name, c) => {
    const r = rng(c.h * 17 + c.w * 3 + c.outC);
    const x = randomTensor(r, [c.batch, c.h, c.w, c.inC]);
    const filter = randomTensor(r, [c.fh, c.fw, c.inC, c.outC]);
    const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dilations: [1, 1] };
    const yShape = withStock(() => run('Conv2D', { x, filter }, attrs).shape);
    const dy = randomTensor(r, yShape);
    const fAttrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: filter.shape };
    const iAttrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: x.shape };
    const [dw, dwScale, dx, dxScale] = withStock(() => [
      run('Conv2DBackpropFilter', { x, dy }, fAttrs),
      run('Conv2DBackpropFilter', { x: x.abs(), dy: dy.abs() }, fAttrs),
      run('Conv2DBackpropInput', { dy, filter }, iAttrs),
      run('Conv2DBackpropInput', { dy: dy.abs(), filter: filter.abs() }, iAttrs),
    ]);
    const pixels = yShape[0]! * yShape[1]! * yShape[2]!;
    const bf = nativeCalls('Conv2DBackpropFilter'), bi = nativeCalls('Conv2DBackpropInput');
    expectClose(run('Conv2DBackpropFilter', { x, dy }, fAttrs), dw!, dwScale!, pixels, `BackpropFilter ${label(c)}`);
    expectClose(run('Conv2DBackpropInput', { dy, filter }, iAttrs), dx!, dxScale!, c.fh * c.fw * c.outC, `BackpropInput ${label(c)}`);
    expect(nativeCalls('Conv2DBackpropFilter')).toBe(bf + 1);
    expect(nativeCalls('Conv2DBackpropInput')).toBe(bi + 1);
  });

  it('gives the same results with 1, 2 and 3 threads (bit for bit)', () => {
    const r = rng(99);
    const x = randomTensor(r, [5, 14, 14, 16]);
    const filter = randomTensor(r, [3, 3, 16, 24]);
    const dy = randomTensor(r, [5, 7, 7, 24]);
    const attrs = { strides: [2, 2], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1] };
    const outputs = [1, 2, 3].map((threads) => {
      installNativeKernels({ threads });
      return [
        run('Conv2D', { x, filter }, attrs),
        run('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: filter.shape }),
        run('Conv2DBackpropInput', { dy, filter }, { ...attrs, inputShape: x.shape }),
      ].map((t) => Array.from(t.dataSync()));
    });
    installNativeKernels({ threads: 2 });
    expect(outputs[1]).toEqual(outputs[0]);
    expect(outputs[2]).toEqual(outputs[0]);
  });

  it('leaves dilations, NCHW, other fused activations and prelu to the stock kernels', () => {
    const r = rng(5);
    const x = randomTensor(r, [2, 9, 9, 3]);
    const filter = randomTensor(r, [3, 3, 3, 4]);
    const bias = randomTensor(r, [4]);
    const cases: [string, Record<string, tf.Tensor>, Record<string, unknown>][] = [
      ['Conv2D', { x, filter }, { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [2, 2] }],
      ['Conv2D', { x: x.transpose([0, 3, 1, 2]), filter }, { strides: [1, 1], pad: 'valid', dataFormat: 'NCHW', dilations: [1, 1] }],
      ['FusedConv2D', { x, filter, bias }, { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1], activation: 'elu' }],
      ['FusedConv2D', { x, filter, bias, preluActivationWeights: bias }, { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1], activation: 'prelu' }],
    ];
    for (const [kernel, inputs, attrs] of cases) {
      const stock = withStock(() => run(kernel, inputs, attrs));
      const before = fallbackCalls(kernel);
      const ours = run(kernel, inputs, attrs);
      expect(fallbackCalls(kernel), `${kernel} ${JSON.stringify(attrs)}`).toBe(before + 1);
      expect(Array.from(ours.dataSync())).toEqual(Array.from(stock.dataSync()));
    }
  });
});
