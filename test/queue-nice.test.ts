// `hypersweep worker --nice N`: the worker and the pool threads that run its
// trials take the lower CPU priority (the trial's objective reports its own
// thread's nice value); a priority out of 0-19 is refused in one line.
import os from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { foldJournal } from '../src/study/state.js';
import { journalEvents, moduleSpace, queueScratch, startCli, startWorker, TEST_REDIS, uniqueStudy } from './helpers/queue.js';

const scratch = queueScratch('hs-nice-');

/** The values of a 2-trial sweep of priority-objective.mjs served by one worker started with `flags`. */
async function threadPriorities(flags: string[]): Promise<number[]> {
  const study = uniqueStudy('qnice');
  const space = moduleSpace(
    scratch.dir(),
    study,
    'priority-objective.mjs',
    'metric: value\ndirection: minimize\nparams:\n  x: {type: float, low: 0, high: 1}\nsampler: {type: random, seed: 1}\nbudget: {trials: 2}\n',
  );
  const results = path.join(scratch.dir(), 'results');
  const worker = scratch.track(startWorker(TEST_REDIS, [study], ['--workers', '1', ...flags]));
  await worker.waitFor(/serving studies/);
  const controller = scratch.track(startCli(['sweep', space, '--queue', TEST_REDIS, '--results', results, '--quiet']));
  expect(await controller.exited, controller.output()).toBe(0);
  worker.child.kill('SIGTERM');
  expect(await worker.exited, worker.output()).toBe(0);
  return foldJournal(journalEvents(results, study)).trials.map((t) => t.value as number);
}

describe('hypersweep worker --nice', () => {
  it('runs its trials at the lower priority', async () => {
    const base = os.getPriority();
    const wanted = Math.min(19, base + 7);
    expect(await threadPriorities(['--nice', String(wanted)])).toEqual([wanted, wanted]);
  }, 60_000);

  it('leaves the priority as it is without --nice', async () => {
    const base = os.getPriority();
    expect(await threadPriorities([])).toEqual([base, base]);
  }, 60_000);

  it('refuses a priority outside 0-19 with one line, before connecting', async () => {
    const worker = scratch.track(startCli(['worker', '--queue', 'redis://127.0.0.1:1', '--nice', '25']));
    expect(await worker.exited).not.toBe(0);
    expect(worker.output()).toMatch(/--nice/);
    expect(worker.output().trim().split('\n')).toHaveLength(1);
  }, 30_000);
});
