// Training one CNN: minibatch loop over tfjs Layers (trainOnBatch), metrics
// after every epoch, the plateau schedule, the best epoch's weights kept in
// memory, and clean stops (NaN, pruning, Ctrl-C) between minibatches.
//
// Metrics after each epoch (the MLP's names, issue 2):
//   train_loss, train_accuracy  running means over the epoch's minibatches, as
//                               Keras reports them (train_loss includes the
//                               L2 penalty, as Keras's does)
//   val_loss, val_accuracy      over the whole validation split, after the epoch
//   lr                          the learning rate the epoch trained with
// and test_accuracy once at the end (null without a test split), measured
// with the best epoch's weights when the trial keeps them.
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';

import * as tf from '@tensorflow/tfjs';

import { DEFAULT_AUGMENT, augmentInto, augmentedEpochOrder, type AugmentOptions } from '../../data/augment.js';
import { deriveSeed } from '../mlp/seeds.js';
import { copyImage, encodeLabels, makeRescaler, rescaleInPlace, type CnnData, type ImageSplit, type Rescaler } from './data.js';
import { CNN_SEED_STREAMS, MODEL_SHAPES, buildCnnModel } from './models.js';
import { learningRateOf, makeOptimizer, setLearningRate } from './optimizers.js';
import type { CnnModelName, CnnParams } from './params.js';
import { PlateauSchedule } from './plateau.js';

export interface CnnEpochMetrics {
  epoch: number;
  train_loss: number;
  train_accuracy: number;
  val_loss: number;
  val_accuracy: number;
  lr: number;
  seconds: number;
  train_seconds: number;
}

export interface TrainCnnOptions {
  model: CnnModelName;
  data: CnnData;
  /** The random transforms of augmented copies (default: the ranges, DEFAULT_AUGMENT). */
  augment?: AugmentOptions;
  /** Which epoch's weights to keep: the best by this metric (default val_accuracy, maximised). */
  keepBest?: { metric: keyof CnnEpochMetrics; direction: 'maximize' | 'minimize' };
  onEpoch?: (m: CnnEpochMetrics) => void;
  signal?: AbortSignal;
  /** Yield to the event loop every this many minibatches (messages, timers, Ctrl-C); default 1. */
  yieldEvery?: number;
}

export type CnnTrialState = 'complete' | 'failed' | 'stopped';

export interface CnnTrainResult {
  state: CnnTrialState;
  reason: string | null;
  epochs: CnnEpochMetrics[];
  test_accuracy: number | null;
  steps: number;
  /** Epoch (from 1) whose weights `model` holds at the end; null: the last one. */
  best_epoch: number | null;
  model: tf.LayersModel;
  /** How raw pixels (0..255) became the network's input: input = raw·scale[c] + shift[c]. */
  input: InputTransform;
  durations: { total_seconds: number; train_seconds: number; eval_seconds: number };
}

export interface InputTransform {
  scale: number[];
  shift: number[];
}

/** Evaluation minibatch: large enough to amortise per-call costs, small enough for catsdogs' activations. */
const EVAL_BATCH = 256;
/** Keras's clipping of probabilities inside the cross-entropies. */
const EPSILON = 1e-7;

export async function trainCnn(params: CnnParams, options: TrainCnnOptions): Promise<CnnTrainResult> {
  const start = performance.now();
  const shape = MODEL_SHAPES[options.model];
  const { data } = options;
  const model = buildCnnModel(options.model, params);
  const optimizer = makeOptimizer(params.optimizer, params.lr, params);
  model.compile({ optimizer, loss: shape.loss, metrics: ['accuracy'] });
  const rescaler = makeRescaler(data, params.rescale);
  const schedule = new PlateauSchedule(params.lr, params.factor, params.patience);
  const keep = options.keepBest ?? { metric: 'val_accuracy', direction: 'maximize' as const };
  const yieldEvery = options.yieldEvery ?? 1;
  const shuffleSeed = deriveSeed(params.seed, CNN_SEED_STREAMS.shuffle);
  const augmenting = params.augment_copies > 0;
  const augment = options.augment ?? DEFAULT_AUGMENT;
  const augmentSeed = deriveSeed(params.seed, CNN_SEED_STREAMS.augment);

  const pixels = data.height * data.width * data.channels;
  const xBuf = new Float32Array(params.batch_size * pixels);
  const yBuf = new Float32Array(params.batch_size * shape.outputs);
  const epochs: CnnEpochMetrics[] = [];
  let steps = 0;
  let trainSeconds = 0;
  let evalSeconds = 0;
  let best: { epoch: number; value: number; weights: tf.Tensor[] } | null = null;
  const finish = (state: CnnTrialState, reason: string | null, testAccuracy: number | null): CnnTrainResult => {
    if (best) {
      model.setWeights(best.weights);
      tf.dispose(best.weights);
    }
    return {
      state,
      reason,
      epochs,
      test_accuracy: testAccuracy,
      steps,
      best_epoch: best?.epoch ?? null,
      model,
      input: {
        scale: Array.from(rescaler.scale, (a) => a / data.pixelScale),
        shift: Array.from(rescaler.shift),
      },
      durations: { total_seconds: (performance.now() - start) / 1000, train_seconds: trainSeconds, eval_seconds: evalSeconds },
    };
  };

  for (let epoch = 1; epoch <= params.epochs; epoch++) {
    const epochStart = performance.now();
    const order = augmentedEpochOrder(data.train.count, params.augment_copies, shuffleSeed, epoch - 1);
    let lossSum = 0;
    let accSum = 0;
    let seen = 0;
    for (let from = 0; from < order.length; from += params.batch_size) {
      if (options.signal?.aborted) return finish('stopped', `stopped at epoch ${epoch}, step ${steps}`, null);
      const to = Math.min(order.length, from + params.batch_size);
      const rows = to - from;
      for (let r = 0; r < rows; r++) {
        const image = order.image[from + r]!;
        const copy = order.copy[from + r]!;
        if (!augmenting) copyImage(xBuf, r * pixels, data.train, image, pixels, data.channels, rescaler);
        else {
          const key = { seed: augmentSeed, epoch: epoch - 1, image, copy };
          augmentInto(xBuf, r * pixels, data.train.images, data.height, data.width, data.channels, augment, key);
          rescaleInPlace(xBuf, r * pixels, pixels, data.channels, rescaler);
        }
      }
      encodeLabels(yBuf, data.train.labels, order.image, from, to, shape.outputs);
      const xs = tf.tensor4d(xBuf.subarray(0, rows * pixels), [rows, data.height, data.width, data.channels]);
      const ys = tf.tensor2d(yBuf.subarray(0, rows * shape.outputs), [rows, shape.outputs]);
      let out: number | number[];
      try {
        out = await model.trainOnBatch(xs, ys);
      } finally {
        xs.dispose();
        ys.dispose();
      }
      const [loss, acc] = out as number[];
      steps++;
      if (!Number.isFinite(loss)) {
        return finish('failed', `training diverged: loss is ${loss} at epoch ${epoch}, step ${steps}`, null);
      }
      lossSum += loss! * rows;
      accSum += acc! * rows;
      seen += rows;
      if (steps % yieldEvery === 0) await nextTurn();
    }
    const trainEnd = performance.now();
    trainSeconds += (trainEnd - epochStart) / 1000;
    const val = evaluate(model, data.val, data, rescaler, shape.outputs);
    evalSeconds += (performance.now() - trainEnd) / 1000;
    const metrics: CnnEpochMetrics = {
      epoch,
      train_loss: lossSum / seen,
      train_accuracy: accSum / seen,
      val_loss: val.loss,
      val_accuracy: val.accuracy,
      lr: learningRateOf(optimizer),
      seconds: (performance.now() - epochStart) / 1000,
      train_seconds: (trainEnd - epochStart) / 1000,
    };
    epochs.push(metrics);
    const value = metrics[keep.metric];
    if (Number.isFinite(value) && (best === null || (keep.direction === 'maximize' ? value > best.value : value < best.value))) {
      if (best) tf.dispose(best.weights);
      best = { epoch, value, weights: model.getWeights().map((w) => w.clone()) };
    }
    options.onEpoch?.(metrics);
    const nextLr = schedule.update(metrics.val_loss);
    if (nextLr !== metrics.lr) setLearningRate(optimizer, nextLr);
    if (options.signal?.aborted && epoch < params.epochs) {
      return finish('stopped', `stopped after epoch ${epoch}`, null);
    }
  }
  const result = finish('complete', null, null);
  if (data.test) {
    const t0 = performance.now();
    result.test_accuracy = evaluate(model, data.test, data, rescaler, shape.outputs).accuracy;
    result.durations.eval_seconds += (performance.now() - t0) / 1000;
  }
  return result;
}

export interface Evaluation {
  loss: number;
  accuracy: number;
}

/** The model's outputs for every image of a split (count × outputs), in minibatches. */
export function predictSplit(model: tf.LayersModel, split: ImageSplit, data: CnnData, rescaler: Rescaler): Float32Array {
  const pixels = data.height * data.width * data.channels;
  const outputs = (model.outputs[0]!.shape.at(-1) as number | null) ?? 1;
  const result = new Float32Array(split.count * outputs);
  const x = new Float32Array(Math.min(EVAL_BATCH, split.count) * pixels);
  for (let from = 0; from < split.count; from += EVAL_BATCH) {
    const rows = Math.min(EVAL_BATCH, split.count - from);
    for (let r = 0; r < rows; r++) copyImage(x, r * pixels, split, from + r, pixels, data.channels, rescaler);
    const probs = tf.tidy(() => {
      const xs = tf.tensor4d(x.subarray(0, rows * pixels), [rows, data.height, data.width, data.channels]);
      return model.predict(xs) as tf.Tensor;
    });
    result.set(probs.dataSync(), from * outputs);
    probs.dispose();
  }
  return result;
}

/** Mean cross-entropy (no penalty) and accuracy of `model` over a split. */
export function evaluate(model: tf.LayersModel, split: ImageSplit, data: CnnData, rescaler: Rescaler, outputs: number): Evaluation {
  const p = predictSplit(model, split, data, rescaler);
  let loss = 0;
  let correct = 0;
  for (let r = 0; r < split.count; r++) {
    const y = split.labels[r]!;
    if (outputs === 1) {
      const q = Math.min(1 - EPSILON, Math.max(EPSILON, p[r]!));
      loss -= y === 1 ? Math.log(q) : Math.log(1 - q);
      if ((p[r]! > 0.5 ? 1 : 0) === y) correct++;
    } else {
      const row = r * outputs;
      loss -= Math.log(Math.min(1 - EPSILON, Math.max(EPSILON, p[row + y]!)));
      let arg = 0;
      for (let k = 1; k < outputs; k++) if (p[row + k]! > p[row + arg]!) arg = k;
      if (arg === y) correct++;
    }
  }
  return { loss: loss / split.count, accuracy: correct / split.count };
}
