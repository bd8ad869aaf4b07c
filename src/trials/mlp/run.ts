// One MLP trial: build the model, train epoch by epoch in native code, measure
// after every epoch, stop cleanly on NaN/Inf or on request.
//
// Metrics after each epoch (names fixed by issue 2):
//   train_loss     = mean cross-entropy over the training split + λ·Σ_j ‖W_j‖²
//   train_accuracy = fraction of the training split classified correctly
//   val_loss       = mean cross-entropy over the validation split (no penalty:
//                    it measures fit to unseen data, comparable across λ)
//   val_accuracy   = fraction of the validation split classified correctly
// and test_accuracy once, after the last epoch.
// Epochs are numbered from 1 in metrics; the native shuffle gets epoch - 1.
import { performance } from 'node:perf_hooks';

import type { DeviceName, DTypeName } from '../../engine/addon-types.js';
import { Dataset, MlpModel } from '../../engine/native.js';
import type { DataSplit, DatasetSplits } from '../../data/index.js';
import { Errors } from '../../errors.js';
import type { MlpParams } from './params.js';
import { trialSeeds, type TrialSeeds } from './seeds.js';

export interface EpochMetrics {
  epoch: number;
  train_loss: number;
  train_accuracy: number;
  val_loss: number;
  val_accuracy: number;
  /** Wall seconds of the epoch: training plus its evaluations. */
  seconds: number;
  /** Wall seconds of the SGD pass alone. */
  train_seconds: number;
}

export type TrialState = 'complete' | 'failed' | 'stopped';

export interface MlpTrialResult {
  state: TrialState;
  /** Why the trial failed or stopped (with epoch and step); null when complete. */
  reason: string | null;
  params: MlpParams;
  seeds: TrialSeeds;
  epochs: EpochMetrics[];
  test_accuracy: number | null;
  /** Minibatch updates done (the final t). */
  steps: number;
  durations: { total_seconds: number; train_seconds: number; eval_seconds: number };
  device: DeviceName;
  dtype: DTypeName;
  threads: number;
  dataset: string;
  train_rows: number;
}

export interface MlpTrialOptions {
  dataset: DatasetSplits;
  device: DeviceName;
  threads: number;
  /** float32 unless asked (float64 runs on the cpu only). */
  dtype?: DTypeName;
  onEpoch?: (metrics: EpochMetrics, params: MlpParams) => void;
  signal?: AbortSignal;
}

// Native datasets wrap the shared arrays once per split (the CUDA trainer
// keeps uploaded data keyed by host pointer, so reusing the wrapper matters).
const nativeSplits = new WeakMap<DataSplit, Dataset>();
export function nativeSplit(split: DataSplit): Dataset {
  let data = nativeSplits.get(split);
  if (!data) {
    data = new Dataset(split.x, split.y, split.rows, split.features);
    nativeSplits.set(split, data);
  }
  return data;
}

export function createMlpModel(
  params: MlpParams,
  options: { dataset: DatasetSplits; device: DeviceName; threads: number; dtype?: DTypeName },
): MlpModel {
  return new MlpModel({
    inputs: options.dataset.features,
    h1: params.h1,
    h2: params.h2,
    outputs: options.dataset.classes,
    activation: params.activation,
    init: params.init,
    seed: trialSeeds(params.seed).init,
    dtype: options.dtype ?? 'float32',
    device: options.device,
    threads: options.threads,
  });
}

const seconds = (from: number) => (performance.now() - from) / 1000;

/** Trains and returns the model too (gradcheck after training, determinism tests). */
export async function trainMlp(
  params: MlpParams,
  options: MlpTrialOptions,
): Promise<{ result: MlpTrialResult; model: MlpModel }> {
  const started = performance.now();
  const { dataset, signal } = options;
  if (params.batch_size > dataset.train.rows) throw Errors.batchTooLarge(params.batch_size, dataset.train.rows);
  const seeds = trialSeeds(params.seed);
  const model = createMlpModel(params, options);
  const train = nativeSplit(dataset.train);
  const val = nativeSplit(dataset.val);

  const epochs: EpochMetrics[] = [];
  let state: TrialState = 'complete';
  let reason: string | null = null;
  let t = 0;
  let trainSeconds = 0;
  let evalSeconds = 0;
  const stop = () => model.requestStop();
  signal?.addEventListener('abort', stop);
  try {
    for (let epoch = 1; epoch <= params.epochs; epoch++) {
      if (signal?.aborted) {
        state = 'stopped';
        reason = `stopped by request before epoch ${epoch}`;
        break;
      }
      const epochStart = performance.now();
      const tStart = t;
      const step = await model.trainEpoch(train, {
        alpha0: params.alpha0,
        delta: params.delta,
        lambda: params.lambda,
        batchSize: params.batch_size,
        tStart,
        shuffleSeed: seeds.shuffle,
        epoch: epoch - 1,
      });
      const trainTime = seconds(epochStart);
      trainSeconds += trainTime;
      t = step.tEnd;
      if (step.nonfinite) {
        state = 'failed';
        reason =
          `loss became NaN/Inf at epoch ${epoch}, step t=${step.failedStep} ` +
          `(minibatch ${step.failedStep - tStart + 1} of the epoch)`;
        break;
      }
      if (step.stopped) {
        state = 'stopped';
        reason = `stopped by request during epoch ${epoch} at step t=${step.tEnd}`;
        break;
      }
      const evalStart = performance.now();
      // One after the other: each evaluation already uses all of the model's threads.
      const onTrain = await model.evaluate(train);
      const onVal = await model.evaluate(val);
      const train_loss = onTrain.loss + params.lambda * model.weightSquaredNorm();
      evalSeconds += seconds(evalStart);
      if (!Number.isFinite(train_loss) || !Number.isFinite(onVal.loss)) {
        state = 'failed';
        reason = `loss became NaN/Inf at epoch ${epoch} (train_loss ${train_loss}, val_loss ${onVal.loss} after step t=${t})`;
        break;
      }
      const metrics: EpochMetrics = {
        epoch,
        train_loss,
        train_accuracy: onTrain.accuracy,
        val_loss: onVal.loss,
        val_accuracy: onVal.accuracy,
        seconds: seconds(epochStart),
        train_seconds: trainTime,
      };
      epochs.push(metrics);
      options.onEpoch?.(metrics, params);
    }
    let test_accuracy: number | null = null;
    if (state === 'complete') {
      const evalStart = performance.now();
      test_accuracy = (await model.evaluate(nativeSplit(dataset.test))).accuracy;
      evalSeconds += seconds(evalStart);
    }
    const result: MlpTrialResult = {
      state,
      reason,
      params,
      seeds,
      epochs,
      test_accuracy,
      steps: t,
      durations: { total_seconds: seconds(started), train_seconds: trainSeconds, eval_seconds: evalSeconds },
      device: model.device,
      dtype: model.dtype,
      threads: model.threads,
      dataset: dataset.dataset,
      train_rows: dataset.train.rows,
    };
    return { result, model };
  } finally {
    signal?.removeEventListener('abort', stop);
  }
}

export async function runMlpTrial(params: MlpParams, options: MlpTrialOptions): Promise<MlpTrialResult> {
  return (await trainMlp(params, options)).result;
}
