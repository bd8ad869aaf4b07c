// The homework's CNNs as TensorFlow.js Layers models (issue 6). Parameter
// counts are part of the contract (test/cnn-models.test.ts checks them):
//   cnn-light  25,258     cnn  624,202     catsdogs  1,496,001
// Dropout layers (when dropout > 0) carry no parameters, so they do not change
// the counts. Every kernel starts Glorot-uniform from its own seed derived
// from the trial's, biases at zero.
import * as tf from '@tensorflow/tfjs';

import { deriveSeed } from '../mlp/seeds.js';
import type { CnnModelName, CnnParams } from './params.js';
import { SeededDropout } from './seeded-dropout.js';

export interface ModelShape {
  /** Input height, width, channels. */
  input: readonly [number, number, number];
  /** Output units: 10 classes (softmax) or 1 (sigmoid, binary). */
  outputs: number;
  /** Loss of the output layer. */
  loss: 'categoricalCrossentropy' | 'binaryCrossentropy';
  /** Trainable parameters (the homework's count). */
  params: number;
}

export const MODEL_SHAPES: Readonly<Record<CnnModelName, ModelShape>> = {
  'cnn-light': { input: [28, 28, 1], outputs: 10, loss: 'categoricalCrossentropy', params: 25_258 },
  cnn: { input: [28, 28, 1], outputs: 10, loss: 'categoricalCrossentropy', params: 624_202 },
  catsdogs: { input: [64, 64, 3], outputs: 1, loss: 'binaryCrossentropy', params: 1_496_001 },
};

/** Seed streams of a CNN trial (mlp/seeds.ts uses 1 and 2 for the MLP's init and shuffle). */
export const CNN_SEED_STREAMS = { init: 1, shuffle: 2, dropout: 3, augment: 4 } as const;

type LayerMaker = (ctx: LayerContext) => tf.layers.Layer;

interface LayerContext {
  /** A fresh seed for the next layer's initialiser or mask. */
  nextSeed(): number;
  params: CnnParams;
}

function conv(filters: number, kernel: number, options: { strides?: number; padding?: 'same' | 'valid'; input?: readonly number[] } = {}): LayerMaker {
  return (ctx) =>
    tf.layers.conv2d({
      filters,
      kernelSize: kernel,
      strides: options.strides ?? 1,
      padding: options.padding ?? 'same',
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed: ctx.nextSeed() }),
      biasInitializer: 'zeros',
      ...(ctx.params.l2 > 0 ? { kernelRegularizer: tf.regularizers.l2({ l2: ctx.params.l2 }) } : {}),
      ...(options.input ? { inputShape: [...options.input] } : {}),
    });
}

function dense(units: number, activation: 'relu' | 'softmax' | 'sigmoid'): LayerMaker {
  return (ctx) =>
    tf.layers.dense({
      units,
      activation,
      kernelInitializer: tf.initializers.glorotUniform({ seed: ctx.nextSeed() }),
      biasInitializer: 'zeros',
      ...(ctx.params.l2 > 0 ? { kernelRegularizer: tf.regularizers.l2({ l2: ctx.params.l2 }) } : {}),
    });
}

const pool: LayerMaker = () => tf.layers.maxPooling2d({ poolSize: 2, strides: 2, padding: 'valid' });
const flatten: LayerMaker = () => tf.layers.flatten();
/** Dropout before a dense layer; null (no layer) at rate 0. */
const dropout: LayerMaker | null = null;

const ARCHITECTURES: Readonly<Record<CnnModelName, ReadonlyArray<LayerMaker | typeof dropout>>> = {
  'cnn-light': [
    conv(32, 3, { input: MODEL_SHAPES['cnn-light'].input }),
    pool,
    conv(32, 3),
    pool,
    flatten,
    dropout,
    dense(10, 'softmax'),
  ],
  cnn: [
    conv(64, 3, { input: MODEL_SHAPES.cnn.input }),
    pool,
    conv(128, 3),
    conv(128, 3),
    pool,
    flatten,
    dense(64, 'relu'),
    dropout,
    dense(10, 'softmax'),
  ],
  catsdogs: [
    conv(64, 8, { strides: 2, padding: 'valid', input: MODEL_SHAPES.catsdogs.input }),
    pool,
    conv(128, 3),
    conv(256, 3),
    conv(128, 3),
    pool,
    flatten,
    dense(128, 'relu'),
    dropout,
    dense(128, 'relu'),
    dropout,
    dense(1, 'sigmoid'),
  ],
};

/** The untrained model of a trial: weights from the trial's seed, uncompiled. */
export function buildCnnModel(name: CnnModelName, params: CnnParams): tf.Sequential {
  const initSeed = deriveSeed(params.seed, CNN_SEED_STREAMS.init);
  const dropoutSeed = deriveSeed(params.seed, CNN_SEED_STREAMS.dropout);
  let layerIndex = 0;
  const ctx: LayerContext = { params, nextSeed: () => deriveSeed(initSeed, ++layerIndex) };
  const model = tf.sequential({ name });
  let dropoutIndex = 0;
  for (const make of ARCHITECTURES[name]) {
    if (make === null) {
      if (params.dropout > 0) {
        model.add(new SeededDropout({ rate: params.dropout, seed: deriveSeed(dropoutSeed, ++dropoutIndex) }));
      }
      continue;
    }
    model.add(make(ctx));
  }
  return model;
}

/** Trainable parameters of a built model. */
export function countModelParams(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((n, w) => n + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);
}
