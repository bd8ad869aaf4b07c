// Grid search: every combination of the parameters' values, in a fixed order
// (nested loops over the parameters in file order, the first one outermost,
// each parameter's values in increasing order / choice order).
//
// Resumable rule: trial n takes the first grid point, in that order, that no
// trial told so far (complete, pruned or failed) and no running trial holds.
// Nothing else is remembered, so a sampler rebuilt from the journal continues
// where the old one stopped; a failed point is not retried by the grid itself
// (resume re-runs interrupted trials through retry_of). When every point is
// taken, ask() throws Errors.gridExhausted; `capacity` is the grid's size so a
// study can cap its budget up front.

import { Errors } from '../errors.js';
import { describe, finiteValues, type Distribution, type Params, type ParamValue, type Scalar, type SearchSpace } from '../space/distributions.js';
import type { FinishedTrial, RecordedParams, Sampler, TrialSnapshot } from './sampler.js';

interface Axis {
  readonly name: string;
  readonly dist: Distribution;
  readonly values: readonly Scalar[];
}

export class GridSampler implements Sampler {
  readonly type = 'grid' as const;
  readonly capacity: number;
  private readonly axes: Axis[] = [];
  private readonly taken = new Set<number>();
  private readonly told = new Set<number>();
  /** Every point below this index is taken by a told trial. */
  private firstFree = 0;

  constructor(private readonly space: SearchSpace) {
    let size = 1;
    for (const [name, dist] of Object.entries(space)) {
      const values = finiteValues(dist);
      if (values === null) throw Errors.gridNeedsFiniteParam(name, describe(dist));
      this.axes.push({ name, dist, values });
      size *= values.length;
    }
    this.capacity = size;
  }

  /** The parameters of grid point `index` (0 <= index < capacity). */
  point(index: number): Params {
    const params: Params = {};
    let rest = index;
    // Mixed radix with the last axis varying fastest.
    for (let a = this.axes.length - 1; a >= 0; a--) {
      const axis = this.axes[a]!;
      params[axis.name] = axis.values[rest % axis.values.length]!;
      rest = Math.floor(rest / axis.values.length);
    }
    // Return in the space's order, not the loop's.
    const ordered: Params = {};
    for (const name of Object.keys(this.space)) ordered[name] = params[name]!;
    return ordered;
  }

  /** Grid index of a trial's params, or null when they are not a grid point. */
  indexOf(params: RecordedParams): number | null {
    let index = 0;
    for (const axis of this.axes) {
      const value = params[axis.name];
      if (value === undefined || value === null) return null;
      let k = axis.values.indexOf(value);
      if (k < 0 && typeof value === 'number' && (axis.dist.type === 'float' || axis.dist.type === 'int')) {
        // Tolerate a float that went through another rounding.
        const step = axis.dist.step ?? 1;
        const guess = Math.round((value - axis.dist.low) / step);
        const at = axis.values[guess];
        if (typeof at === 'number' && Math.abs(at - value) <= 1e-9 * Math.max(1, Math.abs(value))) k = guess;
      }
      if (k < 0) return null;
      index = index * axis.values.length + k;
    }
    return index;
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
