// The plateau schedule, and changing an optimizer's learning rate without
// touching its state (the flaw the homework named in its Keras recompile).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

import { learningRateOf, makeOptimizer, setLearningRate } from '../src/trials/cnn/optimizers.js';
import { OPTIMIZERS } from '../src/trials/cnn/params.js';
import { PlateauSchedule } from '../src/trials/cnn/plateau.js';

beforeAll(async () => {
  tf.enableProdMode();
  await tf.setBackend('cpu');
});

describe('plateau schedule', () => {
  it('multiplies by factor after `patience` epochs without a new best, then counts again', () => {
    const s = new PlateauSchedule(1, 0.5, 2);
    const lrs = [1.0, 0.9, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85].map((loss) => s.update(loss));
    expect(lrs).toEqual([1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.125]);
  });

  it('factor 1 never changes the rate; patience 0 reduces on every non-improving epoch', () => {
    const off = new PlateauSchedule(0.1, 1, 0);
    expect([3, 3, 3].map((l) => off.update(l))).toEqual([0.1, 0.1, 0.1]);
    const eager = new PlateauSchedule(1, 0.1, 0);
    expect([1, 2].map((l) => eager.update(l))).toEqual([1, 0.1]);
  });
});

describe('setLearningRate', () => {
  it.each(OPTIMIZERS)('%s: the next update uses the new rate and the optimizer state is kept', (name) => {
    // Minimise (w - 3)^2 from w = 0 with two optimizers: one has its rate
    // changed mid-way, the other is rebuilt (state lost) at the same point.
    const step = (opt: tf.Optimizer, w: tf.Variable) => opt.minimize(() => tf.square(tf.sub(w, 3)).sum() as tf.Scalar);
    const w1 = tf.variable(tf.scalar(0));
    const w2 = tf.variable(tf.scalar(0));
    const kept = makeOptimizer(name, 0.1);
    const reset = makeOptimizer(name, 0.1);
    for (let i = 0; i < 3; i++) {
      step(kept, w1);
      step(reset, w2);
    }
    setLearningRate(kept, 0.05);
    expect(learningRateOf(kept)).toBe(0.05);
    const before = w1.dataSync()[0]!;
    step(kept, w1);
    const moved = w1.dataSync()[0]! - before;
    const fresh = makeOptimizer(name, 0.05);
    step(fresh, w2);
    // Same rate, but the fresh optimizer forgot its moments: its step differs
    // for every optimizer that keeps state (plain SGD keeps none).
    const freshMoved = w2.dataSync()[0]! - w1.dataSync()[0]! + moved; // w2 started equal to w1 before the step
    expect(moved).not.toBe(0);
    if (name === 'sgd') expect(moved).toBeCloseTo(freshMoved, 6);
    else expect(Math.abs(moved - freshMoved)).toBeGreaterThan(1e-4);
    // And the step used the new rate: SGD's step is exactly lr·gradient.
    if (name === 'sgd') expect(moved).toBeCloseTo(0.05 * 2 * (3 - before), 5);
  });
});
