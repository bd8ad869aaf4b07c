// Builds the pruner a study asks for, from the space file's `pruner:` block or
// `--pruner`. src/space passes the block through with only `type` checked; the
// options are validated here, each error naming the key and what it accepts.
import { Errors } from '../errors.js';
import type { Direction, PrunerSpec } from '../space/spec.js';
import { AshaPruner, DEFAULT_ASHA_OPTIONS, type AshaPrunerOptions } from './asha.js';
import { DEFAULT_MEDIAN_OPTIONS, MedianPruner, type MedianPrunerOptions } from './median.js';
import { NopPruner } from './none.js';
import { PRUNER_TYPES, type Pruner, type PrunerType } from './pruner.js';

interface IntOption {
  /** The key as written in a space file (snake_case, as Optuna names it). */
  key: string;
  min: number;
}

const MEDIAN_KEYS: Record<keyof MedianPrunerOptions, IntOption> = {
  nStartupTrials: { key: 'n_startup_trials', min: 0 },
  nWarmupSteps: { key: 'n_warmup_steps', min: 0 },
  intervalSteps: { key: 'interval_steps', min: 1 },
  nMinTrials: { key: 'n_min_trials', min: 1 },
};

const ASHA_KEYS: Record<keyof AshaPrunerOptions, IntOption> = {
  minResource: { key: 'min_resource', min: 1 },
  reductionFactor: { key: 'reduction_factor', min: 2 },
  minEarlyStoppingRate: { key: 'min_early_stopping_rate', min: 0 },
};

export function isPrunerType(value: string): value is PrunerType {
  return (PRUNER_TYPES as readonly string[]).includes(value);
}

/**
 * The pruner for `spec` (null: none). `where` names the source in errors, e.g.
 * the space file's path.
 */
export function createPruner(spec: PrunerSpec | null, direction: Direction, where: string): Pruner {
  const type = spec?.type ?? 'none';
  if (!isPrunerType(type)) throw Errors.unknownPruner(type, where, PRUNER_TYPES);
  const raw: Record<string, unknown> = { ...(spec ?? {}) };
  delete raw.type;
  switch (type) {
    case 'none':
      readOptions(raw, {}, {}, where);
      return new NopPruner(direction);
    case 'median':
      return new MedianPruner(direction, readOptions(raw, MEDIAN_KEYS, DEFAULT_MEDIAN_OPTIONS, where));
    case 'asha':
      return new AshaPruner(direction, readOptions(raw, ASHA_KEYS, DEFAULT_ASHA_OPTIONS, where));
  }
}

/** The default spec of a pruner type (for `--pruner` on the command line). */
export function defaultPrunerSpec(type: PrunerType): PrunerSpec {
  return { type };
}

function readOptions<T extends object>(
  raw: Record<string, unknown>,
  keys: Record<keyof T, IntOption>,
  defaults: T,
  where: string,
): T {
  const options = { ...defaults };
  const known = new Map<string, keyof T>();
  for (const name of Object.keys(keys) as Array<keyof T>) known.set(keys[name].key, name);
  for (const [key, value] of Object.entries(raw)) {
    const name = known.get(key);
    if (name === undefined) {
      const valid = [...known.keys()];
      throw Errors.prunerOption(
        where,
        `pruner.${key}`,
        valid.length ? `one of the keys ${valid.join(', ')}` : 'no option for this pruner',
        value,
      );
    }
    const { min } = keys[name];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
      throw Errors.prunerOption(where, `pruner.${key}`, `an integer >= ${min}`, value);
    }
    (options as Record<keyof T, number>)[name] = value;
  }
  return options;
}
