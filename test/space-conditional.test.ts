// Conditional parameters in space files (`when:`): what loads, what a mistake
// says at load time (file, key path, what is wrong), and the grid's size over
// only the valid combinations.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HypersweepError } from '../src/errors.js';
import { activeOnly, decisionOrder, isActive } from '../src/space/conditions.js';
import { GridPoints } from '../src/space/grid-points.js';
import { gridSize, loadSpaceFile, validateStudySpec } from '../src/space/index.js';
import { createSampler } from '../src/samplers/sampler.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-cond-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const moduleFile = path.join(tmp, 'objective.mjs');
fs.writeFileSync(moduleFile, 'export async function objective() { return 0; }\n');

type Params = Record<string, unknown>;

function space(params: Params, sampler: Params = { type: 'tpe' }): Params {
  return { name: 'cond', objective: { module: './objective.mjs' }, direction: 'minimize', params, sampler, budget: { trials: 5 } };
}

const OPT = { type: 'categorical', choices: ['sgd', 'momentum', 'adam'] };

function problem(raw: unknown): string {
  try {
    validateStudySpec(raw, 'space.yaml', tmp);
  } catch (err) {
    expect(err).toBeInstanceOf(HypersweepError);
    expect((err as HypersweepError).code).toBe('E_SPACE_INVALID');
    return (err as HypersweepError).message;
  }
  throw new Error('expected the space to be rejected');
}

describe('when: loads', () => {
  it('a value or a list of values, several levels deep, parents named after their children', () => {
    const spec = validateStudySpec(
      space({
        // Named before its parent: the decision order still puts the parent first.
        nesterov: { type: 'categorical', choices: [true, false], when: { optimizer: 'momentum' } },
        optimizer: OPT,
        momentum: { type: 'float', low: 0.5, high: 0.99, when: { optimizer: 'momentum' } },
        dampening: { type: 'float', low: 0, high: 0.5, when: { nesterov: false } },
        beta2: { type: 'float', low: 0.9, high: 0.9999, when: { optimizer: ['adam'] } },
        decay: { type: 'float', low: 0, high: 1, when: { optimizer: ['momentum', 'adam'] } },
        lr: { type: 'float', low: 1e-4, high: 1, log: true },
      }),
      'space.yaml',
      tmp,
    );
    expect(spec.params.momentum!.when).toEqual([{ param: 'optimizer', values: ['momentum'] }]);
    expect(spec.params.decay!.when).toEqual([{ param: 'optimizer', values: ['momentum', 'adam'] }]);
    expect(spec.params.lr!.when).toBeUndefined();
    expect(decisionOrder(spec.params)).toEqual(['optimizer', 'nesterov', 'momentum', 'dampening', 'beta2', 'decay', 'lr']);
    // Active sets: a grandchild needs its parent active too.
    expect(Object.keys(activeOnly(spec.params, { optimizer: 'adam', nesterov: false, momentum: 0.9, dampening: 0.1, beta2: 0.99, decay: 0.5, lr: 0.1 }))).toEqual([
      'optimizer',
      'beta2',
      'decay',
      'lr',
    ]);
    expect(Object.keys(activeOnly(spec.params, { optimizer: 'momentum', nesterov: false, momentum: 0.9, dampening: 0.1, beta2: 0.99, decay: 0.5, lr: 0.1 }))).toEqual([
      'nesterov',
      'optimizer',
      'momentum',
      'dampening',
      'decay',
      'lr',
    ]);
    expect(isActive(spec.params.dampening!, { optimizer: 'momentum', nesterov: true })).toBe(false);
    expect(isActive(spec.params.dampening!, { nesterov: null })).toBe(false);
  });

  it('a fixed parent (e.g. pinned by --set) leaves the other branches inactive, without an error', () => {
    const file = path.join(tmp, 'pinned.yaml');
    fs.writeFileSync(
      file,
      [
        'name: pinned',
        'objective: {module: ./objective.mjs}',
        'direction: minimize',
        'params:',
        '  optimizer: {type: categorical, choices: [sgd, momentum, adam]}',
        '  momentum: {type: float, low: 0.5, high: 0.99, when: {optimizer: momentum}}',
        'budget: {trials: 3}',
      ].join('\n'),
    );
    const spec = loadSpaceFile(file, { optimizer: 'adam' });
    expect(spec.params.optimizer).toEqual({ type: 'fixed', value: 'adam' });
    expect(activeOnly(spec.params, { optimizer: 'adam', momentum: 0.9 })).toEqual({ optimizer: 'adam' });
  });
});

describe('when: mistakes are load-time errors naming the key', () => {
  it('an unknown parent', () => {
    expect(problem(space({ optimizer: OPT, momentum: { type: 'float', low: 0, high: 1, when: { optimiser: 'momentum' } } }))).toBe(
      'space.yaml: params.momentum.when.optimiser: unknown parameter "optimiser" (parameters: optimizer, momentum)',
    );
  });

  it('a value outside the parent\'s choices', () => {
    expect(problem(space({ optimizer: OPT, momentum: { type: 'float', low: 0, high: 1, when: { optimizer: ['momentum', 'nesterov'] } } }))).toBe(
      'space.yaml: params.momentum.when.optimizer: "nesterov" is not among optimizer\'s choices ("sgd", "momentum", "adam")',
    );
  });

  it('a parent that is not categorical', () => {
    expect(problem(space({ layers: { type: 'int', low: 1, high: 3 }, h3: { type: 'int', low: 8, high: 64, when: { layers: 3 } } }))).toBe(
      'space.yaml: params.h3.when.layers: a condition can only name a categorical parameter, and layers is int [1, 3]; make layers categorical with the values to branch on',
    );
  });

  it('a cycle, and a parameter naming itself', () => {
    expect(
      problem(
        space({
          a: { type: 'categorical', choices: [1, 2], when: { c: 1 } },
          b: { type: 'categorical', choices: [1, 2], when: { a: 1 } },
          c: { type: 'categorical', choices: [1, 2], when: { b: 2 } },
        }),
      ),
    ).toBe('space.yaml: params.a.when: conditions form a cycle: a → c → b → a (a parameter\'s parents must not depend on it)');
    expect(problem(space({ a: { type: 'categorical', choices: [1, 2], when: { a: 1 } } }))).toBe('space.yaml: params.a.when.a: a cannot depend on itself (a cycle)');
  });

  it('a parameter that can never be active (its parent is inactive in that branch)', () => {
    expect(
      problem(
        space({
          optimizer: OPT,
          nesterov: { type: 'categorical', choices: [true, false], when: { optimizer: 'momentum' } },
          // nesterov exists only for momentum, so "optimizer: adam and nesterov: true" never happens.
          dampening: { type: 'float', low: 0, high: 0.5, when: { nesterov: true, optimizer: 'adam' } },
        }),
      ),
    ).toBe(
      'space.yaml: params.dampening.when: dampening can never be active: the conditions of nesterov and dampening need optimizer to take values that exclude each other; check the when: of dampening and of its parents',
    );
  });

  it('a malformed when', () => {
    expect(problem(space({ optimizer: OPT, m: { type: 'float', low: 0, high: 1, when: 'optimizer' } }))).toBe(
      'space.yaml: params.m.when: expected a mapping, got "optimizer"',
    );
    expect(problem(space({ optimizer: OPT, m: { type: 'float', low: 0, high: 1, when: { optimizer: [] } } }))).toMatch(/params\.m\.when\.optimizer: expected at least 1 item/);
  });

  it('a grid over a conditional space with a continuous branch', () => {
    expect(
      problem(space({ optimizer: OPT, momentum: { type: 'float', low: 0.5, high: 0.99, when: { optimizer: 'momentum' } } }, { type: 'grid' })),
    ).toBe('space.yaml: params.momentum: the grid sampler needs a finite set of values: give a step (not with log) or make it categorical');
  });

  it('group without multivariate', () => {
    expect(problem(space({ optimizer: OPT }, { type: 'tpe', options: { group: true } }))).toBe(
      'space.yaml: sampler.options.group: needs multivariate: true as well (groups are joint estimators, as in Optuna)',
    );
  });
});

describe('grid over a conditional space', () => {
  const params = {
    optimizer: OPT,
    momentum: { type: 'float', low: 0.5, high: 0.9, step: 0.2, when: { optimizer: 'momentum' } }, // 3 values
    nesterov: { type: 'categorical', choices: [true, false], when: { optimizer: 'momentum' } },
    dampening: { type: 'categorical', choices: [0, 0.1, 0.2, 0.3], when: { nesterov: false } },
    beta2: { type: 'categorical', choices: [0.99, 0.999], when: { optimizer: 'adam' } },
    batch: { type: 'categorical', choices: [32, 64] },
  };

  it('counts only valid combinations: the budget defaults to that count', () => {
    // sgd: 1; momentum: 3 momenta × (nesterov true 1 + false 4) = 15; adam: 2 → 18, × 2 batches = 36.
    const spec = validateStudySpec({ ...space(params, { type: 'grid' }), budget: {} }, 'space.yaml', tmp);
    expect(gridSize(spec.params)).toBe(36);
    expect(spec.budget.trials).toBe(36);
  });

  it('enumerates each valid combination once, with only active params, and indexOf inverts point', () => {
    const spec = validateStudySpec({ ...space(params, { type: 'grid' }), budget: {} }, 'space.yaml', tmp);
    const grid = new GridPoints(spec.params);
    const seen = new Set<string>();
    for (let i = 0; i < grid.size; i++) {
      const p = grid.point(i);
      expect(activeOnly(spec.params, p)).toEqual(p);
      expect(p.momentum !== undefined).toBe(p.optimizer === 'momentum');
      expect(p.dampening !== undefined).toBe(p.nesterov === false);
      expect(grid.indexOf(p, (axis, v) => axis.values.indexOf(v))).toBe(i);
      seen.add(JSON.stringify(p));
    }
    expect(seen.size).toBe(36);
    // A value of an inactive parameter does not matter; a missing active one is not a point.
    expect(grid.indexOf({ ...grid.point(0), beta2: 0.99 }, (axis, v) => axis.values.indexOf(v))).toBe(0);
    expect(grid.indexOf({ optimizer: 'adam', batch: 32 }, (axis, v) => axis.values.indexOf(v))).toBeNull();
  });

  it('without conditions, the same order and size as plain nested loops', () => {
    const plain = { a: { type: 'categorical', choices: [1, 2, 3] }, b: { type: 'int', low: 0, high: 3 }, c: { type: 'categorical', choices: ['x', 'y'] } };
    const spec = validateStudySpec({ ...space(plain, { type: 'grid' }), budget: {} }, 'space.yaml', tmp);
    const grid = new GridPoints(spec.params);
    expect(grid.size).toBe(24);
    expect(grid.point(0)).toEqual({ a: 1, b: 0, c: 'x' });
    expect(grid.point(1)).toEqual({ a: 1, b: 0, c: 'y' });
    expect(grid.point(2)).toEqual({ a: 1, b: 1, c: 'x' });
    expect(grid.point(23)).toEqual({ a: 3, b: 3, c: 'y' });
  });
});

describe('shipped CNN spaces search each optimizer\'s own settings in its branch', () => {
  const spaces = path.resolve(import.meta.dirname, '..', 'search-spaces');
  it.each(['cnn-mnist.yaml', 'cnn-light.yaml', 'catsdogs.yaml'])('%s', (file) => {
    const spec = loadSpaceFile(path.join(spaces, file), {}, { dataset: tmp });
    expect(spec.params.momentum!.when).toEqual([{ param: 'optimizer', values: ['momentum'] }]);
    expect(spec.params.rho!.when).toEqual([{ param: 'optimizer', values: ['rmsprop'] }]);
    expect(spec.params.beta1!.when).toEqual([{ param: 'optimizer', values: ['adam'] }]);
    expect(spec.params.beta2!.when).toEqual([{ param: 'optimizer', values: ['adam'] }]);
    const own: Record<string, string[]> = { sgd: [], momentum: ['momentum'], rmsprop: ['rho'], adam: ['beta1', 'beta2'] };
    const sampler = createSampler(spec.sampler, spec.params, spec.direction, 0);
    const seen = new Set<unknown>();
    for (let n = 0; n < 40; n++) {
      const p = sampler.ask(n, []);
      seen.add(p.optimizer);
      const present = ['momentum', 'rho', 'beta1', 'beta2'].filter((k) => k in p);
      expect(present).toEqual(own[p.optimizer as string]);
    }
    expect(seen.size).toBe(4);
  });

  it.each([['random'], ['tpe']] as const)('--set optimizer=adam: %s never suggests momentum or rho, always beta1 and beta2', (type) => {
    const spec = loadSpaceFile(path.join(spaces, 'cnn-mnist.yaml'), { optimizer: 'adam' });
    const samplerSpec = type === 'tpe' ? { ...spec.sampler, options: { ...(spec.sampler as { options: object }).options, nStartupTrials: 3 } } : { type, seed: null };
    const sampler = createSampler(samplerSpec as typeof spec.sampler, spec.params, spec.direction, 1);
    for (let t = 0; t < 12; t++) {
      const p = sampler.ask(t, []);
      expect(p.optimizer).toBe('adam');
      expect(['momentum', 'rho'].filter((k) => k in p)).toEqual([]);
      expect('beta1' in p && 'beta2' in p).toBe(true);
      sampler.tell({ number: t, state: 'complete', params: p, value: t % 5, intermediate: [] });
    }
  });
});
