// TPE: its rules (split, weights, ranking of pruned and failed trials, constant
// liar), its Parzen estimators checked against hand-computed mixtures, its
// shortcuts (screened choice of the best candidate, cached kernel constants)
// checked against the full computation, and that it finds better points than
// random search on a fixed set of seeds.
import { describe, expect, it } from 'vitest';
import { createSampler, type FinishedTrial, type Sampler } from '../src/samplers/sampler.js';
import { Stream, rngFor } from '../src/samplers/rng.js';
import { Arena } from '../src/samplers/tpe/arena.js';
import { buildDims, type NumDim } from '../src/samplers/tpe/dims.js';
import { KernelCache } from '../src/samplers/tpe/kernel-cache.js';
import { ParzenEstimator, type Candidates, type ObservationGroup, type ParzenOptions } from '../src/samplers/tpe/parzen-estimator.js';
import { gammaCount, observationWeights, rankingKey } from '../src/samplers/tpe/split.js';
import { logGaussMass } from '../src/samplers/tpe/truncnorm.js';
import type { Params, SearchSpace } from '../src/space/distributions.js';
import { DEFAULT_TPE_OPTIONS, type TpeOptions } from '../src/space/spec.js';
import { TEST_FUNCTIONS } from '../src/trials/functions.js';

const tpe = (space: SearchSpace, seed: number, options: Partial<TpeOptions> = {}, direction: 'minimize' | 'maximize' = 'minimize'): Sampler =>
  createSampler({ type: 'tpe', seed, options: { ...DEFAULT_TPE_OPTIONS, ...options } }, space, direction, seed);

const complete = (number: number, params: Params, value: number): FinishedTrial => ({ number, state: 'complete', params, value, intermediate: [] });

const median = (xs: number[]): number => {
  const s = xs.slice().sort((a, b) => a - b);
  return (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
};

describe('study-level rules (Optuna 3.x)', () => {
  it('good group size min(ceil(0.1·n), 25)', () => {
    const g = (n: number) => gammaCount(DEFAULT_TPE_OPTIONS, n);
    expect([0, 1, 10, 11, 29, 30, 31, 250, 251, 1000].map(g)).toEqual([0, 1, 1, 2, 3, 3, 4, 25, 25, 25]);
  });

  it('weights: 1 up to 25 observations, then a ramp from 1/n over the oldest', () => {
    const w = new Float64Array(30);
    observationWeights('ramp', 10, w);
    expect([...w.subarray(0, 10)]).toEqual(new Array(10).fill(1));
    observationWeights('ramp', 30, w);
    // numpy.linspace(1/30, 1, 5) then 25 ones.
    const ramp = [1 / 30, 1 / 30 + (29 / 30) / 4, 1 / 30 + (2 * 29) / 30 / 4, 1 / 30 + (3 * 29) / 30 / 4, 1];
    [...w.subarray(0, 5)].forEach((v, i) => expect(v).toBeCloseTo(ramp[i]!, 15));
    expect([...w.subarray(5, 30)]).toEqual(new Array(25).fill(1));
  });

  it('ranks complete trials by value, then pruned ones by the last step reached, then by their value there', () => {
    const key = (t: Partial<FinishedTrial>, direction: 'minimize' | 'maximize' = 'minimize') =>
      rankingKey({ number: 0, state: 'complete', params: {}, value: null, intermediate: [], ...t }, direction);
    expect(key({ value: 3 })).toEqual([-Infinity, 3]);
    expect(key({ value: 3 }, 'maximize')).toEqual([-Infinity, -3]);
    expect(key({ state: 'pruned', intermediate: [[1, 0.5], [4, 0.2]] })).toEqual([-4, 0.2]);
    expect(key({ state: 'pruned', intermediate: [[4, 0.2], [1, 0.5]] })).toEqual([-4, 0.2]);
    expect(key({ state: 'pruned', intermediate: [[2, NaN]] })).toEqual([-2, Infinity]);
    expect(key({ state: 'pruned', intermediate: [] })).toEqual([1, 0]);
    expect(key({ state: 'failed', value: 1 })).toBeNull();
    expect(key({ value: NaN })).toBeNull();
    expect(key({ value: null })).toBeNull();
  });
});

describe('Parzen estimator', () => {
  const options: ParzenOptions = {
    considerPrior: true,
    priorWeight: 1,
    considerMagicClip: true,
    considerEndpoints: false,
    multivariate: false,
    normalizeKernels: true,
  };
  const space: SearchSpace = {
    x: { type: 'float', low: 0, high: 10, log: false, step: null, includeZero: false },
    k: { type: 'int', low: 0, high: 10, log: false, step: 1 },
    c: { type: 'categorical', choices: ['a', 'b', 'c'] },
  };
  const [xDim, kDim, cDim] = buildDims(space);
  const group = (values: number[]) => ({
    n: values.length,
    values: [Float64Array.from(values)],
    order: [Int32Array.from(values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!))],
    weights: new Float64Array(values.length).fill(1),
    rows: null,
    cache: null,
  });
  const candidates = (xs: number[], dim: NumDim | null): Candidates => ({
    count: xs.length,
    values: [Float64Array.from(xs)],
    lo: [Float64Array.from(xs.map((x) => (dim?.discrete === 'step' ? x - 0.5 : x)))],
    hi: [Float64Array.from(xs.map((x) => (dim?.discrete === 'step' ? x + 0.5 : NaN)))],
  });

  it('matches the hand-computed mixture: neighbour bandwidths, magic clip, prior kernel', () => {
    // Observations 2, 3, 7 on [0, 10] and the prior at 5. Sorted: 2, 3, 5, 7.
    // σ = larger neighbour gap (endpoints 0 and 10): 2, 2, 2, 3; without
    // consider_endpoints the outer two use their inner gap: σ(2) = 1, σ(7) = 2;
    // magic clip raises all to 10 / min(100, 1 + 4) = 2; the prior gets σ = 10.
    const mus = [2, 3, 7, 5];
    const sigmas = [2, 2, 2, 10];
    const weight = 1 / 4;
    const at = 4;
    let density = 0;
    for (let j = 0; j < 4; j++) {
      const a = (0 - mus[j]!) / sigmas[j]!;
      const b = (10 - mus[j]!) / sigmas[j]!;
      const z = (at - mus[j]!) / sigmas[j]!;
      density += (weight * Math.exp(-0.5 * z * z)) / Math.sqrt(2 * Math.PI) / sigmas[j]! / Math.exp(logGaussMass(a, b));
    }
    const pe = new ParzenEstimator([xDim!], group([2, 3, 7]), options, new Arena());
    expect(pe.logPdf(candidates([at], null))[0]).toBeCloseTo(Math.log(density), 12);
    // Optuna 3.1's form leaves out the 1/σ of each kernel.
    let peak = 0;
    for (let j = 0; j < 4; j++) {
      const z = (at - mus[j]!) / sigmas[j]!;
      peak += (weight * Math.exp(-0.5 * z * z)) / Math.sqrt(2 * Math.PI) / Math.exp(logGaussMass((0 - mus[j]!) / sigmas[j]!, (10 - mus[j]!) / sigmas[j]!));
    }
    const pe31 = new ParzenEstimator([xDim!], group([2, 3, 7]), { ...options, normalizeKernels: false }, new Arena());
    expect(pe31.logPdf(candidates([at], null))[0]).toBeCloseTo(Math.log(peak), 12);
  });

  it('is a probability density on [low, high] (normalised kernels)', () => {
    const pe = new ParzenEstimator([xDim!], group([0.5, 2, 2.1, 2.2, 9.9]), options, new Arena());
    const n = 20000;
    const xs = Array.from({ length: n }, (_, i) => ((i + 0.5) / n) * 10);
    const logp = pe.logPdf(candidates(xs, null));
    const integral = logp.reduce((s, l) => s + Math.exp(l), 0) * (10 / n);
    expect(integral).toBeCloseTo(1, 6);
  });

  it('gives discrete values masses that sum to 1', () => {
    const pe = new ParzenEstimator([kDim!], group([0, 3, 3, 4, 10]), options, new Arena());
    const ks = Array.from({ length: 11 }, (_, k) => k);
    const total = pe.logPdf(candidates(ks, kDim as NumDim)).reduce((s, l) => s + Math.exp(l), 0);
    expect(total).toBeCloseTo(1, 12);
  });

  it('gives categorical choices probabilities that sum to 1, favouring the observed ones', () => {
    const pe = new ParzenEstimator([cDim!], group([0, 0, 0, 2]), options, new Arena());
    const logp = pe.logPdf(candidates([0, 1, 2], null));
    expect(logp.reduce((s, l) => s + Math.exp(l), 0)).toBeCloseTo(1, 14);
    // Each observation row: prior_weight/(n+1) = 0.2 everywhere, +1 on its choice, normalised by 1.6.
    const p0 = (3 * (1.2 / 1.6) + 0.2 / 1.6 + 1 / 3) / 5;
    expect(Math.exp(logp[0]!)).toBeCloseTo(p0, 14);
    expect(logp[0]).toBeGreaterThan(logp[2]!);
    expect(logp[2]).toBeGreaterThan(logp[1]!);
  });

  it('samples from its mixture: draws concentrate where observations are', () => {
    const pe = new ParzenEstimator([xDim!], group([2, 2.1, 2.2, 2.3]), options, new Arena());
    const draws = pe.sample(rngFor(1, 0, Stream.sampler), 2000).values[0]!;
    const near = draws.filter((x) => x > 0.5 && x < 4).length / draws.length;
    expect(near).toBeGreaterThan(0.6);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThanOrEqual(10);
  });
});

describe('Parzen estimator shortcuts give what the full computation gives', () => {
  const options: ParzenOptions = {
    considerPrior: true,
    priorWeight: 1,
    considerMagicClip: true,
    considerEndpoints: false,
    multivariate: false,
    normalizeKernels: false,
  };
  const space: SearchSpace = {
    x: { type: 'float', low: -3, high: 3, log: false, step: null, includeZero: false },
    lr: { type: 'float', low: 1e-5, high: 1, log: true, step: null, includeZero: false },
    k: { type: 'int', low: 16, high: 1024, log: false, step: 1 },
    units: { type: 'int', low: 8, high: 4096, log: true, step: 1 },
  };
  const dims = buildDims(space) as NumDim[];
  /**
   * The first n of a seeded sequence of observations of dim, half of them
   * clustered (as TPE's own suggestions are), as the sampler groups them;
   * with a cache, observation i is store row i.
   */
  const observations = (dim: NumDim, n: number, seed: number, cache: KernelCache | null = null): ObservationGroup => {
    const rng = rngFor(seed, 0, Stream.trial);
    const centre = dim.low + (dim.high - dim.low) * rng.nextFloat();
    const raw = Array.from({ length: n }, () => {
      const u = rng.nextFloat();
      const x = u < 0.5 ? centre + (dim.high - dim.low) * 0.03 * (rng.nextFloat() - 0.5) : dim.low + (dim.high - dim.low) * rng.nextFloat();
      const v = dims.indexOf(dim) >= 2 ? Math.round(dim.dist.log ? Math.exp(x) : x) : x;
      const clipped = Math.min(dim.dist.high, Math.max(dim.dist.low, v));
      return dim.dist.log && dims.indexOf(dim) >= 2 ? Math.log(clipped) : clipped;
    });
    const values = Float64Array.from(raw);
    const weights = new Float64Array(n);
    observationWeights('ramp', n, weights);
    return {
      n,
      values: [values],
      order: [Int32Array.from(raw.map((_, i) => i).sort((a, b) => raw[a]! - raw[b]! || a - b))],
      weights,
      rows: cache ? Int32Array.from(raw, (_, i) => i) : null,
      cache,
    };
  };
  const argmax = (logL: Float64Array, logG: Float64Array): number => {
    let best = 0;
    let bestScore = -Infinity;
    logL.forEach((l, c) => {
      if (l - logG[c]! > bestScore) {
        bestScore = l - logG[c]!;
        best = c;
      }
    });
    return best;
  };
  const bits = (a: Float64Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

  it('bestRatio picks the candidate that evaluating log g everywhere picks, ties and near-ties included', () => {
    let checked = 0;
    for (const dim of dims) {
      for (const n of [3, 40, 300, 1500]) {
        for (let seed = 0; seed < 6; seed++) {
          const g = new ParzenEstimator([dim], observations(dim, n, seed), { ...options, normalizeKernels: seed % 2 === 0 }, new Arena());
          const l = new ParzenEstimator([dim], observations(dim, 25, seed + 100), options, new Arena());
          const cand = l.sample(rngFor(seed, n, Stream.sampler), 24);
          const logG = g.logPdf(cand, new Arena());
          const logL = l.logPdf(cand, new Arena());
          // As the sampler has them; then scores all equal, or equal up to rounding,
          // for every other candidate (the first of equals must win); then one
          // candidate with log l = −∞ (nothing to bound with).
          const tied = logL.map((v, c) => (c % 2 === 0 ? logG[c]! + 1 : v));
          const close = logL.map((v, c) => (c % 3 === 0 ? logG[c]! + 1 + 1e-15 * c : v));
          const infinite = logL.map((v, c) => (c === 5 ? -Infinity : v));
          for (const scores of [logL, tied, close, infinite]) {
            expect(g.bestRatio(cand, scores, new Arena())).toBe(argmax(scores, logG));
            checked++;
          }
        }
      }
    }
    expect(checked).toBe(4 * 4 * 6 * 4);
  });

  it('kernel constants reused from the cache have the bits of freshly computed ones', () => {
    for (const dim of dims) {
      const cache = new KernelCache(dim.discrete !== 'none');
      cache.reserve(800);
      const cand = new ParzenEstimator([dim], observations(dim, 25, 7), options, new Arena()).sample(rngFor(1, 2, Stream.sampler), 64);
      // Growing studies share most bandwidths with the previous fit: most constants come from the cache.
      for (const n of [500, 501, 650, 800, 800]) {
        const fresh = new ParzenEstimator([dim], observations(dim, n, 3), options, new Arena());
        const cached = new ParzenEstimator([dim], observations(dim, n, 3, cache), options, new Arena());
        expect(bits(cached.logPdf(cand))).toBe(bits(fresh.logPdf(cand)));
      }
    }
  });
});

describe('TPE sampler', () => {
  const box: SearchSpace = {
    x: { type: 'float', low: -5, high: 5, log: false, step: null, includeZero: false },
    y: { type: 'float', low: -5, high: 5, log: false, step: null, includeZero: false },
  };

  it('uses random search for the first n_startup_trials finished trials (complete + pruned)', () => {
    const sampler = tpe(box, 4, { nStartupTrials: 3 });
    const random = createSampler({ type: 'random', seed: 4 }, box, 'minimize', 4);
    for (let t = 0; t < 3; t++) {
      const params = sampler.ask(t, []);
      expect(params).toEqual(random.ask(t, []));
      // Failed trials do not count towards the startup.
      sampler.tell({ number: t, state: t === 1 ? 'failed' : 'complete', params, value: t === 1 ? null : t, intermediate: [] });
    }
    expect(sampler.ask(3, [])).toEqual(random.ask(3, []));
    sampler.tell({ number: 3, state: 'pruned', params: sampler.ask(3, []), value: null, intermediate: [[1, 5]] });
    expect(sampler.ask(4, [])).not.toEqual(random.ask(4, []));
  });

  it('ignores failed trials completely', () => {
    const history: FinishedTrial[] = [];
    const a = tpe(box, 8);
    for (let t = 0; t < 25; t++) {
      const params = a.ask(t, []);
      history.push(complete(t, params, (params.x as number) ** 2 + (params.y as number) ** 2));
      a.tell(history[t]!);
    }
    const b = tpe(box, 8);
    for (const trial of history) b.tell(trial);
    for (let t = 25; t < 35; t++) b.tell({ number: t, state: 'failed', params: { x: 0, y: 0 }, value: null, intermediate: [] });
    expect(b.ask(40, [])).toEqual(a.ask(40, []));
  });

  it('treats pruned trials as worse than every complete one, and learns from how far they got', () => {
    // Complete trials sit near x = 4; pruned ones near x = -4 with excellent
    // intermediate values. TPE must still favour x = 4.
    const sampler = tpe({ x: box.x! }, 2, { nStartupTrials: 0 });
    let n = 0;
    for (let i = 0; i < 12; i++) {
      sampler.tell(complete(n++, { x: 3.5 + i * 0.05 }, 10 + i));
      sampler.tell({ number: n++, state: 'pruned', params: { x: -4.5 + i * 0.05 }, value: null, intermediate: [[1, -100]] });
    }
    const xs = Array.from({ length: 20 }, (_, t) => sampler.ask(100 + t, []).x as number);
    expect(xs.filter((x) => x > 0).length).toBeGreaterThanOrEqual(16);
  });

  it('maximises when asked to', () => {
    const run = (direction: 'minimize' | 'maximize') => {
      const sampler = tpe({ x: box.x! }, 5, {}, direction);
      const xs: number[] = [];
      for (let t = 0; t < 40; t++) {
        const params = sampler.ask(t, []);
        xs.push(params.x as number);
        sampler.tell(complete(t, params, params.x as number));
      }
      return median(xs.slice(20));
    };
    expect(run('maximize')).toBeGreaterThan(2);
    expect(run('minimize')).toBeLessThan(-2);
  });

  it('with the constant liar, concurrent asks spread out instead of piling onto the same point', () => {
    const spread = (constantLiar: boolean): number => {
      let total = 0;
      for (let seed = 0; seed < 6; seed++) {
        const sampler = tpe(box, seed, { constantLiar });
        for (let t = 0; t < 30; t++) {
          const params = sampler.ask(t, []);
          sampler.tell(complete(t, params, (params.x as number) ** 2 + (params.y as number) ** 2));
        }
        // Four workers ask one after another; each sees the earlier ones running.
        const running: Array<{ number: number; params: Params }> = [];
        for (let w = 0; w < 4; w++) running.push({ number: 30 + w, params: sampler.ask(30 + w, running) });
        for (let i = 0; i < 4; i++) {
          for (let j = i + 1; j < 4; j++) {
            const [p, q] = [running[i]!.params, running[j]!.params];
            total += Math.hypot((p.x as number) - (q.x as number), (p.y as number) - (q.y as number));
          }
        }
      }
      return total;
    };
    expect(spread(true)).toBeGreaterThan(1.2 * spread(false));
  });

  it('learns whether λ = 0 (include_zero) is better, and where the log value should be', () => {
    const space: SearchSpace = { lambda: { type: 'float', low: 1e-6, high: 0.1, log: true, step: null, includeZero: true } };
    const run = (best: 'zero' | 'value') => {
      const sampler = tpe(space, 1);
      const values: number[] = [];
      for (let t = 0; t < 50; t++) {
        const params = sampler.ask(t, []);
        const lam = params.lambda as number;
        values.push(lam);
        const loss = lam === 0 ? (best === 'zero' ? 0 : 5) : (Math.log10(lam) + 3) ** 2;
        sampler.tell(complete(t, params, loss));
      }
      return values.slice(25);
    };
    expect(run('zero').filter((v) => v === 0).length).toBeGreaterThanOrEqual(18);
    const late = run('value');
    expect(late.filter((v) => v !== 0).length).toBeGreaterThanOrEqual(20);
    expect(median(late.filter((v) => v !== 0).map((v) => Math.log10(v)))).toBeCloseTo(-3, 0);
  });

  it('reaches the ends of an integer range', () => {
    const sampler = tpe({ k: { type: 'int', low: -3, high: 4, log: false, step: 1 } }, 3);
    const ks: number[] = [];
    for (let t = 0; t < 40; t++) {
      const params = sampler.ask(t, []);
      ks.push(params.k as number);
      sampler.tell(complete(t, params, ((params.k as number) + 3) ** 2));
    }
    // The lowest value is the most frequent suggestion, far above the 1/8 of a uniform draw.
    const late = ks.slice(20);
    const counts = [-3, -2, -1, 0, 1, 2, 3, 4].map((k) => late.filter((v) => v === k).length);
    expect(counts[0]).toBe(Math.max(...counts));
    expect(counts[0]).toBeGreaterThanOrEqual(6);
  });

  it('beats random search on branin: 60 trials, seeds 0..9, median best value', () => {
    const fn = TEST_FUNCTIONS.branin;
    const space: SearchSpace = {
      x1: { type: 'float', low: -5, high: 10, log: false, step: null, includeZero: false },
      x2: { type: 'float', low: 0, high: 15, log: false, step: null, includeZero: false },
    };
    const bestOf = (sampler: Sampler): number => {
      let best = Infinity;
      for (let t = 0; t < 60; t++) {
        const params = sampler.ask(t, []);
        const value = fn.evaluate([params.x1 as number, params.x2 as number]);
        best = Math.min(best, value);
        sampler.tell(complete(t, params, value));
      }
      return best;
    };
    const seeds = Array.from({ length: 10 }, (_, s) => s);
    const random = median(seeds.map((s) => bestOf(createSampler({ type: 'random', seed: s }, space, 'minimize', s))));
    const viaTpe = median(seeds.map((s) => bestOf(tpe(space, s))));
    expect(viaTpe).toBeLessThan(0.8 * random);
    expect(viaTpe - fn.optimum(2).value).toBeLessThan(0.15);
  });
});
