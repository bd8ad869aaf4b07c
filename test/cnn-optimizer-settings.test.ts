// The CNN optimizers' own settings (momentum, rho, beta1/beta2) reach tfjs:
// the first updates of w on (w − 3)² match the update rules worked by hand,
// and a params record without them (absent: the optimizer is another one, or
// an older journal) trains with the defaults.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

import { loadDataset } from '../src/data/index.js';
import { cnnDataFromSplits } from '../src/trials/cnn/data.js';
import { OPTIMIZER_DEFAULTS, makeOptimizer } from '../src/trials/cnn/optimizers.js';
import { resolveCnnParams } from '../src/trials/cnn/params.js';
import { runCnnTrial } from '../src/trials/cnn/run.js';
import { HypersweepError } from '../src/errors.js';

beforeAll(async () => {
  tf.enableProdMode();
  await tf.setBackend('cpu');
});

/** w after `steps` updates from w = 0 on (w − 3)² (gradient 2(w − 3)). */
function descend(opt: tf.Optimizer, steps: number): number {
  const w = tf.variable(tf.scalar(0));
  for (let i = 0; i < steps; i++) opt.minimize(() => tf.square(tf.sub(w, 3)).sum() as tf.Scalar);
  return w.dataSync()[0]!;
}

describe('optimizer settings', () => {
  it('momentum: accum = m·accum + g, w −= lr·accum', () => {
    // g1 = −6 → w1 = 0.6; g2 = −4.8 → accum = −6m − 4.8.
    for (const m of [0.5, 0.9]) expect(descend(makeOptimizer('momentum', 0.1, { momentum: m }), 2)).toBeCloseTo(0.6 - 0.1 * (-6 * m - 4.8), 5);
  });

  it('rmsprop: rho is the decay of the mean square (first step lr/√(1 − rho))', () => {
    for (const rho of [0.5, 0.9, 0.99]) expect(descend(makeOptimizer('rmsprop', 0.1, { rho }), 1)).toBeCloseTo(0.1 / Math.sqrt(1 - rho), 4);
  });

  it('adam: beta1 and beta2 are the moment decays (bias-corrected update)', () => {
    const adam = (b1: number, b2: number, steps: number): number => {
      let w = 0;
      let m = 0;
      let v = 0;
      for (let t = 1; t <= steps; t++) {
        const g = 2 * (w - 3);
        m = b1 * m + (1 - b1) * g;
        v = b2 * v + (1 - b2) * g * g;
        w -= (0.1 * (m / (1 - b1 ** t))) / (Math.sqrt(v / (1 - b2 ** t)) + 1e-7);
      }
      return w;
    };
    for (const [b1, b2] of [
      [0.9, 0.999],
      [0.5, 0.9],
      [0.0, 0.99],
    ] as const) {
      expect(descend(makeOptimizer('adam', 0.1, { beta1: b1, beta2: b2 }), 3)).toBeCloseTo(adam(b1, b2, 3), 4);
    }
    // The settings matter: other betas, another third step.
    expect(Math.abs(adam(0.9, 0.999, 3) - adam(0.5, 0.9, 3))).toBeGreaterThan(1e-3);
  });

  it('absent settings are the defaults, field by field', () => {
    expect(descend(makeOptimizer('momentum', 0.1, {}), 2)).toBeCloseTo(descend(makeOptimizer('momentum', 0.1, { momentum: 0.9 }), 2), 6);
    // A record from before the settings existed: undefined fields, not a missing object.
    const old = { momentum: undefined } as unknown as { momentum: number };
    expect(descend(makeOptimizer('momentum', 0.1, old), 2)).toBeCloseTo(0.6 - 0.1 * (-6 * OPTIMIZER_DEFAULTS.momentum - 4.8), 5);
  });

  it('trial params: defaults when absent, checked when given', () => {
    const p = resolveCnnParams('cnn', { optimizer: 'adam', beta2: 0.99 });
    expect([p.momentum, p.rho, p.beta1, p.beta2]).toEqual([0.9, 0.9, 0.9, 0.99]);
    expect(() => resolveCnnParams('cnn', { rho: 1 }, 'trial 3')).toThrow(HypersweepError);
    expect(() => resolveCnnParams('cnn', { rho: 1 }, 'trial 3')).toThrow(/rho.*\(0, 1\)/);
  });

  it('a CNN trial trains with them: adam with other betas, rmsprop with another rho give other losses; the defaults, the same', async () => {
    const splits = await loadDataset('mnist', { subset: 256 });
    const full = cnnDataFromSplits(splits);
    const data = { ...full, val: { ...full.val, count: 256 }, test: { ...full.test!, count: 256 } };
    const loss = async (overrides: Record<string, unknown>) => {
      const params = resolveCnnParams('cnn-light', { epochs: 1, batch_size: 64, lr: 0.003, seed: 2, ...overrides });
      const { result, trained } = await runCnnTrial('cnn-light', params, { data, engine: 'native', threads: 1 });
      trained.dispose();
      return result.epochs[0]!.train_loss;
    };
    const adam = await loss({ optimizer: 'adam' });
    expect(await loss({ optimizer: 'adam', beta1: 0.9, beta2: 0.999 })).toBe(adam);
    expect(await loss({ optimizer: 'adam', beta1: 0.5, beta2: 0.9 })).not.toBe(adam);
    const rms = await loss({ optimizer: 'rmsprop' });
    expect(await loss({ optimizer: 'rmsprop', rho: 0.5 })).not.toBe(rms);
    // A setting of another optimizer changes nothing.
    expect(await loss({ optimizer: 'adam', momentum: 0.5, rho: 0.5 })).toBe(adam);
  }, 120_000);
});
