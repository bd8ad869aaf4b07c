// CNN trials end to end on the native engine (tfjs cpu backend + our kernels):
// they learn, they are bit-identical when repeated, they stop when asked, and
// the cats-vs-dogs model trains on an image folder with augmentation.
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { loadDataset } from '../src/data/index.js';
import { cnnDataFromSplits, type CnnData } from '../src/trials/cnn/data.js';
import { loadCnnData } from '../src/trials/cnn/dataset.js';
import { resolveCnnParams } from '../src/trials/cnn/params.js';
import { runCnnTrial } from '../src/trials/cnn/run.js';
import { fashionMnistSamples, hasFashionMnist, tempDir, writeImage } from './helpers/image-folders.js';

let mnist: CnnData;
beforeAll(async () => {
  const splits = await loadDataset('mnist', { subset: 1500 });
  mnist = cnnDataFromSplits(splits);
  // 2,000 validation images keep each epoch's evaluation short.
  mnist = { ...mnist, val: { ...mnist.val, count: 2000 }, test: { ...mnist.test!, count: 2000 } };
});

describe('cnn-light on MNIST, native engine', () => {
  it('learns, and the same seed gives bit-identical metrics', async () => {
    const params = resolveCnnParams('cnn-light', { epochs: 2, lr: 0.05, batch_size: 32, seed: 3 });
    const run = () => runCnnTrial('cnn-light', params, { data: mnist, engine: 'native', threads: 2 });
    const a = await run();
    const b = await run();
    expect(a.result.state).toBe('complete');
    expect(a.result.engine).toBe('native');
    expect(a.result.epochs).toHaveLength(2);
    expect(a.result.epochs[1]!.val_accuracy).toBeGreaterThan(0.6); // chance is 0.1
    expect(a.result.epochs[1]!.train_loss).toBeLessThan(a.result.epochs[0]!.train_loss);
    const strip = (r: typeof a.result) => r.epochs.map(({ seconds: _s, train_seconds: _t, ...m }) => m);
    expect(strip(b.result)).toEqual(strip(a.result));
    expect(b.result.test_accuracy).toBe(a.result.test_accuracy);
    a.trained.dispose();
    b.trained.dispose();
    expect(tf.memory().numTensors).toBeLessThan(20); // no tensors leak per step
  });

  it('stops between minibatches when aborted, reporting where', async () => {
    const controller = new AbortController();
    const params = resolveCnnParams('cnn-light', { epochs: 3, batch_size: 32 });
    const started = runCnnTrial('cnn-light', params, {
      data: mnist,
      engine: 'native',
      threads: 1,
      signal: controller.signal,
      onEpoch: () => controller.abort(),
    });
    const { result, trained } = await started;
    trained.dispose();
    expect(result.state).toBe('stopped');
    expect(result.epochs).toHaveLength(1);
    expect(result.reason).toMatch(/after epoch 1/);
  });

  it('a diverging trial fails with the epoch and step', async () => {
    const params = resolveCnnParams('cnn-light', { epochs: 1, lr: 1e30, batch_size: 64, rescale: 'none' });
    const { result, trained } = await runCnnTrial('cnn-light', params, { data: mnist, engine: 'native', threads: 1 });
    trained.dispose();
    expect(result.state).toBe('failed');
    expect(result.reason).toMatch(/loss is (NaN|Infinity|-Infinity) at epoch 1, step \d+/);
  });
});

describe.skipIf(!hasFashionMnist())('catsdogs on an image folder', () => {
  it('trains on 64×64 RGB images from a cat.N/dog.N folder with augmentation, and standardised pixels', async () => {
    // "cats" = Fashion-MNIST T-shirts, "dogs" = trousers, written as PNG files in the Kaggle layout.
    const dir = await tempDir('catsdogs');
    const samples = await fashionMnistSamples([0, 1], 40);
    let n = 0;
    for (const s of samples) {
      const rgb = new Uint8Array(28 * 28 * 3);
      for (let i = 0; i < 784; i++) rgb.set([s.pixels[i]!, s.pixels[i]!, 255 - s.pixels[i]!], i * 3);
      await writeImage(join(dir, `${s.label === 0 ? 'cat' : 'dog'}.${n++}.png`), rgb, 28, 28, 3, 'png');
    }
    const data = await loadCnnData('catsdogs', { dataset: dir, resultsDir: join(dir, 'results'), valFraction: 0.25 });
    expect(data.classNames).toEqual(['cat', 'dog']);
    expect([data.train.count, data.val.count]).toEqual([60, 20]);
    const params = resolveCnnParams('catsdogs', { epochs: 3, batch_size: 16, augment_copies: 1, rescale: 'standardize', lr: 1e-3, optimizer: 'adam', seed: 1 });
    const { result, trained } = await runCnnTrial('catsdogs', params, { data, engine: 'native', threads: 2 });
    trained.dispose();
    expect(result.state).toBe('complete');
    expect(result.steps).toBe(3 * Math.ceil(60 / 16));
    expect(result.test_accuracy).toBeNull();
    for (const m of result.epochs) {
      expect(Number.isFinite(m.val_loss)).toBe(true);
      expect(m.val_accuracy).toBeGreaterThanOrEqual(0);
    }
    // T-shirts and trousers are easy: above chance after 3 epochs even on 60 images.
    expect(Math.max(...result.epochs.map((m) => m.val_accuracy))).toBeGreaterThan(0.6);
  });
});
