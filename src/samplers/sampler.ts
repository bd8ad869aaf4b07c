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

import type { Params, ParamValue, SearchSpace } from '../space/distributions.js';
import type { Direction, SamplerSpec } from '../space/spec.js';
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
  }
}
