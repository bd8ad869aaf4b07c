// The GP sampler's maths against references: the posterior and the log
// marginal likelihood against scikit-learn's GaussianProcessRegressor (fixture
// made by test/fixtures/gp_sklearn_reference.py), every gradient against
// finite differences, log EI against the direct formula and its asymptote,
// and the bounded minimiser on problems with known minima.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Posterior, logEi, logH } from '../src/samplers/gp/acquisition.js';
import { crossKernel, kernelMatrix, pairDistances, type Inputs, type KernelParams } from '../src/samplers/gp/kernel.js';
import { minimizeBox } from '../src/samplers/gp/lbfgsb.js';
import { condition, fitKernel, logMarginalLikelihood, logPrior, paramsFromLog } from '../src/samplers/gp/likelihood.js';
import { cholesky, cholInverse, cholSolve } from '../src/samplers/gp/linalg.js';
import { warp } from '../src/samplers/gp/sampler.js';
import { EncodedSpace } from '../src/samplers/gp/space.js';
import { createSampler } from '../src/samplers/sampler.js';
import type { SearchSpace } from '../src/space/distributions.js';
import { DEFAULT_GP_OPTIONS } from '../src/space/spec.js';
import { validateStudySpec } from '../src/space/validate.js';
import { TEST_FUNCTIONS } from '../src/trials/functions.js';

interface RefCase {
  X: number[][];
  y: number[];
  Xs: number[][];
  scale: number;
  invSqLengthscales: number[];
  noise: number;
  mean: number[];
  variance: number[];
  lml: number;
  gradLogScale: number;
  gradLogEta: number[];
  gradLogNoise: number;
}
const reference = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'fixtures', 'gp-sklearn.json'), 'utf8')) as { cases: RefCase[] };

function inputsOf(X: number[][], categorical?: boolean[]): Inputs {
  const d = X[0]!.length;
  return { n: X.length, d, X: Float64Array.from(X.flat()), categorical: categorical ?? Array<boolean>(d).fill(false) };
}
const paramsOf = (c: RefCase): KernelParams => ({ invSqLengthscales: Float64Array.from(c.invSqLengthscales), scale: c.scale, noise: c.noise });
const relClose = (a: number, b: number, tol: number): void => expect(Math.abs(a - b)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b)));

describe('GP posterior and marginal likelihood vs scikit-learn', () => {
  it('has three reference cases', () => expect(reference.cases).toHaveLength(3));
  it.each(reference.cases.map((c, i) => [i, c] as const))('case %i', (_i, c) => {
    const inputs = inputsOf(c.X);
    const p = paramsOf(c);
    const lml = logMarginalLikelihood(pairDistances(inputs), c.y, p);
    relClose(lml.value, c.lml, 1e-9);
    const d = inputs.d;
    for (let j = 0; j < d; j++) relClose(lml.grad[j]!, c.gradLogEta[j]!, 1e-7);
    relClose(lml.grad[d]!, c.gradLogScale, 1e-7);
    relClose(lml.grad[d + 1]!, c.gradLogNoise, 1e-7);
    const post = new Posterior(condition(inputs, c.y, p));
    c.Xs.forEach((x, k) => {
      const { mean, variance } = post.at(x);
      relClose(mean, c.mean[k]!, 1e-8);
      expect(Math.abs(variance - c.variance[k]!)).toBeLessThan(1e-8);
    });
  });
});

/** Central differences of f at x, coordinate by coordinate. */
function numericGrad(f: (x: Float64Array) => number, x: Float64Array, h = 1e-6): Float64Array {
  const g = new Float64Array(x.length);
  for (let j = 0; j < x.length; j++) {
    const a = Float64Array.from(x);
    const b = Float64Array.from(x);
    a[j] = a[j]! + h;
    b[j] = b[j]! - h;
    g[j] = (f(a) - f(b)) / (2 * h);
  }
  return g;
}

// A mixed data set: two continuous coordinates and a categorical one (Hamming).
const MIXED_X = Array.from({ length: 15 }, (_, i) => [((i * 7) % 15) / 14, Math.sin(i) * 0.5 + 0.5, i % 3]);
const MIXED_Y = MIXED_X.map(([a, b, c]) => Math.cos(4 * a!) + b! * b! - 0.5 * c!);
const MIXED = inputsOf(MIXED_X, [false, false, true]);

describe('gradients vs finite differences', () => {
  it('log marginal likelihood + prior, in log kernel parameters (with a categorical dimension)', () => {
    const D = pairDistances(MIXED);
    const theta = Float64Array.from([Math.log(3), Math.log(0.5), Math.log(2), Math.log(1.4), Math.log(0.02)]);
    const f = (t: Float64Array): number => {
      const p = paramsFromLog(t, 3);
      return logMarginalLikelihood(D, MIXED_Y, p).value + logPrior(p).value;
    };
    const p = paramsFromLog(theta, 3);
    const lml = logMarginalLikelihood(D, MIXED_Y, p);
    const prior = logPrior(p);
    const want = numericGrad(f, theta);
    for (let j = 0; j < 5; j++) relClose(lml.grad[j]! + prior.grad[j]!, want[j]!, 1e-6);
  });

  it('k(x, X) in x', () => {
    const p: KernelParams = { invSqLengthscales: Float64Array.from([4, 0.7, 1.1]), scale: 1.7, noise: 1e-4 };
    const x = Float64Array.from([0.31, 0.62, 1]);
    const k = new Float64Array(MIXED.n);
    const dk = new Float64Array(MIXED.n * 3);
    crossKernel(x, MIXED, p, k, dk);
    for (let i = 0; i < MIXED.n; i++) {
      // Only the continuous coordinates have a gradient; the categorical one is enumerated.
      const want = numericGrad((z) => {
        const kk = new Float64Array(MIXED.n);
        crossKernel([z[0]!, z[1]!, x[2]!], MIXED, p, kk);
        return kk[i]!;
      }, x.slice(0, 2));
      relClose(dk[i * 3]!, want[0]!, 1e-6);
      relClose(dk[i * 3 + 1]!, want[1]!, 1e-6);
      expect(dk[i * 3 + 2]).toBe(0);
    }
  });

  it('log EI in x, from the body of the distribution to its far tail', () => {
    const p: KernelParams = { invSqLengthscales: Float64Array.from([9, 2, 1]), scale: 1.2, noise: 1e-6 };
    const post = new Posterior(condition(MIXED, MIXED_Y, p));
    const best = Math.max(...MIXED_Y);
    const points = [
      [0.2, 0.9, 0],
      [0.55, 0.1, 2],
      [0.93, 0.47, 1],
    ];
    for (const target of [best, best + 2, best + 8, best + 30]) {
      for (const pt of points) {
        const x = Float64Array.from(pt);
        const grad = new Float64Array(3);
        const value = logEi(post, x, target, grad);
        expect(Number.isFinite(value)).toBe(true);
        const want = numericGrad((z) => logEi(post, Float64Array.from([z[0]!, z[1]!, pt[2]!]), target), x.subarray(0, 2).slice(), 1e-6);
        relClose(grad[0]!, want[0]!, 1e-5);
        relClose(grad[1]!, want[1]!, 1e-5);
      }
    }
  });
});

describe('log h(z) = log(φ(z) + zΦ(z))', () => {
  const phi = (z: number): number => Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
  // Φ by a long series where it is accurate (|z| <= 5), for the reference.
  const cdf = (z: number): number => {
    let term = z;
    let sum = z;
    for (let k = 1; k < 400; k++) {
      term *= (z * z) / (2 * k + 1);
      sum += term;
    }
    return 0.5 + phi(z) * sum;
  };
  it('matches the direct formula where that is accurate, with slope Φ/h', () => {
    for (const z of [3, 1, 0.2, 0, -0.5, -0.999, -1.001, -2, -3.5]) {
      const h = phi(z) + z * cdf(z);
      relClose(logH(z).value, Math.log(h), 1e-9);
      relClose(logH(z).slope, cdf(z) / h, 1e-8);
    }
  });
  it('is finite, increasing and continuous far into the tail, where EI underflows', () => {
    let last = -Infinity;
    for (const z of [-1e9, -1e8, -1e4, -1000.5, -999.5, -40, -38.5, -10, -1.0000001, -1]) {
      const { value, slope } = logH(z);
      expect(Number.isFinite(value)).toBe(true);
      expect(slope).toBeGreaterThan(0);
      expect(value).toBeGreaterThan(last);
      last = value;
    }
    // Both sides of the switch to the asymptotic series (z = −1000) agree, value and slope.
    const f = (z: number): number => logH(z).value + 0.5 * z * z;
    relClose(f(-1000 - 1e-9), f(-1000 + 1e-9), 1e-10);
    relClose(logH(-1000 - 1e-9).slope, logH(-1000 + 1e-9).slope, 1e-9);
    relClose(logH(-1e4).value, -0.5e8 - 0.5 * Math.log(2 * Math.PI) - 2 * Math.log(1e4), 1e-12);
  });
});

describe('linear algebra', () => {
  it('K⁻¹ and K⁻¹y from the Cholesky factor', () => {
    const { K } = kernelMatrix(pairDistances(MIXED), MIXED.n, { invSqLengthscales: Float64Array.from([3, 3, 0.5]), scale: 1, noise: 1e-3 });
    const c = cholesky(K, MIXED.n);
    expect(c.jitter).toBe(0);
    const inv = cholInverse(c);
    const n = MIXED.n;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += K[i * n + k]! * inv[k * n + j]!;
        expect(Math.abs(s - (i === j ? 1 : 0))).toBeLessThan(1e-8);
      }
    }
    const x = cholSolve(c, MIXED_Y);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += K[i * n + k]! * x[k]!;
      relClose(s, MIXED_Y[i]!, 1e-9);
    }
  });
  it('adds jitter to a singular matrix (duplicate points, no noise)', () => {
    const X = inputsOf([[0.1, 0.2], [0.1, 0.2], [0.5, 0.5]]);
    const { K } = kernelMatrix(pairDistances(X), 3, { invSqLengthscales: Float64Array.from([1, 1]), scale: 1, noise: 0 });
    const c = cholesky(K, 3);
    expect(c.jitter).toBeGreaterThan(0);
    expect(c.jitter).toBeLessThan(1e-4);
  });
});

describe('bounded minimiser', () => {
  it('finds the minimum of the Rosenbrock function inside the box', () => {
    const f = (x: Float64Array, g: Float64Array): number => {
      const [a, b] = [x[0]!, x[1]!];
      g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
      g[1] = 200 * (b - a * a);
      return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
    };
    const r = minimizeBox(f, [-1.2, 1], [-2, -2], [2, 2], { maxIterations: 200, gradientTolerance: 1e-10, relativeTolerance: 0 });
    expect(r.x[0]).toBeCloseTo(1, 5);
    expect(r.x[1]).toBeCloseTo(1, 5);
  });
  it('stops on the bound when the minimum is outside the box', () => {
    // (x − 3)² + (y + 1)² over [0, 1]²: minimum at (1, 0).
    const f = (x: Float64Array, g: Float64Array): number => {
      g[0] = 2 * (x[0]! - 3);
      g[1] = 2 * (x[1]! + 1);
      return (x[0]! - 3) ** 2 + (x[1]! + 1) ** 2;
    };
    const r = minimizeBox(f, [0.3, 0.7], [0, 0], [1, 1]);
    expect(Array.from(r.x)).toEqual([1, 0]);
  });
});

describe('hyperparameter fit', () => {
  it('recovers a short lengthscale on a fast-varying dimension and a long one on a flat one', () => {
    const X = Array.from({ length: 40 }, (_, i) => [((i * 17) % 40) / 39, ((i * 11) % 40) / 39]);
    const y = X.map(([a, b]) => Math.sin(12 * a!) + 0.05 * b!);
    const p = fitKernel(inputsOf(X), y);
    expect(p.invSqLengthscales[0]!).toBeGreaterThan(10 * p.invSqLengthscales[1]!);
  });
});

const SPACE: SearchSpace = {
  lr: { type: 'float', low: 1e-5, high: 1, log: true, step: null, includeZero: false },
  wd: { type: 'float', low: 1e-6, high: 0.1, log: true, step: null, includeZero: true },
  m: { type: 'float', low: 0, high: 0.9, log: false, step: 0.1, includeZero: false },
  h: { type: 'int', low: 16, high: 512, log: true, step: 1 },
  layers: { type: 'int', low: 1, high: 4, log: false, step: 1 },
  act: { type: 'categorical', choices: ['relu', 'tanh', 'gelu'] },
  epochs: { type: 'fixed', value: 3 },
};

describe('encoded space', () => {
  it('encodes into [0, 1] / choice indices and decodes back', () => {
    const space = new EncodedSpace(SPACE);
    expect(space.categorical).toEqual([false, true, false, false, false, false, true]);
    for (const params of [
      { lr: 1e-3, wd: 0, m: 0.3, h: 64, layers: 4, act: 'gelu', epochs: 3 },
      { lr: 1, wd: 1e-6, m: 0, h: 512, layers: 1, act: 'relu', epochs: 3 },
    ]) {
      const x = space.encode(params);
      for (let j = 0; j < x.length; j++) expect(x[j]! >= 0 && (space.categorical[j] || x[j]! <= 1)).toBe(true);
      const back = space.decode(x);
      expect(back).toEqual({ ...params, lr: back.lr, wd: back.wd });
      relClose(back.lr as number, params.lr, 1e-12);
      relClose(back.wd as number, params.wd, 1e-12);
    }
    // Every int value owns an equal slice: 0 and 1 decode to the end values.
    const lo = space.decode(new Float64Array(7));
    expect([lo.h, lo.layers, lo.m]).toEqual([16, 1, 0]);
    const hi = space.decode(Float64Array.from([1, 0, 1, 1, 1, 1, 2]));
    expect([hi.h, hi.layers, hi.m, hi.act]).toEqual([512, 4, 0.9, 'gelu']);
  });
});

describe('output warping', () => {
  const rank = (xs: number[]): number[] => xs.map((x) => xs.filter((y) => y < x).length);
  it('keeps the order, leaves normal-looking values nearly linear and makes heavy-tailed ones log-like', () => {
    // Roughly normal values (a smooth spread): the warp is close to affine.
    const normal = Array.from({ length: 40 }, (_, i) => Math.sin(i * 1.7) + 0.3 * Math.cos(i * 0.9));
    const w = warp(normal);
    expect(rank(w)).toEqual(rank(normal));
    const affine = (w[1]! - w[0]!) / (normal[1]! - normal[0]!);
    for (let i = 2; i < 40; i++) expect(Math.abs((w[i]! - w[0]!) / (normal[i]! - normal[0]!) / affine - 1)).toBeLessThan(0.5);
    // Values (to maximise) whose shortfall spans six orders of magnitude: log-like.
    const heavy = Array.from({ length: 40 }, (_, i) => -(10 ** ((i % 13) / 2)));
    const h = warp(heavy);
    expect(rank(h)).toEqual(rank(heavy));
    const gap = (a: number, b: number): number => Math.abs(h[heavy.indexOf(-(10 ** a))]! - h[heavy.indexOf(-(10 ** b))]!);
    // Each decade is a similar step (log), not a 10x larger one (linear).
    expect(gap(6, 5) / gap(3, 2)).toBeLessThan(3);
    // Constant values stay constant.
    expect(new Set(warp([2, 2, 2])).size).toBe(1);
  });
});

describe('GP sampler', () => {
  it('gets within 0.01 of branin’s minimum in 40 trials, and suggests valid params on a mixed space', () => {
    const fn = TEST_FUNCTIONS.branin;
    const space: SearchSpace = {
      x1: { type: 'float', low: -5, high: 10, log: false, step: null, includeZero: false },
      x2: { type: 'float', low: 0, high: 15, log: false, step: null, includeZero: false },
    };
    const gp = createSampler({ type: 'gp', seed: 3, options: DEFAULT_GP_OPTIONS }, space, 'minimize', 3);
    let best = Infinity;
    for (let t = 0; t < 40; t++) {
      const p = gp.ask(t, []);
      const value = fn.evaluate([p.x1 as number, p.x2 as number]);
      best = Math.min(best, value);
      gp.tell({ number: t, state: 'complete', params: p, value, intermediate: [] });
    }
    expect(best - 0.397887).toBeLessThan(0.01);

    const mixed = createSampler({ type: 'gp', seed: 1, options: { ...DEFAULT_GP_OPTIONS, nStartupTrials: 4 } }, SPACE, 'maximize', 1);
    for (let t = 0; t < 12; t++) {
      const p = mixed.ask(t, []);
      expect(Object.keys(p)).toEqual(Object.keys(SPACE));
      expect(['relu', 'tanh', 'gelu']).toContain(p.act);
      expect(Number.isInteger(p.h) && (p.h as number) >= 16 && (p.h as number) <= 512).toBe(true);
      const value = -((Math.log10(p.lr as number) + 3) ** 2) - (p.act === 'tanh' ? 1 : 0);
      mixed.tell({ number: t, state: t === 5 ? 'failed' : 'complete', params: p, value: t === 5 ? null : value, intermediate: [] });
    }
  });
});

describe('GP sampler on a conditional space', () => {
  it('suggests only the parameters its choices activate', () => {
    const space: SearchSpace = {
      opt: { type: 'categorical', choices: ['sgd', 'adam'] },
      lr: { type: 'float', low: 1e-4, high: 1, log: true, step: null, includeZero: false },
      momentum: { type: 'float', low: 0, high: 0.99, log: false, step: null, includeZero: false, when: [{ param: 'opt', values: ['sgd'] }] },
    };
    const gp = createSampler({ type: 'gp', seed: 2, options: { ...DEFAULT_GP_OPTIONS, nStartupTrials: 3 } }, space, 'minimize', 2);
    const seen = new Set<string>();
    for (let t = 0; t < 15; t++) {
      const p = gp.ask(t, []);
      seen.add(p.opt as string);
      expect(Object.keys(p)).toEqual(p.opt === 'sgd' ? ['opt', 'lr', 'momentum'] : ['opt', 'lr']);
      const value = (Math.log10(p.lr as number) + 2) ** 2 + (p.opt === 'sgd' ? ((p.momentum as number) - 0.9) ** 2 : 0.05);
      gp.tell({ number: t, state: 'complete', params: p, value, intermediate: [] });
    }
    expect(seen.size).toBe(2);
  });
});

describe('gp in a space file', () => {
  const raw = (options: unknown) => ({
    name: 'gp-branin',
    objective: { function: 'branin' },
    params: { x1: { type: 'float', low: -5, high: 10 }, x2: { type: 'float', low: 0, high: 15 } },
    sampler: { type: 'gp', seed: 4, options },
    budget: { trials: 30 },
  });
  it('reads its options (defaults: Optuna GPSampler’s)', () => {
    expect(validateStudySpec(raw(undefined), '/tmp/space.yaml').sampler).toEqual({ type: 'gp', seed: 4, options: DEFAULT_GP_OPTIONS });
    expect(validateStudySpec(raw({ n_startup_trials: 5, deterministic_objective: true }), '/tmp/space.yaml').sampler).toEqual({
      type: 'gp',
      seed: 4,
      options: { nStartupTrials: 5, deterministicObjective: true },
    });
  });
  it('refuses an unknown or ill-typed option, naming it', () => {
    expect(() => validateStudySpec(raw({ n_ei_candidates: 5 }), '/tmp/space.yaml')).toThrow(/sampler\.options.*n_ei_candidates/);
    expect(() => validateStudySpec(raw({ n_startup_trials: -1 }), '/tmp/space.yaml')).toThrow(/sampler\.options\.n_startup_trials/);
  });
});
