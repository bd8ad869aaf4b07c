// The sampler interface, kept narrow (in the manner of Optuna's BaseSampler):
// a sampler proposes the parameters of trial n, and learns from finished trials.
//
//   const sampler = createSampler(spec.sampler, spec.params, spec.direction, seed);
//   for each finished trial in the journal:  sampler.tell(trial)      // resume
//   loop: params = sampler.ask(n, runningTrials); … run … sampler.tell(result)
//
// Determinism: ask(n, running) is a pure function of (seed, n, the set of
// trials told so far, running). Randomness comes only from rngFor(seed, n),
// never from state kept between asks, and the order of tell() calls does not
// matter (trials are ordered by number internally). So a sampler rebuilt by
// replaying the journal suggests exactly what the uninterrupted one would.
//
// Define-by-run (trial.suggestFloat(name, …) in the library API): the objective
// names a parameter only when it runs, so sampleParam(n, name, dist, running,
// paramsSoFar) samples that one parameter on its own, as Optuna's
// sample_independent does. It is a pure function of (seed, n, name, dist, the
// trials told, running): its randomness comes from rngForParam(seed, n, name),
// never from what the trial asked for before, so asking in another order
// gives the same values.

import type { Distribution, Params, ParamValue, SearchSpace } from '../space/distributions.js';
import type { Direction, SamplerSpec } from '../space/spec.js';
import { AutoSampler } from './auto.js';
import { GpSampler } from './gp/sampler.js';
import { GridSampler } from './grid.js';
import { RandomSampler } from './random.js';
import { TpeSampler } from './tpe/sampler.js';

export type { Params, ParamValue };

/** Journal params may carry null (an inactive parameter); samplers skip those. */
export type RecordedParams = Readonly<Record<string, ParamValue | null>>;

/** A trial that is running now (for the constant liar and the grid). */
export interface TrialSnapshot {
  readonly number: number;
  readonly params: RecordedParams;
}

export type FinishedState = 'complete' | 'pruned' | 'failed';

/**
 * A finished trial as the journal holds it. Structurally a subset of the
 * study's TrialRecord, so records can be passed as they are.
 */
export interface FinishedTrial {
  readonly number: number;
  readonly state: FinishedState;
  readonly params: RecordedParams;
  /** The objective value (complete trials); null or NaN is treated as a failure. */
  readonly value: number | null;
  /** Intermediate values [step, value] in the order reported (pruned trials are ranked by the last step). */
  readonly intermediate: ReadonlyArray<readonly [number, number]>;
}

export interface Sampler {
  readonly type: SamplerSpec['type'];
  /** How many distinct suggestions the sampler can make: the grid's size, else Infinity. */
  readonly capacity: number;
  /** Parameters for trial `trialNumber`, every parameter of the space included (fixed ones too). */
  ask(trialNumber: number, running: readonly TrialSnapshot[]): Params;
  /** Records a finished trial; each trial number once, in any order. */
  tell(trial: FinishedTrial): void;
  /**
   * What makes the params of the next ask(), as the journal records it
   * (trial_started.sampler): 'tpe', 'gp', 'random', 'grid', or
   * 'tpe (startup: random)' / 'gp (startup: random)' while the model waits for
   * its startup trials. A function of the trials told, like ask().
   */
  madeBy(): string;
  /**
   * Define-by-run: a value of `distribution` for parameter `name` of trial
   * `trialNumber`. Random: a draw from rngForParam(seed, n, name). TPE: fitted
   * univariately on the told trials where `name` holds a value `distribution`
   * can produce (absent/null/other values: not observed), with the running
   * trials as liars; random (the same draw) before n_startup_trials. Grid:
   * throws Errors.gridDefineByRun. `paramsSoFar` (what the trial holds already)
   * is for samplers that condition on it; none of the present ones does.
   */
  sampleParam(
    trialNumber: number,
    name: string,
    distribution: Distribution,
    running: readonly TrialSnapshot[],
    paramsSoFar: RecordedParams,
  ): ParamValue;
}

/** Builds the sampler a spec names. `seed` is the study seed (an unsigned 32-bit integer). */
export function createSampler(spec: SamplerSpec, space: SearchSpace, direction: Direction, seed: number): Sampler {
  switch (spec.type) {
    case 'random':
      return new RandomSampler(space, seed);
    case 'grid':
      return new GridSampler(space);
    case 'tpe':
      return new TpeSampler(space, direction, seed, spec.options);
    case 'gp':
      return new GpSampler(space, direction, seed, spec.options);
    case 'auto':
      return new AutoSampler(space, direction, seed, spec.budget);
  }
}
