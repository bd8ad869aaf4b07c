// Grid search: every combination once, in a fixed order; resumable from the
// trials told; refuses what it cannot enumerate; says when it is exhausted.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HypersweepError } from '../src/errors.js';
import { GridSampler } from '../src/samplers/grid.js';
import { createSampler, type FinishedTrial } from '../src/samplers/sampler.js';
import type { Params, SearchSpace } from '../src/space/distributions.js';
import { loadSpaceFile } from '../src/space/load.js';

const SPACE: SearchSpace = {
  opt: { type: 'categorical', choices: ['sgd', 'adam'] },
  lr: { type: 'float', low: 0.1, high: 0.3, log: false, step: 0.1, includeZero: false },
  width: { type: 'int', low: 16, high: 48, log: false, step: 16 },
  epochs: { type: 'fixed', value: 3 },
};

const finished = (number: number, params: Params, state: FinishedTrial['state'] = 'complete'): FinishedTrial => ({
  number,
  state,
  params,
  value: state === 'complete' ? number : null,
  intermediate: [],
});

function runAll(sampler: GridSampler): Params[] {
  const out: Params[] = [];
  for (let t = 0; t < sampler.capacity; t++) {
    const params = sampler.ask(t, []);
    out.push(params);
    sampler.tell(finished(t, params));
  }
  return out;
}

describe('grid sampler', () => {
  it('visits every combination exactly once, first parameter outermost', () => {
    const grid = new GridSampler(SPACE);
    expect(grid.capacity).toBe(2 * 3 * 3);
    const all = runAll(grid);
    expect(new Set(all.map((p) => JSON.stringify(p))).size).toBe(18);
    expect(all.slice(0, 4)).toEqual([
      { opt: 'sgd', lr: 0.1, width: 16, epochs: 3 },
      { opt: 'sgd', lr: 0.1, width: 32, epochs: 3 },
      { opt: 'sgd', lr: 0.1, width: 48, epochs: 3 },
      { opt: 'sgd', lr: 0.2, width: 16, epochs: 3 },
    ]);
    expect(all[17]).toEqual({ opt: 'adam', lr: 0.3, width: 48, epochs: 3 });
    // Exact step values (0.3, not 0.1 + 2·0.1 = 0.30000000000000004).
    expect(new Set(all.map((p) => p.lr))).toEqual(new Set([0.1, 0.2, 0.3]));
  });

  it('then reports exhaustion', () => {
    const grid = new GridSampler(SPACE);
    runAll(grid);
    expect(() => grid.ask(18, [])).toThrow(expect.objectContaining({ code: 'E_GRID_EXHAUSTED' }));
  });

  it('skips points held by running trials (parallel workers get distinct points)', () => {
    const grid = new GridSampler(SPACE);
    const first = grid.ask(0, []);
    const second = grid.ask(1, [{ number: 0, params: first }]);
    const third = grid.ask(2, [
      { number: 0, params: first },
      { number: 1, params: second },
    ]);
    expect(new Set([first, second, third].map((p) => JSON.stringify(p))).size).toBe(3);
    expect(third).toEqual(grid.point(2));
  });

  it('rebuilt from the told trials, goes on where the first one stopped', () => {
    const a = new GridSampler(SPACE);
    const history: FinishedTrial[] = [];
    for (let t = 0; t < 7; t++) {
      const params = a.ask(t, []);
      history.push(finished(t, params, t === 3 ? 'failed' : t === 5 ? 'pruned' : 'complete'));
      a.tell(history[t]!);
    }
    const b = new GridSampler(SPACE);
    for (const trial of [...history].reverse()) b.tell(trial); // any order
    for (let t = 7; t < 18; t++) {
      const params = a.ask(t, []);
      expect(b.ask(t, [])).toEqual(params);
      a.tell(finished(t, params));
      b.tell(finished(t, params));
    }
  });

  it('does not retry a failed point by itself, and ignores params off the grid', () => {
    const grid = new GridSampler(SPACE);
    grid.tell(finished(0, grid.point(0), 'failed'));
    grid.tell(finished(1, { opt: 'sgd', lr: 0.15, width: 16, epochs: 3 })); // not a grid point
    expect(grid.ask(2, [])).toEqual(grid.point(1));
  });

  it('refuses a continuous parameter with a clear error', () => {
    const space: SearchSpace = { ...SPACE, alpha: { type: 'float', low: 0.01, high: 1, log: true, step: null, includeZero: false } };
    let error: unknown;
    try {
      createSampler({ type: 'grid', seed: null }, space, 'minimize', 0);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(HypersweepError);
    expect((error as HypersweepError).code).toBe('E_GRID_CONTINUOUS');
    expect((error as HypersweepError).message).toBe(
      'the grid sampler cannot enumerate parameter "alpha" (float [0.01, 1] log): it has no finite set of values',
    );
  });

  it('refuses a trial told twice', () => {
    const grid = new GridSampler(SPACE);
    grid.tell(finished(0, grid.point(0)));
    expect(() => grid.tell(finished(0, grid.point(0)))).toThrow(expect.objectContaining({ code: 'E_SAMPLER_TOLD_TWICE' }));
  });

  it('runs mlp-init-compare.yaml as zero, normal, glorot at the pinned settings', () => {
    const spec = loadSpaceFile(path.resolve(import.meta.dirname, '..', 'search-spaces', 'mlp-init-compare.yaml'));
    const grid = createSampler(spec.sampler, spec.params, spec.direction, 0);
    expect(grid.capacity).toBe(3);
    const inits = [0, 1, 2].map((t) => {
      const params = grid.ask(t, []);
      grid.tell(finished(t, params));
      expect(params).toMatchObject({ alpha0: 4, delta: 2e-3, lambda: 1e-4, batch_size: 32 });
      return params.init;
    });
    expect(inits).toEqual(['zero', 'normal', 'glorot']);
  });
});
