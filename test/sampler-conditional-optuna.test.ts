// TPE on a conditional space against Optuna 3.1 (test/fixtures/optuna-conditional.json,
// made by test/fixtures/optuna-conditional.py): after the same 60-trial history,
// the suggestions of univariate TPE and of multivariate TPE with group=True
// follow the same distribution as Optuna's: the same branch, and the mean and
// spread of a shared parameter (s) and of two conditional ones (w, u) within a
// few standard errors. Univariate and group differ from each other by far more
// than that, so using the wrong fit (e.g. ignoring the groups) fails.
// Group TPE is checked with jointBandwidth: 'scott' (Optuna 3.1's joint
// kernels); its default since, neighbour bandwidths as Optuna >= 5.0, draws
// differently, and the last test checks that this comparison tells so.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONDITIONAL_SPACE } from '../bench/samplers-conditional-space.js';
import { createSampler } from '../src/samplers/sampler.js';
import type { Params } from '../src/space/distributions.js';
import type { TpeSamplerOptions } from '../src/samplers/tpe/sampler.js';
import { DEFAULT_TPE_OPTIONS } from '../src/space/spec.js';

interface Stat {
  n: number;
  mean: number;
  sd: number;
  /** The 25th, 50th and 75th percentiles (Python's statistics.quantiles, 'exclusive'). */
  quartiles: [number, number, number];
}
interface Fixture {
  optuna: string;
  history: Array<{ params: Params; value: number }>;
  results: Record<'univariate' | 'group', { branches: Record<string, number>; stats: Record<'s' | 'w' | 'u', Stat> }>;
}
const fixture = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'fixtures', 'optuna-conditional.json'), 'utf8')) as Fixture;
const ASKS = 2000;

/** `defaults`: the sampler's own joint bandwidth (otherwise Optuna 3.1's). */
function ours(variant: 'univariate' | 'group', defaults = false): { branches: Record<string, number>; stats: Record<string, Stat> } {
  const multivariate = variant === 'group';
  const options: TpeSamplerOptions = { ...DEFAULT_TPE_OPTIONS, constantLiar: false, multivariate, group: multivariate, ...(defaults ? {} : { jointBandwidth: 'scott' as const }) };
  const sampler = createSampler({ type: 'tpe', seed: 0, options }, CONDITIONAL_SPACE, 'minimize', 0);
  fixture.history.forEach((h, number) => sampler.tell({ number, state: 'complete', params: h.params, value: h.value, intermediate: [] }));
  const branches: Record<string, number> = {};
  const draws: Record<string, number[]> = { s: [], w: [], u: [] };
  for (let i = 0; i < ASKS; i++) {
    const p = sampler.ask(fixture.history.length + i, []);
    const branch = p.kind === 'nested' ? `nested/${String(p.mode)}` : String(p.kind);
    branches[branch] = (branches[branch] ?? 0) + 1 / ASKS;
    for (const k of ['s', 'w', 'u']) if (typeof p[k] === 'number') draws[k]!.push(p[k]);
  }
  const stats: Record<string, Stat> = {};
  for (const [k, xs] of Object.entries(draws)) {
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sorted = xs.slice().sort((a, b) => a - b);
    // Python's 'exclusive' method: the p-th quantile at position p·(n + 1) (1-based), interpolated.
    const q = (p: number) => {
      const pos = p * (sorted.length + 1) - 1;
      const lo = Math.max(0, Math.floor(pos));
      const hi = Math.min(sorted.length - 1, lo + 1);
      return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
    };
    stats[k] = { n: xs.length, mean, sd: Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length), quartiles: [q(0.25), q(0.5), q(0.75)] };
  }
  return { branches, stats };
}

describe(`TPE after a conditional history, against Optuna ${fixture.optuna}`, () => {
  it.each(['univariate', 'group'] as const)('%s: the same branch, and s, w, u distributed as Optuna suggests them', (variant) => {
    const mine = ours(variant);
    const theirs = fixture.results[variant];
    for (const [branch, share] of Object.entries(theirs.branches)) expect(mine.branches[branch] ?? 0, branch).toBeCloseTo(share, 1);
    for (const k of ['s', 'w', 'u'] as const) {
      const a = mine.stats[k]!;
      const b = theirs.stats[k];
      // Difference of two means: 5 standard errors.
      const se = Math.sqrt(a.sd ** 2 / a.n + b.sd ** 2 / b.n);
      expect(Math.abs(a.mean - b.mean), `${k} mean ${a.mean} vs ${b.mean}`).toBeLessThan(5 * se);
      // Quartiles (the draws have heavy tails, so not the standard deviation): within a fifth of Optuna's IQR.
      const iqr = b.quartiles[2] - b.quartiles[0];
      a.quartiles.forEach((x, i) => expect(Math.abs(x - b.quartiles[i]!), `${k} quartile ${i + 1}: ${x} vs ${b.quartiles[i]}`).toBeLessThan(0.2 * iqr));
    }
  });

  it('the two fits are told apart by this comparison', () => {
    const { univariate: u, group: g } = fixture.results;
    const se = Math.sqrt(u.stats.s.sd ** 2 / u.stats.s.n + g.stats.s.sd ** 2 / g.stats.s.n);
    expect(Math.abs(u.stats.s.mean - g.stats.s.mean)).toBeGreaterThan(10 * se);
    for (const k of ['s', 'w', 'u'] as const) {
      const iqr = g.stats[k].quartiles[2] - g.stats[k].quartiles[0];
      expect(Math.abs(u.stats[k].quartiles[1] - g.stats[k].quartiles[1]), k).toBeGreaterThan(0.5 * iqr);
    }
  });

  it("group's default (neighbour bandwidths, Optuna >= 5.0) is told apart from 3.1's by this comparison", () => {
    // The same history and draws, the default joint kernels: s concentrates
    // on the good trials' values instead of Optuna 3.1's wide Scott kernels.
    const mine = ours('group', true).stats.s!;
    const b = fixture.results.group.stats.s;
    const se = Math.sqrt(mine.sd ** 2 / mine.n + b.sd ** 2 / b.n);
    expect(Math.abs(mine.mean - b.mean)).toBeGreaterThan(5 * se);
    expect(mine.quartiles[2] - mine.quartiles[0]).toBeLessThan(b.quartiles[2] - b.quartiles[0]);
  });
});
