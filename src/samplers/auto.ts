// `sampler: {type: auto}`: picks a sampler for the study as a well-informed
// user would, once, from the space and the budget (auto-choice.ts says how
// and why; the study journals that reason in study_created.sampler_choice).
// A GP study hands over to TPE after GP_TRIAL_LIMIT complete trials: the
// GP's ask costs O(n³) and TPE catches up once trials are plentiful. Both are
// told every trial, so the hand-over is a pure function of the told trials
// (like every sampler here: see sampler.ts).

import type { Distribution, Params, ParamValue, SearchSpace } from '../space/distributions.js';
import { DEFAULT_GP_OPTIONS, DEFAULT_TPE_OPTIONS, type Direction } from '../space/spec.js';
import { GP_TRIAL_LIMIT, decideSampler, type AutoChoice, type AutoDecision } from './auto-choice.js';
import { GpSampler } from './gp/sampler.js';
import { GridSampler } from './grid.js';
import type { FinishedTrial, RecordedParams, Sampler, TrialSnapshot } from './sampler.js';
import { TpeSampler } from './tpe/sampler.js';

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

  /** The delegate that makes the next ask's params (the journal says auto chose it in study_created). */
  madeBy(): string {
    return this.active().madeBy();
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

export { GP_TRIAL_LIMIT, decideSampler, type AutoChoice, type AutoDecision };
