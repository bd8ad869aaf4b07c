// Jobs kept ready ahead of the workers while trials are short (PrefetchPolicy),
// and the `started` message spared for trials that end within 50 ms: the
// controller then learns where a trial ran from its result.
import path from 'node:path';

import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';

import { PrefetchPolicy } from '../src/dispatch/queue/prefetch.js';
import { journalEvents, moduleSpace, queueScratch, startCli, startWorker, TEST_REDIS, uniqueStudy } from './helpers/queue.js';

const scratch = queueScratch('hs-prefetch-');

describe('PrefetchPolicy', () => {
  it('switches on once the median of half a window of runs is short, and off when runs grow long', () => {
    const policy = new PrefetchPolicy(250, 8);
    const switches = [10, 12, 9].map((ms) => policy.note(ms));
    expect(switches).toEqual([false, false, false]);
    expect(policy.active).toBe(false); // three runs say little
    expect(policy.note(11)).toBe(true);
    expect(policy.active).toBe(true);
    // One long run does not move the median; half the window long does (the upper middle is taken).
    expect(policy.note(5_000)).toBe(false);
    expect(policy.note(900)).toBe(false);
    expect(policy.note(900)).toBe(false);
    expect(policy.active).toBe(true); // 9 10 11 12 | 900 900 5000: the middle is 12
    expect(policy.note(900)).toBe(true); // 9 10 11 12 | 900 900 900 5000: sorted[4] = 900
    expect(policy.active).toBe(false);
    // The window slides: eight short runs later it is on again.
    const back = Array.from({ length: 8 }, () => policy.note(5));
    expect(back.filter(Boolean)).toHaveLength(1);
    expect(policy.active).toBe(true);
  });
});

/** The most trials dispatched and not finished at once, read from the journal in order. */
function maxInFlight(events: ReadonlyArray<{ event: string }>): number {
  let inFlight = 0;
  let most = 0;
  for (const e of events) {
    if (e.event === 'trial_started') most = Math.max(most, ++inFlight);
    if (e.event === 'trial_finished') inFlight--;
  }
  return most;
}

let workerOutput = '';
let ackMessages = 0;
let ackedTrials: number[] = [];

async function sweep(trials: number, steps: number, stepMs: number, workerFlags: string[] = []) {
  const study = uniqueStudy('qpre');
  const space = moduleSpace(
    scratch.dir(),
    study,
    'dispatch-objective.mjs',
    `metric: value\ndirection: minimize\nparams:\n  x: {type: float, low: 0, high: 1}\n  steps: ${steps}\nsampler: {type: random, seed: 1}\nbudget: {trials: ${trials}}\n`,
  );
  const results = path.join(scratch.dir(), 'results');
  const env = { HS_STEP_MS: String(stepMs) };
  const worker = scratch.track(startWorker(TEST_REDIS, [study], ['--workers', '1', '--name', 'solo', '--heartbeat', '200', ...workerFlags], env));
  await worker.waitFor(/serving studies/);
  const controller = scratch.track(startCli(['sweep', space, '--queue', TEST_REDIS, '--results', results, '--quiet'], env));
  expect(await controller.exited, controller.output()).toBe(0);
  // The acks the controller sent the worker: its inbox is read past, not trimmed, until the worker leaves.
  const redis = new Redis(TEST_REDIS);
  try {
    const [inbox] = await redis.keys(`hypersweep:worker:solo-${worker.child.pid}-*:inbox`);
    const entries = inbox ? await redis.xrange(inbox, '-', '+') : [];
    const messages = entries.map(([, fields]) => JSON.parse(fields[1]!) as { t: string; trials?: number[] });
    const acks = messages.filter((m) => m.t === 'ack');
    ackMessages = acks.length;
    ackedTrials = acks.flatMap((m) => m.trials ?? []).sort((a, b) => a - b);
  } finally {
    redis.disconnect();
  }
  worker.child.kill('SIGTERM');
  await worker.exited;
  workerOutput = worker.output();
  return journalEvents(results, study) as unknown as Array<{ event: string; trial?: number; worker?: string; time: string }>;
}

describe('a distributed sweep of short and of long trials', () => {
  it('short trials: a job waits ahead of the one slot, and each trial is placed from its result', async () => {
    const events = await sweep(40, 1, 0, ['--quiet']);
    expect(maxInFlight(events)).toBe(2);
    // Every result acked, in batches (every 100 ms) rather than a message per trial: 40 trials take a few tenths of a second.
    expect(ackedTrials).toEqual(Array.from({ length: 40 }, (_, n) => n));
    expect(ackMessages).toBeLessThan(20);
    // --quiet: no line per trial, the rest as usual.
    expect(workerOutput).toMatch(/serving study/);
    expect(workerOutput).not.toMatch(/trial \d+ of /);
    for (let n = 0; n < 40; n++) {
      const assigned = events.findIndex((e) => e.event === 'trial_assigned' && e.trial === n);
      const finished = events.findIndex((e) => e.event === 'trial_finished' && e.trial === n);
      expect(assigned, `trial ${n}`).toBeGreaterThan(-1);
      expect(assigned).toBeLessThan(finished);
      expect(events[assigned]!.worker).toBe('solo');
    }
  });

  it('long trials: no job ahead, and a trial is placed while it runs', async () => {
    const events = await sweep(4, 3, 100);
    expect(maxInFlight(events)).toBe(1);
    expect(workerOutput).toMatch(/trial 3 of /);
    for (let n = 0; n < 4; n++) {
      const assigned = events.find((e) => e.event === 'trial_assigned' && e.trial === n)!;
      const finished = events.find((e) => e.event === 'trial_finished' && e.trial === n)!;
      // Announced by 'started' ~50 ms in, long before its 300 ms end.
      expect(Date.parse(finished.time) - Date.parse(assigned.time), `trial ${n}`).toBeGreaterThan(150);
    }
  });
});
