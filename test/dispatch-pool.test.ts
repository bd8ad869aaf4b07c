// The worker pool and the controller in-process (workers load src/dispatch/worker.ts
// through tsx here; the CLI tests cover the compiled dist/ path).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { runSweep } from '../src/dispatch/controller.js';
import { TrialRequeued, type TrialExecutor } from '../src/dispatch/pool.js';
import type { TrialResult } from '../src/dispatch/protocol.js';
import { runStudy } from '../src/dispatch/run-study.js';
import { HypersweepError } from '../src/errors.js';
import { NopPruner } from '../src/pruners/index.js';
import { createSampler, type Sampler, type TrialSnapshot } from '../src/samplers/sampler.js';
import { loadSpaceFile } from '../src/space/load.js';
import type { StudySpec } from '../src/space/spec.js';
import { readJournal } from '../src/study/journal-reader.js';
import { Study } from '../src/study/study.js';
import { ROOT } from './helpers/cli.js';

const SPACE = path.join(ROOT, 'test', 'fixtures', 'dispatch.yaml');
let results: string;
beforeEach(() => {
  results = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-pool-'));
});
afterEach(() => fs.rmSync(results, { recursive: true, force: true }));

function createStudy(name: string, change: (spec: StudySpec) => StudySpec = (s) => s): Study {
  return Study.create(results, name, change(loadSpaceFile(SPACE)), 5, 'test');
}

const run = { timeSeconds: null, workers: 2, threadsPerTrial: 1, device: 'cpu' as const };

describe('pool and controller', () => {
  it('prunes through the pool: the worker sees the decision on the report it follows', async () => {
    const study = createStudy('median', (s) => ({ ...s, pruner: { type: 'median', n_startup_trials: 3 } }));
    try {
      expect(await runStudy(study, { ...run, budget: 16 })).toBe('budget');
    } finally {
      study.close();
    }
    const trials = study.state.trials;
    expect(trials).toHaveLength(16);
    const pruned = trials.filter((t) => t.state === 'pruned');
    expect(pruned.length).toBeGreaterThan(0);
    for (const t of pruned) {
      // Stopped at the very report the pruner answered: its last value is the recorded one.
      expect(t.metrics.stopped_at).toBe(t.intermediate.length);
      expect(t.value).toBe(t.intermediate.at(-1)![1]);
      // At most the 4 steps: the pruner may also stop a trial at its last report
      // (which trials are still running when it decides depends on timing).
      expect(t.intermediate.length).toBeLessThanOrEqual(4);
    }
    expect(trials.filter((t) => t.state === 'complete').every((t) => t.intermediate.length === 4)).toBe(true);
    // The single writer: each trial's reports come between its start and its end in the journal.
    const events = readJournal(study.journalFile).events;
    for (const t of trials) {
      const at = (pred: (e: (typeof events)[number]) => boolean) => events.findIndex(pred);
      const started = at((e) => e.event === 'trial_started' && e.trial === t.number);
      const finished = at((e) => e.event === 'trial_finished' && e.trial === t.number);
      const reports = events.flatMap((e, i) => (e.event === 'intermediate' && e.trial === t.number ? [i] : []));
      expect(reports.length).toBe(t.intermediate.length);
      expect(reports.every((i) => i > started && i < finished)).toBe(true);
    }
    // Trials ran in worker threads (thread id 0 is this one).
    expect(new Set(trials.map((t) => t.metrics.worker_thread)).has(0)).toBe(false);
  });

  it('refuses a module that cannot be imported before any trial starts', async () => {
    const study = createStudy('broken', (s) => ({ ...s, objective: { kind: 'module', module: 'nope.mjs', path: path.join(results, 'nope.mjs') } }));
    let error: unknown;
    try {
      await runStudy(study, { ...run, budget: 4 });
    } catch (err) {
      error = err;
    } finally {
      study.close();
    }
    expect(error).toBeInstanceOf(HypersweepError);
    expect((error as HypersweepError).code).toBe('E_OBJECTIVE_MODULE');
    expect(study.state.trials).toHaveLength(0);
  });
});

/** Runs "trials" on timers in this thread, completing them in a shuffled order. */
function fakeExecutor(durations: (n: number) => number, outcome: (n: number) => TrialResult['outcome'] = (n) => ({ kind: 'returned', value: n, metrics: {} })): TrialExecutor {
  return {
    runTrial: (trial) =>
      new Promise((resolve) =>
        setTimeout(() => resolve({ outcome: outcome(trial.number), sawStop: false, threadId: 1 }), durations(trial.number)),
      ),
  };
}

/** A sampler that records the running trials it is told of at each ask. */
function spying(inner: Sampler, seen: Map<number, number[]>): Sampler {
  return {
    type: inner.type,
    capacity: inner.capacity,
    ask: (n: number, running: readonly TrialSnapshot[]) => {
      seen.set(n, running.map((r) => r.number));
      return inner.ask(n, running);
    },
    tell: (t) => inner.tell(t),
    madeBy: () => inner.madeBy(),
    sampleParam: (...args) => inner.sampleParam(...args),
  };
}

describe('controller scheduling', () => {
  it('a trial requeued after asking stopped at the budget is run again: the budget is reached exactly', async () => {
    // Trial 1 runs long and is then handed back (a lost worker); the others finish quickly,
    // so asking stops at the budget while trial 1 still counts.
    const study = createStudy('requeued-late');
    const executor: TrialExecutor = {
      runTrial: (trial) =>
        new Promise((resolve, reject) =>
          trial.number === 1
            ? setTimeout(() => reject(new TrialRequeued('worker lost: test')), 120)
            : setTimeout(() => resolve({ outcome: { kind: 'returned', value: trial.number, metrics: {} }, sawStop: false, threadId: 1 }), 5),
        ),
    };
    const sampler = createSampler({ type: 'random', seed: 1 }, study.spec.params, 'minimize', 1);
    const reason = await runSweep(study, sampler, executor, { budget: 4, timeSeconds: null, workers: 2, pruner: new NopPruner('minimize') });
    study.close();
    expect(reason).toBe('budget');
    const trials = study.state.trials;
    expect(trials.filter((t) => t.state === 'complete')).toHaveLength(4);
    const lost = trials.find((t) => t.number === 1)!;
    expect(lost).toMatchObject({ state: 'failed', requeued: true });
    // Its retry ran with the same params.
    const retry = trials.find((t) => t.retryOf === 1);
    expect(retry?.state).toBe('complete');
    expect(retry?.params).toEqual(lost.params);
  });

  it('keeps W trials in flight, tells the sampler which are running, and records each trial once', async () => {
    const study = createStudy('fake');
    const seen = new Map<number, number[]>();
    const sampler = spying(createSampler(study.spec.sampler, study.spec.params, study.spec.direction, study.seed), seen);
    const reason = await runSweep(study, sampler, fakeExecutor((n) => [30, 5, 15][n % 3]!), {
      budget: 12,
      timeSeconds: null,
      workers: 3,
      pruner: new NopPruner('minimize'),
    });
    study.close();
    expect(reason).toBe('budget');
    expect(study.state.trials.map((t) => t.number)).toEqual([...Array(12).keys()]);
    expect(study.state.trials.every((t) => t.state === 'complete')).toBe(true);
    // The first three start together; every later ask sees the two others in flight.
    expect(seen.get(0)).toEqual([]);
    expect(seen.get(1)).toEqual([0]);
    expect(seen.get(2)).toEqual([0, 1]);
    for (let n = 3; n < 12; n++) expect(seen.get(n)!.length, `ask ${n}`).toBe(2);
    const workers = new Set(study.state.trials.map((t) => t.worker));
    expect(workers).toEqual(new Set(['w0', 'w1', 'w2']));
  });

  it('stops the sweep on a configuration error, after recording the trial failed', async () => {
    const study = createStudy('fatal');
    const sampler = createSampler(study.spec.sampler, study.spec.params, study.spec.direction, study.seed);
    const outcome = (n: number): TrialResult['outcome'] =>
      n === 2
        ? { kind: 'threw', error: { message: 'bad parameter', code: 'E_PARAM_VALUE', exitCode: 2 }, metrics: {} }
        : { kind: 'returned', value: n, metrics: {} };
    await expect(
      runSweep(study, sampler, fakeExecutor(() => 5, outcome), { budget: 50, timeSeconds: null, workers: 2, pruner: new NopPruner('minimize') }),
    ).rejects.toMatchObject({ code: 'E_PARAM_VALUE' });
    study.close();
    expect(study.state.trials.find((t) => t.number === 2)).toMatchObject({ state: 'failed', error: 'bad parameter' });
    expect(study.state.trials.length).toBeLessThan(6);
    expect(study.state.trials.every((t) => t.state !== 'running')).toBe(true);
  });
});
