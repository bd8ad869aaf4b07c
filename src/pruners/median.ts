// Optuna's MedianPruner (a PercentilePruner at the 50th percentile): stop a
// trial whose best intermediate value so far is worse than the median of the
// values that *complete* trials reported at the same step. Comparing at the same
// step only means that a trial is never judged against trials that did not get
// that far (or went further), whatever their lengths.
//
//   n_startup_trials  no pruning until this many trials are complete (default 5)
//   n_warmup_steps    no pruning before this step (default 0)
//   interval_steps    judge at most once per this many steps after the warm-up (default 1)
//   n_min_trials      at least this many complete trials must have reported the step (default 1)
import type { Direction } from '../space/spec.js';
import { PerTrialCache, valuesByStep, type Pruner, type PrunerTrial } from './pruner.js';

export interface MedianPrunerOptions {
  nStartupTrials: number;
  nWarmupSteps: number;
  intervalSteps: number;
  nMinTrials: number;
}

export const DEFAULT_MEDIAN_OPTIONS: MedianPrunerOptions = {
  nStartupTrials: 5,
  nWarmupSteps: 0,
  intervalSteps: 1,
  nMinTrials: 1,
};

export class MedianPruner implements Pruner {
  readonly type = 'median' as const;
  private readonly byStep = new PerTrialCache(valuesByStep);

  constructor(
    readonly direction: Direction,
    readonly options: MedianPrunerOptions = DEFAULT_MEDIAN_OPTIONS,
  ) {}

  shouldPrune(trial: PrunerTrial, trials: readonly PrunerTrial[]): boolean {
    const { nStartupTrials, nWarmupSteps, intervalSteps, nMinTrials } = this.options;
    const complete = trials.filter((t) => t.state === 'complete');
    if (complete.length === 0 || complete.length < nStartupTrials) return false;
    const values = this.byStep.get(trial);
    if (values.size === 0) return false;
    const steps = [...values.keys()];
    // Optuna's trial.last_step: the largest step reported.
    const step = Math.max(...steps);
    if (step < nWarmupSteps) return false;
    if (!isFirstInInterval(step, steps, nWarmupSteps, intervalSteps)) return false;

    const best = bestValue([...values.values()], this.direction);
    if (Number.isNaN(best)) return true;
    const atStep: number[] = [];
    for (const t of complete) {
      const v = this.byStep.get(t).get(step);
      if (v !== undefined) atStep.push(v);
    }
    if (atStep.length < nMinTrials) return false;
    // For maximization, "worse than the median" is below the 50th percentile either way;
    // Optuna writes it as the (100 - p)th percentile, which for p = 50 is the same.
    const median = nanPercentile(atStep, 50);
    if (Number.isNaN(median)) return false;
    return this.direction === 'maximize' ? best < median : best > median;
  }
}

/**
 * Whether `step` is the first step reported in its pruning interval (Optuna's
 * _is_first_in_interval_step): with interval_steps = k, a trial is judged at most
 * once per window [warmup + j·k, warmup + (j+1)·k).
 */
export function isFirstInInterval(step: number, steps: readonly number[], warmup: number, interval: number): boolean {
  const nearestLowerPruningStep = Math.floor((step - warmup) / interval) * interval + warmup;
  let secondLast = -1;
  for (const s of steps) if (s > secondLast && s !== step) secondLast = s;
  return secondLast < nearestLowerPruningStep;
}

/** The best of a trial's values (NaN ignored; NaN when all are NaN). */
function bestValue(values: readonly number[], direction: Direction): number {
  let best = Number.NaN;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    if (Number.isNaN(best) || (direction === 'maximize' ? v > best : v < best)) best = v;
  }
  return best;
}

/** numpy.nanpercentile with linear interpolation (its default). */
export function nanPercentile(values: readonly number[], percentile: number): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const rank = (percentile / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}
