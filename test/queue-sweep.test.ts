// A distributed sweep end to end: a controller (`sweep --queue`) and
// `hypersweep worker` processes through the Redis of the machine (127.0.0.1:6379),
// each test on studies of its own (workers are limited to them with --studies).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { countsTowardBudget } from '../src/study/study.js';
import { lastJsonLine, runCli } from './helpers/cli.js';
import { FIXTURES, journalEvents, moduleSpace, queueScratch, startCli, startWorker, studyKeys, studyState, TEST_REDIS, uniqueStudy } from './helpers/queue.js';

const URL = TEST_REDIS;
const scratch = queueScratch('hs-queue-');

describe('distributed sweep', () => {
  it('runs a study on two worker processes: budget reached exactly, pruning across the queue, every trial placed, nothing left in Redis', async () => {
    const study = uniqueStudy('qbasic');
    const space = moduleSpace(
      scratch.dir(),
      study,
      'dispatch-objective.mjs',
      'metric: value\ndirection: minimize\nparams:\n  x: {type: float, low: 0, high: 1}\n  steps: 4\n' +
        'sampler: {type: tpe, seed: 3}\npruner: {type: median, n_startup_trials: 3}\nbudget: {trials: 16}\n',
    );
    const results = path.join(scratch.dir(), 'results');
    const env = { HS_STEP_MS: '15' };
    const workers = [startWorker(URL, [study], ['--workers', '1', '--name', 'alpha'], env), startWorker(URL, [study], ['--workers', '1', '--name', 'beta'], env)];
    workers.forEach((w) => scratch.track(w));
    await Promise.all(workers.map((w) => w.waitFor(/serving studies/)));
    const controller = startCli(['sweep', space, '--queue', URL, '--results', results, '--json']);
    scratch.track(controller);
    expect(await controller.exited, controller.output()).toBe(0);
    const summary = lastJsonLine(controller.output()) as { stopped: string; counts: Record<string, number> };
    expect(summary.stopped).toBe('budget');

    const state = studyState(results, study);
    expect(state.trials).toHaveLength(16);
    expect(state.trials.filter(countsTowardBudget)).toHaveLength(16);
    expect(state.trials.some((t) => t.state === 'pruned')).toBe(true);
    // Placed on the workers, with host and pid; both served.
    expect(new Set(state.trials.map((t) => t.worker))).toEqual(new Set(['alpha', 'beta']));
    for (const t of state.trials) {
      expect(t.host).toBe(os.hostname());
      expect(t.pid).toBeGreaterThan(0);
    }
    // Each trial's reports come between its start and its end, and the pruned ones stopped at a report.
    const events = journalEvents(results, study);
    for (const t of state.trials) {
      const started = events.findIndex((e) => e.event === 'trial_started' && e.trial === t.number);
      const finished = events.findIndex((e) => e.event === 'trial_finished' && e.trial === t.number);
      const reports = events.flatMap((e, i) => (e.event === 'intermediate' && e.trial === t.number ? [i] : []));
      expect(reports.length).toBe(t.intermediate.length);
      expect(reports.every((i) => i > started && i < finished)).toBe(true);
      if (t.state === 'pruned') expect(t.metrics['stopped_at']).toBe(t.intermediate.length);
    }
    expect(events.filter((e) => e.event === 'worker_joined').map((e) => (e as { worker: string }).worker).sort()).toEqual(['alpha', 'beta']);
    const started = events.find((e) => e.event === 'controller_started') as { queue?: string };
    expect(started.queue).toBe('redis://127.0.0.1:6379');
    expect(await studyKeys(URL, study)).toEqual([]);

    // status names the queue and the workers that served the study.
    const status = runCli(['status', study, '--results', results, '--json']);
    const s = lastJsonLine(status.stdout) as { queue: string; workers: Array<{ name: string; connected: boolean; reason: string }> };
    expect(s.queue).toBe('redis://127.0.0.1:6379');
    expect(s.workers.map((w) => w.name).sort()).toEqual(['alpha', 'beta']);
    expect(s.workers.every((w) => !w.connected && w.reason === 'controller stopped')).toBe(true);
    expect(runCli(['status', study, '--results', results]).stdout).toMatch(/^workers +(alpha|beta) \(.*, pid \d+, 1 slot\): gone \(controller stopped\)$/m);
  });

  it('trains MLP trials remotely: the best weights come back to the controller and repro repeats the trial bit for bit', async () => {
    const study = uniqueStudy('qmlp');
    const space = path.join(scratch.dir(), `${study}.yaml`);
    fs.writeFileSync(space, fs.readFileSync(path.join(FIXTURES, 'mlp-tiny.yaml'), 'utf8').replace('name: mlp-tiny', `name: ${study}`).replace('trials: 4', 'trials: 3'));
    const results = path.join(scratch.dir(), 'results');
    // Another working folder: nothing of the controller's is found by a relative path.
    const workerCwd = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-worker-cwd-'));
    const worker = startCli(['worker', '--queue', URL, '--studies', study, '--heartbeat', '200', '--workers', '1', '--threads', '1', '--name', 'trainer'], {}, [], workerCwd);
    scratch.track(worker);
    await worker.waitFor(/serving studies/);
    const controller = startCli(['sweep', space, '--queue', URL, '--results', results, '--device', 'cpu', '--json']);
    scratch.track(controller);
    expect(await controller.exited, controller.output()).toBe(0);
    const state = studyState(results, study);
    expect(state.trials.every((t) => t.state === 'complete' && t.worker === 'trainer')).toBe(true);
    const best = [...state.trials].sort((a, b) => b.value! - a.value!)[0]!;
    const kept = fs.readdirSync(path.join(results, study, 'trials'));
    expect(kept).toEqual([String(best.number)]);
    expect(fs.existsSync(path.join(results, study, 'trials', String(best.number), 'weights.bin'))).toBe(true);
    const repro = runCli(['repro', study, String(best.number), '--results', results, '--threads', '1']);
    expect(repro.code, repro.stdout + repro.stderr).toBe(0);
    expect(repro.stdout).toMatch(/result: REPRODUCED, bit-identical/);
    fs.rmSync(workerCwd, { recursive: true, force: true });
  });

  it('--workers 1 with --queue runs trials both in the local pool and on a remote worker', async () => {
    const study = uniqueStudy('qmixed');
    const space = moduleSpace(
      scratch.dir(),
      study,
      'dispatch-objective.mjs',
      'metric: value\ndirection: minimize\nparams:\n  x: {type: float, low: 0, high: 1}\n  steps: 3\nsampler: {type: random, seed: 8}\nbudget: {trials: 10}\n',
    );
    const results = path.join(scratch.dir(), 'results');
    const env = { HS_STEP_MS: '60' };
    const remote = scratch.track(startWorker(URL, [study], ['--workers', '1', '--name', 'remote'], env));
    await remote.waitFor(/serving studies/);
    const controller = scratch.track(startCli(['sweep', space, '--queue', URL, '--workers', '1', '--results', results, '--json'], env));
    expect(await controller.exited, controller.output()).toBe(0);
    const trials = studyState(results, study).trials;
    expect(trials.filter((t) => t.state === 'complete')).toHaveLength(10);
    // Local trials run in the pool's slot w0; remote ones on the worker, with its host and pid.
    expect(trials.some((t) => t.worker === 'w0' && t.host === null)).toBe(true);
    expect(trials.some((t) => t.worker === 'remote' && t.pid !== null)).toBe(true);
    expect(trials.every((t) => t.worker === 'w0' || t.worker === 'remote')).toBe(true);
  });
});
