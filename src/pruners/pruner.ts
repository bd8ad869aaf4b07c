// The pruner interface: after a trial reports an intermediate value, should it
// stop now? Decisions depend only on the study's journal: the median pruner
// reads the trials' states and intermediate values; ASHA also remembers the
// value each trial had at each rung when it got there, which a resumed study
// rebuilds by replaying the journal's intermediate values in their order.
import type { Direction } from '../space/spec.js';

export const PRUNER_TYPES = ['none', 'median', 'asha'] as const;
export type PrunerType = (typeof PRUNER_TYPES)[number];

/** What a pruner sees of a trial (a study's TrialRecord fits as it is). */
export interface PrunerTrial {
  readonly number: number;
  readonly state: 'running' | 'complete' | 'pruned' | 'failed';
  /** [step, value] in the order reported. */
  readonly intermediate: ReadonlyArray<readonly [number, number]>;
}

/** One intermediate value, as the journal records it. */
export interface PrunerReport {
  readonly trial: number;
  readonly step: number;
  readonly value: number;
}

export interface Pruner {
  readonly type: PrunerType;
  readonly direction: Direction;
  /**
   * Whether `trial` should stop, judged just after it reported the last entry
   * of its `intermediate`; called once per report. `trials` is every trial of
   * the study, `trial` included.
   */
  shouldPrune(trial: PrunerTrial, trials: readonly PrunerTrial[]): boolean;
  /** Rebuilds what the pruner remembers from a resumed study's past reports, in journal order. */
  replay?(reports: Iterable<PrunerReport>): void;
}

/**
 * A trial's intermediate values by step. A step reported twice keeps its first
 * value, as Optuna ignores a second report of the same step.
 */
export function valuesByStep(trial: PrunerTrial): Map<number, number> {
  const byStep = new Map<number, number>();
  for (const [step, value] of trial.intermediate) if (!byStep.has(step)) byStep.set(step, value);
  return byStep;
}

/**
 * Caches a per-trial derivation of the intermediate values, recomputed only when
 * a trial has reported more since (the list is append-only), so that a decision
 * costs O(trials), not O(every value ever reported).
 */
export class PerTrialCache<T> {
  private readonly entries = new Map<number, { length: number; value: T }>();
  constructor(private readonly derive: (trial: PrunerTrial) => T) {}

  get(trial: PrunerTrial): T {
    const hit = this.entries.get(trial.number);
    if (hit && hit.length === trial.intermediate.length) return hit.value;
    const value = this.derive(trial);
    this.entries.set(trial.number, { length: trial.intermediate.length, value });
    return value;
  }
}
