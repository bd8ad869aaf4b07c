// The two groups of a split, read from the ObservationStore (never from the
// trials): the good group, the first gamma(n) rows in rank order, and the bad
// group, every other row plus the running trials when the constant liar is on.
// A group lists its observations in trial order (the order the weights are
// given in) with, per numeric dimension of a univariate estimator, their order
// by value, which the store keeps sorted so no group sorts more than a few.
//
// Each pass over the rows is a small function of its own: V8 optimises those
// independently, so a deoptimisation of the code around them (a new shape,
// a branch never taken before) does not leave a loop over every row running
// in the interpreter.

import type { TpeOptions } from '../../space/spec.js';
import type { Arena } from './arena.js';
import type { Dim } from './dims.js';
import type { KernelCache } from './kernel-cache.js';
import type { ObservationStore } from './observations.js';
import type { ObservationGroup } from './parzen-estimator.js';
import { observationWeights } from './split.js';

/** A running trial as the constant liar sees it: its internal values, ranked last. */
export interface Liar {
  readonly number: number;
  readonly values: Float64Array;
}

/** The dimensions a group is built over, and how its estimator will use it. */
export interface GroupShape {
  /** Indices of the dimensions (into dims and the store's columns). */
  readonly ds: readonly number[];
  readonly dims: readonly Dim[];
  /** Joint estimators need no sorted orders. */
  readonly multivariate: boolean;
  readonly weights: TpeOptions['weights'];
  /** The kernel cache of a univariate numeric dimension, or null. */
  readonly cache: KernelCache | null;
}

/** Whether a row (or liar) has a value in every one of the columns. */
function activeIn(cols: readonly Float64Array[], row: number): boolean {
  for (let k = 0; k < cols.length; k++) if (Number.isNaN(cols[k]![row]!)) return false;
  return true;
}

function liarActiveIn(ds: readonly number[], liar: Liar): boolean {
  for (let k = 0; k < ds.length; k++) if (Number.isNaN(liar.values[ds[k]!]!)) return false;
  return true;
}

/** The good group's rows: of the first nBelow in rank order, those active in every dimension, by trial number. */
export function goodRows(store: ObservationStore, ds: readonly number[], nBelow: number, arena: Arena): Int32Array {
  const cols = ds.map((d) => store.columns[d]!);
  const rows: number[] = [];
  for (let i = 0; i < nBelow; i++) {
    const row = store.ranked.data[i]!;
    if (activeIn(cols, row)) rows.push(row);
  }
  rows.sort((a, b) => store.numbers[a]! - store.numbers[b]!);
  const out = arena.ints(rows.length);
  out.set(rows);
  return out;
}

/** The good group (at most gamma_max rows) from its rows. */
export function goodGroup(store: ObservationStore, shape: GroupShape, rows: Int32Array, arena: Arena): ObservationGroup {
  const n = rows.length;
  const values = shape.ds.map((d) => {
    const out = arena.floats(n);
    gatherRows(store.columns[d]!, rows, n, out);
    return out;
  });
  const order = shape.ds.map((d, i) => {
    if (shape.multivariate || shape.dims[d]!.kind !== 'num') return null;
    const vals = values[i]!;
    // By value, ties by trial number (positions are in trial order), as the store sorts.
    const sorted = Array.from({ length: n }, (_, p) => p).sort((a, b) => vals[a]! - vals[b]! || a - b);
    return Int32Array.from(sorted);
  });
  const weights = arena.floats(n);
  observationWeights(shape.weights, n, weights);
  return { n, values, order, weights, rows: shape.cache ? rows : null, cache: shape.cache };
}

/** The bad group: every other active row, plus the active liars (sorted by number), merged by trial number. */
export function badGroup(
  store: ObservationStore,
  shape: GroupShape,
  isBelow: Int32Array,
  liars: readonly Liar[],
  arena: Arena,
): ObservationGroup {
  const { ds } = shape;
  const cols = ds.map((d) => store.columns[d]!);
  const liarActive = liars.filter((l) => liarActiveIn(ds, l));

  // Positions in trial order, members[p]: a stored row (>= 0), or liar
  // -(members[p] + 1); posOfRow: the inverse for rows (−1: not a member).
  const posOfRow = arena.ints(store.count).fill(-1);
  const members = arena.ints(store.count + liarActive.length);
  const n =
    liarActive.length === 0
      ? badRows(store, cols, isBelow, posOfRow, members)
      : badRowsAndLiars(store, cols, isBelow, liarActive, posOfRow, members);

  const values = ds.map((d, k) => {
    const out = arena.floats(n);
    if (liarActive.length === 0) gatherRows(cols[k]!, members, n, out);
    else for (let p = 0; p < n; p++) out[p] = members[p]! >= 0 ? cols[k]![members[p]!]! : liarActive[-members[p]! - 1]!.values[d]!;
    return out;
  });

  // Sorted order per numeric dimension (univariate bandwidths only): the
  // store's sorted rows that are members, the few liars merged by value.
  const order = ds.map((d, i) => {
    if (shape.multivariate || shape.dims[d]!.kind !== 'num') return null;
    const out = arena.ints(n);
    const vals = values[i]!;
    const k = memberOrder(store.sorted[d]!.data, store.sorted[d]!.length, posOfRow, out);
    if (liarActive.length > 0) mergeLiars(members, vals, out, k, n);
    return out;
  });

  const weights = arena.floats(n);
  observationWeights(shape.weights, n, weights);
  // members doubles as the rows: a liar's entry is negative.
  return { n, values, order, weights, rows: shape.cache ? members : null, cache: shape.cache };
}

/** out[p] = col[rows[p]] for p < n. */
function gatherRows(col: Float64Array, rows: Int32Array, n: number, out: Float64Array): void {
  for (let p = 0; p < n; p++) out[p] = col[rows[p]!]!;
}

/** The bad group's rows in trial order (no liars): not in the good group, active in every column. */
function badRows(store: ObservationStore, cols: readonly Float64Array[], isBelow: Int32Array, posOfRow: Int32Array, members: Int32Array): number {
  const chrono = store.chrono.data;
  const length = store.chrono.length;
  let n = 0;
  if (cols.length === 1) {
    const col = cols[0]!;
    for (let i = 0; i < length; i++) {
      const row = chrono[i]!;
      if (isBelow[row] === 1 || Number.isNaN(col[row]!)) continue;
      posOfRow[row] = n;
      members[n++] = row;
    }
    return n;
  }
  for (let i = 0; i < length; i++) {
    const row = chrono[i]!;
    if (isBelow[row] === 1 || !activeIn(cols, row)) continue;
    posOfRow[row] = n;
    members[n++] = row;
  }
  return n;
}

/** As badRows, with the liars (sorted by number) merged in by trial number. */
function badRowsAndLiars(
  store: ObservationStore,
  cols: readonly Float64Array[],
  isBelow: Int32Array,
  liars: readonly Liar[],
  posOfRow: Int32Array,
  members: Int32Array,
): number {
  let n = 0;
  let li = 0;
  for (let i = 0; i < store.chrono.length; i++) {
    const row = store.chrono.data[i]!;
    while (li < liars.length && liars[li]!.number < store.numbers[row]!) {
      members[n++] = -(li + 1);
      li++;
    }
    if (isBelow[row] === 1 || !activeIn(cols, row)) continue;
    posOfRow[row] = n;
    members[n++] = row;
  }
  for (; li < liars.length; li++) members[n++] = -(li + 1);
  return n;
}

/** The positions of the member rows in the order of `sorted` (a store order); returns how many. */
function memberOrder(sorted: Int32Array, length: number, posOfRow: Int32Array, out: Int32Array): number {
  let k = 0;
  for (let s = 0; s < length; s++) {
    const pos = posOfRow[sorted[s]!]!;
    if (pos >= 0) out[k++] = pos;
  }
  return k;
}

/**
 * Merges the liars' positions into out[0..k) (rows sorted by value): each
 * liar goes before the first row of a larger value, liars of equal value by
 * position, so that out[0..n) is the whole group's order.
 */
function mergeLiars(members: Int32Array, vals: Float64Array, out: Int32Array, k: number, n: number): void {
  const liarOrder: number[] = [];
  for (let p = 0; p < n; p++) if (members[p]! < 0) liarOrder.push(p);
  liarOrder.sort((a, b) => vals[a]! - vals[b]! || a - b);
  const rowsSorted = out.slice(0, k);
  let r = 0;
  let lk = 0;
  let o = 0;
  while (r < k) {
    const pos = rowsSorted[r]!;
    while (lk < liarOrder.length && vals[liarOrder[lk]!]! < vals[pos]!) out[o++] = liarOrder[lk++]!;
    out[o++] = pos;
    r++;
  }
  while (lk < liarOrder.length) out[o++] = liarOrder[lk++]!;
}
