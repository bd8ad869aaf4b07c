// The points of a grid over a search space, conditional parameters included:
// nested loops over the parameters in decision order (file order when there
// are no conditions), the first one outermost, each parameter's values in
// increasing / choice order; a parameter that is inactive under the values
// chosen so far is skipped (it has no loop), so only valid combinations are
// points and none is counted twice.
//
// Nothing is materialised: the number of points below a loop depends only on
// the values of the parents decided so far, so counts are memoised by
// (position, parents' values) and point(i) / indexOf(params) walk the loops
// with them. Without conditions this is plain mixed radix, last axis fastest.

import { decisionOrder, isActive, parentNames } from './conditions.js';
import { finiteValues, type Distribution, type Params, type Scalar, type SearchSpace } from './distributions.js';

interface Axis {
  readonly name: string;
  readonly dist: Distribution;
  readonly values: readonly Scalar[];
  /** Some condition names this parameter: the count below depends on its value. */
  readonly isParent: boolean;
}

export class GridPoints {
  readonly size: number;
  private readonly axes: Axis[];
  private readonly memo = new Map<string, number>();

  /** Every parameter must have a finite set of values (check with GridPoints.continuousParam first). */
  constructor(private readonly space: SearchSpace) {
    const parents = parentNames(space);
    this.axes = decisionOrder(space).map((name) => {
      const dist = space[name]!;
      return { name, dist, values: finiteValues(dist) ?? [], isParent: parents.has(name) };
    });
    this.size = this.count(0, {});
  }

  /** The first parameter without a finite set of values, or null when the grid is finite. */
  static continuousParam(space: SearchSpace): string | null {
    for (const [name, dist] of Object.entries(space)) if (finiteValues(dist) === null) return name;
    return null;
  }

  /** Points below loop `a` given the parents' values decided so far. */
  private count(a: number, decided: Record<string, Scalar>): number {
    if (a === this.axes.length) return 1;
    const key = `${a}\u0000${this.parentKey(decided)}`;
    const known = this.memo.get(key);
    if (known !== undefined) return known;
    const axis = this.axes[a]!;
    let n: number;
    if (!isActive(axis.dist, decided)) n = this.count(a + 1, decided);
    else if (!axis.isParent) n = axis.values.length * this.count(a + 1, decided);
    else {
      n = 0;
      for (const v of axis.values) n += this.count(a + 1, { ...decided, [axis.name]: v });
    }
    this.memo.set(key, n);
    return n;
  }

  private parentKey(decided: Record<string, Scalar>): string {
    return JSON.stringify(Object.entries(decided).sort(([x], [y]) => (x < y ? -1 : 1)));
  }

  /** The active parameters of point `index` (0 <= index < size), in the space's order. */
  point(index: number): Params {
    const decided: Record<string, Scalar> = {};
    const params: Params = {};
    let rest = index;
    this.axes.forEach((axis, a) => {
      if (!isActive(axis.dist, decided)) return;
      let k: number;
      if (!axis.isParent) {
        const below = this.count(a + 1, decided);
        k = Math.floor(rest / below);
        rest -= k * below;
      } else {
        k = 0;
        for (;;) {
          const below = this.count(a + 1, { ...decided, [axis.name]: axis.values[k]! });
          if (rest < below) break;
          rest -= below;
          k++;
        }
        decided[axis.name] = axis.values[k]!;
      }
      params[axis.name] = axis.values[k]!;
    });
    const ordered: Params = {};
    for (const name of Object.keys(this.space)) if (name in params) ordered[name] = params[name]!;
    return ordered;
  }

  /**
   * The index of a trial's params, or null when they are not a point (an
   * active parameter missing or off the grid). Values of inactive parameters
   * are ignored; `valueIndex` finds a value among an axis' values.
   */
  indexOf(params: Readonly<Record<string, Scalar | null>>, valueIndex: (axis: { dist: Distribution; values: readonly Scalar[] }, value: Scalar) => number): number | null {
    const decided: Record<string, Scalar> = {};
    let index = 0;
    for (let a = 0; a < this.axes.length; a++) {
      const axis = this.axes[a]!;
      if (!isActive(axis.dist, decided)) continue;
      const value = params[axis.name];
      if (value === undefined || value === null) return null;
      const k = valueIndex(axis, value);
      if (k < 0) return null;
      if (!axis.isParent) {
        index += k * this.count(a + 1, decided);
      } else {
        for (let j = 0; j < k; j++) index += this.count(a + 1, { ...decided, [axis.name]: axis.values[j]! });
        decided[axis.name] = axis.values[k]!;
      }
    }
    return index;
  }
}
