// The optimizers a CNN trial can search over, and changing the learning rate
// of one in place. The plateau schedule must not reset an optimizer's state
// (moments, accumulators): the homework recompiled its Keras model to lower
// the rate, which threw that state away, and named it as a flaw.
import * as tf from '@tensorflow/tfjs';

import type { OptimizerName } from './params.js';

/** Momentum of the `momentum` optimizer (the common default). */
export const MOMENTUM = 0.9;

export function makeOptimizer(name: OptimizerName, lr: number): tf.Optimizer {
  switch (name) {
    case 'sgd':
      return tf.train.sgd(lr);
    case 'momentum':
      return tf.train.momentum(lr, MOMENTUM);
    case 'rmsprop':
      return tf.train.rmsprop(lr);
    case 'adam':
      return tf.train.adam(lr);
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
