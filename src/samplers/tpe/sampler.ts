// Tree-structured Parzen Estimator, in the manner of Optuna 3.x's TPESampler.
//
// ask(n): fewer than n_startup_trials finished (complete + pruned) trials →
// random parameters (the same draws as the random sampler). Otherwise the
// finished trials are ranked (complete by value, then pruned by how far they
// got and their last intermediate value, failed ones ignored) and split: the
// best min(ceil(γ·n), γ_max) form the good group, the rest — plus the running
// trials when the constant liar is on — the bad group. For each parameter (or
// for all at once when multivariate) a Parzen estimator l is fitted to the good
// group and g to the bad one; n_ei_candidates values are drawn from l and the
// one with the largest log l − log g is suggested.
//
// All randomness of ask(n) comes from rngFor(seed, n); the observations live
// in an ObservationStore updated by tell(), so an ask costs O(n) per
// parameter (plus n_ei_candidates·n kernel evaluations), never a re-read of
// every trial.

import { Errors } from '../../errors.js';
import type { Distribution, Params, ParamValue, SearchSpace } from '../../space/distributions.js';
import type { Direction, TpeOptions } from '../../space/spec.js';
import { randomParams } from '../random.js';
import { Stream, rngFor, type Rng } from '../rng.js';
import type { FinishedTrial, Sampler, TrialSnapshot } from '../sampler.js';
import { Arena } from './arena.js';
import { buildDims, internalValue, type Dim } from './dims.js';
import { ObservationStore } from './observations.js';
import { ParzenEstimator, type ObservationGroup, type ParzenOptions } from './parzen-estimator.js';
import { gammaCount, observationWeights, rankingKey } from './split.js';

/** A running trial as the constant liar sees it: its internal values, ranked last. */
interface Liar {
  readonly number: number;
  readonly values: Float64Array;
}

/**
 * The estimators of one set of dimensions, kept from one ask to the next: they
 * depend only on the observations (and, for g, the liars), so until the next
 * tell() an ask reuses them instead of refitting. Their arrays live in the
 * fit's own arena, reset and refilled when the store has changed.
 */
interface Fit {
  /** store.count when fitted (the store only changes by adding rows). */
  count: number;
  readonly arena: Arena;
  below: ParzenEstimator | null;
  /** g without liars; an ask with liars fits its own in the ask's arena. */
  above: ParzenEstimator | null;
}

export class TpeSampler implements Sampler {
  readonly type = 'tpe' as const;
  readonly capacity = Infinity;
  private readonly dims: Dim[];
  /** The distribution each dimension belongs to. */
  private readonly dimDists: Distribution[];
  private readonly store: ObservationStore;
  private readonly told = new Set<number>();
  private readonly parzen: ParzenOptions;
  private readonly parzenJoint: ParzenOptions;
  /** Scratch arrays of the current ask (no state: everything in it is rewritten before use). */
  private readonly arena = new Arena();
  /** Estimators by set of dimensions (and mode), valid while the store is unchanged. */
  private readonly fits = new Map<string, Fit>();

  constructor(
    private readonly space: SearchSpace,
    private readonly direction: Direction,
    private readonly seed: number,
    private readonly options: TpeOptions,
  ) {
    this.dims = buildDims(space);
    this.dimDists = this.dims.map((d) => space[d.param]!);
    this.store = new ObservationStore(this.dims);
    const base = {
      considerPrior: options.considerPrior,
      priorWeight: options.priorWeight,
      considerMagicClip: options.considerMagicClip,
      considerEndpoints: options.considerEndpoints,
      normalizeKernels: options.normalizeKernels,
    };
    this.parzen = { ...base, multivariate: false };
    this.parzenJoint = { ...base, multivariate: true };
  }

  private internals(params: Readonly<Record<string, unknown>>): Float64Array {
    const out = new Float64Array(this.dims.length);
    this.dims.forEach((dim, d) => {
      out[d] = internalValue(dim, this.dimDists[d]!, params[dim.param]);
    });
    return out;
  }

  tell(trial: FinishedTrial): void {
    if (this.told.has(trial.number)) throw Errors.trialToldTwice(trial.number);
    this.told.add(trial.number);
    const key = rankingKey(trial, this.direction);
    if (key === null) return;
    this.store.add(trial.number, key[0], key[1], this.internals(trial.params));
  }

  ask(trialNumber: number, running: readonly TrialSnapshot[]): Params {
    const rng = rngFor(this.seed, trialNumber, Stream.sampler);
    const n = this.store.count;
    if (n < this.options.nStartupTrials || this.dims.length === 0) return randomParams(this.space, rng);

    this.arena.reset();
    // Split: the first gamma(n) trials in rank order are the good group.
    const isBelow = new Uint8Array(n);
    const nBelow = gammaCount(this.options, n);
    for (let i = 0; i < nBelow; i++) isBelow[this.store.ranked.data[i]!] = 1;

    const liars: Liar[] = [];
    if (this.options.constantLiar) {
      for (const r of running) {
        if (r.number !== trialNumber && !this.told.has(r.number)) liars.push({ number: r.number, values: this.internals(r.params) });
      }
      liars.sort((a, b) => a.number - b.number);
    }

    // chosen[d]: the suggestion in dimension d (value, or choice index); NaN: inactive.
    const chosen = new Float64Array(this.dims.length).fill(NaN);
    if (this.options.multivariate) {
      const joint = this.dims.flatMap((dim, d) => (dim.kind === 'num' && dim.conditional ? [] : [d]));
      if (joint.length > 0) {
        const best = this.suggest(joint, isBelow, nBelow, liars, rng, this.parzenJoint);
        joint.forEach((d, i) => (chosen[d] = best[i]!));
      }
    }
    for (let d = 0; d < this.dims.length; d++) {
      const dim = this.dims[d]!;
      if (!Number.isNaN(chosen[d]!)) continue;
      // A conditional value is only drawn when its switch chose "not zero".
      if (dim.kind === 'num' && dim.conditional && chosen[d - 1] === 1) continue;
      chosen[d] = this.suggest([d], isBelow, nBelow, liars, rng, this.parzen)[0]!;
    }
    return this.assemble(chosen);
  }

  /** Fits l and g over dimensions `ds`, draws candidates from l, returns the best (one value per dimension). */
  private suggest(ds: number[], isBelow: Uint8Array, nBelow: number, liars: readonly Liar[], rng: Rng, parzen: ParzenOptions): number[] {
    const dims = ds.map((d) => this.dims[d]!);
    const key = `${parzen.multivariate ? 'm' : 'u'}${ds.join(',')}`;
    let fit = this.fits.get(key);
    if (!fit) {
      fit = { count: -1, arena: new Arena(), below: null, above: null };
      this.fits.set(key, fit);
    }
    if (fit.count !== this.store.count) {
      fit.arena.reset();
      fit.count = this.store.count;
      fit.below = null;
      fit.above = null;
    }
    fit.below ??= new ParzenEstimator(dims, this.goodGroup(ds, nBelow, parzen.multivariate, fit.arena), parzen, fit.arena);
    const below = fit.below;
    let above: ParzenEstimator;
    if (liars.some((l) => ds.every((d) => !Number.isNaN(l.values[d]!)))) {
      above = new ParzenEstimator(dims, this.badGroup(ds, isBelow, liars, parzen.multivariate, this.arena), parzen, this.arena);
    } else {
      fit.above ??= new ParzenEstimator(dims, this.badGroup(ds, isBelow, [], parzen.multivariate, fit.arena), parzen, fit.arena);
      above = fit.above;
    }
    const candidates = below.sample(rng, this.options.nEiCandidates, this.arena);
    const logL = below.logPdf(candidates, this.arena);
    const logG = above.logPdf(candidates, this.arena);
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < candidates.count; c++) {
      const score = logL[c]! - logG[c]!;
      if (score > bestScore) {
        bestScore = score;
        best = c;
      }
    }
    return ds.map((_, i) => candidates.values[i]![best]!);
  }

  /** The good group: at most gamma_max rows, taken from the rank order and sorted here. */
  private goodGroup(ds: number[], nBelow: number, multivariate: boolean, arena: Arena): ObservationGroup {
    const store = this.store;
    const cols = ds.map((d) => store.columns[d]!);
    const rows: number[] = [];
    for (let i = 0; i < nBelow; i++) {
      const row = store.ranked.data[i]!;
      if (cols.every((col) => !Number.isNaN(col[row]!))) rows.push(row);
    }
    rows.sort((a, b) => store.numbers[a]! - store.numbers[b]!);
    const n = rows.length;
    const values = cols.map((col) => {
      const out = arena.floats(n);
      rows.forEach((row, p) => (out[p] = col[row]!));
      return out;
    });
    const order = ds.map((d, i) => {
      if (multivariate || this.dims[d]!.kind !== 'num') return null;
      const vals = values[i]!;
      // By value, ties by trial number (positions are in trial order), as the store sorts.
      const sorted = Array.from({ length: n }, (_, p) => p).sort((a, b) => vals[a]! - vals[b]! || a - b);
      return Int32Array.from(sorted);
    });
    const weights = arena.floats(n);
    observationWeights(this.options.weights, n, weights);
    return { n, values, order, weights };
  }

  /** The bad group: every other active row, plus the liars, merged by trial number. */
  private badGroup(ds: number[], isBelow: Uint8Array, liars: readonly Liar[], multivariate: boolean, arena: Arena): ObservationGroup {
    const store = this.store;
    const cols = ds.map((d) => store.columns[d]!);
    const single = cols.length === 1 ? cols[0]! : null;
    const liarActive = liars.filter((l) => ds.every((d) => !Number.isNaN(l.values[d]!)));

    // Positions in trial order: rows and liars merged by trial number.
    // members[p] >= 0 is a stored row; < 0 is liar -(members[p] + 1).
    const posOfRow = arena.ints(store.count).fill(-1);
    const liarPos = arena.ints(liarActive.length);
    const members = arena.ints(store.count + liarActive.length);
    let n = 0;
    let li = 0;
    for (let i = 0; i < store.chrono.length; i++) {
      const row = store.chrono.data[i]!;
      while (li < liarActive.length && liarActive[li]!.number < store.numbers[row]!) {
        liarPos[li] = n;
        members[n++] = -(li + 1);
        li++;
      }
      if (isBelow[row] === 1) continue;
      if (single ? Number.isNaN(single[row]!) : cols.some((col) => Number.isNaN(col[row]!))) continue;
      posOfRow[row] = n;
      members[n++] = row;
    }
    for (; li < liarActive.length; li++) {
      liarPos[li] = n;
      members[n++] = -(li + 1);
    }

    const values = ds.map((d, k) => {
      const col = cols[k]!;
      const out = arena.floats(n);
      for (let p = 0; p < n; p++) {
        const member = members[p]!;
        out[p] = member >= 0 ? col[member]! : liarActive[-member - 1]!.values[d]!;
      }
      return out;
    });

    // Sorted order per numeric dimension (univariate bandwidths only): walk the
    // store's sorted rows, keeping members, merging the few liars by value.
    const order = ds.map((d, i) => {
      if (multivariate || this.dims[d]!.kind !== 'num') return null;
      const out = arena.ints(n);
      const vals = values[i]!;
      const liarOrder = liarActive.map((_, k) => liarPos[k]!).sort((a, b) => vals[a]! - vals[b]! || a - b);
      const sorted = store.sorted[d]!;
      let k = 0;
      let lk = 0;
      for (let s = 0; s < sorted.length; s++) {
        const pos = posOfRow[sorted.data[s]!]!;
        if (pos < 0) continue;
        while (lk < liarOrder.length && vals[liarOrder[lk]!]! < vals[pos]!) out[k++] = liarOrder[lk++]!;
        out[k++] = pos;
      }
      while (lk < liarOrder.length) out[k++] = liarOrder[lk++]!;
      return out;
    });

    const weights = arena.floats(n);
    observationWeights(this.options.weights, n, weights);
    return { n, values, order, weights };
  }

  private assemble(chosen: Float64Array): Params {
    const params: Params = {};
    for (const [name, dist] of Object.entries(this.space)) {
      if (dist.type === 'fixed') params[name] = dist.value;
    }
    this.dims.forEach((dim, d) => {
      const v = chosen[d]!;
      let value: ParamValue | undefined;
      if (dim.kind === 'cat') {
        if (dim.role === 'choice') value = dim.choices[v]!;
        else if (v === 1) value = 0; // the switch chose zero
      } else if (!Number.isNaN(v)) {
        value = v;
      }
      if (value !== undefined) params[dim.param] = value;
    });
    // In the space's order.
    const ordered: Params = {};
    for (const name of Object.keys(this.space)) ordered[name] = params[name]!;
    return ordered;
  }
}
