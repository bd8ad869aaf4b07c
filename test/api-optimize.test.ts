// study.optimize(): an objective function run in this process (workers 1), or
// a module path run in the worker pool as the CLI runs it, under the same
// controller as `hypersweep sweep`: budget, time, pruning, onTrial progress,
// stopping through an AbortSignal (the running trial recorded interrupted and
// run again by the next optimize, as after Ctrl-C and `hypersweep resume`).
import fs from 'node:fs';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { foldJournal } from '../src/study/state.js';
import { journalEvents, loadApi, scratchDir, type Api } from './helpers/api.js';
import { ROOT } from './helpers/cli.js';

const MODULE = path.join(ROOT, 'test', 'fixtures', 'dispatch-objective.mjs');
let results: string;
beforeEach(() => {
  results = scratchDir('api-opt');
});
afterEach(() => fs.rmSync(results, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('optimize', () => {
  it('runs a function to the budget, reporting each trial through onTrial; journalled as a CLI run', async () => {
    const { createStudy } = await loadApi();
    const study = await createStudy({ name: 'fn', results, seed: 4, space: { x: { type: 'float', low: -2, high: 2 } } });
    const seen: Api.TrialInfo[] = [];
    const result = await study.optimize(
      async (trial) => {
        const x = trial.params.x as number;
        const y = trial.suggestFloat('y', -2, 2);
        trial.report(0, x * x);
        return { value: x * x + y * y, metrics: { norm: Math.hypot(x, y) } };
      },
      { trials: 12, onTrial: (t) => seen.push(t) },
    );
    expect(result.reason).toBe('budget');
    expect(seen.map((t) => t.number)).toEqual([...Array(12).keys()]);
    expect(seen.every((t) => t.state === 'complete' && t.value === (t.params.x as number) ** 2 + (t.params.y as number) ** 2)).toBe(true);
    expect(seen[3]!.metrics).toMatchObject({ norm: Math.hypot(seen[3]!.params.x as number, seen[3]!.params.y as number), worker_thread: 0 });
    expect(result.best).toEqual(study.bestTrial);
    expect(result.best!.value).toBe(Math.min(...seen.map((t) => t.value!)));
    await study.close();
    const kinds = journalEvents(results, 'fn').map((e) => e.event);
    expect(kinds[1]).toBe('controller_started');
    expect(kinds.at(-1)).toBe('controller_stopped');
    expect(journalEvents(results, 'fn')[1]).toMatchObject({ budget: { trials: 12, time_s: null } });
    expect(new Set(kinds)).toEqual(new Set(['study_created', 'controller_started', 'trial_started', 'param_suggested', 'intermediate', 'trial_finished', 'controller_stopped']));
  });

  it('prunes through the study’s pruner; a thrown error fails the trial and the study goes on', async () => {
    const { createStudy, TrialPruned } = await loadApi();
    const study = await createStudy({ name: 'prune', results, seed: 2, pruner: { type: 'median', n_startup_trials: 3 }, space: { x: { type: 'float', low: 0, high: 1 } } });
    const result = await study.optimize(
      (trial) => {
        if (trial.number === 5) throw new Error('out of memory');
        const x = trial.params.x as number;
        let value = 0;
        for (let step = 1; step <= 4; step++) {
          value = (x - 0.3) ** 2 + 1 / step;
          trial.report(step, value);
          if (trial.shouldPrune()) throw new TrialPruned();
        }
        return value;
      },
      { trials: 20 },
    );
    expect(result.reason).toBe('budget');
    const trials = study.trials;
    expect(trials).toHaveLength(20);
    expect(trials[5]).toMatchObject({ state: 'failed', error: 'out of memory' });
    const pruned = trials.filter((t) => t.state === 'pruned');
    expect(pruned.length).toBeGreaterThan(2);
    for (const t of pruned) expect(t.value).toBe(t.intermediate.at(-1)![1]);
    await study.close();
  });

  it('an AbortSignal stops it: the running trial is recorded interrupted, and the next optimize runs it again first', async () => {
    const { createStudy } = await loadApi();
    const study = await createStudy({ name: 'stop', results, seed: 8, space: { x: { type: 'float', low: 0, high: 1 } } });
    const stopper = new AbortController();
    const result = await study.optimize(
      async (trial) => {
        if (trial.number === 3) setTimeout(() => stopper.abort(), 50);
        for (let step = 0; step < 40; step++) {
          await sleep(10);
          trial.report(step, trial.params.x as number);
          if (trial.shouldPrune()) return trial.params.x as number;
        }
        return trial.params.x as number;
      },
      { trials: 10, signal: stopper.signal },
    );
    expect(result.reason).toBe('interrupted');
    expect(study.trials.map((t) => t.state)).toEqual(['complete', 'complete', 'complete', 'failed']);
    expect(study.trials[3]!.error).toBe('interrupted');
    const again = await study.optimize(async (trial) => trial.params.x as number, { trials: 6 });
    expect(again.reason).toBe('budget');
    const state = foldJournal(journalEvents(results, 'stop'));
    const retry = state.trials[4]!;
    expect(retry.retryOf).toBe(3);
    expect(retry.params).toEqual(state.trials[3]!.params);
    expect(retry.seed).toBe(state.trials[3]!.seed);
    expect(state.trials.filter((t) => t.state === 'complete')).toHaveLength(6);
    await study.close();
  });

  it('stops starting trials when `time` is spent', async () => {
    const { createStudy } = await loadApi();
    const study = await createStudy({ name: 'time', results, seed: 1, space: { x: { type: 'float', low: 0, high: 1 } } });
    const result = await study.optimize(async () => {
      await sleep(60);
      return 1;
    }, { trials: 1000, time: 0.3 });
    expect(result.reason).toBe('time');
    expect(study.trials.length).toBeGreaterThan(1);
    expect(study.trials.length).toBeLessThan(20);
    await study.close();
  });

  it('runs a module objective in the worker pool (workers 2), as the CLI does', async () => {
    const { createStudy } = await loadApi();
    const study = await createStudy({ name: 'pool', results, seed: 3, space: { x: { type: 'float', low: 0, high: 1 }, steps: 4 }, sampler: 'random' });
    const result = await study.optimize(MODULE, { trials: 8, workers: 2 });
    expect(result.reason).toBe('budget');
    const trials = study.trials;
    expect(trials.every((t) => t.state === 'complete')).toBe(true);
    for (const t of trials) expect(t.value).toBeCloseTo(((t.params.x as number) - 0.3) ** 2 + 1 / 4, 12);
    const threads = new Set(trials.map((t) => t.metrics['worker_thread']));
    expect(threads.size).toBe(2);
    expect(threads.has(0)).toBe(false);
    expect(new Set(trials.map((t) => t.metrics['repro'] && (t.metrics['repro'] as { objective: string }).objective))).toEqual(new Set(['module']));
    await study.close();
  });

  it('bad options are HypersweepErrors: workers > 1 with a function, no objective for a study without one, a missing module', async () => {
    const { createStudy, HypersweepError } = await loadApi();
    const study = await createStudy({ name: 'bad', results, space: { x: { type: 'float', low: 0, high: 1 } } });
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        () => 'no error',
        (err: unknown) => (err instanceof HypersweepError ? err.code : String(err)),
      );
    expect(await codeOf(study.optimize(() => 1, { workers: 2 }))).toBe('E_OPTION_VALUE');
    expect(await codeOf(study.optimize({ trials: 3 }))).toBe('E_API_OBJECTIVE');
    expect(await codeOf(study.optimize(path.join(results, 'nope.mjs')))).toBe('E_OBJECTIVE_MODULE');
    expect(await codeOf(study.optimize(() => 1, { trials: 0 }))).toBe('E_OPTION_VALUE');
    expect(await codeOf(study.optimize(() => 1, { time: 'soon' }))).toBe('E_OPTION_VALUE');
    expect(study.trials).toHaveLength(0);
    await study.close();
  });
});
