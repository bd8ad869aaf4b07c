// The finished trials TPE learns from, kept in the shapes an ask needs so that
// no ask re-reads the trials: one row per complete or pruned trial, with
//   - its ranking key (Optuna's (−step, signed value) pair),
//   - its internal value in every dimension (NaN where inactive),
// and three orders kept up to date on insertion (O(n) memmove each):
//   chrono  rows by trial number (the order weights are given in),
//   ranked  rows by (key, value, trial number) (the order the split takes),
//   sorted  per numeric dimension, active rows by (value, trial number)
//           (the order neighbour-based bandwidths need).
// Everything depends on the set of trials told, not on the order of tells.

import type { Dim } from './dims.js';

class GrowableInts {
  data = new Int32Array(64);
  length = 0;

  /** Inserts `value` at `index`, shifting the tail right. */
  insert(index: number, value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Int32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data.copyWithin(index + 1, index, this.length);
    this.data[index] = value;
    this.length++;
  }
}

function growFloats(a: Float64Array<ArrayBuffer>, needed: number): Float64Array<ArrayBuffer> {
  if (needed <= a.length) return a;
  const bigger = new Float64Array(Math.max(needed, a.length * 2));
  bigger.set(a);
  return bigger;
}

/** Smallest index in [0, length) whose element is not before `row` (binary search). */
function lowerBound(order: GrowableInts, before: (a: number, b: number) => boolean, row: number): number {
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(order.data[mid]!, row)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class ObservationStore {
  /** Number of rows (complete + pruned trials told). */
  count = 0;
  numbers = new Float64Array(64);
  /** Ranking key: −Infinity for complete trials, −(last step) for pruned ones (Optuna's order). */
  stepKeys = new Float64Array(64);
  /** Signed value (smaller is better). */
  scores = new Float64Array(64);
  /** Internal values, one column per dimension. */
  columns: Array<Float64Array<ArrayBuffer>>;
  readonly chrono = new GrowableInts();
  readonly ranked = new GrowableInts();
  /** Per dimension, active rows sorted by value (numeric dimensions only; empty for categorical). */
  readonly sorted: GrowableInts[];

  constructor(private readonly dims: readonly Dim[]) {
    this.columns = dims.map(() => new Float64Array(64));
    this.sorted = dims.map(() => new GrowableInts());
  }

  private readonly byNumber = (a: number, b: number): boolean => this.numbers[a]! < this.numbers[b]!;

  private readonly byRank = (a: number, b: number): boolean => {
    const ka = this.stepKeys[a]!;
    const kb = this.stepKeys[b]!;
    if (ka !== kb) return ka < kb;
    const sa = this.scores[a]!;
    const sb = this.scores[b]!;
    if (sa !== sb) return sa < sb;
    return this.numbers[a]! < this.numbers[b]!;
  };

  add(number: number, stepKey: number, score: number, internals: ArrayLike<number>): void {
    const row = this.count;
    const needed = row + 1;
    this.numbers = growFloats(this.numbers, needed);
    this.stepKeys = growFloats(this.stepKeys, needed);
    this.scores = growFloats(this.scores, needed);
    this.numbers[row] = number;
    this.stepKeys[row] = stepKey;
    this.scores[row] = score;
    for (let d = 0; d < this.dims.length; d++) {
      const col = growFloats(this.columns[d]!, needed);
      this.columns[d] = col;
      col[row] = internals[d]!;
    }
    this.count = needed;

    this.chrono.insert(lowerBound(this.chrono, this.byNumber, row), row);
    this.ranked.insert(lowerBound(this.ranked, this.byRank, row), row);
    for (let d = 0; d < this.dims.length; d++) {
      const col = this.columns[d]!;
      if (this.dims[d]!.kind !== 'num' || Number.isNaN(col[row]!)) continue;
      const byValue = (a: number, b: number): boolean =>
        col[a]! < col[b]! || (col[a] === col[b] && this.numbers[a]! < this.numbers[b]!);
      const order = this.sorted[d]!;
      order.insert(lowerBound(order, byValue, row), row);
    }
  }
}
