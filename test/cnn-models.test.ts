// The homework CNNs: exact parameter counts, seeded initialisation, seeded
// dropout, and the checkpoint round trip.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

import { loadCnnCheckpoint, saveCnnCheckpoint } from '../src/trials/cnn/checkpoint.js';
import { MODEL_SHAPES, buildCnnModel, countModelParams } from '../src/trials/cnn/models.js';
import { CNN_MODELS, resolveCnnParams } from '../src/trials/cnn/params.js';
import { SeededDropout } from '../src/trials/cnn/seeded-dropout.js';

beforeAll(async () => {
  tf.enableProdMode();
  await tf.setBackend('cpu');
});

const weightsOf = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));

describe('CNN models', () => {
  it.each([
    ['cnn-light', 25_258],
    ['cnn', 624_202],
    ['catsdogs', 1_496_001],
  ] as const)('%s has the homework parameter count %i, with or without dropout', (name, count) => {
    for (const dropout of [0, 0.5]) {
      const model = buildCnnModel(name, resolveCnnParams(name, { dropout }));
      expect(countModelParams(model)).toBe(count);
      expect(MODEL_SHAPES[name].params).toBe(count);
      expect(model.outputs[0]!.shape).toEqual([null, MODEL_SHAPES[name].outputs]);
      model.dispose();
    }
  });

  it('catsdogs: the first convolution gives 29×29×64 and the flatten 6,272 values', () => {
    const model = buildCnnModel('catsdogs', resolveCnnParams('catsdogs'));
    expect(model.layers[0]!.outputShape).toEqual([null, 29, 29, 64]);
    const flatten = model.layers.find((l) => l.getClassName() === 'Flatten')!;
    expect(flatten.outputShape).toEqual([null, 6272]);
    model.dispose();
  });

  it('initial weights are a function of the seed: same seed same bits, another seed other weights', () => {
    const a = buildCnnModel('cnn-light', resolveCnnParams('cnn-light', { seed: 7 }));
    const b = buildCnnModel('cnn-light', resolveCnnParams('cnn-light', { seed: 7 }));
    const c = buildCnnModel('cnn-light', resolveCnnParams('cnn-light', { seed: 8 }));
    expect(weightsOf(a)).toEqual(weightsOf(b));
    expect(weightsOf(a)[0]).not.toEqual(weightsOf(c)[0]);
    // Glorot uniform: |w| <= sqrt(6 / (fan_in + fan_out)); biases zero.
    const [k1, b1] = weightsOf(a);
    const limit = Math.sqrt(6 / (9 * 1 + 9 * 32));
    expect(Math.max(...k1!.map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(Math.max(...k1!.map(Math.abs))).toBeGreaterThan(limit * 0.9);
    expect(b1!.every((v) => v === 0)).toBe(true);
    for (const m of [a, b, c]) m.dispose();
  });

  it('seeded dropout: a new mask each training call, the same sequence for the same seed, identity at inference', () => {
    const x = tf.ones([4, 50]);
    const run = (seed: number) => {
      const layer = new SeededDropout({ rate: 0.5, seed });
      const masks = [0, 1, 2].map(() => Array.from((layer.apply(x, { training: true }) as tf.Tensor).dataSync()));
      const inference = Array.from((layer.apply(x) as tf.Tensor).dataSync());
      return { masks, inference };
    };
    const a = run(3);
    const b = run(3);
    expect(a.masks).toEqual(b.masks);
    expect(a.masks[0]).not.toEqual(a.masks[1]);
    expect(a.inference.every((v) => v === 1)).toBe(true);
    // Inverted dropout: kept units scaled by 1/(1-rate); about half kept.
    const kept = a.masks[0]!.filter((v) => v !== 0);
    expect(kept.every((v) => v === 2)).toBe(true);
    expect(kept.length).toBeGreaterThan(70);
    expect(kept.length).toBeLessThan(130);
    x.dispose();
  });

  it('a checkpoint reloads to the same model: same weights, same predictions, custom dropout included', async () => {
    const params = resolveCnnParams('cnn-light', { seed: 5, dropout: 0.25 });
    const model = buildCnnModel('cnn-light', params);
    const dir = mkdtempSync(join(tmpdir(), 'hs-ckpt-'));
    const files = { model: join(dir, 'cnn-model.json'), weights: join(dir, 'cnn-weights.bin') };
    const input = { scale: [1 / 255], shift: [0] };
    await saveCnnCheckpoint(model, files, { model: 'cnn-light', params, epoch: 2, metric: 'val_accuracy', value: 0.5, engine: 'native', input });
    const loaded = await loadCnnCheckpoint(files.model, 's', 1);
    expect(loaded.info).toMatchObject({ model: 'cnn-light', epoch: 2, input });
    expect(weightsOf(loaded.model)).toEqual(weightsOf(model));
    const x = tf.randomUniform([3, 28, 28, 1], 0, 1, 'float32', 1);
    expect(Array.from((loaded.model.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((model.predict(x) as tf.Tensor).dataSync()));
  });

  it('CNN_MODELS lists exactly the models with shapes', () => {
    expect([...CNN_MODELS].sort()).toEqual(Object.keys(MODEL_SHAPES).sort());
  });
});
