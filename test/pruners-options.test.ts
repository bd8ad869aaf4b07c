// Pruner settings from a space file or --pruner: defaults, and an error naming
// the key for every bad option.
import { describe, expect, it } from 'vitest';

import { HypersweepError } from '../src/errors.js';
import { AshaPruner, createPruner, MedianPruner, NopPruner } from '../src/pruners/index.js';

const where = 'spaces/x.yaml';

function errorOf(fn: () => unknown): HypersweepError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HypersweepError);
    return err as HypersweepError;
  }
  throw new Error('expected an error');
}

describe('createPruner', () => {
  it('builds each pruner with Optuna-like defaults, and none when the space names no pruner', () => {
    expect(createPruner(null, 'minimize', where)).toBeInstanceOf(NopPruner);
    const median = createPruner({ type: 'median' }, 'maximize', where) as MedianPruner;
    expect(median.options).toEqual({ nStartupTrials: 5, nWarmupSteps: 0, intervalSteps: 1, nMinTrials: 1 });
    const asha = createPruner({ type: 'asha', reduction_factor: 3, min_resource: 2 }, 'minimize', where) as AshaPruner;
    expect(asha).toBeInstanceOf(AshaPruner);
    expect(asha.options).toEqual({ minResource: 2, reductionFactor: 3, minEarlyStoppingRate: 0 });
  });

  it('refuses an unknown pruner, listing the valid ones', () => {
    const err = errorOf(() => createPruner({ type: 'hyperband' }, 'minimize', where));
    expect(err.code).toBe('E_UNKNOWN_PRUNER');
    expect(err.exitCode).toBe(2);
    expect(err.oneLine()).toMatch(/unknown pruner "hyperband" in spaces\/x\.yaml \(valid pruners: none, median, asha\)/);
  });

  it.each([
    [{ type: 'asha', reduction_factor: 1 }, /invalid pruner\.reduction_factor in spaces\/x\.yaml: expected an integer >= 2, got 1/],
    [{ type: 'asha', min_resource: 0.5 }, /pruner\.min_resource .*an integer >= 1, got 0\.5/],
    [{ type: 'asha', min_early_stopping_rate: '1' }, /pruner\.min_early_stopping_rate .*an integer >= 0, got "1"/],
    [{ type: 'median', n_startup_trials: -1 }, /pruner\.n_startup_trials .*an integer >= 0, got -1/],
    [{ type: 'median', interval_steps: 0 }, /pruner\.interval_steps .*an integer >= 1, got 0/],
    [{ type: 'median', warmup: 3 }, /pruner\.warmup .*one of the keys n_startup_trials, n_warmup_steps, interval_steps, n_min_trials/],
    [{ type: 'none', n_startup_trials: 3 }, /pruner\.n_startup_trials .*no option for this pruner/],
  ])('%j is refused, naming the key', (spec, message) => {
    const err = errorOf(() => createPruner(spec, 'minimize', where));
    expect(err.code).toBe('E_PRUNER_OPTION');
    expect(err.exitCode).toBe(2);
    expect(err.oneLine()).toMatch(message);
  });
});
