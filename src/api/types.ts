// The public types of the library API (`import … from 'hypersweep'`). Option
// objects are written as a space file's keys are, so that a study made from
// code and one made from a YAML file read the same; everything is checked at
// run time by the space-file validator, with the same errors.

import type { PrunerType } from '../pruners/pruner.js';
import type { Direction, SamplerType } from '../space/spec.js';
import type { FinishedState, Params, TrialState } from '../study/events.js';

// As the journal and the leaderboard have them: a trial's Params hold only its
// active parameters (null for an inactive one in older journals); a
// LeaderboardRow is the object `hypersweep leaderboard --format json` prints.
export type { Direction, FinishedState, Params, TrialState };
export type { LeaderboardRow } from '../study/leaderboard.js';
/** A parameter's value (a categorical choice, a pinned value). */
export type ParamValue = number | string | boolean;

export interface FloatParam {
  type: 'float';
  low: number;
  high: number;
  log?: boolean;
  step?: number;
  include_zero?: boolean;
}
export interface IntParam {
  type: 'int';
  low: number;
  high: number;
  log?: boolean;
  step?: number;
}
export interface CategoricalParam {
  type: 'categorical';
  choices: readonly ParamValue[];
}
/** A parameter of a search space, in space-file syntax; a plain value pins it. */
export type SpaceParam = ParamValue | ((FloatParam | IntParam | CategoricalParam) & { readonly [key: string]: unknown });
/** The `params` of a space file. */
export type Space = Readonly<Record<string, SpaceParam>>;

/** The samplers a space file may name (tpe, random, grid, gp, auto). */
export type SamplerName = SamplerType;
/** A sampler name, or as in a space file: `{ type: 'tpe', options: { n_startup_trials: 5 } }`. */
export type SamplerOption = SamplerName | { type: SamplerName; options?: Readonly<Record<string, unknown>> };
export type PrunerName = PrunerType;
/** A pruner name, or as in a space file: `{ type: 'asha', min_resource: 1, reduction_factor: 3 }`. */
export type PrunerOption = PrunerName | { type: PrunerName; readonly [option: string]: unknown };
/** What runs the trials when the study is run by the CLI or a pool: as a space file's `objective`. */
export type ObjectiveOption = { module: string } | { function: string; dims?: number } | { model: string };

export interface CreateStudyOptions {
  /** The study's name (a folder under `results`); default: the space file's name. Required with `space`. */
  name?: string;
  /** The searched parameters, as a space file's `params` (omit for a define-by-run study). */
  space?: Space;
  /** A YAML or JSON search-space file (instead of `space`); the options below override its keys. */
  spaceFile?: string;
  /** Default: the space file's, else minimize. */
  direction?: Direction;
  /** Default: the space file's, else `value`. */
  metric?: string;
  /** Default: the space file's, else TPE. */
  sampler?: SamplerOption;
  /** Default: the space file's, else none. */
  pruner?: PrunerOption | null;
  /** The study seed; default: the space file's sampler seed, else a random one (recorded). */
  seed?: number;
  /** The folder holding the studies (default `results`, as the CLI's). */
  results?: string;
  /** What runs the trials when nobody passes a function: a module, a test function or a model (default: your code). */
  objective?: ObjectiveOption;
  /** Settings passed to every trial of a module or model objective, as a space file's `fixed`. */
  fixed?: Readonly<Record<string, ParamValue>>;
  /** The budget `hypersweep resume` works toward (default: the space file's, else 100 trials). */
  budget?: { trials?: number; time?: number | string };
  /** If the study exists, move it aside (never deleted) and start again; otherwise an existing study is an error. */
  forceNew?: boolean;
}

export interface LoadStudyOptions {
  /** The folder holding the studies (default `results`). */
  results?: string;
}

/** A trial as recorded in the study's journal. */
export interface TrialInfo {
  readonly number: number;
  readonly state: TrialState;
  readonly params: Readonly<Params>;
  /** The trial's own seed, derived from (study seed, trial number). */
  readonly seed: number;
  /** The objective value: complete trials; a pruned trial's last reported value; else null. */
  readonly value: number | null;
  /** Intermediate values [step, value] in the order reported. */
  readonly intermediate: ReadonlyArray<readonly [number, number]>;
  readonly metrics: Readonly<Record<string, unknown>>;
  readonly durationS: number | null;
  /** Why a failed trial failed (`interrupted` when it was stopped from outside). */
  readonly error: string | null;
  readonly startedAt: string;
  readonly finishedAt: string | null;
}

export interface SuggestFloatOptions {
  log?: boolean;
  step?: number;
}
export interface SuggestIntOptions {
  log?: boolean;
  step?: number;
}

/** A running trial (study.ask(), or the argument of an objective function). */
export interface Trial {
  readonly number: number;
  readonly seed: number;
  /** Its parameters so far: the space's, plus those suggested. */
  readonly params: Readonly<Params>;
  /** Aborted when the study stops this trial (optimize's signal or time budget): stop at the next report. */
  readonly signal: AbortSignal;
  suggestFloat(name: string, low: number, high: number, options?: SuggestFloatOptions): number;
  suggestInt(name: string, low: number, high: number, options?: SuggestIntOptions): number;
  suggestCategorical<T extends ParamValue>(name: string, choices: readonly T[]): T;
  /** Records an intermediate value (e.g. the metric after an epoch) and asks the study's pruner. */
  report(step: number, value: number): void;
  /** The pruner's answer to the latest report (or true when the study is stopping this trial). */
  shouldPrune(): boolean;
}

/**
 * The second argument of a module objective (`export async function objective(params, ctx)` in the file a
 * study's `objective: { module }` names, run in the worker pool by `hypersweep sweep` or study.optimize(path)).
 * Its suggest methods are a Trial's, synchronous as they are: the controller draws from the study's sampler and
 * journals the value; a re-run (`hypersweep repro`) replays the recorded one.
 */
export interface ObjectiveContext extends Pick<Trial, 'suggestFloat' | 'suggestInt' | 'suggestCategorical'> {
  /** The trial's number. */
  readonly trial: number;
  /** The trial's own seed, derived from (study seed, trial number). */
  readonly seed: number;
  /** Reports an intermediate value (e.g. the metric after each epoch). */
  report(step: number, value: number): void;
  /** The pruner's answer to the latest report (or true when the sweep is stopping this trial). Synchronous. */
  shouldPrune(): boolean;
  /** Aborted when the sweep stops this trial (Ctrl-C, --trial-timeout). */
  readonly signal: AbortSignal;
}

/** A module objective (exported as `objective`, or as the default export): the value, or { value, metrics }. */
export type ModuleObjective = (
  params: Readonly<Params>,
  ctx: ObjectiveContext,
) => number | { value: number; metrics?: Record<string, unknown> } | Promise<number | { value: number; metrics?: Record<string, unknown> }>;

/** What study.tell() records: the objective value, or how the trial ended otherwise. */
export type TellResult =
  | number
  | { state: 'complete'; value: number; metrics?: Record<string, unknown> }
  | { state: 'pruned'; value?: number; metrics?: Record<string, unknown> }
  | { state: 'failed'; error?: string; metrics?: Record<string, unknown> };

/** An objective run in this process: returns the value, or { value, metrics }. Throw TrialPruned to prune. */
export type ObjectiveFunction = (trial: Trial) => number | { value: number; metrics?: Record<string, unknown> } | Promise<number | { value: number; metrics?: Record<string, unknown> }>;

export interface OptimizeOptions {
  /** The study's total number of trials (interrupted ones excluded); default: its budget. */
  trials?: number;
  /** Trials in flight at once: 1 for a function (run in this process); a module path may use more (worker threads). */
  workers?: number;
  /** Stop starting trials after this many seconds, or a duration such as '5m'; running ones finish. */
  time?: number | string;
  /** Aborting stops asking; running trials stop at their next report and are recorded interrupted (as Ctrl-C). */
  signal?: AbortSignal;
  /** Called after each trial finishes. */
  onTrial?: (trial: TrialInfo) => void;
  /** Native threads of each trial of a model objective (default: cores / workers). */
  threadsPerTrial?: number;
  /** A trial running longer than this many seconds is stopped and recorded failed. */
  trialTimeout?: number;
  /** Model objectives: the device (default auto). */
  device?: 'auto' | 'cpu' | 'cuda';
}

export type StopReason = 'budget' | 'time' | 'interrupted' | 'exhausted';

export interface OptimizeResult {
  /** Why it stopped asking for trials. */
  reason: StopReason;
  /** The best complete trial of the study so far. */
  best: TrialInfo | null;
}

export type StateFilter = FinishedState | 'all';

export interface LeaderboardOptions {
  /** The folder holding the studies (default `results`). */
  results?: string;
  /** Rank by this metric instead of the studies' own. */
  metric?: string;
  direction?: Direction;
  /** Trials to list (default complete). */
  state?: StateFilter;
  /** Keep rows where every condition holds, as `--where`: 'batch_size=64,alpha0<1'. */
  where?: string | readonly string[];
  /** The best K rows only. */
  top?: number;
}
