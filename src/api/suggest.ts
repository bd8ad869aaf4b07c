// Define-by-run: the distribution a trial.suggest*() call names, written as a
// space file's param and checked by the same validator, and the rule for
// asking twice (Optuna's): the same name with the same distribution returns
// the value already drawn; with another distribution it is an error.
import { Errors } from '../errors.js';
import { contains, describe, type Distribution } from '../space/distributions.js';
import { parseDistribution } from '../space/validate.js';
import type { Params, ParamValue, SuggestFloatOptions, SuggestIntOptions, Trial } from './types.js';

export function floatDistribution(name: string, low: number, high: number, options: SuggestFloatOptions = {}): Distribution {
  const raw = { type: 'float', low, high, ...(options.log !== undefined ? { log: options.log } : {}), ...(options.step !== undefined ? { step: options.step } : {}) };
  return parseDistribution(raw, `trial.suggestFloat("${name}", ${low}, ${high})`);
}

export function intDistribution(name: string, low: number, high: number, options: SuggestIntOptions = {}): Distribution {
  const raw = { type: 'int', low, high, ...(options.log !== undefined ? { log: options.log } : {}), ...(options.step !== undefined ? { step: options.step } : {}) };
  return parseDistribution(raw, `trial.suggestInt("${name}", ${low}, ${high})`);
}

export function categoricalDistribution(name: string, choices: readonly ParamValue[]): Distribution {
  return parseDistribution({ type: 'categorical', choices: [...choices] }, `trial.suggestCategorical("${name}")`);
}

/** Whether two distributions are the same (a re-suggest must name the same one). */
export function sameDistribution(a: Distribution, b: Distribution): boolean {
  return describe(a) === describe(b);
}

/**
 * The value a trial already holds for `name`, checked against the distribution
 * asked for now: a space param (its distribution `declared`) or one suggested
 * before (`suggested`). Undefined when the trial holds none.
 */
export function existingValue(
  trial: number,
  name: string,
  asked: Distribution,
  held: ParamValue | null | undefined,
  before: Distribution | undefined,
): ParamValue | undefined {
  if (held === undefined || held === null) return undefined;
  if (before !== undefined && !sameDistribution(before, asked)) {
    throw Errors.suggestConflict(trial, name, describe(before), describe(asked));
  }
  // A value pinned by the space (fixed) or given by hand: it must be one the new distribution can produce.
  if (before === undefined && !contains(asked, held)) {
    throw Errors.suggestConflict(trial, name, `the value ${JSON.stringify(held)}`, describe(asked));
  }
  return held;
}

/** The define-by-run methods of a trial: what an objective function's trial and a module objective's ctx share. */
export type SuggestMethods = Pick<Trial, 'suggestFloat' | 'suggestInt' | 'suggestCategorical'>;

/**
 * The three suggest methods over one function that returns the value of a
 * named distribution: the distribution is built and checked here, where the
 * objective calls, so a bad range throws at its call whatever answers it.
 */
export function suggestMethods(suggest: (name: string, distribution: Distribution) => ParamValue): SuggestMethods {
  return {
    suggestFloat: (name, low, high, options) => suggest(name, floatDistribution(name, low, high, options)) as number,
    suggestInt: (name, low, high, options) => suggest(name, intDistribution(name, low, high, options)) as number,
    suggestCategorical: <T extends ParamValue>(name: string, choices: readonly T[]) => suggest(name, categoricalDistribution(name, choices)) as T,
  };
}

/**
 * A re-run of a recorded trial (repro): each suggest returns the value the
 * trial recorded, never a new draw; one it did not record, or one the
 * distribution asked for now cannot produce, is an error.
 */
export function replaySuggestions(trial: number, recorded: Readonly<Params>): SuggestMethods {
  return suggestMethods((name, distribution) => {
    const value = existingValue(trial, name, distribution, recorded[name], undefined);
    if (value === undefined) throw Errors.suggestNotRecorded(trial, name);
    return value;
  });
}
