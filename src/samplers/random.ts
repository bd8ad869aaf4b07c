// Random search: every parameter drawn independently, uniform in its own
// scale: uniform floats, log-uniform for log, every int/step value equally
// likely (log ints: log-uniform over [low-0.5, high+0.5], then rounded, as in
// Optuna), categorical choices equally likely. TPE's startup trials use the
// same draws, so TPE and random agree on the first n_startup_trials trials.
// Conditional parameters are drawn only when active (parents decided first).

import { quantize, type Distribution, type Params, type ParamValue, type SearchSpace } from '../space/distributions.js';
import { decisionOrder, hasConditions, isActive } from '../space/conditions.js';
import { Stream, rngFor, rngForParam, type Rng } from './rng.js';
import type { FinishedTrial, RecordedParams, Sampler, TrialSnapshot } from './sampler.js';

/** One random value of a distribution. Consumes a fixed number of draws per type. */
export function randomValue(dist: Distribution, rng: Rng): ParamValue {
  switch (dist.type) {
    case 'fixed':
      return dist.value;
    case 'categorical':
      return dist.choices[rng.nextInt(dist.choices.length)]!;
    case 'int': {
      if (dist.log) {
        const x = Math.exp(rng.uniform(Math.log(dist.low - 0.5), Math.log(dist.high + 0.5)));
        return Math.min(dist.high, Math.max(dist.low, Math.round(x)));
      }
      const count = Math.round((dist.high - dist.low) / dist.step) + 1;
      return dist.low + rng.nextInt(count) * dist.step;
    }
    case 'float': {
      if (dist.includeZero) {
        // The hidden switch first (as a two-way categorical), then the value.
        if (rng.nextInt(2) === 1) return 0;
      }
      if (dist.log) {
        const x = Math.exp(rng.uniform(Math.log(dist.low), Math.log(dist.high)));
        return Math.min(dist.high, Math.max(dist.low, x));
      }
      if (dist.step !== null) {
        const count = Math.round((dist.high - dist.low) / dist.step) + 1;
        return quantize(dist, dist.low + rng.nextInt(count) * dist.step);
      }
      return Math.min(dist.high, rng.uniform(dist.low, dist.high));
    }
  }
}

/**
 * Random values for every active parameter, drawn in decision order (parents
 * first; the space's order when it has no conditions); an inactive parameter
 * draws nothing and is absent. Returned in the space's order.
 */
export function randomParams(space: SearchSpace, rng: Rng): Params {
  const params: Params = {};
  if (!hasConditions(space)) {
    for (const [name, dist] of Object.entries(space)) params[name] = randomValue(dist, rng);
    return params;
  }
  for (const name of decisionOrder(space)) {
    const dist = space[name]!;
    if (isActive(dist, params)) params[name] = randomValue(dist, rng);
  }
  const ordered: Params = {};
  for (const name of Object.keys(space)) if (name in params) ordered[name] = params[name]!;
  return ordered;
}

export class RandomSampler implements Sampler {
  readonly type = 'random' as const;
  readonly capacity = Infinity;

  constructor(
    private readonly space: SearchSpace,
    private readonly seed: number,
  ) {}

  ask(trialNumber: number, _running: readonly TrialSnapshot[]): Params {
    return randomParams(this.space, rngFor(this.seed, trialNumber, Stream.sampler));
  }

  tell(_trial: FinishedTrial): void {
    // Random search learns nothing.
  }

  madeBy(): string {
    return 'random';
  }

  sampleParam(trialNumber: number, name: string, distribution: Distribution, _running: readonly TrialSnapshot[], _soFar: RecordedParams): ParamValue {
    return randomValue(distribution, rngForParam(this.seed, trialNumber, name));
  }
}
