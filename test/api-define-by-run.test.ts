// Define-by-run through the library API: trial.suggestFloat / suggestInt /
// suggestCategorical draw from the study's sampler (sampleParam), are
// journalled as param_suggested and merged into the trial's params by every
// reader (state, leaderboard), so that TPE learns from them and a resumed
// study suggests exactly what the sampler rebuilt from the journal does.
import fs from 'node:fs';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { createSampler } from '../src/samplers/sampler.js';
import type { Distribution } from '../src/space/distributions.js';
import type { StudySpec } from '../src/space/spec.js';
import { readStudyForRanking } from '../src/study/leaderboard.js';
import { foldJournal } from '../src/study/state.js';
import { journalEvents, loadApi, scratchDir } from './helpers/api.js';

let results: string;
beforeEach(() => {
  results = scratchDir('api-dbr');
});
afterEach(() => fs.rmSync(results, { recursive: true, force: true }));

describe('define-by-run', () => {
  it('suggests within the distribution, the same value again for the same name, and journals each once', async () => {
    const { createStudy } = await loadApi();
    const study = await createStudy({ name: 'dbr', results, seed: 3 });
    const t = await study.ask();
    expect(t.params).toEqual({});
    const lr = t.suggestFloat('lr', 1e-4, 1, { log: true });
    const layers = t.suggestInt('layers', 1, 9, { step: 2 });
    const act = t.suggestCategorical('act', ['relu', 'tanh'] as const);
    const q = t.suggestFloat('q', 0, 1, { step: 0.25 });
    expect(lr).toBeGreaterThanOrEqual(1e-4);
    expect(lr).toBeLessThanOrEqual(1);
    expect([1, 3, 5, 7, 9]).toContain(layers);
    expect(['relu', 'tanh']).toContain(act);
    expect([0, 0.25, 0.5, 0.75, 1]).toContain(q);
    expect(t.suggestFloat('lr', 1e-4, 1, { log: true })).toBe(lr);
    expect(t.suggestInt('layers', 1, 9, { step: 2 })).toBe(layers);
    expect(t.params).toEqual({ lr, layers, act, q });
    await study.tell(t, lr * layers);
    await study.close();

    const events = journalEvents(results, 'dbr');
    const suggested = events.filter((e) => e.event === 'param_suggested');
    expect(suggested.map((e) => [e.trial, e.name, e.value])).toEqual([
      [0, 'lr', lr],
      [0, 'layers', layers],
      [0, 'act', act],
      [0, 'q', q],
    ]);
    expect(suggested[0]!.distribution).toEqual({ type: 'float', low: 1e-4, high: 1, log: true, step: null, includeZero: false });
    // Every reader merges them into the trial's params.
    expect(foldJournal(events).trials[0]!.params).toEqual({ lr, layers, act, q });
    expect(readStudyForRanking(results, 'dbr').trials[0]!.params).toEqual({ lr, layers, act, q });
  });

  it('an incompatible re-suggest, a bad range, a space param asked differently, a suggest after tell: clear errors', async () => {
    const { createStudy, HypersweepError } = await loadApi();
    const study = await createStudy({ name: 'errs', results, seed: 1, space: { x: { type: 'float', low: 0, high: 1 }, k: 4 } });
    const t = await study.ask();
    const fail = (f: () => unknown): InstanceType<typeof HypersweepError> => {
      try {
        f();
      } catch (err) {
        expect(err).toBeInstanceOf(HypersweepError);
        return err as InstanceType<typeof HypersweepError>;
      }
      throw new Error('no error');
    };
    t.suggestFloat('lr', 0.1, 1);
    const conflict = fail(() => t.suggestFloat('lr', 0.1, 2));
    expect(conflict.code).toBe('E_SUGGEST_CONFLICT');
    expect(conflict.message).toBe(`trial 0: parameter "lr" was suggested as float [0.1, 1] and now as float [0.1, 2]`);
    expect(fail(() => t.suggestInt('lr', 0, 1)).code).toBe('E_SUGGEST_CONFLICT');
    const range = fail(() => t.suggestFloat('y', 2, 1));
    expect(range.code).toBe('E_SPACE_INVALID');
    expect(range.message).toBe('trial.suggestFloat("y", 2, 1): low: must be less than high (1), got 2; use a plain value for a constant');
    expect(fail(() => t.suggestFloat('z', 0, 1, { log: true })).message).toMatch(/low: must be > 0 when log is true/);
    expect(fail(() => t.suggestCategorical('c', [])).code).toBe('E_SPACE_INVALID');
    // A space param: the same distribution gives its value; another is an error; a pinned value must fit.
    expect(t.suggestFloat('x', 0, 1)).toBe(t.params.x);
    expect(fail(() => t.suggestFloat('x', 0, 2)).code).toBe('E_SUGGEST_CONFLICT');
    expect(t.suggestInt('k', 1, 8)).toBe(4);
    expect(fail(() => t.suggestInt('k', 5, 8)).code).toBe('E_SUGGEST_CONFLICT');
    await study.tell(t, 1);
    expect(fail(() => t.suggestFloat('w', 0, 1)).code).toBe('E_TRIAL_FINISHED');
    await study.close();
  });

  it('a resumed study suggests what a sampler rebuilt from the journal does: TPE learns from define-by-run params', async () => {
    const { createStudy, loadStudy } = await loadApi();
    const options = { n_startup_trials: 5 };
    const study = await createStudy({ name: 'learn', results, seed: 7, sampler: { type: 'tpe', options } });
    const objective = (x: number, k: string) => (x - 0.7) ** 2 + (k === 'b' ? 0 : 0.5);
    for (let i = 0; i < 25; i++) {
      const t = await study.ask();
      await study.tell(t, objective(t.suggestFloat('x', 0, 1), t.suggestCategorical('k', ['a', 'b', 'c'])));
    }
    await study.close();
    const resumed = await loadStudy('learn', { results });
    const t = await resumed.ask();
    const x = t.suggestFloat('x', 0, 1);
    const k = t.suggestCategorical('k', ['a', 'b', 'c']);
    await resumed.tell(t, objective(x, k));
    await resumed.close();

    const state = foldJournal(journalEvents(results, 'learn'));
    const spec = state.created.spec as StudySpec;
    const sampler = createSampler(spec.sampler, spec.params, spec.direction, 7);
    for (const r of state.trials.slice(0, 25)) sampler.tell({ ...r, state: r.state as 'complete' });
    const xDist: Distribution = { type: 'float', low: 0, high: 1, log: false, step: null, includeZero: false };
    expect(x).toBe(sampler.sampleParam(25, 'x', xDist, [], {}));
    expect(k).toBe(sampler.sampleParam(25, 'k', { type: 'categorical', choices: ['a', 'b', 'c'] }, [], {}));
    // And it learned: after the 5 random trials, suggestions crowd round the optimum.
    const error = (from: number, to: number) =>
      state.trials.slice(from, to).reduce((s, r) => s + Math.abs((r.params.x as number) - 0.7), 0) / (to - from);
    expect(error(15, 26)).toBeLessThan(error(0, 5));
    expect(state.trials.slice(15).filter((r) => r.params.k === 'b').length).toBeGreaterThan(11 / 3);
  });

  it('a grid sampler refuses a define-by-run parameter (it enumerates the space)', async () => {
    const { createStudy } = await loadApi();
    const study = await createStudy({ name: 'grid', results, sampler: 'grid', space: { a: { type: 'categorical', choices: [1, 2] } } });
    const t = await study.ask();
    expect(() => t.suggestFloat('b', 0, 1)).toThrow(expect.objectContaining({ code: 'E_GRID_DEFINE_BY_RUN' }));
    await study.close();
  });
});
