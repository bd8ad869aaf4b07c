// The controller: asks the sampler, starts trials, records every event in the
// study journal, and tells the sampler what finished. Trials run one after
// another here, in-process; the worker pool plugs in behind `Objective`.
import { performance } from 'node:perf_hooks';

import { isHypersweepError } from '../errors.js';
import { deriveTrialSeed } from '../samplers/rng.js';
import type { Sampler } from '../samplers/sampler.js';
import type { Params } from '../study/events.js';
import { countsTowardBudget, INTERRUPTED, type Study } from '../study/study.js';
import type { TrialRecord } from '../study/state.js';
import { TrialFailure, TrialStopped, type Objective, type ObjectiveOutcome } from '../trials/objective.js';

export interface SweepOptions {
  /** Total trials of the study (interrupted ones excluded: they are run again). */
  budget: number;
  /** Wall-clock seconds for this run of the controller, or null. */
  timeSeconds: number | null;
  /** Trials to run again first, with their original params and seed (resume). */
  retries?: readonly TrialRecord[];
  /** Aborting stops asking and interrupts the running trial. */
  signal?: AbortSignal;
  worker?: string;
  onTrialStarted?: (trial: TrialRecord) => void;
  onTrialFinished?: (trial: TrialRecord) => void;
}

export type StopReason = 'budget' | 'time' | 'interrupted' | 'exhausted';

export function countedTrials(study: Study): number {
  return study.state.trials.filter(countsTowardBudget).length;
}

/** Replays the journal's finished trials into a fresh sampler (resume). */
export function tellHistory(sampler: Sampler, study: Study): void {
  for (const t of study.state.trials) {
    if (t.state !== 'running') sampler.tell({ ...t, state: t.state });
  }
}

export async function runSweep(
  study: Study,
  sampler: Sampler,
  objective: Objective,
  options: SweepOptions,
): Promise<StopReason> {
  const started = performance.now();
  const retries = [...(options.retries ?? [])];
  const worker = options.worker ?? 'main';
  for (;;) {
    if (options.signal?.aborted) return 'interrupted';
    if (countedTrials(study) >= options.budget) return 'budget';
    if (options.timeSeconds !== null && (performance.now() - started) / 1000 >= options.timeSeconds) return 'time';

    const retry = retries.shift();
    let params: Params;
    let seed: number;
    const number = study.state.nextNumber;
    if (retry) {
      params = retry.params;
      seed = retry.seed;
    } else {
      if (countedTrials(study) >= sampler.capacity) return 'exhausted';
      params = sampler.ask(number, []);
      seed = deriveTrialSeed(study.seed, number);
    }
    const trial = study.startTrial(params, seed, worker, retry ? retry.number : null);
    options.onTrialStarted?.(trial);
    const finished = await runOneTrial(study, trial, objective, options.signal);
    if (finished.state !== 'running') sampler.tell({ ...finished, state: finished.state });
    options.onTrialFinished?.(finished);
  }
}

async function runOneTrial(
  study: Study,
  trial: TrialRecord,
  objective: Objective,
  signal: AbortSignal | undefined,
): Promise<TrialRecord> {
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  const neverAborted = new AbortController().signal;
  let outcome: number | ObjectiveOutcome;
  try {
    outcome = await objective(trial.params as Params, {
      trial: trial.number,
      seed: trial.seed,
      report: (step, value) => study.report(trial.number, step, value),
      shouldPrune: () => false,
      signal: signal ?? neverAborted,
    });
  } catch (err) {
    if (err instanceof TrialStopped) {
      return err.why === 'pruned'
        ? study.finishTrial(trial.number, 'pruned', err.lastValue, elapsed(), { metrics: err.metrics })
        : study.finishTrial(trial.number, 'failed', null, elapsed(), { metrics: err.metrics, error: INTERRUPTED });
    }
    const metrics = err instanceof TrialFailure ? err.metrics : {};
    const message = isHypersweepError(err) ? err.oneLine() : (err as Error)?.message ?? String(err);
    study.finishTrial(trial.number, 'failed', null, elapsed(), { metrics, error: message });
    // A configuration error fails every trial alike: stop instead of burning the budget.
    if (isHypersweepError(err) && err.exitCode === 2) throw err;
    return study.trial(trial.number)!;
  }
  const { value, metrics } = typeof outcome === 'number' ? { value: outcome, metrics: {} } : outcome;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return study.finishTrial(trial.number, 'failed', null, elapsed(), {
      metrics: metrics ?? {},
      error: `objective returned a non-finite value (${String(value)})`,
    });
  }
  return study.finishTrial(trial.number, 'complete', value, elapsed(), { metrics: metrics ?? {} });
}
