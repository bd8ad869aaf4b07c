// A worker whose hypersweep version, addon build or GEMM kernels differ from
// the controller's refuses the study's trials with a clear error on the trial,
// instead of silently computing other numbers; the trial runs again elsewhere.
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { parseQueueUrl } from '../src/dispatch/queue/address.js';
import { WorkerService } from '../src/dispatch/queue/worker-service.js';
import { countsTowardBudget } from '../src/study/study.js';
import { hypersweepVersion } from '../src/trials/record.js';
import { moduleSpace, queueScratch, startCli, startWorker, studyState, TEST_REDIS, uniqueStudy, until } from './helpers/queue.js';

const URL = TEST_REDIS;
const scratch = queueScratch('hs-qid-');

describe('worker identity', () => {
  it('refuses the trials of a controller of another version; they run on a matching worker', async () => {
    const study = uniqueStudy('qid');
    const lines: string[] = [];
    const odd = new WorkerService({
      address: parseQueueUrl(URL),
      name: 'odd',
      slots: 1,
      threadsPerTrial: 1,
      device: 'cpu',
      engine: 'auto',
      studies: [study],
      dataRoot: null,
      codeRoot: null,
      heartbeatMs: 200,
      identity: () => ({ version: '0.0.0-other', build: null, simd: null }),
      log: (line) => lines.push(line),
    });
    await odd.start();
    const space = moduleSpace(scratch.dir(), study, 'dispatch-objective.mjs', 'metric: value\ndirection: minimize\nparams:\n  x: {type: float, low: 0, high: 1}\n  steps: 2\nsampler: {type: random, seed: 1}\nbudget: {trials: 4}\n');
    const results = path.join(scratch.dir(), 'results');
    const controller = startCli(['sweep', space, '--queue', URL, '--results', results]);
    scratch.track(controller);
    try {
      await until(() => studyState(results, study).trials.some((t) => t.requeued), 20_000, 'a refused trial');
      const good = startWorker(URL, [study], ['--workers', '1', '--name', 'good']);
      scratch.track(good);
      expect(await controller.exited, controller.output()).toBe(0);
    } finally {
      await odd.stop();
    }
    const trials = studyState(results, study).trials;
    const refused = trials.filter((t) => t.requeued);
    // Refused once: then the odd worker stops taking the study's jobs.
    expect(refused).toHaveLength(1);
    expect(refused[0]!.error).toBe(`refused by worker odd: hypersweep 0.0.0-other here, ${hypersweepVersion()} on the controller`);
    expect(trials.find((t) => t.retryOf === refused[0]!.number)).toMatchObject({ worker: 'good', state: 'complete' });
    expect(trials.filter(countsTowardBudget)).toHaveLength(4);
    expect(lines.some((l) => l.includes('refusing its trials: hypersweep 0.0.0-other here'))).toBe(true);
  });
});
