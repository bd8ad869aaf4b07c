// Asynchronous successive halving (ASHA; Li et al. 2018), with the semantics of
// Optuna's SuccessiveHalvingPruner. Rung k sits at step
//     min_resource · reduction_factor^(min_early_stopping_rate + k).
// When a trial first reports a step at or past its next rung, the value it
// reports there is its value for that rung, and it goes on (is promoted) only
// if that value is in the top 1/reduction_factor of every value recorded at
// that rung so far, by any trial, running, pruned or complete (a report past
// several rungs is judged at each in turn, with the same value). Nothing waits
// for a rung to fill: that is what makes it asynchronous. While a rung holds
// fewer than reduction_factor values, only a trial that is the best there goes on
// (Optuna's rule, since a trial cannot be paused and promoted later).
//
//   min_resource             step of the first rung (default 1: e.g. after epoch 1)
//   reduction_factor         η, the 1/η kept at each rung (default 4, as Optuna)
//   min_early_stopping_rate  s, shifts every rung up by a factor η^s (default 0)
import type { Direction } from '../space/spec.js';
import type { Pruner, PrunerReport, PrunerTrial } from './pruner.js';

export interface AshaPrunerOptions {
  minResource: number;
  reductionFactor: number;
  minEarlyStoppingRate: number;
}

export const DEFAULT_ASHA_OPTIONS: AshaPrunerOptions = {
  minResource: 1,
  reductionFactor: 4,
  minEarlyStoppingRate: 0,
};

export class AshaPruner implements Pruner {
  readonly type = 'asha' as const;
  /**
   * Each trial's value at every rung it reached (Optuna's completed_rung_k
   * system attributes), recorded as decisions are taken. It cannot be derived
   * from a trial's own reports alone: a report that passes several rungs at once
   * records them up to the first one the trial fails, which depends on the
   * other trials at that moment. A resumed study rebuilds it with replay().
   */
  private readonly rungs = new Map<number, number[]>();

  constructor(
    readonly direction: Direction,
    readonly options: AshaPrunerOptions = DEFAULT_ASHA_OPTIONS,
  ) {}

  /** The step at which rung `rung` is judged. */
  rungStep(rung: number): number {
    const { minResource, reductionFactor, minEarlyStoppingRate } = this.options;
    return minResource * reductionFactor ** (minEarlyStoppingRate + rung);
  }

  /** The values recorded for a trial, rung by rung (a copy). */
  rungValues(trial: number): number[] {
    return [...(this.rungs.get(trial) ?? [])];
  }

  shouldPrune(trial: PrunerTrial): boolean {
    const last = trial.intermediate.at(-1);
    if (!last) return false;
    return this.judge(trial.number, last[0], last[1]);
  }

  replay(reports: Iterable<PrunerReport>): void {
    for (const r of reports) this.judge(r.trial, r.step, r.value);
  }

  /** One report: records the rungs it reaches, and says whether the trial fails one. */
  private judge(trial: number, step: number, value: number): boolean {
    let mine = this.rungs.get(trial);
    if (!mine) {
      mine = [];
      this.rungs.set(trial, mine);
    }
    for (let rung = mine.length; ; rung++) {
      if (step < this.rungStep(rung)) return false;
      if (Number.isNaN(value)) return true;
      const competing = [value];
      for (const [other, values] of this.rungs) {
        const v = values[rung];
        if (other !== trial && v !== undefined) competing.push(v);
      }
      mine[rung] = value;
      if (!isPromotable(value, competing, this.options.reductionFactor, this.direction)) return true;
    }
  }
}

/** Whether `value` is in the top 1/η of `competing` (which includes it). */
export function isPromotable(value: number, competing: number[], reductionFactor: number, direction: Direction): boolean {
  let promotableIndex = Math.floor(competing.length / reductionFactor) - 1;
  // Fewer than η values at this rung: only the best one goes on.
  if (promotableIndex === -1) promotableIndex = 0;
  const sorted = [...competing].sort((a, b) => a - b);
  return direction === 'maximize'
    ? value >= sorted[sorted.length - 1 - promotableIndex]!
    : value <= sorted[promotableIndex]!;
}
