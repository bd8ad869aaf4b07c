// One determinism suite over every sampler (in the manner of Optuna's
// samplers_tests): the same seed and the same history give the same
// suggestions — in another instance, in another process, with the history
// told in another order, and after a "resume" that rebuilds the sampler by
// replaying the finished trials.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createSampler, type FinishedTrial, type RecordedParams, type Sampler, type TrialSnapshot } from '../src/samplers/sampler.js';
import type { Params, SearchSpace } from '../src/space/distributions.js';
import { DEFAULT_GP_OPTIONS, DEFAULT_TPE_OPTIONS, type SamplerSpec } from '../src/space/spec.js';

const MIXED: SearchSpace = {
  alpha0: { type: 'float', low: 0.01, high: 10, log: true, step: null, includeZero: false },
  lambda: { type: 'float', low: 1e-6, high: 0.1, log: true, step: null, includeZero: true },
  momentum: { type: 'float', low: 0, high: 0.9, log: false, step: 0.1, includeZero: false },
  x: { type: 'float', low: -3, high: 3, log: false, step: null, includeZero: false },
  h1: { type: 'int', low: 16, high: 512, log: true, step: 1 },
  layers: { type: 'int', low: 1, high: 4, log: false, step: 1 },
  batch_size: { type: 'categorical', choices: [16, 32, 64, 128, 256] },
  init: { type: 'categorical', choices: ['zero', 'normal', 'glorot'] },
  epochs: { type: 'fixed', value: 5 },
};

const FINITE: SearchSpace = {
  momentum: MIXED.momentum!,
  layers: MIXED.layers!,
  batch_size: MIXED.batch_size!,
  init: MIXED.init!,
};

interface Case {
  name: string;
  spec: SamplerSpec;
  space: SearchSpace;
  /** Suggestions differ between seeds (not so for the grid). */
  seeded: boolean;
}

const tpe = (options: Partial<typeof DEFAULT_TPE_OPTIONS>): SamplerSpec => ({
  type: 'tpe',
  seed: null,
  options: { ...DEFAULT_TPE_OPTIONS, nStartupTrials: 5, ...options },
});

const CASES: Case[] = [
  { name: 'random', spec: { type: 'random', seed: null }, space: MIXED, seeded: true },
  { name: 'grid', spec: { type: 'grid', seed: null }, space: FINITE, seeded: false },
  { name: 'tpe', spec: tpe({}), space: MIXED, seeded: true },
  { name: 'tpe multivariate', spec: tpe({ multivariate: true }), space: MIXED, seeded: true },
  { name: 'tpe multivariate group', spec: tpe({ multivariate: true, group: true }), space: MIXED, seeded: true },
  { name: 'tpe normalized kernels, uniform weights', spec: tpe({ normalizeKernels: true, weights: 'uniform' }), space: MIXED, seeded: true },
  { name: 'tpe without constant liar', spec: tpe({ constantLiar: false }), space: MIXED, seeded: true },
  { name: 'gp', spec: { type: 'gp', seed: null, options: { ...DEFAULT_GP_OPTIONS, nStartupTrials: 5 } }, space: MIXED, seeded: true },
  { name: 'auto (picks gp)', spec: { type: 'auto', seed: null, budget: 40 }, space: MIXED, seeded: true },
  { name: 'auto (picks tpe: large budget)', spec: { type: 'auto', seed: null, budget: 5000 }, space: MIXED, seeded: true },
  { name: 'auto (picks grid)', spec: { type: 'auto', seed: null, budget: 1000 }, space: FINITE, seeded: false },
];

/** A deterministic objective with a few pruned and failed trials mixed in. */
function outcome(number: number, params: RecordedParams): FinishedTrial {
  const x = typeof params.x === 'number' ? params.x : 0;
  const value = Math.log10(params.alpha0 as number | undefined ?? 1) ** 2 + (x - 1) ** 2 + (params.init === 'zero' ? 1 : 0) + (params.layers as number) * 0.1;
  if (number % 7 === 3) return { number, state: 'failed', params, value: null, intermediate: [] };
  if (number % 5 === 4) return { number, state: 'pruned', params, value: null, intermediate: [[1, value + 1], [2, value + 0.5]] };
  return { number, state: 'complete', params, value, intermediate: [[1, value + 1]] };
}

/**
 * Runs trials `from..to-1` one after another, with two of the earlier trials
 * still "running" at every ask (as parallel workers would leave them).
 */
function drive(sampler: Sampler, from: number, to: number, history: FinishedTrial[]): Params[] {
  const asked: Params[] = [];
  const pending: TrialSnapshot[] = [];
  for (let t = from; t < to; t++) {
    const params = sampler.ask(t, pending);
    asked.push(params);
    pending.push({ number: t, params });
    if (pending.length > 2) {
      const done = pending.shift()!;
      const trial = outcome(done.number, done.params);
      history.push(trial);
      sampler.tell(trial);
    }
  }
  for (const done of pending) {
    const trial = outcome(done.number, done.params);
    history.push(trial);
    sampler.tell(trial);
  }
  return asked;
}

const make = (c: Case, seed: number): Sampler => createSampler(c.spec, c.space, 'minimize', seed);
const trialsFor = (c: Case): number => (c.space === FINITE ? 40 : 36);

describe.each(CASES)('$name', (c) => {
  it('same seed and same history give the same suggestions', () => {
    const a = drive(make(c, 5), 0, trialsFor(c), []);
    const b = drive(make(c, 5), 0, trialsFor(c), []);
    expect(b).toEqual(a);
  });

  it('different seeds give different suggestions', () => {
    const a = drive(make(c, 5), 0, 12, []);
    const b = drive(make(c, 6), 0, 12, []);
    if (c.seeded) expect(b).not.toEqual(a);
    else expect(b).toEqual(a);
  });

  it('a sampler rebuilt by replaying tell() suggests what the uninterrupted one does', () => {
    const uninterrupted = make(c, 9);
    const history: FinishedTrial[] = [];
    const half = Math.floor(trialsFor(c) / 2);
    const first = drive(uninterrupted, 0, half, history);
    const rest = drive(uninterrupted, half, trialsFor(c), []);

    // "Crash" after the first half: a new sampler learns the journal, in journal order.
    const resumed = make(c, 9);
    for (const trial of history) resumed.tell(trial);
    expect(drive(resumed, half, trialsFor(c), [])).toEqual(rest);
    expect(first).toHaveLength(half);
  });

  it('the order of tell() does not matter, and ask() changes nothing', () => {
    const history: FinishedTrial[] = [];
    drive(make(c, 13), 0, 20, history);
    const inOrder = make(c, 13);
    for (const trial of history) inOrder.tell(trial);
    const shuffled = make(c, 13);
    for (const trial of [...history].reverse()) shuffled.tell(trial);
    const running: TrialSnapshot[] = [{ number: 19, params: history[history.length - 1]!.params }];
    const want = inOrder.ask(21, running);
    expect(shuffled.ask(21, running)).toEqual(want);
    // Asking other trials first, or the same one again, does not change the answer.
    inOrder.ask(20, running);
    inOrder.ask(22, []);
    expect(inOrder.ask(21, running)).toEqual(want);
  });

  it('gives the same suggestions in another process', () => {
    const history: FinishedTrial[] = [];
    drive(make(c, 21), 0, 18, history);
    const here = make(c, 21);
    for (const trial of history) here.tell(trial);
    const running: TrialSnapshot[] = [{ number: 18, params: here.ask(18, []) }];
    const expected = [19, 20, 21].map((t) => here.ask(t, running));

    const samplerModule = pathToFileURL(path.resolve(import.meta.dirname, '..', 'src', 'samplers', 'sampler.ts')).href;
    const script = `
      import { createSampler } from ${JSON.stringify(samplerModule)};
      let input = '';
      for await (const chunk of process.stdin) input += chunk;
      const { spec, space, history, running } = JSON.parse(input);
      const sampler = createSampler(spec, space, 'minimize', 21);
      for (const trial of history) sampler.tell(trial);
      process.stdout.write(JSON.stringify([19, 20, 21].map((t) => sampler.ask(t, running))));
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      input: JSON.stringify({ spec: c.spec, space: c.space, history, running }),
      encoding: 'utf8',
      cwd: path.resolve(import.meta.dirname, '..'),
    });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual(expected);
  });
});
