// Define-by-run: the distribution a trial.suggest*() call names, written as a
// space file's param and checked by the same validator, and the rule for
// asking twice (Optuna's): the same name with the same distribution returns
// the value already drawn; with another distribution it is an error.
import { Errors } from '../errors.js';
import { contains, describe, type Distribution } from '../space/distributions.js';
import { parseDistribution } from '../space/validate.js';
import type { ParamValue, SuggestFloatOptions, SuggestIntOptions } from './types.js';

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
