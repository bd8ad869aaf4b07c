// Samplers: what a study asks for the parameters of its next trial.
export {
  createSampler,
  type FinishedState,
  type FinishedTrial,
  type Params,
  type ParamValue,
  type RecordedParams,
  type Sampler,
  type TrialSnapshot,
} from './sampler.js';
export { MAX_SEED, Stream, deriveTrialSeed, rngFor, type Rng } from './rng.js';
export { GridSampler } from './grid.js';
export { RandomSampler, randomParams } from './random.js';
export { TpeSampler } from './tpe/sampler.js';
