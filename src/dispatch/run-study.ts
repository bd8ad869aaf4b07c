// Runs a study's trials on a worker pool until its budget (or a stop): the
// one entry point shared by `hypersweep sweep/resume` and the benchmarks.
import path from 'node:path';


import type { DeviceName } from '../engine/addon-types.js';
import type { EngineRequest } from '../engine/engine-request.js';
import { createPruner } from '../pruners/create.js';
import type { Pruner, PrunerReport } from '../pruners/pruner.js';
import { createSampler } from '../samplers/sampler.js';
import type { PrunerSpec } from '../space/spec.js';
import { readJournal } from '../study/journal-reader.js';
import { writeLeaderboard } from '../study/leaderboard.js';
import { bestTrial, type TrialRecord } from '../study/state.js';
import type { Study } from '../study/study.js';
import { loadStudyDataset } from '../trials/objective.js';
import { removeTrialWeights, type SaveWeightsPolicy } from '../trials/weights.js';
import { runSweep, tellHistory, type StopReason, type SweepListener } from './controller.js';
import { TrialPool } from './pool.js';

export interface StudyRunOptions {
  budget: number;
  timeSeconds: number | null;
  workers: number;
  threadsPerTrial: number;
  device: DeviceName;
  /** The pruner for this run (default: the study's). */
  pruner?: PrunerSpec | null;
  trialTimeoutSeconds?: number | null;
  retries?: readonly TrialRecord[];
  signal?: AbortSignal;
  listener?: SweepListener;
  /** Which complete model trials keep their weights under results/<study>/trials/<n>/ (default: best). */
  saveWeights?: SaveWeightsPolicy;
  /** CNN trials: the TensorFlow.js engine (default auto). */
  engine?: EngineRequest;
  /** Told about data problems worth a line (image files skipped, blank images dropped). */
  onNotice?: (line: string) => void;
}

export async function runStudy(study: Study, options: StudyRunOptions): Promise<StopReason> {
  const spec = study.spec;
  const pruner = createPruner(options.pruner === undefined ? spec.pruner : options.pruner, spec.direction, spec.file);
  const sampler = createSampler(spec.sampler, spec.params, spec.direction, study.seed);
  tellHistory(sampler, study);
  replayReports(pruner, study);
  // Loaded once here, shared with every worker (SharedArrayBuffers, not copies).
  const resultsDir = path.dirname(study.dir);
  const dataset = spec.objective.kind === 'model' ? await loadStudyDataset(spec, resultsDir, options.onNotice) : null;
  const policy = options.saveWeights ?? 'best';
  const saving = spec.objective.kind === 'model' && policy !== 'none';
  const pool = new TrialPool(options.workers, {
    spec,
    runtime: {
      device: options.device,
      threads: options.threadsPerTrial,
      ...(options.engine ? { engine: options.engine } : {}),
      weights: saving ? { resultsDir, study: study.name } : null,
    },
    dataset,
  });
  // Under 'best', the weights kept on disk: the study's best finished trial's.
  let keptBest = bestTrial(study.state.trials, spec.direction)?.number ?? null;
  const onFinished = (trial: TrialRecord): void => {
    // The ranked view beside the journal, rewritten after every finished trial.
    writeLeaderboard(resultsDir, study.name, study.state);
    if (!saving || policy !== 'best') return;
    const best = bestTrial(study.state.trials, spec.direction)?.number ?? null;
    if (best !== trial.number) removeTrialWeights(resultsDir, study.name, trial.number);
    else if (keptBest !== null && keptBest !== best) removeTrialWeights(resultsDir, study.name, keptBest);
    keptBest = best;
  };
  const outer = options.listener;
  const listener: SweepListener = {
    trialStarted: (trial) => outer?.trialStarted?.(trial),
    intermediate: (trial, step, value, prune) => outer?.intermediate?.(trial, step, value, prune),
    trialFinished: (trial) => {
      onFinished(trial);
      outer?.trialFinished?.(trial);
    },
  };
  writeLeaderboard(resultsDir, study.name, study.state);
  try {
    await pool.prepare();
    return await runSweep(study, sampler, pool, {
      budget: options.budget,
      timeSeconds: options.timeSeconds,
      workers: options.workers,
      pruner,
      trialTimeoutSeconds: options.trialTimeoutSeconds ?? null,
      ...(options.retries ? { retries: options.retries } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      listener,
    });
  } finally {
    await pool.close();
  }
}

/** Feeds a resumed study's past intermediate values, in journal order, to a pruner that remembers (ASHA). */
function replayReports(pruner: Pruner, study: Study): void {
  if (!pruner.replay || study.state.trials.every((t) => t.intermediate.length === 0)) return;
  const reports: PrunerReport[] = [];
  for (const e of readJournal(study.journalFile).events) {
    if (e.event === 'intermediate') reports.push({ trial: e.trial, step: e.step, value: e.value });
  }
  pruner.replay(reports);
}

/**
 * Every native call of a trial (an epoch, an evaluation) holds one libuv
 * thread while it runs, and libuv has 4 unless told otherwise: more workers
 * than that would queue behind each other. Must run before libuv's pool first
 * starts (it is sized once), so the sweep command calls it first thing.
 */
export function reserveLibuvThreads(workers: number): void {
  const wanted = workers + 2;
  const current = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  if (!(current >= wanted)) process.env.UV_THREADPOOL_SIZE = String(Math.min(1024, wanted));
}
