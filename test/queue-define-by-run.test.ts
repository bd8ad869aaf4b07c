// A module objective that suggests its params (define-by-run) on a remote
// `hypersweep worker`: its trials run with the params drawn when they were
// queued, and there is no controller in the worker's process to draw more, so
// ctx.suggest* throws E_SUGGEST_UNAVAILABLE (a configuration error: the
// controller records the trial failed with the reason and stops the sweep).
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { moduleSpace, queueScratch, startCli, startWorker, studyKeys, studyState, TEST_REDIS, uniqueStudy, until } from './helpers/queue.js';

const scratch = queueScratch('hs-qdbr-');

describe('define-by-run on a remote worker', () => {
  it('fails the trial with E_SUGGEST_UNAVAILABLE, says why, and stops the sweep', async () => {
    const name = uniqueStudy('qdbr');
    const space = moduleSpace(
      scratch.dir(),
      name,
      'define-by-run-objective.mjs',
      'metric: value\ndirection: minimize\nparams:\n  x: {type: float, low: 0, high: 1}\nsampler: {type: random, seed: 3}\nbudget: {trials: 4}\n',
    );
    const results = path.join(scratch.dir(), 'results');
    const worker = scratch.track(startWorker(TEST_REDIS, [name], ['--workers', '1']));
    await worker.waitFor(/serving studies/);
    const controller = scratch.track(startCli(['sweep', space, '--queue', TEST_REDIS, '--results', results]));
    expect(await controller.exited, controller.output()).toBe(2);
    expect(controller.output()).toMatch(/cannot suggest "y": define-by-run \(ctx\.suggest\*\) is not available on a remote worker/);
    const trials = studyState(results, name).trials;
    expect(trials[0]).toMatchObject({ number: 0, state: 'failed' });
    expect(trials[0]!.error).toMatch(/on a remote worker .*declare the parameter in the space file, or run the sweep without --queue/);
    expect(trials.some((t) => t.state === 'complete')).toBe(false);
    await until(() => /trial 0 of .*failed: cannot suggest "y"/.test(worker.output()), 5_000, "the worker's line");
    expect(await studyKeys(TEST_REDIS, name)).toEqual([]);
  });
});
