// The optimizers a CNN trial can search over, and changing the learning rate
// of one in place. The plateau schedule must not reset an optimizer's state
// (moments, accumulators): the homework recompiled its Keras model to lower
// the rate, which threw that state away, and named it as a flaw.
import * as tf from '@tensorflow/tfjs';

import type { CnnParams, OptimizerName } from './params.js';

/** Momentum of the `momentum` optimizer (the common default). */
export const MOMENTUM = 0.9;

/** Each optimizer's own settings (the CNN params of the same names). */
export type OptimizerSettings = Pick<CnnParams, 'momentum' | 'rho' | 'beta1' | 'beta2'>;

/** tfjs's defaults (momentum: the common 0.9; tfjs's momentum optimizer has none). */
export const OPTIMIZER_DEFAULTS: Readonly<OptimizerSettings> = Object.freeze({ momentum: MOMENTUM, rho: 0.9, beta1: 0.9, beta2: 0.999 });

/** The optimizer `name` at learning rate `lr`, with its own settings from `settings` (absent ones: defaults). */
export function makeOptimizer(name: OptimizerName, lr: number, settings: Partial<OptimizerSettings> = {}): tf.Optimizer {
  // Field by field: a record from before these settings existed holds none of them.
  const d = OPTIMIZER_DEFAULTS;
  const s = { momentum: settings.momentum ?? d.momentum, rho: settings.rho ?? d.rho, beta1: settings.beta1 ?? d.beta1, beta2: settings.beta2 ?? d.beta2 };
  switch (name) {
    case 'sgd':
      return tf.train.sgd(lr);
    case 'momentum':
      return tf.train.momentum(lr, s.momentum);
    case 'rmsprop':
      // tf.train.rmsprop(learningRate, decay, momentum, epsilon, centered): decay is rho.
      return tf.train.rmsprop(lr, s.rho);
    case 'adam':
      return tf.train.adam(lr, s.beta1, s.beta2);
  }
}

/**
 * Sets the learning rate the next update uses. SGD and momentum keep a cached
 * −lr scalar (setLearningRate renews it); RMSProp and Adam read the
 * `learningRate` field at every update. Nothing else is touched.
 */
export function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  // Duck-typed: tfjs's optimizer classes answer `instanceof` by their fields,
  // so every optimizer with a learningRate passes `instanceof SGDOptimizer`.
  const sgd = optimizer as Partial<Pick<tf.SGDOptimizer, 'setLearningRate'>>;
  if (typeof sgd.setLearningRate === 'function') {
    sgd.setLearningRate.call(optimizer, lr);
    return;
  }
  (optimizer as unknown as { learningRate: number }).learningRate = lr;
}

export function learningRateOf(optimizer: tf.Optimizer): number {
  return (optimizer as unknown as { learningRate: number }).learningRate;
}
