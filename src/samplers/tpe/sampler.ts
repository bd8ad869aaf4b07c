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
// Conditional spaces (as Optuna): every estimator is fitted on the trials where
// its dimensions were active (the split itself is over all finished trials);
// dimensions are decided parents first, and an inactive one is not drawn.
// Multivariate draws jointly the always-active dimensions, or with group: true
// each group of dimensions active in the same finished trials (_SearchSpaceGroup).
// One difference from Optuna 3.1, as Optuna >= 5.0: with group: true a joint
// kernel's σ in each numeric dimension is the univariate estimator's σ of that
// observation (its neighbours), not Scott's rule over the whole group
// (parzen-estimator.ts; jointBandwidth: 'scott' gives 3.1's).
//
// All randomness of ask(n) comes from rngFor(seed, n); the observations live
// in an ObservationStore updated by tell(), so an ask costs O(n) per
// parameter, never a re-read of every trial: after a tell, a refit of g
// (groups.ts; kernel constants mostly from the KernelCache) and of l only if
// the good group changed; then the kernels near each candidate, and the full
// log g only for the few candidates that might be the best (bestRatio).
//
// sampleParam (define-by-run) keeps, per (name, distribution), a TpeSampler of
// its own over that one parameter, told every trial this one was told: the
// split is over all finished trials and l and g see only those where the
// parameter holds a value of the distribution (Optuna's sample_independent).
// Its draws come from rngForParam(seed, n, name).

import { Errors } from '../../errors.js';
import type { Distribution, Params, ParamValue, SearchSpace } from '../../space/distributions.js';
import type { Direction, TpeOptions } from '../../space/spec.js';
import { activeOnly, decisionOrder, hasConditions } from '../../space/conditions.js';
import { randomParams } from '../random.js';
import { Stream, rngFor, rngForParam, type Rng } from '../rng.js';
import type { FinishedTrial, RecordedParams, Sampler, TrialSnapshot } from '../sampler.js';
import { Arena } from './arena.js';
import { buildDims, internalValue, type Dim } from './dims.js';
import { badGroup, goodGroup, goodRows, type GroupShape, type Liar } from './groups.js';
import { KernelCache } from './kernel-cache.js';
import { ObservationStore } from './observations.js';
import { ParzenEstimator, type ParzenOptions } from './parzen-estimator.js';
import { gammaCount, rankingKey } from './split.js';

/**
 * TpeOptions, and (for tests and benchmarks, not a space file's option) the
 * bandwidth of joint numeric kernels: 'scott' reproduces Optuna 3.1's
 * multivariate + group TPE exactly; by default group: true uses 'neighbour'.
 */
export type TpeSamplerOptions = TpeOptions & { readonly jointBandwidth?: ParzenOptions['jointBandwidth'] };

/**
 * The estimators of one set of dimensions, kept from one ask to the next: they
 * depend only on the observations (and, for g, the liars), so until the next
 * tell() an ask reuses them instead of refitting. Each lives in its own arena,
 * reset and refilled when the store has changed — l only when its rows did:
 * most tells add a trial to the bad group and leave the good one as it was.
 */
interface Fit {
  /** The dimensions, for the groups and the estimators (made once: the same arrays every ask). */
  readonly shape: GroupShape;
  readonly dims: readonly Dim[];
  /** store.count when fitted (the store only changes by adding rows). */
  count: number;
  readonly belowArena: Arena;
  below: ParzenEstimator | null;
  /** The rows l was fitted to, in its order (in belowArena). */
  belowRows: Int32Array | null;
  readonly aboveArena: Arena;
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
  /** Per dimension, the constants of univariate numeric kernels by store row (null: categorical). */
  private readonly kernelCaches: Array<KernelCache | null>;
  /** Every trial told, for the define-by-run samplers made after it was told. */
  private readonly history: FinishedTrial[] = [];
  /** Define-by-run: one single-parameter sampler per (name, distribution). */
  private readonly byName = new Map<string, TpeSampler>();
  /** The space has `when` conditions. */
  private readonly conditional: boolean;
  /** Dimensions in decision order (parents first; plain order without conditions). */
  private readonly dimOrder: number[];
  /** Per dimension, its conditions on parent dims (allowed choice indices); false: never active (a fixed parent's value). */
  private readonly dimConditions: Array<Array<{ dim: number; allowed: Set<number> } | false>>;
  /** multivariate without group: the dimensions always active (no condition, not an include_zero value). */
  private readonly staticJoint: number[];
  private groupCache: number[][] = [];
  private groupsAt = -1;

  /**
   * `paramName`: this sampler serves define-by-run draws of that one parameter
   * (randomness from rngForParam(seed, n, paramName) instead of rngFor).
   */
  constructor(
    private readonly space: SearchSpace,
    private readonly direction: Direction,
    private readonly seed: number,
    private readonly options: TpeSamplerOptions,
    private readonly paramName: string | null = null,
  ) {
    this.dims = buildDims(space);
    this.dimDists = this.dims.map((d) => space[d.param]!);
    this.store = new ObservationStore(this.dims);
    this.kernelCaches = this.dims.map((dim) => (dim.kind === 'num' ? new KernelCache(dim.discrete !== 'none') : null));
    const base = {
      considerPrior: options.considerPrior,
      priorWeight: options.priorWeight,
      considerMagicClip: options.considerMagicClip,
      considerEndpoints: options.considerEndpoints,
      normalizeKernels: options.normalizeKernels,
    };
    this.conditional = hasConditions(space);
    const position = new Map(decisionOrder(space).map((name, i) => [name, i]));
    this.dimOrder = this.dims.map((_, d) => d).sort((a, b) => position.get(this.dims[a]!.param)! - position.get(this.dims[b]!.param)! || a - b);
    this.dimConditions = this.dims.map((dim) =>
      (space[dim.param]!.when ?? []).map((c) => {
        const parent = space[c.param]!;
        if (parent.type === 'fixed') return c.values.includes(parent.value) ? { dim: -1, allowed: new Set<number>() } : false;
        const pd = this.dims.findIndex((p) => p.kind === 'cat' && p.role === 'choice' && p.param === c.param);
        const choices = parent.type === 'categorical' ? parent.choices : [];
        return { dim: pd, allowed: new Set(c.values.map((v) => choices.indexOf(v)).filter((k) => k >= 0)) };
      }).filter((c) => c === false || c.dim >= 0),
    );
    this.staticJoint = this.dims.flatMap((dim, d) => ((dim.kind === 'num' && dim.conditional) || space[dim.param]!.when ? [] : [d]));
    this.parzen = { ...base, multivariate: false, jointBandwidth: 'scott' }; // (unused by univariate fits; the same shape as parzenJoint)
    // group: true (conditional spaces) fits joint kernels with each
    // observation's neighbour bandwidth per dimension, as Optuna >= 5.0 does
    // for every multivariate TPE (optuna#6746); plain multivariate keeps
    // Optuna 3.1's Scott bandwidths. jointBandwidth overrides either.
    this.parzenJoint = { ...base, multivariate: true, jointBandwidth: options.jointBandwidth ?? (options.group ? 'neighbour' : 'scott') };
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
    this.history.push(trial);
    for (const inner of this.byName.values()) inner.tell(trial);
    const key = rankingKey(trial, this.direction);
    if (key === null) return;
    this.store.add(trial.number, key[0], key[1], this.internals(trial.params));
  }

  sampleParam(trialNumber: number, name: string, distribution: Distribution, running: readonly TrialSnapshot[], _soFar: RecordedParams): ParamValue {
    if (distribution.type === 'fixed') return distribution.value;
    const key = `${name}\u0000${JSON.stringify(distribution)}`;
    let inner = this.byName.get(key);
    if (!inner) {
      const options = { ...this.options, multivariate: false };
      inner = new TpeSampler({ [name]: distribution }, this.direction, this.seed, options, name);
      for (const trial of this.history) inner.tell(trial);
      this.byName.set(key, inner);
    }
    return inner.ask(trialNumber, running)[name]!;
  }

  /** The same test as ask()'s: random draws until n_startup_trials are told. */
  madeBy(): string {
    return this.store.count < this.options.nStartupTrials || this.dims.length === 0 ? 'tpe (startup: random)' : 'tpe';
  }

  ask(trialNumber: number, running: readonly TrialSnapshot[]): Params {
    const rng = this.paramName === null ? rngFor(this.seed, trialNumber, Stream.sampler) : rngForParam(this.seed, trialNumber, this.paramName);
    const n = this.store.count;
    if (n < this.options.nStartupTrials || this.dims.length === 0) return randomParams(this.space, rng);

    this.arena.reset();
    // Split: the first gamma(n) trials in rank order are the good group.
    const isBelow = this.arena.ints(n);
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
    const chosen = this.arena.floats(this.dims.length).fill(NaN);
    if (this.options.multivariate) {
      // Joint draws first (as Optuna's sample_relative); values of a group that
      // turns out inactive below are dropped, as Optuna's unused relative params.
      const joints = this.options.group ? this.groups() : [this.staticJoint];
      for (const joint of joints) {
        if (joint.length === 0) continue;
        const best = this.suggest(joint, isBelow, nBelow, liars, rng, this.parzenJoint);
        joint.forEach((d, i) => (chosen[d] = best[i]!));
      }
    }
    // Then, parents before children, each active dimension not drawn jointly on its own.
    for (const d of this.dimOrder) {
      const dim = this.dims[d]!;
      // A conditional value is only drawn when its switch chose "not zero".
      const zeroed = dim.kind === 'num' && dim.conditional && chosen[d - 1] === 1;
      if (zeroed || !this.dimActive(d, chosen)) {
        chosen[d] = NaN;
        continue;
      }
      if (!Number.isNaN(chosen[d]!)) continue;
      chosen[d] = this.suggest([d], isBelow, nBelow, liars, rng, this.parzen)[0]!;
    }
    return this.assemble(chosen);
  }

  /** Fits l and g over dimensions `ds`, draws candidates from l, returns the best (one value per dimension). */
  private suggest(ds: number[], isBelow: Int32Array, nBelow: number, liars: readonly Liar[], rng: Rng, parzen: ParzenOptions): number[] {
    const key = `${parzen.multivariate ? 'm' : 'u'}${ds.join(',')}`;
    let fit = this.fits.get(key);
    if (!fit) {
      const shape: GroupShape = {
        ds,
        dims: this.dims,
        multivariate: parzen.multivariate,
        weights: this.options.weights,
        cache: ds.length === 1 && !parzen.multivariate ? (this.kernelCaches[ds[0]!] ?? null) : null,
      };
      const dims: Dim[] = [];
      for (const d of ds) dims.push(this.dims[d]!);
      fit = { shape, dims, count: -1, belowArena: new Arena(), below: null, belowRows: null, aboveArena: new Arena(), above: null };
      this.fits.set(key, fit);
    }
    const { shape, dims } = fit;
    if (fit.count !== this.store.count) {
      fit.count = this.store.count;
      shape.cache?.reserve(this.store.count);
      fit.aboveArena.reset();
      fit.above = null;
      const rows = goodRows(this.store, ds, nBelow, this.arena);
      if (!fit.belowRows || !sameRows(rows, fit.belowRows)) {
        fit.belowArena.reset();
        fit.belowRows = fit.belowArena.ints(rows.length);
        fit.belowRows.set(rows);
        fit.below = null;
      }
    }
    fit.below ??= new ParzenEstimator(dims, goodGroup(this.store, shape, fit.belowRows!, fit.belowArena), parzen, fit.belowArena);
    const below = fit.below;
    let above: ParzenEstimator;
    if (liars.some((l) => ds.every((d) => !Number.isNaN(l.values[d]!)))) {
      above = new ParzenEstimator(dims, badGroup(this.store, shape, isBelow, liars, this.arena), parzen, this.arena);
    } else {
      fit.above ??= new ParzenEstimator(dims, badGroup(this.store, shape, isBelow, [], fit.aboveArena), parzen, fit.aboveArena);
      above = fit.above;
    }
    const candidates = below.sample(rng, this.options.nEiCandidates, this.arena);
    const logL = below.logPdf(candidates, this.arena);
    // The candidate with the largest log l − log g.
    const best = above.bestRatio(candidates, logL, this.arena);
    return ds.map((_, i) => candidates.values[i]![best]!);
  }

  /** Whether dimension d's parameter is active under the choices made so far (its parents' dims). */
  private dimActive(d: number, chosen: Float64Array): boolean {
    for (const c of this.dimConditions[d]!) {
      if (c === false) return false;
      const v = chosen[c.dim]!;
      if (Number.isNaN(v) || !c.allowed.has(v)) return false;
    }
    return true;
  }

  /**
   * Optuna's _SearchSpaceGroup over the finished trials (complete and pruned,
   * as TPE's include_pruned): dimensions active in exactly the same trials form
   * one group, sampled jointly. The partition is that of the trials' active
   * sets refined together, so it does not depend on the order of tells.
   * Dimensions never active yet belong to no group (sampled on their own).
   * Groups in decision order of their first dimension.
   */
  private groups(): number[][] {
    if (this.groupsAt === this.store.count) return this.groupCache;
    const bySignature = new Map<string, number[]>();
    const n = this.store.count;
    for (const d of this.dimOrder) {
      const col = this.store.columns[d]!;
      let signature = '';
      let any = false;
      for (let row = 0; row < n; row++) {
        const active = !Number.isNaN(col[row]!);
        any ||= active;
        signature += active ? '1' : '0';
      }
      if (!any) continue;
      const group = bySignature.get(signature);
      if (group) group.push(d);
      else bySignature.set(signature, [d]);
    }
    this.groupCache = [...bySignature.values()].map((g) => g.sort((a, b) => a - b));
    this.groupsAt = n;
    return this.groupCache;
  }

  /** The current groups as parameter names (group: true), for tests and messages. */
  searchSpaceGroups(): string[][] {
    return this.groups().map((g) => [...new Set(g.map((d) => this.dims[d]!.param))]);
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
    // In the space's order, active parameters only (a fixed one may be conditional too).
    if (this.conditional) return activeOnly(this.space, params);
    const ordered: Params = {};
    for (const name of Object.keys(this.space)) ordered[name] = params[name]!;
    return ordered;
  }
}

function sameRows(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
