// `sampler: {type: auto}`: picks a sampler for the study as a well-informed
// user would, once, from the space and the budget, and says why:
//   - grid   when every parameter has a finite set of values and the budget
//            covers every combination (nothing left to chance);
//   - tpe    when the space is conditional, mostly categorical, or wide
//            (the GP's kernel sees one flat space; TPE models each parameter
//            and copes with tree-shaped spaces), or when the budget is large;
//   - gp     otherwise: a small budget over a mostly continuous space, where
//            Bayesian optimisation with a GP needs the fewest trials.
// A GP study hands over to TPE after GP_TRIAL_LIMIT complete trials: the
// GP's ask costs O(n³) and TPE catches up once trials are plentiful. Both are
// told every trial, so the hand-over is a pure function of the told trials
// (like every sampler here: see sampler.ts).

import type { Distribution, Params, ParamValue, SearchSpace } from '../space/distributions.js';
import { finiteValues } from '../space/distributions.js';
import { DEFAULT_GP_OPTIONS, DEFAULT_TPE_OPTIONS, type Direction } from '../space/spec.js';
import { GpSampler } from './gp/sampler.js';
import { GridSampler } from './grid.js';
import type { FinishedTrial, RecordedParams, Sampler, TrialSnapshot } from './sampler.js';
import { TpeSampler } from './tpe/sampler.js';

/** Complete trials after which a GP study continues with TPE. */
export const GP_TRIAL_LIMIT = 300;
/** Budgets above this go to TPE from the start. */
export const GP_BUDGET_LIMIT = 1000;
/** Searched dimensions above which the GP is not picked. */
export const GP_MAX_PARAMS = 20;

export type AutoChoice = 'grid' | 'gp' | 'tpe';

export interface AutoDecision {
  readonly sampler: AutoChoice;
  /** One sentence for the journal and the live view. */
  readonly reason: string;
}

function isConditional(dist: Distribution): boolean {
  const when = (dist as { when?: readonly unknown[] }).when;
  return when !== undefined && when.length > 0;
}

/** The choice for a space and a budget (null: not known), with its reason. */
export function decideSampler(space: SearchSpace, budget: number | null): AutoDecision {
  const searched = Object.entries(space).filter(([, d]) => d.type !== 'fixed');
  let gridSize = 1;
  for (const [, d] of searched) {
    const values = finiteValues(d);
    gridSize = values === null ? Infinity : gridSize * values.length;
  }
  if (budget !== null && gridSize <= budget) {
    return { sampler: 'grid', reason: `every parameter is finite and the budget (${budget} trials) covers all ${gridSize} combinations` };
  }
  const conditional = searched.filter(([, d]) => isConditional(d)).map(([n]) => n);
  if (conditional.length > 0) {
    return { sampler: 'tpe', reason: `conditional parameters (${conditional.join(', ')}): TPE models tree-shaped spaces, the GP one flat space` };
  }
  const categorical = searched.filter(([, d]) => d.type === 'categorical').length;
  if (categorical * 2 > searched.length) {
    return { sampler: 'tpe', reason: `${categorical} of ${searched.length} parameters are categorical: TPE handles them better than the GP's Hamming kernel` };
  }
  if (searched.length > GP_MAX_PARAMS) {
    return { sampler: 'tpe', reason: `${searched.length} parameters (more than ${GP_MAX_PARAMS}): too wide for the GP in few trials` };
  }
  if (budget !== null && budget > GP_BUDGET_LIMIT) {
    return { sampler: 'tpe', reason: `a large budget (${budget} trials > ${GP_BUDGET_LIMIT}): TPE's asks stay cheap and it catches up with the GP` };
  }
  return {
    sampler: 'gp',
    reason:
      `${searched.length - categorical} of ${searched.length} parameters are numeric and the budget is ${budget === null ? 'not known' : `${budget} trials`}: ` +
      `the GP finds good values in the fewest trials (TPE takes over after ${GP_TRIAL_LIMIT} complete trials)`,
  };
}

export class AutoSampler implements Sampler {
  readonly type = 'auto' as const;
  readonly capacity: number;
  readonly decision: AutoDecision;
  private readonly grid: GridSampler | null = null;
  private readonly gp: GpSampler | null = null;
  private readonly tpe: TpeSampler | null = null;
  private complete = 0;

  constructor(space: SearchSpace, direction: Direction, seed: number, budget: number | null) {
    this.decision = decideSampler(space, budget);
    if (this.decision.sampler === 'grid') this.grid = new GridSampler(space);
    else this.tpe = new TpeSampler(space, direction, seed, DEFAULT_TPE_OPTIONS);
    if (this.decision.sampler === 'gp') this.gp = new GpSampler(space, direction, seed, DEFAULT_GP_OPTIONS);
    this.capacity = this.grid?.capacity ?? Infinity;
  }

  /** The sampler that makes the next suggestion: grid, gp, or tpe (also after a GP's hand-over). */
  get current(): AutoChoice {
    if (this.grid) return 'grid';
    return this.gp && this.complete < GP_TRIAL_LIMIT ? 'gp' : 'tpe';
  }

  private active(): Sampler {
    return this.grid ?? (this.gp && this.complete < GP_TRIAL_LIMIT ? this.gp : this.tpe!);
  }

  ask(trialNumber: number, running: readonly TrialSnapshot[]): Params {
    return this.active().ask(trialNumber, running);
  }

  tell(trial: FinishedTrial): void {
    for (const s of [this.grid, this.gp, this.tpe]) s?.tell(trial);
    if (trial.state === 'complete') this.complete++;
  }

  sampleParam(trialNumber: number, name: string, distribution: Distribution, running: readonly TrialSnapshot[], soFar: RecordedParams): ParamValue {
    // Define-by-run parameters are sampled one at a time: TPE's univariate
    // model (the GP models whole points); the grid refuses them.
    return (this.grid ?? this.tpe!).sampleParam(trialNumber, name, distribution, running, soFar);
  }
}
