// Ask-and-tell through the library API (`import … from 'hypersweep'`): the
// journal events are those a CLI sweep writes, several asks may be open at
// once (the sampler sees them as running: the constant liar), reports go
// through the study's pruner, and misuse is a HypersweepError with a code.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { deriveTrialSeed } from '../src/samplers/rng.js';
import { createSampler } from '../src/samplers/sampler.js';
import type { StudySpec } from '../src/space/spec.js';
import { foldJournal } from '../src/study/state.js';
import { journalEvents, loadApi, scratchDir } from './helpers/api.js';
import { ROOT } from './helpers/cli.js';

let results: string;
beforeEach(() => {
  results = scratchDir('api-ask');
});
afterEach(() => fs.rmSync(results, { recursive: true, force: true }));

const space = { x: { type: 'float' as const, low: 0, high: 1 }, n: { type: 'int' as const, low: 1, high: 8 } };

describe('ask and tell', () => {
  it('ask gives number, params and seed; tell records the value; the journal holds the CLI’s events', async () => {
    const { createStudy, loadStudy } = await loadApi();
    const study = await createStudy({ name: 'at', results, space, direction: 'minimize', seed: 11, sampler: 'random' });
    const t0 = await study.ask();
    expect(t0.number).toBe(0);
    expect(t0.seed).toBe(deriveTrialSeed(11, 0));
    expect(Object.keys(t0.params).sort()).toEqual(['n', 'x']);
    expect(t0.params.x).toBeGreaterThanOrEqual(0);
    expect(t0.params.x).toBeLessThanOrEqual(1);
    t0.report(1, 0.7);
    const told = await study.tell(t0, 0.25);
    expect(told).toMatchObject({ number: 0, state: 'complete', value: 0.25, params: t0.params, intermediate: [[1, 0.7]] });
    await study.close();

    const events = journalEvents(results, 'at');
    expect(events.map((e) => e.event)).toEqual(['study_created', 'trial_started', 'intermediate', 'trial_finished']);
    expect(events[1]).toMatchObject({ trial: 0, params: t0.params, seed: t0.seed, worker: 'api' });
    expect(events[3]).toMatchObject({ trial: 0, state: 'complete', value: 0.25 });
    // Read back by a new handle, exactly.
    const again = await loadStudy('at', { results });
    // (The journal's timestamps are pino's, a millisecond or so after the handle's clock.)
    const { finishedAt: _f, startedAt: _s, ...rest } = told;
    expect(again.trials).toEqual([{ ...rest, startedAt: events[1]!.time, finishedAt: events[3]!.time }]);
    expect(again.bestTrial?.number).toBe(0);
    expect(again.direction).toBe('minimize');
    expect(again.metric).toBe('value');
  });

  it('several asks open at once: each later ask is drawn with the open ones as running trials (constant liar)', async () => {
    const { createStudy } = await loadApi();
    const study = await createStudy({
      name: 'liar',
      results,
      space,
      seed: 5,
      sampler: { type: 'tpe', options: { n_startup_trials: 4 } },
    });
    for (let i = 0; i < 8; i++) {
      const t = await study.ask();
      await study.tell(t, ((t.params.x as number) - 0.3) ** 2 + (t.params.n as number) / 10);
    }
    const a = await study.ask();
    const b = await study.ask();
    const c = await study.ask();
    expect([a.number, b.number, c.number]).toEqual([8, 9, 10]);
    // The same sampler, told the same finished trials, reproduces each ask only with the open trials as running.
    const state = foldJournal(journalEvents(results, 'liar'));
    const spec = state.created.spec as StudySpec;
    const sampler = createSampler(spec.sampler, spec.params, spec.direction, 5);
    for (const t of state.trials) if (t.state !== 'running') sampler.tell({ ...t, state: t.state });
    expect(a.params).toEqual(sampler.ask(8, []));
    expect(b.params).toEqual(sampler.ask(9, [{ number: 8, params: a.params }]));
    expect(c.params).toEqual(sampler.ask(10, [{ number: 8, params: a.params }, { number: 9, params: b.params }]));
    // Seed 5 was chosen so that the liars change the pick: the check above can tell the two apart.
    expect(c.params).not.toEqual(sampler.ask(10, []));
    // Told out of order.
    await study.tell(c, 1);
    await study.tell(a, 2);
    await study.tell(b, { state: 'failed', error: 'out of memory' });
    expect(study.trials.slice(8).map((t) => [t.number, t.state, t.value, t.error])).toEqual([
      [8, 'complete', 2, null],
      [9, 'failed', null, 'out of memory'],
      [10, 'complete', 1, null],
    ]);
    await study.close();
  });

  it("report and shouldPrune use the study's pruner; a pruned trial keeps its last value", async () => {
    const { createStudy } = await loadApi();
    const study = await createStudy({ name: 'prune', results, space, seed: 1, pruner: { type: 'median', n_startup_trials: 2 } });
    for (let i = 0; i < 3; i++) {
      const t = await study.ask();
      for (let step = 0; step < 3; step++) {
        t.report(step, 1 + step);
        expect(t.shouldPrune()).toBe(false);
      }
      await study.tell(t, 3);
    }
    const good = await study.ask();
    good.report(0, 0.5);
    expect(good.shouldPrune()).toBe(false);
    const bad = await study.ask();
    bad.report(0, 5);
    expect(bad.shouldPrune()).toBe(true); // its best so far (5) is worse than the median at step 0 (1)
    bad.report(1, 9);
    expect(bad.shouldPrune()).toBe(true);
    const pruned = await study.tell(bad, { state: 'pruned' });
    expect(pruned).toMatchObject({ state: 'pruned', value: 9, intermediate: [[0, 5], [1, 9]] });
    await study.tell(good, 0.5);
    await study.close();
  });

  it('a non-finite value is recorded failed, as a pool trial’s; close() records open trials interrupted', async () => {
    const { createStudy } = await loadApi();
    const study = await createStudy({ name: 'nan', results, space, seed: 2 });
    const t = await study.ask();
    expect(await study.tell(t, Number.NaN)).toMatchObject({ state: 'failed', value: null, error: 'objective returned a non-finite value (NaN)' });
    const open = await study.ask();
    await study.close();
    const last = journalEvents(results, 'nan').at(-1);
    expect(last).toMatchObject({ event: 'trial_finished', trial: open.number, state: 'failed', error: 'interrupted' });
  });

  it('misuse is a HypersweepError with a code: tell twice, a trial of another study, a closed handle, an existing study', async () => {
    const { createStudy, HypersweepError } = await loadApi();
    const study = await createStudy({ name: 'misuse', results, space, seed: 3 });
    const other = await createStudy({ name: 'other', results, space, seed: 3 });
    const t = await study.ask();
    await study.tell(t, 1);
    const codeOf = async (p: Promise<unknown> | (() => unknown)) => {
      try {
        await (typeof p === 'function' ? p() : p);
      } catch (err) {
        expect(err).toBeInstanceOf(HypersweepError);
        return (err as InstanceType<typeof HypersweepError>).code;
      }
      return 'no error';
    };
    expect(await codeOf(study.tell(t, 2))).toBe('E_TRIAL_FINISHED');
    expect(await codeOf(() => t.report(2, 1))).toBe('E_TRIAL_FINISHED');
    const u = await other.ask();
    expect(await codeOf(study.tell(u, 1))).toBe('E_FOREIGN_TRIAL');
    expect(await codeOf(createStudy({ name: 'misuse', results, space }))).toBe('E_STUDY_EXISTS');
    expect(await codeOf(createStudy({ name: 'bad', results, space: { x: { type: 'float', low: 1, high: 0 } } }))).toBe('E_SPACE_INVALID');
    expect(await codeOf(createStudy({ name: 'bad', results, space, pruner: { type: 'median', n_startup_trials: -1 } }))).toBe('E_PRUNER_OPTION');
    await study.close();
    expect(await codeOf(study.ask())).toBe('E_STUDY_CLOSED');
    await other.close();
  });

  it('trials a process left open when it died are recorded interrupted on reopening, and optimize runs them again', async () => {
    const { loadStudy } = await loadApi();
    const script = `const { createStudy } = await import('hypersweep');
      const study = await createStudy({ name: 'crash', results: ${JSON.stringify(results)}, seed: 4, space: { x: { type: 'float', low: 0, high: 1 } } });
      const t = await study.ask(); t.suggestInt('k', 1, 3); t.report(0, 0.5);
      process.exit(0); // no tell, no close`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(journalEvents(results, 'crash').at(-1)).toMatchObject({ event: 'intermediate', trial: 0 });
    const study = await loadStudy('crash', { results });
    expect(study.trials[0]).toMatchObject({ state: 'running' }); // read only: nothing written yet
    await study.optimize((t) => (t.params.x as number) + t.suggestInt('k', 1, 3), { trials: 3 });
    await study.close();
    const trials = foldJournal(journalEvents(results, 'crash')).trials;
    expect(trials.map((t) => [t.number, t.state, t.error, t.retryOf])).toEqual([
      [0, 'failed', 'interrupted', null],
      [1, 'complete', null, 0],
      [2, 'complete', null, null],
      [3, 'complete', null, null],
    ]);
    expect(trials[1]!.params).toEqual(trials[0]!.params);
  });
});
