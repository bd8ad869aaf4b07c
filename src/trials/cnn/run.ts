// One CNN trial end to end: start the tfjs engine this thread trains with,
// train, and describe what happened in a plain, JSON-ready result. The data
// are loaded by the caller (a sweep loads them once for all its workers).
import type * as tf from '@tensorflow/tfjs';

import type { EngineName, EngineRequest } from '../../engine/engine-request.js';
import { startTfjsEngine } from '../../engine/tfjs-engine.js';
import type { CnnData } from './data.js';
import type { CnnModelName, CnnParams } from './params.js';
import { trainCnn, type CnnEpochMetrics, type CnnTrialState, type InputTransform } from './train.js';

export interface CnnTrialOptions {
  data: CnnData;
  engine: EngineRequest;
  /** Threads of our native kernels (native engine). */
  threads: number;
  keepBest?: { metric: keyof CnnEpochMetrics; direction: 'maximize' | 'minimize' };
  onEpoch?: (m: CnnEpochMetrics) => void;
  signal?: AbortSignal;
}

export interface CnnTrialResult {
  state: CnnTrialState;
  reason: string | null;
  model: CnnModelName;
  params: CnnParams;
  epochs: CnnEpochMetrics[];
  test_accuracy: number | null;
  best_epoch: number | null;
  steps: number;
  durations: { total_seconds: number; train_seconds: number; eval_seconds: number };
  engine: EngineName;
  backend: string;
  /** The GPU it trained on (cuda engine), e.g. "NVIDIA H200"; null on the others. */
  gpu: string | null;
  threads: number;
  dataset: string;
  train_rows: number;
  val_rows: number;
  input: InputTransform;
}

export async function runCnnTrial(
  model: CnnModelName,
  params: CnnParams,
  options: CnnTrialOptions,
): Promise<{ result: CnnTrialResult; trained: tf.LayersModel }> {
  const engine = await startTfjsEngine(options.engine, options.threads);
  const out = await trainCnn(params, {
    model,
    data: options.data,
    ...(options.keepBest ? { keepBest: options.keepBest } : {}),
    ...(options.onEpoch ? { onEpoch: options.onEpoch } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const result: CnnTrialResult = {
    state: out.state,
    reason: out.reason,
    model,
    params,
    epochs: out.epochs,
    test_accuracy: out.test_accuracy,
    best_epoch: out.best_epoch,
    steps: out.steps,
    durations: out.durations,
    engine: engine.engine,
    backend: engine.backend,
    gpu: engine.gpu,
    threads: engine.threads,
    dataset: options.data.name,
    train_rows: options.data.train.count,
    val_rows: options.data.val.count,
    input: out.input,
  };
  return { result, trained: out.model };
}
