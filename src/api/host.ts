// Drawing and journalling one define-by-run parameter, and recording a
// report: shared by the ask-and-tell host (study handle) and the in-process
// executor of optimize(), so a trial records the same events either way.
import type { Pruner } from '../pruners/pruner.js';
import type { Sampler, TrialSnapshot } from '../samplers/sampler.js';
import type { Distribution } from '../space/distributions.js';
import type { Study } from '../study/study.js';
import { Errors } from '../errors.js';
import { existingValue } from './suggest.js';
import type { ParamValue } from './types.js';

export interface DrawContext {
  study: Study;
  sampler: Sampler;
  number: number;
  /** Distributions this trial suggested so far, by name. */
  suggested: Map<string, Distribution>;
  /** The other trials running now (the constant liar). */
  running: () => TrialSnapshot[];
}

/** The trial's value of `name`: the one it holds (checked), else a draw, journalled as param_suggested. */
export function suggestParam(ctx: DrawContext, name: string, distribution: Distribution): ParamValue {
  const record = ctx.study.trial(ctx.number)!;
  const declared = ctx.study.spec.params[name];
  // A space param is held with its declared distribution; a pinned (fixed) one only needs to fit.
  const before = ctx.suggested.get(name) ?? (declared && declared.type !== 'fixed' ? declared : undefined);
  const held = existingValue(ctx.number, name, distribution, record.params[name], before);
  if (held !== undefined) return held;
  const value = ctx.sampler.sampleParam(ctx.number, name, distribution, ctx.running(), record.params);
  ctx.study.suggestParam(ctx.number, name, value, distribution);
  ctx.suggested.set(name, distribution);
  return value;
}

/**
 * A running trial's suggest(name, distribution), for whoever runs it (the
 * in-process executor; the controller, for the pool's threads): draws through
 * suggestParam, keeping what this trial suggested so far. A trial no longer
 * running (recorded finished, e.g. after a timeout) asks nothing of the sampler.
 */
export function trialSuggester(
  study: Study,
  sampler: Sampler,
  number: number,
  running: () => TrialSnapshot[],
): (name: string, distribution: Distribution) => ParamValue {
  const suggested = new Map<string, Distribution>();
  return (name, distribution) => {
    const state = study.trial(number)?.state ?? 'unknown';
    if (state !== 'running') throw Errors.trialFinished(number, state, `suggest "${name}"`);
    return suggestParam({ study, sampler, number, suggested, running }, name, distribution);
  };
}

/** Checks a report's arguments as the pool's trials do. */
export function checkReport(step: number, value: number): void {
  if (!Number.isSafeInteger(step) || step < 0) {
    throw new TypeError(`trial.report(step, value): step must be an integer >= 0, got ${String(step)}`);
  }
  if (typeof value !== 'number') throw new TypeError(`trial.report(step, value): value must be a number, got ${typeof value}`);
}

/**
 * Journals an intermediate value and returns the pruner's answer, as the
 * controller does for pool trials (src/dispatch/controller.ts): a non-finite
 * value is not journalled (JSON cannot hold it) and stops the trial when a
 * pruner is on, as Optuna's pruners do.
 */
export function reportValue(study: Study, pruner: Pruner, number: number, step: number, value: number): boolean {
  const record = study.trial(number)!;
  if (!Number.isFinite(value)) return pruner.type !== 'none';
  study.report(number, step, value);
  return pruner.shouldPrune(record, study.state.trials);
}
