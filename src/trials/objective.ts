// What a study optimises: one async function from a trial's parameters to a
// value, whatever runs behind it (the native MLP, a user's module, a test
// function). Objectives are built and called inside the pool's worker threads
// (src/dispatch/worker.ts); the controller only sees their outcomes.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import type { ObjectiveContext } from '../api/types.js';
import type { DatasetSplits } from '../data/index.js';
import type { DeviceName } from '../engine/addon-types.js';
import { Errors } from '../errors.js';
import type { StudySpec } from '../space/spec.js';
import type { Params } from '../study/events.js';
import type { EngineRequest } from '../engine/engine-request.js';
import type { CnnData } from './cnn/data.js';
import { evaluateTestFunction } from './functions.js';
// Static: a dynamic import of it fails in pool threads when running from source under tsx
// (benchmarks), where tsx's hooks do not reach imports made after the thread started.
import { mlpObjective } from './mlp/objective.js';
import { hypersweepVersion } from '../version.js';
import { objectiveReproInfo, type ReproInfo } from './repro-info.js';

/**
 * The second argument of an objective (a module's `objective(params, ctx)`;
 * public as ObjectiveContext). Its suggest methods are define-by-run as a
 * library trial's are (src/api/trial.ts), and synchronous as they are: in a
 * pool thread each asks the controller, which draws from the study's sampler
 * and journals the value (param_suggested; see src/dispatch/link.ts); a re-run
 * (repro) replays the recorded value.
 */
export type TrialContext = ObjectiveContext;

/**
 * The params an objective is called with: those its study's space declares.
 * What a trial suggested itself (define-by-run) is left out: it comes back
 * through ctx.suggest*. So the objective sees the same params on its first
 * run, on a retry (whose recorded params hold its suggestions too) and on a
 * re-run (repro).
 */
export function objectiveParams(space: Readonly<Record<string, unknown>>, params: Readonly<Params>): Params {
  const out: Params = {};
  for (const [name, value] of Object.entries(params)) if (Object.hasOwn(space, name)) out[name] = value;
  return out;
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
    case 'api':
      throw Errors.apiObjective(spec.name);
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
    const { loadDataset, parseDatasetName } = await import('../data/index.js');
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
