// Multivariate TPE with group=True on a conditional space, against Optuna 3.1
// exactly (test/fixtures/optuna-conditional-parzen.json, made by
// test/fixtures/optuna-conditional-parzen.py): after the same 80-trial history
// of a real group-TPE study, the same groups (_SearchSpaceGroup), and per group
// the same l and g (the split over all finished trials, then only the trials
// where the group is active, weights, Scott bandwidths over the group's
// dimensions with a categorical, a log float and an integer among them, magic
// clip, prior): log l and log g equal to rounding at a grid of points. The
// statistical test (sampler-conditional-optuna.test.ts) covers the draws.
// These estimators use Optuna 3.1's joint bandwidths (ParzenOptions without
// jointBandwidth: Scott's rule), which the sampler's group TPE uses with
// jointBandwidth: 'scott'; by default it uses neighbour bandwidths as Optuna
// >= 5.0 (test/tpe-joint-bandwidth.test.ts).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONDITIONAL_SPACE } from '../bench/samplers-conditional-space.js';
import type { Params } from '../src/space/distributions.js';
import { DEFAULT_TPE_OPTIONS, type TpeOptions } from '../src/space/spec.js';
import { Arena } from '../src/samplers/tpe/arena.js';
import { buildDims, evaluationHigh, evaluationLow, internalValue } from '../src/samplers/tpe/dims.js';
import { badGroup, goodGroup, goodRows, type GroupShape } from '../src/samplers/tpe/groups.js';
import { ObservationStore } from '../src/samplers/tpe/observations.js';
import { ParzenEstimator, type Candidates } from '../src/samplers/tpe/parzen-estimator.js';
import { TpeSampler } from '../src/samplers/tpe/sampler.js';
import { gammaCount, rankingKey } from '../src/samplers/tpe/split.js';

interface Fixture {
  optuna: string;
  history: Array<{ params: Params; value: number }>;
  groups: Array<{ names: string[]; below: number; above: number; points: Params[]; logL: number[]; logG: number[] }>;
}
const fixture = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'fixtures', 'optuna-conditional-parzen.json'), 'utf8')) as Fixture;
const dims = buildDims(CONDITIONAL_SPACE);
const trials = fixture.history.map((h, number) => ({ number, state: 'complete' as const, params: h.params, value: h.value, intermediate: [] }));

/** Our l and g of one group after the history, as TpeSampler.ask builds them, evaluated at the points. */
function ours(names: string[], points: Params[], options: TpeOptions): { below: number; above: number; logL: number[]; logG: number[] } {
  const store = new ObservationStore(dims);
  for (const t of trials) {
    const key = rankingKey(t, 'minimize')!;
    store.add(t.number, key[0], key[1], dims.map((dim) => internalValue(dim, CONDITIONAL_SPACE[dim.param]!, t.params[dim.param])));
  }
  const arena = new Arena();
  const nBelow = gammaCount(options, store.count);
  const isBelow = arena.ints(store.count);
  for (let i = 0; i < nBelow; i++) isBelow[store.ranked.data[i]!] = 1;
  const ds = names.map((name) => dims.findIndex((d) => d.param === name));
  const shape: GroupShape = { ds, dims, multivariate: true, weights: options.weights, cache: null };
  const parzen = { ...options, multivariate: true };
  const groupDims = ds.map((d) => dims[d]!);
  const good = goodGroup(store, shape, goodRows(store, ds, nBelow, arena), arena);
  const bad = badGroup(store, shape, isBelow, [], arena);
  const l = new ParzenEstimator(groupDims, good, parzen, arena);
  const g = new ParzenEstimator(groupDims, bad, parzen, arena);
  // Candidates as the sampler's draws give them: choice indices, suggested values and where each is measured.
  const candidates: Candidates = {
    count: points.length,
    values: groupDims.map((dim) =>
      Float64Array.from(points, (p) => (dim.kind === 'cat' ? dim.choices.indexOf(p[dim.param] as string) : (p[dim.param] as number))),
    ),
    lo: groupDims.map((dim) => Float64Array.from(points, (p) => (dim.kind === 'num' ? evaluationLow(dim, p[dim.param] as number) : NaN))),
    hi: groupDims.map((dim) => Float64Array.from(points, (p) => (dim.kind === 'num' ? evaluationHigh(dim, p[dim.param] as number) : NaN))),
  };
  return { below: good.n, above: bad.n, logL: Array.from(l.logPdf(candidates)), logG: Array.from(g.logPdf(candidates)) };
}

describe(`multivariate TPE with group=True after a conditional history, against Optuna ${fixture.optuna} exactly`, () => {
  it('the same groups of parameters', () => {
    const tpe = new TpeSampler(CONDITIONAL_SPACE, 'minimize', 0, { ...DEFAULT_TPE_OPTIONS, multivariate: true, group: true });
    trials.forEach((t) => tpe.tell(t));
    const key = (gs: string[][]) => gs.map((g) => [...g].sort().join(',')).sort();
    expect(key(tpe.searchSpaceGroups())).toEqual(key(fixture.groups.map((g) => g.names)));
  });

  it.each(fixture.groups.map((g) => [g.names.join(','), g] as const))('group %s: the same l and g (observations, log densities)', (_, group) => {
    const mine = ours(group.names, group.points, DEFAULT_TPE_OPTIONS);
    expect([mine.below, mine.above]).toEqual([group.below, group.above]);
    mine.logL.forEach((x, i) => expect(x, `log l at ${JSON.stringify(group.points[i])}`).toBeCloseTo(group.logL[i]!, 10));
    mine.logG.forEach((x, i) => expect(x, `log g at ${JSON.stringify(group.points[i])}`).toBeCloseTo(group.logG[i]!, 10));
  });

  it('the comparison tells a different weighting of the observations apart', () => {
    // Control: with uniform weights (not Optuna's ramp beyond 25 observations) g of the always-active group differs.
    const group = fixture.groups.find((g) => g.names.includes('kind'))!;
    const mine = ours(group.names, group.points, { ...DEFAULT_TPE_OPTIONS, weights: 'uniform' });
    expect(Math.max(...mine.logG.map((x, i) => Math.abs(x - group.logG[i]!)))).toBeGreaterThan(1e-3);
  });
});
