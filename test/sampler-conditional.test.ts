// Samplers over a conditional space: only valid combinations (a parameter is
// present exactly when its conditions hold), the grid's enumeration, TPE's
// per-parameter fits and Optuna-style groups, and determinism under every sampler.
import { describe, expect, it } from 'vitest';
import { createSampler, type FinishedTrial, type Sampler } from '../src/samplers/sampler.js';
import { GridSampler } from '../src/samplers/grid.js';
import { TpeSampler } from '../src/samplers/tpe/sampler.js';
import { activeOnly } from '../src/space/conditions.js';
import type { Params, SearchSpace } from '../src/space/distributions.js';
import { DEFAULT_TPE_OPTIONS, type SamplerSpec, type TpeOptions } from '../src/space/spec.js';

const f = (low: number, high: number, extra: object = {}) => ({ type: 'float' as const, low, high, log: false, step: null, includeZero: false, ...extra });

/** Two levels deep, a child named before its parent, an include_zero float in a branch, a conditional fixed value. */
const SPACE: SearchSpace = {
  lr: f(1e-4, 1, { log: true }),
  nesterov: { type: 'categorical', choices: [true, false], when: [{ param: 'optimizer', values: ['momentum'] }] },
  optimizer: { type: 'categorical', choices: ['sgd', 'momentum', 'adam'] },
  momentum: f(0.5, 0.99, { when: [{ param: 'optimizer', values: ['momentum'] }] }),
  dampening: f(0, 0.5, { when: [{ param: 'nesterov', values: [false] }] }),
  beta1: f(0.8, 0.99, { when: [{ param: 'optimizer', values: ['adam'] }] }),
  beta2: f(1e-4, 1e-1, { log: true, includeZero: true, when: [{ param: 'optimizer', values: ['adam'] }] }),
  amsgrad: { type: 'fixed', value: true, when: [{ param: 'optimizer', values: ['adam'] }] },
  batch: { type: 'categorical', choices: [32, 64] },
};

/** Each branch has its own optimum; adam's is the best. */
function value(p: Params): number {
  const lr = Math.log10(p.lr as number);
  switch (p.optimizer) {
    case 'sgd':
      return 1 + (lr + 1) ** 2;
    case 'momentum':
      return 0.5 + (lr + 2) ** 2 + (((p.momentum as number) - 0.9) * 5) ** 2 + (p.nesterov ? 0 : 0.2 + (p.dampening as number));
    default:
      return (lr + 3) ** 2 + (((p.beta1 as number) - 0.85) * 10) ** 2 + (p.beta2 === 0 ? 0.3 : 0) + (p.batch === 64 ? 0.1 : 0);
  }
}

function expectValid(p: Params): void {
  expect(activeOnly(SPACE, p)).toEqual(p);
  // Everything active is there.
  expect('momentum' in p).toBe(p.optimizer === 'momentum');
  expect('nesterov' in p).toBe(p.optimizer === 'momentum');
  expect('dampening' in p).toBe(p.nesterov === false);
  expect('beta1' in p && 'beta2' in p && p.amsgrad === true).toBe(p.optimizer === 'adam');
  expect(typeof p.lr === 'number' && typeof p.batch === 'number').toBe(true);
}

const tpe = (options: Partial<TpeOptions> = {}): SamplerSpec => ({ type: 'tpe', seed: null, options: { ...DEFAULT_TPE_OPTIONS, nStartupTrials: 10, ...options } });
const SPECS: Array<[string, SamplerSpec]> = [
  ['random', { type: 'random', seed: null }],
  ['tpe', tpe()],
  ['tpe multivariate', tpe({ multivariate: true })],
  ['tpe multivariate group', tpe({ multivariate: true, group: true })],
];

/** A sequential study; every 7th trial pruned, every 11th failed. */
function run(sampler: Sampler, n: number): FinishedTrial[] {
  const out: FinishedTrial[] = [];
  for (let t = 0; t < n; t++) {
    const params = sampler.ask(t, t > 0 ? [{ number: t + 1000, params: out[t - 1]!.params }] : []);
    expectValid(params);
    const v = value(params);
    const trial: FinishedTrial =
      t % 11 === 5
        ? { number: t, state: 'failed', params, value: null, intermediate: [] }
        : t % 7 === 3
          ? { number: t, state: 'pruned', params, value: null, intermediate: [[1, v + 1]] }
          : { number: t, state: 'complete', params, value: v, intermediate: [] };
    sampler.tell(trial);
    out.push(trial);
  }
  return out;
}

describe.each(SPECS)('%s over a conditional space', (_name, spec) => {
  it('suggests only valid combinations, every branch reached', () => {
    const trials = run(createSampler(spec, SPACE, 'minimize', 5), 80);
    const branches = new Set(trials.map((t) => `${t.params.optimizer}/${String(t.params.nesterov)}`));
    expect(branches).toEqual(new Set(['sgd/undefined', 'momentum/true', 'momentum/false', 'adam/undefined']));
    // include_zero inside a branch: both 0 and log values.
    expect(trials.some((t) => t.params.beta2 === 0)).toBe(true);
    expect(trials.some((t) => typeof t.params.beta2 === 'number' && t.params.beta2 > 0)).toBe(true);
  });

  it('is deterministic: same seed and history in another order, another instance, the same suggestion', () => {
    const history = run(createSampler(spec, SPACE, 'minimize', 9), 40);
    const a = createSampler(spec, SPACE, 'minimize', 9);
    const b = createSampler(spec, SPACE, 'minimize', 9);
    for (const t of history) a.tell(t);
    for (const t of [...history].reverse()) b.tell(t);
    const running = [{ number: 40, params: history[39]!.params }];
    for (let n = 41; n < 46; n++) expect(b.ask(n, running)).toEqual(a.ask(n, running));
    if (spec.type === 'tpe') {
      // ...and another seed suggests something else.
      const c = createSampler(spec, SPACE, 'minimize', 10);
      for (const t of history) c.tell(t);
      expect(c.ask(41, running)).not.toEqual(a.ask(41, running));
    }
  });
});

describe('TPE learns each branch from the trials where its parameters were active', () => {
  it.each(SPECS.slice(1))('%s: late trials favour the best branch far more than random does', (_name, spec) => {
    // Random search picks adam in 1/3 of trials (±0.027 over these 300).
    let adamShare = 0;
    const seeds = [1, 2, 3, 4];
    for (const seed of seeds) {
      const late = run(createSampler(spec, SPACE, 'minimize', seed), 150).slice(75);
      adamShare += late.filter((t) => t.params.optimizer === 'adam').length / late.length / seeds.length;
    }
    expect(adamShare).toBeGreaterThan(0.43);
  });

  it('group: the groups are the sets of parameters active in the same finished trials (Optuna\'s _SearchSpaceGroup)', () => {
    const s = new TpeSampler(SPACE, 'minimize', 1, { ...DEFAULT_TPE_OPTIONS, multivariate: true, group: true });
    expect(s.searchSpaceGroups()).toEqual([]);
    const told = (n: number, params: Params) => s.tell({ number: n, state: 'complete', params, value: n, intermediate: [] });
    told(0, { lr: 0.1, optimizer: 'sgd', batch: 32 });
    expect(s.searchSpaceGroups()).toEqual([['lr', 'optimizer', 'batch']]);
    told(1, { lr: 0.1, optimizer: 'momentum', nesterov: true, momentum: 0.9, batch: 32 });
    told(2, { lr: 0.1, optimizer: 'momentum', nesterov: false, momentum: 0.9, dampening: 0.1, batch: 64 });
    told(3, { lr: 0.1, optimizer: 'adam', beta1: 0.9, beta2: 0.001, amsgrad: true, batch: 64 });
    told(4, { lr: 0.1, optimizer: 'adam', beta1: 0.9, beta2: 0, amsgrad: true, batch: 64 });
    // beta2's include_zero switch is active with beta1; its log value only where it was not 0.
    expect(s.searchSpaceGroups()).toEqual([['lr', 'optimizer', 'batch'], ['nesterov', 'momentum'], ['dampening'], ['beta1', 'beta2'], ['beta2']]);
    // A failed trial is not counted.
    s.tell({ number: 5, state: 'failed', params: { lr: 0.1, optimizer: 'adam', beta1: 0.9, batch: 64 }, value: null, intermediate: [] });
    expect(s.searchSpaceGroups()).toHaveLength(5);
  });
});

describe('grid over a conditional space', () => {
  const finite: SearchSpace = {
    optimizer: SPACE.optimizer!,
    momentum: { type: 'float', low: 0.5, high: 0.9, log: false, step: 0.2, includeZero: false, when: [{ param: 'optimizer', values: ['momentum'] }] },
    beta1: { type: 'categorical', choices: [0.8, 0.9], when: [{ param: 'optimizer', values: ['adam'] }] },
    batch: SPACE.batch!,
  };

  it('visits each of the (1 + 3 + 2) × 2 = 12 valid points once, then is exhausted', () => {
    const grid = new GridSampler(finite);
    expect(grid.capacity).toBe(12);
    const seen = new Set<string>();
    for (let n = 0; n < 12; n++) {
      const p = grid.ask(n, []);
      expect(activeOnly(finite, p)).toEqual(p);
      seen.add(JSON.stringify(p));
      grid.tell({ number: n, state: 'complete', params: p, value: 0, intermediate: [] });
    }
    expect(seen.size).toBe(12);
    expect(() => grid.ask(12, [])).toThrow(/exhausted: all 12 points/);
  });

  it('a running point is skipped and a resumed grid continues where it stopped', () => {
    const grid = new GridSampler(finite);
    const first = grid.ask(0, []);
    expect(grid.ask(1, [{ number: 0, params: first }])).not.toEqual(first);
    const resumed = new GridSampler(finite);
    resumed.tell({ number: 0, state: 'complete', params: first, value: 0, intermediate: [] });
    expect(resumed.ask(1, [])).toEqual(grid.ask(1, [{ number: 0, params: first }]));
  });
});
