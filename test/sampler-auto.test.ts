// sampler: {type: auto}: which sampler it picks for which space and budget,
// that it says so (with its reason) in the journal and in `status`, the GP's
// hand-over to TPE, and the define-by-run path. Its suggestions' determinism is
// covered by samplers-determinism.test.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withSamplerType } from '../src/api/create.js';
import { GP_TRIAL_LIMIT, decideSampler } from '../src/samplers/auto-choice.js';
import { AutoSampler } from '../src/samplers/auto.js';
import { createSampler, type FinishedTrial } from '../src/samplers/sampler.js';
import { formatStatus, studyStatus } from '../src/report/status.js';
import type { SearchSpace } from '../src/space/distributions.js';
import { DEFAULT_TPE_OPTIONS } from '../src/space/spec.js';
import { validateStudySpec } from '../src/space/validate.js';
import { Study } from '../src/study/study.js';

const float = (low: number, high: number) => ({ type: 'float', low, high, log: false, step: null, includeZero: false }) as const;
const CONTINUOUS: SearchSpace = { a: float(0, 1), b: float(-2, 2), lr: { type: 'float', low: 1e-5, high: 1, log: true, step: null, includeZero: false } };
const FINITE: SearchSpace = {
  layers: { type: 'int', low: 1, high: 4, log: false, step: 1 },
  act: { type: 'categorical', choices: ['relu', 'tanh'] },
  m: { type: 'float', low: 0, high: 0.9, log: false, step: 0.3, includeZero: false },
};
const CATEGORICAL: SearchSpace = {
  a: float(0, 1),
  opt: { type: 'categorical', choices: ['sgd', 'adam', 'rmsprop'] },
  act: { type: 'categorical', choices: ['relu', 'tanh'] },
};

describe('decideSampler', () => {
  it('grid when the space is finite and the budget covers it, else not', () => {
    expect(decideSampler(FINITE, 32)).toMatchObject({ sampler: 'grid' });
    expect(decideSampler(FINITE, 32).reason).toMatch(/all 32 combinations/);
    expect(decideSampler(FINITE, 31).sampler).toBe('gp');
    expect(decideSampler(FINITE, null).sampler).toBe('gp');
  });
  it('gp for a small budget over a mostly continuous space', () => {
    const d = decideSampler(CONTINUOUS, 100);
    expect(d.sampler).toBe('gp');
    expect(d.reason).toMatch(/3 of 3 parameters are numeric.*100 trials/);
  });
  it('tpe for mostly categorical, conditional, wide spaces and large budgets', () => {
    expect(decideSampler(CATEGORICAL, 50)).toMatchObject({ sampler: 'tpe', reason: expect.stringMatching(/2 of 3 parameters are categorical/) });
    const conditional: SearchSpace = { ...CONTINUOUS, opt: CATEGORICAL.opt!, momentum: { ...float(0, 1), when: [{ param: 'opt', values: ['sgd'] }] } as SearchSpace[string] };
    expect(decideSampler(conditional, 50)).toMatchObject({ sampler: 'tpe', reason: expect.stringMatching(/conditional parameters \(momentum\)/) });
    const wide = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`x${i}`, float(0, 1)]));
    expect(decideSampler(wide, 50).sampler).toBe('tpe');
    expect(decideSampler(CONTINUOUS, 5000)).toMatchObject({ sampler: 'tpe', reason: expect.stringMatching(/large budget/) });
  });
});

describe('AutoSampler', () => {
  it('enumerates the grid when it picked it', () => {
    const auto = createSampler({ type: 'auto', seed: 1, budget: 100 }, FINITE, 'minimize', 1);
    expect(auto.capacity).toBe(32);
    const seen = new Set<string>();
    for (let t = 0; t < 32; t++) {
      const p = auto.ask(t, []);
      seen.add(JSON.stringify(p));
      auto.tell({ number: t, state: 'complete', params: p, value: t, intermediate: [] });
    }
    expect(seen.size).toBe(32);
    expect(() => auto.sampleParam(40, 'extra', float(0, 1), [], {})).toThrow();
  });

  it('asks the GP, then hands over to TPE after GP_TRIAL_LIMIT complete trials', () => {
    const auto = new AutoSampler(CONTINUOUS, 'minimize', 7, null);
    expect(auto.decision.sampler).toBe('gp');
    const random = createSampler({ type: 'random', seed: 7 }, CONTINUOUS, 'minimize', 7);
    const told: FinishedTrial[] = [];
    for (let t = 0; t < GP_TRIAL_LIMIT; t++) {
      if (t === GP_TRIAL_LIMIT - 1) expect(auto.current).toBe('gp');
      const p = random.ask(t, []);
      told.push({ number: t, state: t % 50 === 3 ? 'failed' : 'complete', params: p, value: t % 50 === 3 ? null : (p.a as number) ** 2, intermediate: [] });
      auto.tell(told[told.length - 1]!);
    }
    // Failed trials do not count: a few more complete ones reach the limit.
    expect(auto.current).toBe('gp');
    for (let t = GP_TRIAL_LIMIT; t < GP_TRIAL_LIMIT + 6; t++) {
      const p = random.ask(t, []);
      told.push({ number: t, state: 'complete', params: p, value: (p.a as number) ** 2, intermediate: [] });
      auto.tell(told[told.length - 1]!);
    }
    expect(auto.current).toBe('tpe');
    // After the hand-over, auto suggests exactly what TPE (defaults) does with the same history.
    const tpe = createSampler({ type: 'tpe', seed: 7, options: DEFAULT_TPE_OPTIONS }, CONTINUOUS, 'minimize', 7);
    for (const t of told) tpe.tell(t);
    const p = auto.ask(GP_TRIAL_LIMIT + 6, []);
    expect(p).toEqual(tpe.ask(GP_TRIAL_LIMIT + 6, []));
    expect(Object.keys(p)).toEqual(['a', 'b', 'lr']);
  });

  it('samples define-by-run parameters with TPE’s univariate model', () => {
    const auto = createSampler({ type: 'auto', seed: 3, budget: 50 }, CONTINUOUS, 'minimize', 3);
    const v = auto.sampleParam(0, 'extra', float(5, 6), [], {});
    expect(typeof v === 'number' && v >= 5 && v <= 6).toBe(true);
    expect(auto.sampleParam(0, 'extra', float(5, 6), [], {})).toBe(v);
  });
});

describe('the journal and status say what auto picked, and why', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-auto-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('study_created.sampler_choice, shown by status', async () => {
    const spec = validateStudySpec(
      { name: 'auto-branin', objective: { function: 'branin' }, params: { x1: { type: 'float', low: -5, high: 10 }, x2: { type: 'float', low: 0, high: 15 } }, sampler: { type: 'auto' }, budget: { trials: 60 } },
      path.join(tmp, 'space.yaml'),
    );
    expect(spec.sampler).toEqual({ type: 'auto', seed: null, budget: 60 });
    Study.create(tmp, 'auto-branin', spec, 1, 'test').close();
    const first = JSON.parse(fs.readFileSync(path.join(tmp, 'auto-branin', 'journal.jsonl'), 'utf8').split('\n')[0]!);
    expect(first.sampler).toBe('auto');
    expect(first.sampler_choice).toEqual({ sampler: 'gp', reason: expect.stringMatching(/2 of 2 parameters are numeric and the budget is 60 trials/) });
    const status = formatStatus(await studyStatus(tmp, 'auto-branin'), (s) => `${s}s`);
    expect(status).toMatch(/sampler +auto → gp: 2 of 2 parameters/);
    // --sampler auto on the command line: the budget comes from the space file too.
    const overridden = withSamplerType({ ...spec, sampler: { type: 'tpe', seed: null, options: DEFAULT_TPE_OPTIONS } }, 'auto');
    expect(overridden.sampler).toEqual({ type: 'auto', seed: null, budget: 60 });
  });
});
