// What a study optimises: one async function from a trial's parameters to a
// value, whatever runs behind it (the native MLP, a user's module, a test
// function). Objectives are built and called inside the pool's worker threads
// (src/dispatch/worker.ts); the controller only sees their outcomes.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { loadDataset, parseDatasetName, type DatasetSplits } from '../data/index.js';
import type { DeviceName } from '../engine/addon-types.js';
import { Errors } from '../errors.js';
import type { StudySpec } from '../space/spec.js';
import type { Params } from '../study/events.js';
import type { EngineRequest } from '../engine/engine-request.js';
import type { CnnData } from './cnn/data.js';
import { evaluateTestFunction } from './functions.js';
import { trainMlp, type EpochMetrics } from './mlp/run.js';
import { hypersweepVersion } from './record.js';
import { mlpReproInfo, mlpTrialParams, objectiveReproInfo, type ReproInfo } from './repro.js';
import { saveTrialWeights } from './weights.js';

export interface TrialContext {
  readonly trial: number;
  /** The trial's own seed, derived from (study seed, trial number). */
  readonly seed: number;
  /** Reports an intermediate value (e.g. the metric after each epoch). */
  report(step: number, value: number): void;
  /**
   * Whether the trial should stop now: the pruner's answer to the latest
   * report (or the sweep stopping). Synchronous: the answer to a report is
   * there as soon as the report is.
   */
  shouldPrune(): boolean;
  /** Aborted when the sweep stops this trial (Ctrl-C, --trial-timeout). */
  readonly signal: AbortSignal;
}

export interface ObjectiveOutcome {
  value: number;
  metrics?: Record<string, unknown>;
}

export type Objective = (params: Params, ctx: TrialContext) => Promise<number | ObjectiveOutcome>;

/** Where a model trial saves its weights when it completes (the controller prunes them to the policy). */
export interface WeightsTarget {
  resultsDir: string;
  study: string;
}

export interface ObjectiveRuntime {
  device: DeviceName;
  threads: number;
  /** CNN trials: which TensorFlow.js engine (default auto). */
  engine?: EngineRequest;
  /** Model trials save their weights here when they complete; null: never. */
  weights?: WeightsTarget | null;
}

/**
 * A controller the trial's own code aborts (its pruner said stop) that also
 * aborts when the sweep stops the trial; `release()` unhooks it from `signal`.
 */
export function linkedStopper(signal: AbortSignal): { stopper: AbortController; release: () => void } {
  const stopper = new AbortController();
  const stop = () => stopper.abort();
  signal.addEventListener('abort', stop);
  if (signal.aborted) stop();
  return { stopper, release: () => signal.removeEventListener('abort', stop) };
}

/** The error a trial throws to be recorded `failed` with this reason (not a crash). */
export class TrialFailure extends Error {
  constructor(
    message: string,
    readonly metrics: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'TrialFailure';
  }
}

/** The error thrown when a trial stops because its pruner or the sweep said so. */
export class TrialStopped extends Error {
  constructor(
    readonly why: 'pruned' | 'interrupted',
    readonly lastValue: number | null,
    readonly metrics: Record<string, unknown> = {},
  ) {
    super(why);
    this.name = 'TrialStopped';
  }
}

/**
 * The objective a study names. Model objectives train on `dataset` when given
 * (the pool's workers get the controller's shared arrays), else load it.
 */
export async function buildObjective(
  spec: StudySpec,
  runtime: ObjectiveRuntime,
  dataset: StudyData | null = null,
): Promise<Objective> {
  const objective = spec.objective;
  switch (objective.kind) {
    case 'function': {
      const repro = objectiveReproInfo(spec, hypersweepVersion());
      return async (params) => ({ value: evaluateTestFunction(objective.function, params, objective.dims), metrics: { repro } });
    }
    case 'module':
      return withRepro(await loadModuleObjective(objective.path), objectiveReproInfo(spec, hypersweepVersion()));
    case 'model': {
      const data = dataset ?? (await loadStudyDataset(spec, runtime.weights?.resultsDir ?? 'results'));
      if (objective.model === 'mlp') {
        if (!('features' in data)) throw Errors.modelNotAvailable(objective.model);
        return mlpObjective(spec, runtime, data);
      }
      if ('features' in data) throw Errors.modelNotAvailable(objective.model);
      // Loaded on demand: TensorFlow.js is heavy, and MLP workers never need it.
      const { cnnObjective } = await import('./cnn/objective.js');
      return cnnObjective(spec, objective.model, runtime, data);
    }
  }
}

/** A model objective's data: MLP splits (rows of features) or CNN images. */
export type StudyData = DatasetSplits | CnnData;

/**
 * The dataset of a model objective (arrays in SharedArrayBuffers, for the
 * workers). Image folders cache their decoded images under <resultsDir>/.cache.
 */
export async function loadStudyDataset(
  spec: StudySpec,
  resultsDir: string,
  onNotice?: (line: string) => void,
): Promise<StudyData> {
  const model = spec.objective.kind === 'model' ? spec.objective.model : 'mlp';
  const subset = spec.dataset?.trainSubset ?? undefined;
  if (model === 'mlp') {
    const name = parseDatasetName(spec.dataset?.name ?? 'mnist');
    return loadDataset(name, subset === undefined ? {} : { subset });
  }
  const ds = spec.dataset;
  const { loadCnnData } = await import('./cnn/dataset.js'); // sharp and tfjs only when a CNN needs them
  return loadCnnData(model, {
    dataset: ds?.folder ?? ds?.name ?? 'mnist',
    subset: subset ?? null,
    resultsDir,
    ...(ds?.valFraction !== undefined ? { valFraction: ds.valFraction } : {}),
    ...(ds?.splitSeed !== undefined ? { splitSeed: ds.splitSeed } : {}),
    ...(onNotice ? { onNotice } : {}),
  });
}

async function loadModuleObjective(file: string): Promise<Objective> {
  let mod: { objective?: unknown; default?: unknown };
  try {
    mod = (await import(pathToFileURL(path.resolve(file)).href)) as typeof mod;
  } catch (err) {
    throw Errors.objectiveModule(file, `cannot be imported: ${(err as Error).message}`);
  }
  const fn = mod.objective ?? mod.default;
  if (typeof fn !== 'function') {
    throw Errors.objectiveModule(file, 'exports no function named "objective" (or a default export)');
  }
  return fn as Objective;
}

/** Adds what is needed to re-run the trial (metrics.repro) to whatever a user's objective returns. */
function withRepro(fn: Objective, repro: ReproInfo): Objective {
  return async (params, ctx) => {
    const out = await fn(params, ctx);
    if (typeof out === 'object' && out !== null) return { ...out, metrics: { ...out.metrics, repro } };
    return { value: out, metrics: { repro } };
  };
}

function mlpObjective(spec: StudySpec, runtime: ObjectiveRuntime, dataset: DatasetSplits): Objective {
  const metric = spec.metric;
  const splitRows = { val: dataset.val.rows, test: dataset.test.rows };
  return async (params, ctx) => {
    // Exactly as `hypersweep repro` rebuilds them: seed, then fixed settings, then the sampled params.
    const { params: resolved, dtype } = mlpTrialParams(spec, { number: ctx.trial, params, seed: ctx.seed });
    const { stopper, release } = linkedStopper(ctx.signal);
    let pruned = false;
    try {
      const { result, model } = await trainMlp(resolved, {
        dataset,
        device: runtime.device,
        threads: runtime.threads,
        dtype,
        signal: stopper.signal,
        onEpoch: (m) => {
          const value = metricValue(metric, m, null);
          if (value !== null) ctx.report(m.epoch, value);
          if (ctx.shouldPrune()) {
            pruned = true;
            stopper.abort();
          }
        },
      });
      const last = result.epochs.at(-1);
      const metrics = {
        epochs: result.epochs,
        test_accuracy: result.test_accuracy,
        steps: result.steps,
        device: result.device,
        threads: result.threads,
        train_rows: result.train_rows,
        repro: mlpReproInfo(spec, result, splitRows),
      };
      const lastValue = metricValue(metric, last, result.test_accuracy);
      if (result.state === 'failed') throw new TrialFailure(result.reason ?? 'training failed', metrics);
      if (result.state === 'stopped') throw new TrialStopped(pruned ? 'pruned' : 'interrupted', lastValue, metrics);
      if (lastValue === null) throw new TrialFailure(`metric "${metric}" was not measured`, metrics);
      if (runtime.weights) {
        saveTrialWeights(runtime.weights.resultsDir, runtime.weights.study, ctx.trial, model.getParams(), {
          value: lastValue,
          params: resolved,
        });
      }
      return { value: lastValue, metrics };
    } finally {
      release();
    }
  };
}

function metricValue(metric: string, last: EpochMetrics | undefined, testAccuracy: number | null): number | null {
  if (metric === 'test_accuracy') return testAccuracy;
  const v = last ? (last as unknown as Record<string, unknown>)[metric] : undefined;
  return typeof v === 'number' ? v : null;
}
