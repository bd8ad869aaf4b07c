// The built-in test functions (known optima) and the example module objective.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TEST_FUNCTIONS, evaluateTestFunction } from '../src/trials/functions.js';

describe('test functions', () => {
  it('branin reaches 5/(4π) at its three minimisers and more elsewhere', () => {
    const b = TEST_FUNCTIONS.branin;
    const best = b.optimum(2).value;
    expect(best).toBeCloseTo(0.397887, 6);
    for (const x of [
      [-Math.PI, 12.275],
      [Math.PI, 2.275],
      [9.42478, 2.475],
    ]) {
      expect(b.evaluate(x)).toBeCloseTo(best, 9);
    }
    expect(b.evaluate([0, 0])).toBeGreaterThan(best + 1);
  });

  it('hartmann6 reaches -3.32237 at its minimiser, which no small step improves', () => {
    const h = TEST_FUNCTIONS.hartmann6;
    const { value, at } = h.optimum(6);
    expect(value).toBeCloseTo(-3.32237, 5);
    expect(h.evaluate(at)).toBeCloseTo(value, 7);
    for (let i = 0; i < 6; i++) {
      for (const step of [-1e-3, 1e-3]) {
        const x = at.slice();
        x[i] = x[i]! + step;
        expect(h.evaluate(x)).toBeGreaterThan(value);
      }
    }
  });

  it('rosenbrock is 0 at (1, …, 1) in any dimension and positive elsewhere', () => {
    const r = TEST_FUNCTIONS.rosenbrock;
    for (const dims of [2, 5, 10]) {
      expect(r.evaluate(r.optimum(dims).at)).toBe(0);
      expect(r.paramNames(dims)).toHaveLength(dims);
    }
    expect(r.evaluate([0, 0, 0, 0, 0])).toBe(4);
    expect(r.evaluate([-1, 1])).toBe(4);
  });

  it('evaluates from a trial’s params by name', () => {
    expect(evaluateTestFunction('rosenbrock', { x1: 1, x2: 1, x3: 1 }, 3)).toBe(0);
    expect(() => evaluateTestFunction('branin', { x1: 1 }, 2)).toThrow(/x2 must be a number/);
  });
});

describe('example module objective', () => {
  it('exports objective(params, ctx), reports intermediate values and returns {value, metrics}', async () => {
    const file = path.resolve(import.meta.dirname, '..', 'search-spaces', 'examples', 'sgd-rosenbrock.mjs');
    const mod = (await import(pathToFileURL(file).href)) as {
      objective: (params: Record<string, number>, ctx: unknown) => Promise<{ value: number; metrics: Record<string, number> }>;
    };
    const reports: Array<[number, number]> = [];
    const ctx = { report: (step: number, value: number) => reports.push([step, value]), shouldPrune: () => false };
    const good = await mod.objective({ lr: 1e-3, momentum: 0.9, steps: 500 }, ctx);
    expect(good.value).toBeLessThan(0.5);
    expect(reports.map(([s]) => s)).toEqual([50, 100, 150, 200, 250, 300, 350, 400, 450, 500]);
    const slow = await mod.objective({ lr: 1e-5, momentum: 0, steps: 500 }, ctx);
    expect(slow.value).toBeGreaterThan(good.value);
    await expect(mod.objective({ lr: 1e-2, momentum: 0.99, steps: 500 }, ctx)).rejects.toThrow(/diverged/);
  });

  it('stops early when the pruner says so', async () => {
    const file = path.resolve(import.meta.dirname, '..', 'search-spaces', 'examples', 'sgd-rosenbrock.mjs');
    const mod = (await import(pathToFileURL(file).href)) as {
      objective: (params: Record<string, number>, ctx: unknown) => Promise<{ value: number }>;
    };
    const steps: number[] = [];
    await mod.objective({ lr: 1e-3, momentum: 0.5, steps: 500 }, { report: (s: number) => steps.push(s), shouldPrune: async () => true });
    expect(steps).toEqual([50]);
  });
});
