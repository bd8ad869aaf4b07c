// Grid search: every combination of the parameters' values, in a fixed order
// (nested loops over the parameters in file order, the first one outermost,
// each parameter's values in increasing order / choice order). With
// conditional parameters, only valid combinations: a parameter inactive under
// its parents' values has no loop there (src/space/grid-points.ts).
//
// Resumable rule: trial n takes the first grid point, in that order, that no
// trial told so far (complete, pruned or failed) and no running trial holds.
// Nothing else is remembered, so a sampler rebuilt from the journal continues
// where the old one stopped; a failed point is not retried by the grid itself
// (resume re-runs interrupted trials through retry_of). When every point is
// taken, ask() throws Errors.gridExhausted; `capacity` is the grid's size so a
// study can cap its budget up front.

import { Errors } from '../errors.js';
import { describe, type Distribution, type Params, type ParamValue, type Scalar, type SearchSpace } from '../space/distributions.js';
import { GridPoints } from '../space/grid-points.js';
import type { FinishedTrial, RecordedParams, Sampler, TrialSnapshot } from './sampler.js';

export class GridSampler implements Sampler {
  readonly type = 'grid' as const;
  readonly capacity: number;
  private readonly points: GridPoints;
  private readonly taken = new Set<number>();
  private readonly told = new Set<number>();
  /** Every point below this index is taken by a told trial. */
  private firstFree = 0;

  constructor(space: SearchSpace) {
    const continuous = GridPoints.continuousParam(space);
    if (continuous !== null) throw Errors.gridNeedsFiniteParam(continuous, describe(space[continuous]!));
    this.points = new GridPoints(space);
    this.capacity = this.points.size;
  }

  madeBy(): string {
    return 'grid';
  }

  /** The parameters of grid point `index` (0 <= index < capacity): the active ones only. */
  point(index: number): Params {
    return this.points.point(index);
  }

  /** Grid index of a trial's params, or null when they are not a grid point. */
  indexOf(params: RecordedParams): number | null {
    return this.points.indexOf(params, valueIndex);
  }

  ask(_trialNumber: number, running: readonly TrialSnapshot[]): Params {
    const busy = new Set<number>();
    for (const r of running) {
      const i = this.indexOf(r.params);
      if (i !== null) busy.add(i);
    }
    let index = this.firstFree;
    while (index < this.capacity && (this.taken.has(index) || busy.has(index))) index++;
    if (index >= this.capacity) throw Errors.gridExhausted(this.capacity);
    return this.point(index);
  }

  sampleParam(_trialNumber: number, name: string): ParamValue {
    throw Errors.gridDefineByRun(name);
  }

  tell(trial: FinishedTrial): void {
    if (this.told.has(trial.number)) throw Errors.trialToldTwice(trial.number);
    this.told.add(trial.number);
    const index = this.indexOf(trial.params);
    if (index === null) return;
    this.taken.add(index);
    while (this.taken.has(this.firstFree)) this.firstFree++;
  }
}

/** Position of a recorded value among an axis' values, tolerating a float that went through another rounding. */
function valueIndex(axis: { dist: Distribution; values: readonly Scalar[] }, value: Scalar): number {
  const k = axis.values.indexOf(value);
  if (k >= 0 || typeof value !== 'number' || (axis.dist.type !== 'float' && axis.dist.type !== 'int')) return k;
  const step = axis.dist.step ?? 1;
  const guess = Math.round((value - axis.dist.low) / step);
  const at = axis.values[guess];
  return typeof at === 'number' && Math.abs(at - value) <= 1e-9 * Math.max(1, Math.abs(value)) ? guess : -1;
}
