// The validated content of a search-space file: what `loadSpaceFile` returns
// and what the study, the samplers and the journal work from.

import type { TestFunctionName } from '../trials/functions.js';
import type { Scalar, SearchSpace } from './distributions.js';
import type { ModelName } from './objectives.js';

export type Direction = 'maximize' | 'minimize';

export type ObjectiveSpec =
  | { readonly kind: 'model'; readonly model: ModelName }
  /** `module` as written in the file; `path` resolved against the file's folder. */
  | { readonly kind: 'module'; readonly module: string; readonly path: string }
  | { readonly kind: 'function'; readonly function: TestFunctionName; readonly dims: number }
  /**
   * The caller's own code, through the library API (ask-and-tell, or a function
   * given to study.optimize): a study without an objective of its own, so the
   * CLI can rank and report it but not run its trials.
   */
  | { readonly kind: 'api' };

export interface DatasetSpec {
  /** A dataset name (mnist, fashion-mnist), or an image folder as written in the file. */
  readonly name: string;
  /** Train on the first N images of the training split only (null: all of it); folders: N images per class. */
  readonly trainSubset: number | null;
  /** Image folders only (CNN models): the folder, absolute (resolved against the space file's folder). */
  readonly folder?: string;
  /** Image folders: fraction of each class held out for validation. */
  readonly valFraction?: number;
  /** Image folders: seed of the stratified validation split (the same for every trial of a study). */
  readonly splitSeed?: number;
}

/** TPE options, named and defaulted as Optuna 3.x's TPESampler (see DEFAULT_TPE_OPTIONS). */
export interface TpeOptions {
  /** Random trials before TPE starts (finished complete + pruned trials are counted). */
  readonly nStartupTrials: number;
  /** Candidates drawn from l(x); the one with the highest l(x)/g(x) is suggested. */
  readonly nEiCandidates: number;
  /** Size of the good group: min(ceil(gamma · n), gammaMax) of n finished trials. */
  readonly gamma: number;
  readonly gammaMax: number;
  /** 'ramp': Optuna's default_weights (old trials weigh less beyond 25); 'uniform': all 1. */
  readonly weights: 'ramp' | 'uniform';
  readonly considerPrior: boolean;
  readonly priorWeight: number;
  readonly considerMagicClip: boolean;
  readonly considerEndpoints: boolean;
  /** One joint Parzen estimator over all parameters (Optuna's multivariate=True). */
  readonly multivariate: boolean;
  /**
   * With multivariate: one joint estimator per group of parameters that are
   * active in the same finished trials (Optuna's group=True), for conditional spaces.
   */
  readonly group: boolean;
  /** Running trials join the bad group, so concurrent asks spread out. */
  readonly constantLiar: boolean;
  /**
   * Continuous kernels as true densities (divided by their bandwidth σ, as
   * Optuna >= 3.5) or, when false, all with the same peak height (Optuna <= 3.4).
   */
  readonly normalizeKernels: boolean;
}

/**
 * Optuna 3.1's TPESampler defaults, except `constantLiar`: true here because
 * hypersweep runs trials in parallel by design (Optuna's default is False).
 * `normalizeKernels: false` is Optuna 3.1's behaviour (see parzen-estimator.ts).
 */
export const DEFAULT_TPE_OPTIONS: TpeOptions = {
  nStartupTrials: 10,
  nEiCandidates: 24,
  gamma: 0.1,
  gammaMax: 25,
  weights: 'ramp',
  considerPrior: true,
  priorWeight: 1.0,
  considerMagicClip: true,
  considerEndpoints: false,
  multivariate: false,
  group: false,
  constantLiar: true,
  normalizeKernels: false,
};

/** GP sampler options (src/samplers/gp/sampler.ts), named as Optuna's GPSampler. */
export interface GpOptions {
  /** Random trials before the GP starts (complete trials are counted). */
  readonly nStartupTrials: number;
  /** The objective has no noise: the GP's noise variance is fixed at its floor instead of fitted. */
  readonly deterministicObjective: boolean;
}

export const DEFAULT_GP_OPTIONS: GpOptions = { nStartupTrials: 10, deterministicObjective: false };

export type SamplerType = 'tpe' | 'random' | 'grid' | 'gp' | 'auto';
export const SAMPLER_TYPES: readonly SamplerType[] = ['tpe', 'random', 'grid', 'gp', 'auto'];

export type SamplerSpec =
  | { readonly type: 'tpe'; readonly seed: number | null; readonly options: TpeOptions }
  | { readonly type: 'random'; readonly seed: number | null }
  | { readonly type: 'grid'; readonly seed: number | null }
  | { readonly type: 'gp'; readonly seed: number | null; readonly options: GpOptions }
  /** `budget`: the study's trials (auto picks grid/gp/tpe with it; null: not known). */
  | { readonly type: 'auto'; readonly seed: number | null; readonly budget: number | null };

/** A sampler spec with every option at its default (for `--sampler` on the command line). */
export function defaultSamplerSpec(type: SamplerType, seed: number | null = null): SamplerSpec {
  if (type === 'tpe') return { type, seed, options: DEFAULT_TPE_OPTIONS };
  if (type === 'gp') return { type, seed, options: DEFAULT_GP_OPTIONS };
  if (type === 'auto') return { type, seed, budget: null };
  return { type, seed };
}

export interface BudgetSpec {
  /** Total number of trials of the study (not "this many more"). */
  readonly trials: number;
  /** Wall-clock limit in seconds, or null. */
  readonly timeSeconds: number | null;
}

/** Pruner settings pass through unvalidated here; the pruners module checks them. */
export interface PrunerSpec {
  readonly type: string;
  readonly [option: string]: unknown;
}

export interface StudySpec {
  /** Absolute path of the space file ('<inline>' when validated from an object). */
  readonly file: string;
  readonly name: string;
  readonly description: string | null;
  readonly objective: ObjectiveSpec;
  /** Model objectives always have one; modules may; test functions have none. */
  readonly dataset: DatasetSpec | null;
  readonly metric: string;
  readonly direction: Direction;
  /** Searched (and pinned) parameters, in file order. */
  readonly params: SearchSpace;
  /** Settings that are not searched (e.g. epochs), passed to every trial. */
  readonly fixed: Readonly<Record<string, Scalar>>;
  readonly sampler: SamplerSpec;
  readonly budget: BudgetSpec;
  readonly pruner: PrunerSpec | null;
}
