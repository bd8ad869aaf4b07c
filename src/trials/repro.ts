// Reproduction of one trial of a study, and what a trial records so that it
// can be reproduced.
//
// What decides how a re-run is judged:
// - MLP on the cpu both times, same thread count, same dtype and same SIMD
//   kernels: every number must be bit-identical (the native trainer is
//   deterministic for a given seed and thread count). A different native build
//   id alone does not relax this; it is only reported.
// - Anything else (a GPU either time, another thread count, other kernels):
//   each number must satisfy |new − recorded| <= atol + rtol·|recorded|, and the
//   report says which tolerance was checked and whether bits matched anyway.
// - Test functions: exact. Module objectives: exact unless a tolerance is
//   given (a module is exact when it is deterministic given params and ctx.seed).
// Integers (steps) and states are always compared exactly.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { loadDataset, parseDatasetName } from '../data/index.js';
import type { DeviceName, DTypeName, MlpParamArrays } from '../engine/addon-types.js';
import { ADDON_PATH, buildInfo, DTYPES, sameArithmetic } from '../engine/native.js';
import type { EngineRequest } from '../engine/engine-request.js';
import { Errors } from '../errors.js';
import { presentParams } from '../space/conditions.js';
import type { StudySpec } from '../space/spec.js';
import type { Params } from '../study/events.js';
import type { StudyState, TrialRecord } from '../study/state.js';
import { Study } from '../study/study.js';
import { evaluateTestFunction } from './functions.js';
import { resolveMlpParams, type MlpParams } from './mlp/params.js';
import { trainMlp, type MlpTrialResult } from './mlp/run.js';
import { objectiveParams, type TrialContext } from './objective.js';
import { replaySuggestions } from '../api/suggest.js';
import { hypersweepVersion, provenance } from './record.js';
import { hasTrialWeights, loadTrialWeights } from './weights.js';

// ---------------------------------------------------------------------------
// What every trial records (metrics.repro of its trial_finished event): the MLP's part

export { fileSha256, objectiveReproInfo, type ObjectiveKind, type ReproInfo } from './repro-info.js';
import { fileSha256, type ObjectiveKind, type ReproInfo } from './repro-info.js';

/**
 * metrics.repro for a finished MLP trial. `splitRows` are the rows of the
 * validation and test splits (DatasetSplits.val.rows, .test.rows).
 */
export function mlpReproInfo(
  spec: StudySpec,
  result: MlpTrialResult,
  splitRows: { val: number; test: number },
): ReproInfo {
  const p = provenance();
  return {
    objective: 'mlp',
    hypersweep: p.hypersweep,
    node: p.node,
    native: p.native,
    addon_sha256: addonSha256(),
    dataset: result.dataset,
    train_subset: spec.dataset?.trainSubset ?? null,
    split: { scheme: 'mnist.pkl.gz', train_rows: result.train_rows, val_rows: splitRows.val, test_rows: splitRows.test },
    device: result.device,
    threads: result.threads,
    dtype: result.dtype,
    params: result.params,
  };
}

let addonHash: string | null | undefined;
/** SHA-256 of the loaded addon file, computed once per process. */
export function addonSha256(): string | null {
  if (addonHash === undefined) addonHash = fileSha256(ADDON_PATH);
  return addonHash;
}

/** Keys of `fixed` that are settings of the run, not MLP parameters. */
const MLP_SETTING_KEYS = new Set(['dtype']);

/**
 * The MLP parameters and dtype a trial of `spec` trains with: the trial's own
 * seed, then the space's fixed settings, then the sampled params (later wins),
 * exactly as the study's MLP objective builds them.
 */
export function mlpTrialParams(
  spec: StudySpec,
  trial: { number: number; params: Params; seed: number },
): { params: MlpParams; dtype: DTypeName } {
  const fixed: Record<string, unknown> = {};
  let dtype: DTypeName = 'float32';
  for (const [k, v] of Object.entries(spec.fixed)) {
    if (k === 'dtype' && (DTYPES as readonly unknown[]).includes(v)) dtype = v as DTypeName;
    else if (!MLP_SETTING_KEYS.has(k)) fixed[k] = v;
  }
  // Inactive (conditional) params are absent, or null in older journals: the defaults apply.
  const params = resolveMlpParams({ seed: trial.seed, ...fixed, ...presentParams(trial.params) }, `trial ${trial.number} of ${spec.name}`);
  return { params, dtype };
}

// ---------------------------------------------------------------------------
// Re-running a trial

export interface Tolerance {
  rtol: number;
  atol: number;
}
export const DEFAULT_TOLERANCE: Tolerance = { rtol: 1e-2, atol: 1e-3 };

export interface ReproComparison {
  /** The epoch or intermediate step; null for per-trial numbers (test_accuracy, steps, value). */
  step: number | null;
  metric: string;
  recorded: number | string | null;
  reproduced: number | string | null;
  abs_diff: number | null;
  /** Whether the two are the same bits (numbers) or the same text. */
  identical: boolean;
  ok: boolean;
}

export interface RunDescription {
  device: DeviceName | null;
  threads: number | null;
  dtype: DTypeName | null;
  hypersweep: string | null;
  native: string | null;
  /** CNN trials: the TensorFlow.js engine. */
  engine?: string | null;
}

export interface ReproReport {
  study: string;
  trial: number;
  objective: ObjectiveKind;
  state: TrialRecord['state'];
  check: 'bit-identical' | 'tolerance';
  /** Why this check applies. */
  why: string;
  tolerance: Tolerance | null;
  recorded_run: RunDescription;
  new_run: RunDescription;
  comparisons: ReproComparison[];
  /** Every compared value has the same bits. */
  bit_identical: boolean;
  /** The reproduction passed its check. */
  match: boolean;
  notes: string[];
}

export interface ReproOptions {
  /** Override the device (default: the recorded one; cpu when the recorded GPU is absent). */
  device?: DeviceName;
  /** CNN trials: override the TensorFlow.js engine (default: the recorded one when it loads here, else auto). */
  engine?: EngineRequest;
  /** Override the thread count (default: the recorded one). */
  threads?: number;
  /** Use this tolerance (default: DEFAULT_TOLERANCE where bit-identity cannot hold). */
  tolerance?: Tolerance;
  /** Per-epoch callback while an MLP trial re-trains. */
  onEpoch?: (epoch: number, total: number) => void;
}

export function compareNumber(
  step: number | null,
  metric: string,
  recorded: number | null,
  reproduced: number | null,
  tolerance: Tolerance | null,
): ReproComparison {
  const identical = recorded === null || reproduced === null ? recorded === reproduced : Object.is(recorded, reproduced);
  const diff = recorded !== null && reproduced !== null ? Math.abs(reproduced - recorded) : null;
  const ok =
    identical ||
    (tolerance !== null && diff !== null && diff <= tolerance.atol + tolerance.rtol * Math.abs(recorded!));
  return { step, metric, recorded, reproduced, abs_diff: diff, identical, ok };
}

export function compareExact(step: number | null, metric: string, recorded: number | string | null, reproduced: number | string | null): ReproComparison {
  const identical = recorded === reproduced;
  const diff = typeof recorded === 'number' && typeof reproduced === 'number' ? Math.abs(reproduced - recorded) : null;
  return { step, metric, recorded, reproduced, abs_diff: diff, identical, ok: identical };
}

export function readRepro(t: TrialRecord): Partial<ReproInfo> {
  const r = t.metrics['repro'];
  return r && typeof r === 'object' ? (r as Partial<ReproInfo>) : {};
}

export const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Re-runs trial `number` of the study and compares it with its record. */
export async function reproduceTrial(
  resultsDir: string,
  studyName: string,
  number: number,
  options: ReproOptions = {},
): Promise<ReproReport> {
  const state = Study.read(resultsDir, studyName);
  const trial = state.trials.find((t) => t.number === number);
  if (!trial) throw Errors.trialNotFound(studyName, number);
  if (trial.state === 'running') throw Errors.trialNotReproducible(studyName, number, 'it is still running (or was interrupted and not resumed)');
  const spec = state.created.spec as StudySpec;
  switch (spec.objective.kind) {
    case 'model': {
      if (spec.objective.model === 'mlp') return reproduceMlp(resultsDir, studyName, state, spec, trial, options);
      const { reproduceCnn } = await import('./cnn/repro.js'); // loads TensorFlow.js
      return reproduceCnn(resultsDir, studyName, state, spec, spec.objective.model, trial, options);
    }
    case 'function':
    case 'module':
      return reproduceObjective(studyName, state, spec, trial, options);
    case 'api':
      throw Errors.trialNotReproducible(studyName, number, 'its objective is code of the program that ran it through the library API');
  }
}

const MLP_EPOCH_METRICS = ['train_loss', 'train_accuracy', 'val_loss', 'val_accuracy'] as const;

async function reproduceMlp(
  resultsDir: string,
  studyName: string,
  state: StudyState,
  spec: StudySpec,
  trial: TrialRecord,
  options: ReproOptions,
): Promise<ReproReport> {
  const notes: string[] = [];
  const rec = readRepro(trial);
  const resolved = rec.params ? { params: rec.params, dtype: rec.dtype ?? 'float32' } : mlpTrialParams(spec, trial);
  if (!rec.params) notes.push('the trial did not record its full parameters: rebuilt from the space file, its params and seed');
  const recordedEpochs = Array.isArray(trial.metrics['epochs']) ? (trial.metrics['epochs'] as Array<Record<string, unknown>>) : [];

  // A trial stopped early (pruned, interrupted) is re-run for the epochs it completed:
  // epoch k depends only on the epochs before it, so those compare as they are.
  const stoppedEarly = trial.state === 'pruned' || (trial.state === 'failed' && trial.error === 'interrupted');
  if (stoppedEarly && recordedEpochs.length === 0) {
    throw Errors.trialNotReproducible(studyName, trial.number, `it was ${trial.state === 'pruned' ? 'pruned' : 'interrupted'} before finishing an epoch: nothing to compare`);
  }
  const epochs = stoppedEarly ? recordedEpochs.length : resolved.params.epochs;
  const params: MlpParams = { ...resolved.params, epochs };

  const info = buildInfo();
  const recordedDevice: DeviceName | null = rec.device ?? ((trial.metrics['device'] as DeviceName | undefined) ?? null);
  const recordedThreads = rec.threads ?? num(trial.metrics['threads']);
  const cudaUsable = info.cudaCompiled && info.cudaDevices > 0;
  let device: DeviceName = options.device ?? recordedDevice ?? 'cpu';
  if (device === 'cuda' && !cudaUsable) {
    if (options.device === 'cuda') throw Errors.cudaUnavailable('no CUDA device is visible');
    notes.push('the trial ran on a GPU, which is not available here: re-running on the cpu');
    device = 'cpu';
  }
  const threads = options.threads ?? recordedThreads ?? 1;
  if (recordedThreads === null && options.threads === undefined) notes.push('the thread count was not recorded: using 1');

  const why: string[] = [];
  if (recordedDevice !== 'cpu') why.push(`recorded on ${recordedDevice ?? 'an unrecorded device'}`);
  if (device !== 'cpu') why.push(`re-run on ${device}`);
  if (recordedThreads !== threads) why.push(`${recordedThreads ?? 'unrecorded'} thread(s) recorded, ${threads} now`);
  if (rec.native && !sameArithmetic(rec.native.simd, info.simd)) why.push(`${rec.native.simd} kernels recorded, ${info.simd} now`);
  const addonNow = addonSha256();
  if (rec.addon_sha256 && addonNow && rec.addon_sha256 !== addonNow) {
    why.push(`the native addon differs from the one that ran the trial (sha256 ${rec.addon_sha256.slice(0, 12)}… recorded, ${addonNow.slice(0, 12)}… now)`);
  }
  if (!rec.addon_sha256) notes.push('the trial did not record which native addon ran it: bit-identity assumes the same one');
  if (options.tolerance !== undefined) why.push('a tolerance was asked for');
  const exact = why.length === 0;
  const tolerance = exact ? null : (options.tolerance ?? DEFAULT_TOLERANCE);
  if (rec.native && rec.native.buildId !== info.buildId) {
    notes.push(`native build ${rec.native.buildId} recorded, ${info.buildId} now`);
  }
  if (rec.hypersweep && state.created.hypersweep_version !== rec.hypersweep) {
    notes.push(`study created by hypersweep ${state.created.hypersweep_version}, trial run by ${rec.hypersweep}`);
  }

  const datasetName = parseDatasetName(rec.dataset ?? spec.dataset?.name ?? 'mnist');
  const subset = rec.train_subset !== undefined ? rec.train_subset : (spec.dataset?.trainSubset ?? null);
  const dataset = await loadDataset(datasetName, subset === null ? {} : { subset });
  const { result, model } = await trainMlp(params, {
    dataset,
    device,
    threads,
    dtype: resolved.dtype,
    ...(options.onEpoch ? { onEpoch: (m) => options.onEpoch!(m.epoch, epochs) } : {}),
  });

  const comparisons: ReproComparison[] = [];
  const n = Math.max(recordedEpochs.length, result.epochs.length);
  for (let i = 0; i < n; i++) {
    const r = recordedEpochs[i];
    const m = result.epochs[i] as unknown as Record<string, unknown> | undefined;
    for (const metric of MLP_EPOCH_METRICS) {
      comparisons.push(compareNumber(i + 1, metric, num(r?.[metric]), num(m?.[metric]), tolerance));
    }
  }
  if (!stoppedEarly) {
    const recordedTest = num(trial.metrics['test_accuracy']);
    if (recordedTest !== null || result.test_accuracy !== null) {
      comparisons.push(compareNumber(null, 'test_accuracy', recordedTest, result.test_accuracy, tolerance));
    }
  }
  const recordedSteps = num(trial.metrics['steps']);
  if (recordedSteps !== null && !stoppedEarly) comparisons.push(compareExact(null, 'steps', recordedSteps, result.steps));
  if (trial.state === 'complete' || trial.state === 'failed') {
    const newState = result.state === 'stopped' ? 'failed' : result.state;
    if (!stoppedEarly) comparisons.push(compareExact(null, 'state', trial.state, newState));
    if (trial.state === 'failed' && !stoppedEarly) comparisons.push(compareExact(null, 'reason', trial.error, result.reason));
  }
  if (trial.state === 'complete' && hasTrialWeights(resultsDir, studyName, trial.number)) {
    comparisons.push(compareWeights(loadTrialWeights(resultsDir, studyName, trial.number).params, model.getParams(), tolerance));
  }
  return finish(studyName, trial, 'mlp', exact, why, tolerance, comparisons, notes, {
    recorded_run: {
      device: recordedDevice,
      threads: recordedThreads,
      dtype: rec.dtype ?? null,
      hypersweep: rec.hypersweep ?? state.created.hypersweep_version,
      native: rec.native ? `${rec.native.buildId} (${rec.native.simd}, ${rec.native.compiler}${rec.addon_sha256 ? `, sha256 ${rec.addon_sha256.slice(0, 12)}…` : ''})` : null,
    },
    new_run: {
      device: result.device,
      threads: result.threads,
      dtype: result.dtype,
      hypersweep: provenance().hypersweep,
      native: `${info.buildId} (${info.simd}, ${info.compiler}${addonNow ? `, sha256 ${addonNow.slice(0, 12)}…` : ''})`,
    },
  });
}

/** The saved weights against the re-trained ones: the largest absolute difference over all parameters. */
function compareWeights(saved: MlpParamArrays, now: MlpParamArrays, tolerance: Tolerance | null): ReproComparison {
  let maxDiff = 0;
  let identical = true;
  let maxAbs = 0;
  for (const name of ['W1', 'b1', 'W2', 'b2', 'W3', 'b3'] as const) {
    const a = saved[name];
    const b = now[name];
    if (a.length !== b.length) {
      return { step: null, metric: 'weights', recorded: `${name}[${a.length}]`, reproduced: `${name}[${b.length}]`, abs_diff: null, identical: false, ok: false };
    }
    for (let i = 0; i < a.length; i++) {
      const d = Math.abs(a[i]! - b[i]!);
      if (!Object.is(a[i], b[i])) identical = false;
      if (d > maxDiff || Number.isNaN(d)) maxDiff = d;
      maxAbs = Math.max(maxAbs, Math.abs(a[i]!));
    }
  }
  const ok = identical || (tolerance !== null && maxDiff <= tolerance.atol + tolerance.rtol * maxAbs);
  return {
    step: null,
    metric: 'weights (max |diff|)',
    recorded: 'saved',
    reproduced: 're-trained',
    abs_diff: maxDiff,
    identical,
    ok,
  };
}

async function reproduceObjective(
  studyName: string,
  state: StudyState,
  spec: StudySpec,
  trial: TrialRecord,
  options: ReproOptions,
): Promise<ReproReport> {
  const notes: string[] = [];
  const objective = spec.objective;
  const tolerance = options.tolerance ?? null;
  const rec = readRepro(trial);
  let run: (params: Params, ctx: TrialContext) => Promise<unknown>;
  let kind: ObjectiveKind;
  let why: string;
  if (objective.kind === 'function') {
    kind = 'function';
    why = 'a test function is pure: exact';
    run = async (params) => evaluateTestFunction(objective.function, params, objective.dims);
  } else if (objective.kind === 'module') {
    kind = 'module';
    why = 'module objective: exact (holds when the module is deterministic given its params and ctx.seed)';
    const sha = fileSha256(objective.path);
    if (rec.module && sha !== rec.module.sha256) notes.push(`the module ${objective.path} changed since the trial ran`);
    let mod: { objective?: unknown; default?: unknown };
    try {
      mod = (await import(pathToFileURL(path.resolve(objective.path)).href)) as typeof mod;
    } catch (err) {
      throw Errors.objectiveModule(objective.path, `cannot be imported: ${(err as Error).message}`);
    }
    const fn = mod.objective ?? mod.default;
    if (typeof fn !== 'function') throw Errors.objectiveModule(objective.path, 'exports no function named "objective" (or a default export)');
    run = fn as typeof run;
  } else {
    throw new Error('reproduceObjective: not a module or function objective');
  }

  // A pruned trial is asked to stop where it stopped before.
  const reported: Array<[number, number]> = [];
  const stopAfter = trial.state === 'pruned' ? trial.intermediate.length : Infinity;
  const ctx: TrialContext = {
    trial: trial.number,
    seed: trial.seed,
    report: (step, value) => void reported.push([step, value]),
    shouldPrune: () => reported.length >= stopAfter,
    signal: new AbortController().signal,
    // Define-by-run: the values the trial recorded (param_suggested), never a new draw.
    ...replaySuggestions(trial.number, trial.params),
  };
  let value: number | null = null;
  let metrics: Record<string, unknown> = {};
  let error: string | null = null;
  try {
    const out = await run(presentParams(objectiveParams(spec.params, trial.params)), ctx);
    const v = typeof out === 'number' ? out : (out as { value?: unknown } | null)?.value;
    value = typeof v === 'number' && Number.isFinite(v) ? v : null;
    const m = typeof out === 'object' && out !== null ? (out as { metrics?: unknown }).metrics : undefined;
    if (m && typeof m === 'object') metrics = m as Record<string, unknown>;
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }

  const comparisons: ReproComparison[] = [];
  const n = Math.max(trial.intermediate.length, Math.min(reported.length, stopAfter));
  for (let i = 0; i < n; i++) {
    const r = trial.intermediate[i];
    const m = reported[i];
    const step = r?.[0] ?? m?.[0] ?? i;
    comparisons.push(compareNumber(step, 'intermediate', r?.[1] ?? null, m?.[1] ?? null, tolerance));
  }
  if (trial.state === 'complete') {
    comparisons.push(compareNumber(null, spec.metric, trial.value, value, tolerance));
    // The numbers the objective returns beside its value, where the journal kept them
    // (the journal's metrics may hold the controller's own bookkeeping too: not compared).
    for (const [key, now] of Object.entries(metrics)) {
      const recorded = trial.metrics[key];
      if (key === 'repro' || typeof now !== 'number' || typeof recorded !== 'number') continue;
      comparisons.push(compareNumber(null, `metrics.${key}`, recorded, num(now), tolerance));
    }
  } else if (trial.state === 'failed' && trial.error !== 'interrupted') {
    comparisons.push(compareExact(null, 'failed', 'yes', error !== null || value === null ? 'yes' : 'no'));
  }
  const desc: RunDescription = { device: null, threads: null, dtype: null, hypersweep: rec.hypersweep ?? state.created.hypersweep_version, native: null };
  return finish(studyName, trial, kind, tolerance === null, tolerance === null ? [] : ['a tolerance was asked for'], tolerance, comparisons, notes, {
    recorded_run: desc,
    new_run: { ...desc, hypersweep: hypersweepVersion() },
  }, why);
}

export function finish(
  study: string,
  trial: TrialRecord,
  objective: ObjectiveKind,
  exact: boolean,
  whyNot: readonly string[],
  tolerance: Tolerance | null,
  comparisons: ReproComparison[],
  notes: string[],
  runs: { recorded_run: RunDescription; new_run: RunDescription },
  whyExact?: string,
): ReproReport {
  const bitIdentical = comparisons.every((c) => c.identical);
  const why = exact
    ? (whyExact ?? 'cpu both times, same thread count, same dtype and kernels: bit-identical required')
    : `bit-identity cannot be required (${whyNot.join('; ')}): |new - recorded| <= ${tolerance!.atol} + ${tolerance!.rtol}·|recorded| checked`;
  if (comparisons.length === 0) notes.push('nothing was recorded to compare with');
  return {
    study,
    trial: trial.number,
    objective,
    state: trial.state,
    check: exact ? 'bit-identical' : 'tolerance',
    why,
    tolerance,
    ...runs,
    comparisons,
    bit_identical: bitIdentical,
    match: comparisons.length > 0 && comparisons.every((c) => c.ok),
    notes,
  };
}
