// The trial handle: what study.ask() returns and what an objective function
// gets. It holds no state of its own beyond the pruner's last answer; drawing
// and journalling go through its host (the study handle for ask-and-tell, the
// in-process executor under optimize), so both record trials the same way.
import type { Distribution } from '../space/distributions.js';
import { categoricalDistribution, floatDistribution, intDistribution } from './suggest.js';
import type { Params, ParamValue, SuggestFloatOptions, SuggestIntOptions, Trial } from './types.js';

/** What a trial handle asks of whoever runs it. */
export interface TrialHost {
  /** The value of `name` for this trial: the one it holds, else a draw from the sampler (journalled). */
  suggest(name: string, distribution: Distribution): ParamValue;
  /** Journals an intermediate value; returns the pruner's answer (true: stop). */
  report(step: number, value: number): boolean;
  /** The trial's params now (the journal's record). */
  readonly params: Readonly<Params>;
}

export class TrialHandle implements Trial {
  private pruneAnswer = false;
  /** Whether shouldPrune() answered true (the trial was told to stop: pruned, or stopped by the study). */
  sawStop = false;

  constructor(
    readonly number: number,
    readonly seed: number,
    private readonly host: TrialHost,
    readonly signal: AbortSignal,
  ) {}

  get params(): Readonly<Params> {
    return { ...this.host.params };
  }

  suggestFloat(name: string, low: number, high: number, options?: SuggestFloatOptions): number {
    return this.host.suggest(name, floatDistribution(name, low, high, options)) as number;
  }

  suggestInt(name: string, low: number, high: number, options?: SuggestIntOptions): number {
    return this.host.suggest(name, intDistribution(name, low, high, options)) as number;
  }

  suggestCategorical<T extends ParamValue>(name: string, choices: readonly T[]): T {
    return this.host.suggest(name, categoricalDistribution(name, choices)) as T;
  }

  report(step: number, value: number): void {
    this.pruneAnswer = this.host.report(step, value) || this.pruneAnswer;
  }

  shouldPrune(): boolean {
    const stop = this.pruneAnswer || this.signal.aborted;
    if (stop) this.sawStop = true;
    return stop;
  }
}
