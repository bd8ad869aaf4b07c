// End to end: a few SGD steps of small tf.sequential conv nets (the light
// CNN's layers, and an RGB input under an 8×8 stride-2 conv) give the same
// losses and weights with our kernels as with the stock ones, to float32
// rounding: each op differs from stock by a few units in the last place, and
// five steps at this learning rate do not amplify that beyond ~1e-5.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { installNativeKernels, nativeKernelStats, uninstallNativeKernels } from '../src/engine/tfjs/index.js';
import { hasAddon } from './helpers/native.js';
import { randomTensor, rng, setupTfjs } from './helpers/tfjs-kernels.js';

type Net = 'light' | 'rgb';

function build(net: Net): tf.Sequential {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const m = tf.sequential();
  if (net === 'light') {
    m.add(tf.layers.conv2d({ inputShape: [14, 14, 1], filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(1) }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(2) }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(3) }));
  } else {
    m.add(tf.layers.conv2d({ inputShape: [20, 20, 3], filters: 6, kernelSize: 8, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init(4) }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'valid', activation: 'relu', kernelInitializer: init(5) }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 5, activation: 'relu', kernelInitializer: init(6) }));
    m.add(tf.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: init(7) }));
  }
  m.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
  return m;
}

async function train(net: Net, steps: number): Promise<{ losses: number[]; weights: Float32Array[]; predictions: Float32Array }> {
  const model = build(net);
  const r = rng(net === 'light' ? 10 : 20);
  const shape = net === 'light' ? [12, 14, 14, 1] : [6, 20, 20, 3];
  const classes = net === 'light' ? 10 : 2;
  const x = randomTensor(r, shape, 0, 1);
  const labels = Array.from({ length: shape[0]! }, () => Math.floor(r() * classes));
  const y = tf.oneHot(tf.tensor1d(labels, 'int32'), classes).toFloat();
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) losses.push(Number(await model.trainOnBatch(x, y)));
  const weights = model.getWeights().map((w) => Float32Array.from(w.dataSync()));
  // Prediction runs the fused kernels (no gradient recorded).
  const predictions = Float32Array.from((model.predict(x) as tf.Tensor).dataSync());
  model.dispose();
  return { losses, weights, predictions };
}

function expectNear(ours: ArrayLike<number>, stock: ArrayLike<number>, what: string): void {
  expect(ours.length, what).toBe(stock.length);
  for (let i = 0; i < ours.length; i++) {
    const tol = 1e-5 + 1e-4 * Math.abs(stock[i]!);
    expect(Math.abs(ours[i]! - stock[i]!), `${what}[${i}]: ours ${ours[i]} stock ${stock[i]}`).toBeLessThanOrEqual(tol);
  }
}

describe.skipIf(!hasAddon)('training with the native kernels (skipped: native addon not built)', () => {
  beforeAll(async () => {
    await setupTfjs();
  });
  afterAll(() => uninstallNativeKernels());

  it.each(['light', 'rgb'] as const)('%s net: same losses, weights and predictions as the stock kernels', async (net) => {
    uninstallNativeKernels();
    const stock = await train(net, 5);
    installNativeKernels({ threads: 2 });
    const ours = await train(net, 5);
    const stats = nativeKernelStats()!;
    uninstallNativeKernels();

    expectNear(ours.losses, stock.losses, `${net} losses`);
    ours.weights.forEach((w, i) => expectNear(w, stock.weights[i]!, `${net} weight ${i}`));
    expectNear(ours.predictions, stock.predictions, `${net} predictions`);
    // The losses move (a real training run, not a constant), and our kernels did the work.
    expect(stock.losses[4]).not.toBe(stock.losses[0]);
    for (const k of ['Conv2D', 'Conv2DBackpropFilter', 'MaxPool', 'MaxPoolGrad', 'FusedConv2D', '_FusedMatMul', 'Relu', 'Step', 'Sum']) {
      expect(stats.kernels[k]?.native ?? 0, `${k} ran natively`).toBeGreaterThan(0);
      expect(stats.kernels[k]?.fallback ?? 0, `${k} fell back`).toBe(0);
    }
    expect(stats.kernels['Conv2DBackpropInput']!.native).toBeGreaterThan(0);
  });

  it('is deterministic: the same run twice gives the same bits, with 1 or 3 threads', async () => {
    installNativeKernels({ threads: 1 });
    const a = await train('light', 3);
    installNativeKernels({ threads: 3 });
    const b = await train('light', 3);
    uninstallNativeKernels();
    expect(b.losses).toEqual(a.losses);
    b.weights.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(a.weights[i]!)));
  });
});
