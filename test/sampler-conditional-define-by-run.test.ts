// The define-by-run hook, Sampler.sampleParam: one parameter sampled on its
// own, a pure function of (seed, trial number, name, distribution, trials told,
// running). TPE must learn from parameters recorded this way (as Optuna's
// sample_independent), including ones absent from some trials.
import { describe, expect, it } from 'vitest';
import { createSampler, type FinishedTrial, type Sampler } from '../src/samplers/sampler.js';
import type { Distribution, ParamValue } from '../src/space/distributions.js';
import { DEFAULT_TPE_OPTIONS, type SamplerSpec } from '../src/space/spec.js';
import { HypersweepError } from '../src/errors.js';

const X: Distribution = { type: 'float', low: -2, high: 2, log: false, step: null, includeZero: false };
const LR: Distribution = { type: 'float', low: 1e-5, high: 1, log: true, step: null, includeZero: false };
const K: Distribution = { type: 'categorical', choices: ['a', 'b', 'c', 'd'] };

const tpe: SamplerSpec = { type: 'tpe', seed: null, options: { ...DEFAULT_TPE_OPTIONS, nStartupTrials: 10 } };
const random: SamplerSpec = { type: 'random', seed: null };

/**
 * Runs a define-by-run study: each trial draws k, then x only when k is "b"
 * or "c" (a conditional parameter), then lr. Value: (x − 0.7)² + (log10 lr + 3)² / 10
 * + 0.5 when k is not "b" (x absent: 3).
 */
function runStudy(sampler: Sampler, n: number): FinishedTrial[] {
  const trials: FinishedTrial[] = [];
  for (let t = 0; t < n; t++) {
    const params: Record<string, ParamValue> = {};
    params.k = sampler.sampleParam(t, 'k', K, [], params);
    if (params.k === 'b' || params.k === 'c') params.x = sampler.sampleParam(t, 'x', X, [], params);
    params.lr = sampler.sampleParam(t, 'lr', LR, [], params);
    const x = typeof params.x === 'number' ? params.x : NaN;
    const value = (Number.isNaN(x) ? 3 : (x - 0.7) ** 2) + (Math.log10(params.lr as number) + 3) ** 2 / 10 + (params.k === 'b' ? 0 : 0.5);
    const trial: FinishedTrial = { number: t, state: 'complete', params: { ...params }, value, intermediate: [] };
    sampler.tell(trial);
    trials.push(trial);
  }
  return trials;
}

describe('sampleParam (define-by-run)', () => {
  it('random: keyed by (seed, trial, name), not by the order of asks or the other params', () => {
    const a = createSampler(random, {}, 'minimize', 7);
    const b = createSampler(random, {}, 'minimize', 7);
    const xa = a.sampleParam(3, 'x', X, [], {});
    const lra = a.sampleParam(3, 'lr', LR, [], { x: xa });
    // Other order, other paramsSoFar: the same values.
    const lrb = b.sampleParam(3, 'lr', LR, [], {});
    const xb = b.sampleParam(3, 'x', X, [], { lr: lrb });
    expect([xb, lrb]).toEqual([xa, lra]);
    // Another name, trial or seed draws something else.
    expect(a.sampleParam(3, 'y', X, [], {})).not.toBe(xa);
    expect(a.sampleParam(4, 'x', X, [], {})).not.toBe(xa);
    expect(createSampler(random, {}, 'minimize', 8).sampleParam(3, 'x', X, [], {})).not.toBe(xa);
    // In range, and log-uniform for a log float (about half below 10^-2.5).
    const lrs = Array.from({ length: 2000 }, (_, t) => a.sampleParam(t, 'lr', LR, [], {}) as number);
    expect(lrs.every((v) => v >= 1e-5 && v <= 1)).toBe(true);
    const below = lrs.filter((v) => v < 10 ** -2.5).length / lrs.length;
    expect(below).toBeGreaterThan(0.45);
    expect(below).toBeLessThan(0.55);
  });

  it('grid: refuses with a clear error', () => {
    const grid = createSampler({ type: 'grid', seed: null }, {}, 'minimize', 1);
    let caught: unknown;
    try {
      grid.sampleParam(0, 'x', X, [], {});
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(HypersweepError);
    expect((caught as HypersweepError).code).toBe('E_GRID_DEFINE_BY_RUN');
    expect((caught as HypersweepError).message).toContain('"x"');
  });

  it('tpe: the startup trials are the random draws, then it is deterministic and independent of tell order', () => {
    const t1 = createSampler(tpe, {}, 'minimize', 11);
    const r1 = createSampler(random, {}, 'minimize', 11);
    for (let t = 0; t < 10; t++) expect(t1.sampleParam(t, 'x', X, [], {})).toBe(r1.sampleParam(t, 'x', X, [], {}));

    const history = runStudy(createSampler(tpe, {}, 'minimize', 11), 40);
    const forward = createSampler(tpe, {}, 'minimize', 11);
    const backward = createSampler(tpe, {}, 'minimize', 11);
    for (const trial of history) forward.tell(trial);
    for (const trial of [...history].reverse()) backward.tell(trial);
    const running = [{ number: 40, params: { k: 'b', x: 0.5 } }];
    for (const [name, dist] of [['k', K], ['x', X], ['lr', LR]] as const) {
      expect(backward.sampleParam(41, name, dist, running, {})).toBe(forward.sampleParam(41, name, dist, running, {}));
    }
    // A sampler asked before some tells catches up with them (its per-name state is told too).
    const early = createSampler(tpe, {}, 'minimize', 11);
    for (const trial of history.slice(0, 20)) early.tell(trial);
    early.sampleParam(20, 'x', X, [], {});
    for (const trial of history.slice(20)) early.tell(trial);
    expect(early.sampleParam(41, 'x', X, running, {})).toBe(forward.sampleParam(41, 'x', X, running, {}));
  });

  it('tpe learns from define-by-run params, a conditional one included (random does not)', () => {
    const seeds = [1, 2, 3, 4, 5];
    const late = (spec: SamplerSpec, seed: number) => runStudy(createSampler(spec, {}, 'minimize', seed), 80).slice(40);
    for (const seed of seeds) {
      const tpeLate = late(tpe, seed);
      const randomLate = late(random, seed);
      // k: TPE picks the best branch "b" far more often than 1 in 4.
      const share = (ts: FinishedTrial[]) => ts.filter((t) => t.params.k === 'b').length / ts.length;
      expect(share(tpeLate)).toBeGreaterThan(0.5);
      expect(share(randomLate)).toBeLessThan(0.45);
      // x (present only in the b/c trials): close to its optimum 0.7.
      const xs = tpeLate.flatMap((t) => (typeof t.params.x === 'number' ? [Math.abs(t.params.x - 0.7)] : []));
      const median = xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      expect(median).toBeLessThan(0.3);
      // lr: near 1e-3 on the log scale.
      const lrs = tpeLate.map((t) => Math.abs(Math.log10(t.params.lr as number) + 3)).sort((a, b) => a - b);
      expect(lrs[Math.floor(lrs.length / 2)]!).toBeLessThan(1);
    }
  });

  it('tpe ignores recorded values the distribution cannot produce (another range, null)', () => {
    const s = createSampler(tpe, {}, 'minimize', 3);
    const narrow: Distribution = { type: 'float', low: 0.5, high: 0.6, log: false, step: null, includeZero: false };
    for (let t = 0; t < 30; t++) {
      // Every told x is outside [0.5, 0.6] or null: nothing to learn, the prior only.
      const x = t % 3 === 0 ? null : -1 - t / 30;
      s.tell({ number: t, state: 'complete', params: { x }, value: t, intermediate: [] });
    }
    for (let t = 30; t < 40; t++) {
      const v = s.sampleParam(t, 'x', narrow, [], {}) as number;
      expect(v).toBeGreaterThanOrEqual(0.5);
      expect(v).toBeLessThanOrEqual(0.6);
    }
  });
});
