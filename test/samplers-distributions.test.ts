// Every parameter type is sampled in range, with log scale and steps respected,
// by the random sampler and by TPE (which must keep to the space while it learns).
import { describe, expect, it } from 'vitest';
import { createSampler, type Sampler } from '../src/samplers/sampler.js';
import { contains, type Params, type SearchSpace } from '../src/space/distributions.js';
import { DEFAULT_TPE_OPTIONS } from '../src/space/spec.js';

const SPACE: SearchSpace = {
  lin: { type: 'float', low: -2, high: 3, log: false, step: null, includeZero: false },
  logf: { type: 'float', low: 1e-6, high: 1, log: true, step: null, includeZero: false },
  stepf: { type: 'float', low: 0.1, high: 0.9, log: false, step: 0.1, includeZero: false },
  lam: { type: 'float', low: 1e-6, high: 0.1, log: true, step: null, includeZero: true },
  int: { type: 'int', low: -3, high: 4, log: false, step: 1 },
  intstep: { type: 'int', low: 16, high: 256, log: false, step: 16 },
  intlog: { type: 'int', low: 1, high: 1024, log: true, step: 1 },
  cat: { type: 'categorical', choices: ['zero', 'normal', 'glorot'] },
  mixed: { type: 'categorical', choices: [1, 'two', true] },
  pinned: { type: 'fixed', value: 10 },
};

function run(sampler: Sampler, trials: number, objective: (p: Params) => number): Params[] {
  const all: Params[] = [];
  for (let t = 0; t < trials; t++) {
    const params = sampler.ask(t, []);
    all.push(params);
    sampler.tell({ number: t, state: 'complete', params, value: objective(params), intermediate: [] });
  }
  return all;
}

function checkInSpace(all: Params[]): void {
  for (const params of all) {
    expect(Object.keys(params)).toEqual(Object.keys(SPACE));
    for (const [name, dist] of Object.entries(SPACE)) {
      if (!contains(dist, params[name])) throw new Error(`${name} = ${String(params[name])} is not in ${JSON.stringify(dist)}`);
    }
  }
}

const fraction = (all: Params[], test: (p: Params) => boolean): number => all.filter(test).length / all.length;

describe('random sampler', () => {
  const all = run(createSampler({ type: 'random', seed: 11 }, SPACE, 'minimize', 11), 2000, () => 0);

  it('keeps every value in its distribution', () => checkInSpace(all));

  it('draws log floats and log ints log-uniformly', () => {
    // Half the log-uniform mass lies below the geometric mean; a uniform draw would put ~0.1% there.
    expect(fraction(all, (p) => (p.logf as number) < 1e-3)).toBeCloseTo(0.5, 1);
    expect(fraction(all, (p) => (p.intlog as number) <= 32)).toBeCloseTo(0.5, 1);
  });

  it('puts stepped floats exactly on the step grid', () => {
    const seen = new Set(all.map((p) => p.stepf));
    expect([...seen].sort()).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
    expect(new Set(all.map((p) => p.intstep)).size).toBe(16);
  });

  it('draws every int and every choice, including the ends', () => {
    expect(new Set(all.map((p) => p.int))).toEqual(new Set([-3, -2, -1, 0, 1, 2, 3, 4]));
    expect(new Set(all.map((p) => p.cat))).toEqual(new Set(['zero', 'normal', 'glorot']));
    expect(new Set(all.map((p) => p.mixed))).toEqual(new Set([1, 'two', true]));
    expect(all.every((p) => p.pinned === 10)).toBe(true);
  });

  it('gives include_zero a two-way switch: about half zeros, the rest log-uniform', () => {
    expect(fraction(all, (p) => p.lam === 0)).toBeCloseTo(0.5, 1);
    const nonzero = all.filter((p) => p.lam !== 0);
    expect(fraction(nonzero, (p) => (p.lam as number) < Math.sqrt(1e-6 * 0.1))).toBeCloseTo(0.5, 1);
  });

  it('keeps continuous draws inside [low, high]', () => {
    const lin = all.map((p) => p.lin as number);
    expect(Math.min(...lin)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...lin)).toBeLessThanOrEqual(3);
    expect(Math.max(...lin) - Math.min(...lin)).toBeGreaterThan(4.9);
  });
});

describe('TPE sampler', () => {
  // An objective that pulls every parameter somewhere, so TPE's kernels move.
  const objective = (p: Params): number =>
    ((p.lin as number) - 2.5) ** 2 +
    (Math.log10(p.logf as number) + 5) ** 2 +
    ((p.stepf as number) - 0.8) ** 2 +
    (p.lam === 0 ? 1 : 0) +
    ((p.int as number) + 3) ** 2 +
    ((p.intstep as number) - 240) ** 2 / 1e4 +
    (Math.log2(p.intlog as number) - 9) ** 2 +
    (p.cat === 'glorot' ? 0 : 1) +
    (p.mixed === true ? 0 : 1);

  for (const multivariate of [false, true]) {
    it(`keeps every suggestion in its distribution (${multivariate ? 'multivariate' : 'independent'})`, () => {
      const tpe = createSampler({ type: 'tpe', seed: 3, options: { ...DEFAULT_TPE_OPTIONS, multivariate } }, SPACE, 'minimize', 3);
      const all = run(tpe, 80, objective);
      checkInSpace(all);
      // After the startup trials it learns: the later suggestions are better on average.
      const early = all.slice(0, 10).map(objective);
      const late = all.slice(60).map(objective);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      expect(mean(late)).toBeLessThan(mean(early) / 2);
    });
  }
});
