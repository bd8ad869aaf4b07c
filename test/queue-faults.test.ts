// What a distributed sweep does when a process dies or is stopped: a worker
// killed mid-trial, a late result from a worker presumed lost, the controller
// killed and resumed, Ctrl-C on either side. Real processes, the machine's
// Redis (127.0.0.1:6379), studies of each test's own.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { encode, keys, studyKey } from '../src/dispatch/queue/protocol.js';
import { countsTowardBudget } from '../src/study/study.js';
import type { TrialRecord } from '../src/study/state.js';
import { journalEvents, killAll, moduleSpace, startCli, startWorker, studyKeys, studyState, until, type Proc } from './helpers/queue.js';

const URL = process.env['HS_TEST_REDIS'] ?? 'redis://127.0.0.1:6379';
let dir: string;
let results: string;
let procs: Proc[] = [];
const unique = (name: string) => `${name}-${process.pid}-${Math.random().toString(36).slice(2, 7)}`;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-qfault-'));
  results = path.join(dir, 'results');
  procs = [];
});
afterEach(() => {
  killAll(procs);
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A study of `trials` trials of 4 steps of `stepMs` each. */
function space(study: string, trials: number): string {
  return moduleSpace(
    dir,
    study,
    'dispatch-objective.mjs',
    `metric: value\ndirection: minimize\nparams:\n  x: {type: float, low: 0, high: 1}\n  steps: 4\nsampler: {type: random, seed: 5}\nbudget: {trials: ${trials}}\n`,
  );
}

function worker(study: string, name: string, stepMs: number, slots = 1): Proc {
  const w = startWorker(URL, [study], ['--workers', String(slots), '--name', name], { HS_STEP_MS: String(stepMs) });
  procs.push(w);
  return w;
}

function controller(args: string[]): Proc {
  const c = startCli(args);
  procs.push(c);
  return c;
}

/** Every trial number finishes at most once in the journal. */
function expectSingleFinishes(study: string): void {
  const finishes = journalEvents(results, study).filter((e) => e.event === 'trial_finished').map((e) => (e as { trial: number }).trial);
  expect(new Set(finishes).size).toBe(finishes.length);
}

const assignedTo = (study: string, name: string) => () =>
  studyState(results, study).trials.some((t) => t.state === 'running' && t.worker === name && t.intermediate.length >= 1);

describe('faults of a distributed sweep', () => {
  it('a worker SIGKILLed mid-trial: detected within --lost-after, recorded "worker lost", run again elsewhere; the budget is reached exactly', async () => {
    const study = unique('qkill');
    const alpha = worker(study, 'alpha', 250);
    const beta = worker(study, 'beta', 250);
    await Promise.all([alpha.waitFor(/serving studies/), beta.waitFor(/serving studies/)]);
    const c = controller(['sweep', space(study, 6), '--queue', URL, '--results', results, '--lost-after', '3s', '--json']);
    await until(assignedTo(study, 'alpha'), 30_000, 'a trial running on alpha');
    const victim = studyState(results, study).trials.find((t) => t.state === 'running' && t.worker === 'alpha')!;
    const killedAt = Date.now();
    alpha.child.kill('SIGKILL');
    expect(await c.exited, c.output()).toBe(0);

    const state = studyState(results, study);
    const lost = state.trials.find((t) => t.number === victim.number)!;
    expect(lost).toMatchObject({ state: 'failed', requeued: true });
    expect(lost.error).toMatch(/^worker lost: alpha on .* \(no heartbeat for \d+s\)$/);
    const detectedAfter = Date.parse(journalEvents(results, study).find((e) => e.event === 'trial_finished' && e.trial === victim.number)!.time) - killedAt;
    expect(detectedAfter).toBeLessThan(3000 + 2500); // --lost-after + one heartbeat poll + slack
    const retry = state.trials.find((t) => t.retryOf === victim.number)!;
    expect(retry).toMatchObject({ params: victim.params, seed: victim.seed, worker: 'beta', state: 'complete' });
    expect(state.trials.filter(countsTowardBudget)).toHaveLength(6);
    expect(state.trials.filter((t) => t.state === 'running')).toHaveLength(0);
    const events = journalEvents(results, study);
    expect(events.some((e) => e.event === 'worker_lost' && (e as { worker: string }).worker === 'alpha')).toBe(true);
    expectSingleFinishes(study);
    expect(await studyKeys(URL, study)).toEqual([]);
  });

  it('a late result from a worker presumed lost is recorded as ignored, never as a second finish', async () => {
    const study = unique('qlate');
    const alpha = worker(study, 'alpha', 250);
    const beta = worker(study, 'beta', 250);
    await Promise.all([alpha.waitFor(/serving studies/), beta.waitFor(/serving studies/)]);
    const c = controller(['sweep', space(study, 8), '--queue', URL, '--results', results, '--lost-after', '3s']);
    await until(assignedTo(study, 'alpha'), 30_000, 'a trial running on alpha');
    const victim = studyState(results, study).trials.find((t) => t.state === 'running' && t.worker === 'alpha')!;
    alpha.child.kill('SIGSTOP'); // frozen: no heartbeat, as if cut off
    await until(() => studyState(results, study).trials.find((t) => t.number === victim.number)!.state !== 'running', 15_000, 'the lost trial');
    // The frozen worker's result, as it would send it once back: straight into the study's inbox.
    const created = journalEvents(results, study)[0]!;
    const redis = new Redis(URL);
    await redis.xadd(
      keys.studyInbox(studyKey(study, created.time)),
      '*',
      'm',
      encode({
        t: 'result',
        trial: victim.number,
        worker: { id: 'alpha-late', name: 'alpha', host: os.hostname(), pid: alpha.child.pid },
        result: { outcome: { kind: 'returned', value: 0.5, metrics: {} }, sawStop: false, threadId: 1 },
        files: [],
      }),
    );
    redis.disconnect();
    alpha.child.kill('SIGKILL');
    expect(await c.exited, c.output()).toBe(0);
    const events = journalEvents(results, study);
    const ignored = events.filter((e) => e.event === 'result_ignored');
    expect(ignored).toEqual([expect.objectContaining({ trial: victim.number, worker: 'alpha', state: 'complete', value: 0.5 })]);
    expect(studyState(results, study).trials.find((t) => t.number === victim.number)).toMatchObject({ state: 'failed', requeued: true });
    expectSingleFinishes(study);
    expect(studyState(results, study).trials.filter(countsTowardBudget)).toHaveLength(8);
  });

  it('the controller SIGKILLed: resume --queue collects the trials that finished meanwhile (not run again) and finishes the study', async () => {
    const study = unique('qctl');
    const alpha = worker(study, 'alpha', 300, 2);
    await alpha.waitFor(/serving studies/);
    const file = space(study, 6);
    const c = controller(['sweep', file, '--queue', URL, '--results', results]);
    await until(() => studyState(results, study).trials.filter((t) => t.state === 'running' && t.intermediate.length >= 1).length === 2, 30_000, 'two trials running');
    c.child.kill('SIGKILL');
    await c.exited;
    const orphans = studyState(results, study).trials.filter((t) => t.state === 'running').map((t) => t.number);
    expect(orphans.length).toBeGreaterThan(0);
    // They finish on the worker while no controller runs.
    await alpha.waitFor(new RegExp(`trial ${orphans.at(-1)} of ${study}: value`), 20_000);
    const r = controller(['resume', study, '--queue', URL, '--results', results, '--json']);
    expect(await r.exited, r.output()).toBe(0);
    expect(r.output()).toMatch(new RegExp(`collecting ${orphans.length} trial\\(s\\) dispatched before: ${orphans.join(', ')}`));
    const state = studyState(results, study);
    for (const n of orphans) {
      expect(state.trials.find((t) => t.number === n)).toMatchObject({ state: 'complete', worker: 'alpha' });
      expect(state.trials.some((t) => t.retryOf === n)).toBe(false);
    }
    expect(state.trials.filter(countsTowardBudget)).toHaveLength(6);
    expectSingleFinishes(study);
    expect(await studyKeys(URL, study)).toEqual([]);
  });

  it('Ctrl-C on the controller stops the remote trials (recorded interrupted, run again on resume)', async () => {
    const study = unique('qint');
    const alpha = worker(study, 'alpha', 400, 2);
    await alpha.waitFor(/serving studies/);
    const c = controller(['sweep', space(study, 4), '--queue', URL, '--results', results]);
    await until(() => studyState(results, study).trials.filter((t) => t.state === 'running' && t.intermediate.length >= 1).length === 2, 30_000, 'two trials running');
    c.child.kill('SIGINT');
    expect(await c.exited, c.output()).toBe(130);
    const interrupted = studyState(results, study).trials.filter((t) => t.error === 'interrupted');
    expect(interrupted.length).toBe(2);
    expect(await studyKeys(URL, study)).toEqual([]);
    const r = controller(['resume', study, '--queue', URL, '--results', results]);
    expect(await r.exited, r.output()).toBe(0);
    const state = studyState(results, study);
    for (const t of interrupted) expect(state.trials.find((x: TrialRecord) => x.retryOf === t.number)?.state).toBe('complete');
    expect(state.trials.filter(countsTowardBudget)).toHaveLength(4);
  });

  it('Ctrl-C on a worker hands its running trial back (run again elsewhere) and the worker leaves cleanly', async () => {
    const study = unique('qhand');
    const alpha = worker(study, 'alpha', 300);
    const beta = worker(study, 'beta', 300);
    await Promise.all([alpha.waitFor(/serving studies/), beta.waitFor(/serving studies/)]);
    const c = controller(['sweep', space(study, 5), '--queue', URL, '--results', results, '--json']);
    await until(assignedTo(study, 'alpha'), 30_000, 'a trial running on alpha');
    const handed = studyState(results, study).trials.find((t) => t.state === 'running' && t.worker === 'alpha')!;
    alpha.child.kill('SIGINT');
    expect(await alpha.exited, alpha.output()).toBe(0);
    expect(await c.exited, c.output()).toBe(0);
    const state = studyState(results, study);
    expect(state.trials.find((t) => t.number === handed.number)).toMatchObject({ state: 'failed', requeued: true, error: 'handed back by worker alpha (stopping)' });
    expect(state.trials.find((t) => t.retryOf === handed.number)).toMatchObject({ worker: 'beta', state: 'complete', seed: handed.seed });
    expect(state.trials.filter(countsTowardBudget)).toHaveLength(5);
    const left = journalEvents(results, study).find((e) => e.event === 'worker_left');
    expect(left).toMatchObject({ worker: 'alpha', reason: 'stopped' });
  });
});
