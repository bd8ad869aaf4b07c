// Re-running one CNN trial of a study (`hypersweep repro`) and judging it.
// What decides the check:
// - the native engine both times, same thread count, same addon file, or the
//   cuda engine both times on the same GPU model with the same addon: every
//   number must be bit-identical (our kernels never let the thread count
//   change an order of summation, tfjs's own cpu kernels are sequential, and
//   our CUDA kernels use no atomics);
// - anything else (tfjs-node(-gpu) either time, other threads, another addon):
//   |new − recorded| <= atol + rtol·|recorded| for every number, and the report
//   says so. TensorFlow's own kernels differ from ours in summation order, so
//   the same trial on two engines agrees only to rounding, which training
//   amplifies a little from epoch to epoch.
import { startTfjsEngine } from '../../engine/tfjs-engine.js';
import { ENGINE_REQUESTS, type EngineRequest } from '../../engine/engine-request.js';
import { Errors } from '../../errors.js';
import type { StudySpec } from '../../space/spec.js';
import type { StudyState, TrialRecord } from '../../study/state.js';
import { loadStudyDataset } from '../objective.js';
import { provenance } from '../record.js';
import {
  addonSha256,
  compareExact,
  compareNumber,
  DEFAULT_TOLERANCE,
  finish,
  num,
  readRepro,
  type ReproComparison,
  type ReproOptions,
  type ReproReport,
} from '../repro.js';
import { cnnTrialParams, type CnnReproInfo } from './objective.js';
import type { CnnModelName, CnnParams } from './params.js';
import { runCnnTrial } from './run.js';

const EPOCH_METRICS = ['train_loss', 'train_accuracy', 'val_loss', 'val_accuracy'] as const;

/** What ran a CNN trial, as far as its numbers depend on it. */
export interface CnnRunner {
  engine: string | null;
  threads: number | null;
  /** The GPU's name (cuda engine), else null. */
  gpu: string | null;
  /** SHA-256 of the addon file. */
  addon: string | null;
}

/**
 * Why a re-run cannot be asked to repeat the recorded numbers bit for bit
 * (empty: it must). Our kernels fix every order of summation: the native
 * engine repeats itself at the same thread count, the cuda engine on the same
 * GPU model (no atomics; the kernels' launch shapes depend on the sizes
 * only), each with the same addon. tfjs-node's kernels promise nothing.
 */
export function notExactBecause(recorded: CnnRunner, now: CnnRunner): string[] {
  const why: string[] = [];
  const ours = (engine: string | null) => engine === 'native' || engine === 'cuda';
  if (!ours(recorded.engine)) {
    why.push(`recorded on ${recorded.engine ?? 'an unrecorded engine'}`);
    if (!ours(now.engine)) why.push(`re-run on ${now.engine ?? 'an unknown engine'}`);
  } else if (now.engine !== recorded.engine) {
    why.push(`recorded on ${recorded.engine}, re-run on ${now.engine ?? 'another engine'}`);
  }
  if (recorded.engine === 'native' && now.engine === 'native' && recorded.threads !== now.threads) {
    why.push(`${recorded.threads ?? 'unrecorded'} thread(s) recorded, ${now.threads ?? 'unknown'} now`);
  }
  if (recorded.engine === 'cuda' && now.engine === 'cuda' && recorded.gpu !== now.gpu) {
    why.push(`trained on ${recorded.gpu ?? 'an unrecorded GPU'}, re-run on ${now.gpu ?? 'an unknown GPU'}`);
  }
  if (recorded.addon && now.addon && recorded.addon !== now.addon) why.push('the native addon differs from the one that ran the trial');
  return why;
}

export async function reproduceCnn(
  resultsDir: string,
  studyName: string,
  state: StudyState,
  spec: StudySpec,
  model: CnnModelName,
  trial: TrialRecord,
  options: ReproOptions,
): Promise<ReproReport> {
  const notes: string[] = [];
  const rec = readRepro(trial) as Partial<CnnReproInfo> & { addon_sha256?: string | null };
  const recordedEpochs = Array.isArray(trial.metrics['epochs']) ? (trial.metrics['epochs'] as Array<Record<string, unknown>>) : [];
  const stoppedEarly = trial.state === 'pruned' || (trial.state === 'failed' && trial.error === 'interrupted');
  if (stoppedEarly && recordedEpochs.length === 0) {
    throw Errors.trialNotReproducible(studyName, trial.number, `it was ${trial.state} before finishing an epoch: nothing to compare`);
  }
  const resolved: CnnParams = rec.params ?? cnnTrialParams(spec, model, trial);
  if (!rec.params) notes.push('the trial did not record its full parameters: rebuilt from the space file, its params and seed');
  const params: CnnParams = { ...resolved, epochs: stoppedEarly ? recordedEpochs.length : resolved.epochs };

  const recordedEngine = typeof rec.engine === 'string' ? rec.engine : null;
  const request: EngineRequest =
    options.engine ?? (recordedEngine && (ENGINE_REQUESTS as readonly string[]).includes(recordedEngine) ? (recordedEngine as EngineRequest) : 'auto');
  let engine;
  try {
    engine = await startTfjsEngine(request, options.threads ?? rec.threads ?? 1);
  } catch (error) {
    if (options.engine !== undefined || request === 'auto') throw error;
    notes.push(`the trial ran on ${request}, which cannot load here: re-running on another engine`);
    engine = await startTfjsEngine('auto', options.threads ?? rec.threads ?? 1);
  }
  const recordedThreads = rec.threads ?? null;
  const addonNow = addonSha256();
  const why = notExactBecause(
    { engine: recordedEngine, threads: recordedThreads, gpu: rec.gpu ?? null, addon: rec.addon_sha256 ?? null },
    { engine: engine.engine, threads: engine.threads, gpu: engine.gpu, addon: addonNow },
  );
  if (options.tolerance !== undefined) why.push('a tolerance was asked for');
  const exact = why.length === 0;
  const tolerance = exact ? null : (options.tolerance ?? DEFAULT_TOLERANCE);

  const subset = rec.train_subset !== undefined ? rec.train_subset : (spec.dataset?.trainSubset ?? null);
  const data = await loadStudyDataset(spec.dataset ? { ...spec, dataset: { ...spec.dataset, trainSubset: subset } } : spec, resultsDir);
  if ('features' in data) throw Errors.trialNotReproducible(studyName, trial.number, 'its dataset is not an image dataset');
  const { result, trained } = await runCnnTrial(model, params, {
    data,
    engine: engine.engine,
    threads: engine.threads,
    ...(options.onEpoch ? { onEpoch: (m) => options.onEpoch!(m.epoch, params.epochs) } : {}),
  });
  trained.dispose();

  const comparisons: ReproComparison[] = [];
  const n = Math.max(recordedEpochs.length, result.epochs.length);
  for (let i = 0; i < n; i++) {
    const r = recordedEpochs[i];
    const m = result.epochs[i] as unknown as Record<string, unknown> | undefined;
    for (const metric of EPOCH_METRICS) comparisons.push(compareNumber(i + 1, metric, num(r?.[metric]), num(m?.[metric]), tolerance));
  }
  if (!stoppedEarly) {
    const recordedTest = num(trial.metrics['test_accuracy']);
    if (recordedTest !== null || result.test_accuracy !== null) {
      comparisons.push(compareNumber(null, 'test_accuracy', recordedTest, result.test_accuracy, tolerance));
    }
    const recordedSteps = num(trial.metrics['steps']);
    if (recordedSteps !== null) comparisons.push(compareExact(null, 'steps', recordedSteps, result.steps));
    if (trial.state === 'complete') comparisons.push(compareExact(null, 'state', 'complete', result.state));
  }
  const native = (p: { buildId: string; simd: string } | null | undefined, sha: string | null | undefined) =>
    p ? `${p.buildId} (${p.simd}${sha ? `, sha256 ${sha.slice(0, 12)}…` : ''})` : null;
  return finish(
    studyName,
    trial,
    'cnn',
    exact,
    why,
    tolerance,
    comparisons,
    notes,
    {
      recorded_run: {
        device: recordedEngine === 'cuda' ? 'cuda' : 'cpu',
        threads: recordedThreads,
        dtype: 'float32',
        hypersweep: rec.hypersweep ?? state.created.hypersweep_version,
        native: native(rec.native, rec.addon_sha256),
        engine: recordedEngine,
      },
      new_run: {
        device: engine.engine === 'cuda' ? 'cuda' : 'cpu',
        threads: engine.threads,
        dtype: 'float32',
        hypersweep: provenance().hypersweep,
        native: native(provenance().native, addonNow),
        engine: engine.engine,
      },
    },
    'native engine both times with the same thread count, or cuda both times on the same GPU model, and the same addon: bit-identical required',
  );
}
