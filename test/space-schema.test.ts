// Search-space files: the shipped spaces load, and every validation rule
// rejects a malformed file with the file name, the key path and what is expected.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HypersweepError } from '../src/errors.js';
import { loadSpaceFile, parseDuration, parseSpaceText, validateStudySpec } from '../src/space/index.js';

const repo = path.resolve(import.meta.dirname, '..');
const spaces = path.join(repo, 'search-spaces');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-space-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

type Raw = Record<string, unknown> & { params: Record<string, unknown> };

/** A valid MLP space, to break one rule at a time. */
function valid(): Raw {
  return {
    name: 'test-space',
    objective: { model: 'mlp' },
    dataset: 'mnist',
    metric: 'val_accuracy',
    direction: 'maximize',
    params: {
      alpha0: { type: 'float', low: 0.01, high: 10, log: true },
      batch_size: { type: 'categorical', choices: [16, 32] },
      init: { type: 'categorical', choices: ['zero', 'glorot'] },
    },
    budget: { trials: 10 },
  };
}

/** The error validating `raw` gives, as the one-line message. */
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

function broken(change: (raw: Raw) => void): string {
  const raw = valid();
  change(raw);
  return problem(raw);
}

describe('shipped search spaces', () => {
  it('mlp-mnist.yaml searches alpha0, delta, lambda (log, or 0), batch_size and init', () => {
    const spec = loadSpaceFile(path.join(spaces, 'mlp-mnist.yaml'));
    expect(spec.name).toBe('mlp-mnist');
    expect(spec.objective).toEqual({ kind: 'model', model: 'mlp' });
    expect(spec.dataset).toEqual({ name: 'mnist', trainSubset: null });
    expect(spec.metric).toBe('val_accuracy');
    expect(spec.direction).toBe('maximize');
    expect(Object.keys(spec.params)).toEqual(['alpha0', 'delta', 'lambda', 'batch_size', 'init']);
    expect(spec.params.alpha0).toEqual({ type: 'float', low: 0.01, high: 10, log: true, step: null, includeZero: false });
    expect(spec.params.delta).toEqual({ type: 'float', low: 1e-5, high: 1, log: true, step: null, includeZero: false });
    expect(spec.params.lambda).toEqual({ type: 'float', low: 1e-6, high: 0.1, log: true, step: null, includeZero: true });
    expect(spec.params.batch_size).toEqual({ type: 'categorical', choices: [16, 32, 64, 128, 256] });
    expect(spec.params.init).toEqual({ type: 'categorical', choices: ['zero', 'normal', 'glorot'] });
    expect(spec.fixed).toEqual({ epochs: 10 });
    expect(spec.sampler.type).toBe('tpe');
    expect(spec.sampler.seed).toBe(0);
    expect(spec.budget.trials).toBe(100);
    expect(spec.budget.timeSeconds).toBe(4 * 3600);
  });

  it('mlp-quick.yaml is the same search, 2 epochs on a 10,000-image subset', () => {
    const quick = loadSpaceFile(path.join(spaces, 'mlp-quick.yaml'));
    const full = loadSpaceFile(path.join(spaces, 'mlp-mnist.yaml'));
    expect(quick.params).toEqual(full.params);
    expect(quick.fixed).toEqual({ epochs: 2 });
    expect(quick.dataset).toEqual({ name: 'mnist', trainSubset: 10000 });
  });

  it('mlp-init-compare.yaml is a grid over the three inits at the homework settings', () => {
    const spec = loadSpaceFile(path.join(spaces, 'mlp-init-compare.yaml'));
    expect(spec.sampler.type).toBe('grid');
    expect(spec.params.init).toEqual({ type: 'categorical', choices: ['zero', 'normal', 'glorot'] });
    expect(spec.params.alpha0).toEqual({ type: 'fixed', value: 4 });
    expect(spec.params.delta).toEqual({ type: 'fixed', value: 2e-3 });
    expect(spec.params.lambda).toEqual({ type: 'fixed', value: 1e-4 });
    expect(spec.params.batch_size).toEqual({ type: 'fixed', value: 32 });
    expect(spec.fixed).toEqual({ epochs: 10 });
    expect(spec.budget.trials).toBe(3);
  });

  it('the example module space resolves its module next to the file', () => {
    const spec = loadSpaceFile(path.join(spaces, 'examples', 'sgd-rosenbrock.yaml'));
    expect(spec.objective).toEqual({
      kind: 'module',
      module: './sgd-rosenbrock.mjs',
      path: path.join(spaces, 'examples', 'sgd-rosenbrock.mjs'),
    });
    expect(spec.metric).toBe('value');
    expect(spec.direction).toBe('minimize');
  });

  it('a JSON file loads like YAML', () => {
    const file = path.join(tmp, 'space.json');
    fs.writeFileSync(file, JSON.stringify(valid()));
    expect(loadSpaceFile(file).params.alpha0).toMatchObject({ type: 'float', log: true });
  });

  it('a test function without params gets its usual domain; metric and direction default', () => {
    const spec = validateStudySpec({ name: 'r', objective: { function: 'rosenbrock', dims: 5 }, budget: { trials: 3 } }, 'f.yaml');
    expect(Object.keys(spec.params)).toEqual(['x1', 'x2', 'x3', 'x4', 'x5']);
    expect(spec.params.x3).toMatchObject({ type: 'float', low: -5, high: 10 });
    expect(spec.objective).toEqual({ kind: 'function', function: 'rosenbrock', dims: 5 });
    expect(spec.metric).toBe('value');
    expect(spec.direction).toBe('minimize');
  });

  it('a grid space without a budget runs its whole grid', () => {
    const raw = valid();
    raw.params.alpha0 = { type: 'float', low: 0.1, high: 0.5, step: 0.1 };
    raw.sampler = { type: 'grid' };
    delete raw.budget;
    expect(validateStudySpec(raw, 'g.yaml').budget.trials).toBe(5 * 2 * 2);
  });

  it('reads tpe options in snake_case over Optuna-like defaults', () => {
    const raw = valid();
    raw.sampler = { type: 'tpe', seed: 7, options: { n_startup_trials: 3, multivariate: true } };
    const spec = validateStudySpec(raw, 's.yaml');
    expect(spec.sampler).toMatchObject({ type: 'tpe', seed: 7 });
    if (spec.sampler.type !== 'tpe') throw new Error('tpe expected');
    expect(spec.sampler.options).toMatchObject({ nStartupTrials: 3, multivariate: true, nEiCandidates: 24, gamma: 0.1, gammaMax: 25 });
  });

  it('parses durations', () => {
    expect(parseDuration('90s')).toBe(90);
    expect(parseDuration('30m')).toBe(1800);
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration('1.5h')).toBe(5400);
    expect(parseDuration('soon')).toBeNull();
    expect(parseDuration('10')).toBeNull();
  });
});

describe('each rule rejects a malformed space, naming the key path', () => {
  it('missing name', () => {
    expect(broken((r) => delete r.name)).toBe('space.yaml: name: missing (expected a string)');
  });
  it('a study name that is not a folder name', () => {
    expect(broken((r) => (r.name = 'a/b'))).toMatch(/^space\.yaml: name: expected a name of letters/);
  });
  it('low > high', () => {
    expect(broken((r) => (r.params.alpha0 = { type: 'float', low: 5, high: 1 }))).toBe(
      'space.yaml: params.alpha0.low: must be less than high (1), got 5; use a plain value for a constant',
    );
  });
  it('low == high on an int', () => {
    expect(broken((r) => (r.params.batch_size = { type: 'int', low: 32, high: 32 }))).toMatch(/params\.batch_size\.low: must be less than high/);
  });
  it('log with low <= 0', () => {
    expect(broken((r) => (r.params.alpha0 = { type: 'float', low: 0, high: 1, log: true }))).toBe(
      'space.yaml: params.alpha0.low: must be > 0 when log is true, got 0',
    );
  });
  it('log together with step', () => {
    expect(broken((r) => (r.params.alpha0 = { type: 'float', low: 0.1, high: 1, log: true, step: 0.1 }))).toContain(
      'params.alpha0.step: cannot be combined with log: true',
    );
  });
  it('log int needs low >= 1 and step 1', () => {
    expect(broken((r) => (r.params.h1 = { type: 'int', low: 0, high: 8, log: true }))).toContain('params.h1.low: must be >= 1 when log is true');
    expect(broken((r) => (r.params.h1 = { type: 'int', low: 1, high: 9, log: true, step: 2 }))).toContain('params.h1.step: must be 1 when log is true');
  });
  it('a range that is not a multiple of the step', () => {
    expect(broken((r) => (r.params.delta = { type: 'float', low: 0, high: 1, step: 0.3 }))).toBe(
      'space.yaml: params.delta.high: high - low = 1 is not a multiple of step 0.3',
    );
  });
  it('include_zero on a linear float', () => {
    expect(broken((r) => (r.params.lambda = { type: 'float', low: 0.1, high: 1, include_zero: true }))).toContain(
      'params.lambda.include_zero: only applies with log: true',
    );
  });
  it('a parameter without a type', () => {
    expect(broken((r) => (r.params.alpha0 = { low: 1, high: 2 }))).toBe(
      'space.yaml: params.alpha0.type: missing (expected one of float, int, categorical)',
    );
  });
  it('an unknown parameter type', () => {
    expect(broken((r) => (r.params.alpha0 = { type: 'uniform', low: 1, high: 2 }))).toBe(
      'space.yaml: params.alpha0.type: expected one of float, int, categorical, got "uniform"',
    );
  });
  it('a wrongly typed bound', () => {
    expect(broken((r) => (r.params.alpha0 = { type: 'float', low: 'small', high: 2 }))).toBe(
      'space.yaml: params.alpha0.low: expected a number, got "small"',
    );
  });
  it('empty or duplicate categorical choices', () => {
    expect(broken((r) => (r.params.init = { type: 'categorical', choices: [] }))).toContain('params.init.choices: expected at least 1 item(s)');
    expect(broken((r) => (r.params.init = { type: 'categorical', choices: ['zero', 'zero'] }))).toContain(
      'params.init.choices[1]: duplicate of choices[0] ("zero")',
    );
  });
  it('a null parameter value', () => {
    expect(broken((r) => (r.params.alpha0 = null))).toContain('params.alpha0: expected a fixed value or a mapping with type');
  });
  it('an unknown sampler', () => {
    expect(broken((r) => (r.sampler = { type: 'cmaes' }))).toBe('space.yaml: sampler.type: expected one of tpe, random, grid, gp, auto, got "cmaes"');
  });
  it('the grid sampler with a continuous parameter', () => {
    expect(broken((r) => (r.sampler = { type: 'grid' }))).toBe(
      'space.yaml: params.alpha0: the grid sampler needs a finite set of values: give a step (not with log) or make it categorical',
    );
  });
  it('an unknown key, at the top and inside a parameter', () => {
    expect(broken((r) => (r.trails = 5))).toMatch(/^space\.yaml: trails: unknown key \(expected one of: name, description, objective/);
    expect(broken((r) => (r.params.alpha0 = { type: 'float', low: 1, high: 2, lgo: true }))).toBe(
      'space.yaml: params.alpha0.lgo: unknown key (expected one of: type, low, high, log, step, include_zero, when)',
    );
  });
  it('unknown or out-of-range sampler options', () => {
    const message = broken((r) => (r.sampler = { type: 'tpe', options: { n_startup: 3, gamma: 2 } }));
    expect(message).toContain('sampler.options.gamma: expected a number <= 1, got 2');
    expect(message).toContain('sampler.options.n_startup: unknown key');
    expect(broken((r) => (r.sampler = { type: 'random', options: { gamma: 0.2 } }))).toContain(
      'sampler.options.gamma: unknown key (the random sampler takes no options)',
    );
  });
  it('a seed outside [0, 2^32)', () => {
    expect(broken((r) => (r.sampler = { type: 'random', seed: -1 }))).toBe('space.yaml: sampler.seed: expected a number >= 0, got -1');
  });
  it('an MLP parameter name that does not exist, listing the valid ones', () => {
    expect(broken((r) => (r.params.alpha = 0.1))).toBe(
      'space.yaml: params.alpha: unknown parameter for model mlp (valid: alpha0, delta, lambda, batch_size, init, h1, h2, activation, epochs, seed)',
    );
  });
  it('MLP parameter values of the wrong kind', () => {
    expect(broken((r) => (r.params.init = { type: 'categorical', choices: ['zero', 'xavier'] }))).toBe(
      'space.yaml: params.init.choices[1]: init takes one of zero, normal, glorot, got "xavier"',
    );
    expect(broken((r) => (r.params.batch_size = { type: 'float', low: 1, high: 3 }))).toContain(
      'params.batch_size.type: batch_size takes integers: expected int or categorical',
    );
    expect(broken((r) => (r.params.h1 = { type: 'int', low: 0, high: 8 }))).toContain('params.h1.low: h1 takes an integer >= 1, got 0');
  });
  it('an unknown metric, a missing direction', () => {
    expect(broken((r) => (r.metric = 'accuracy'))).toContain('metric: expected one of train_loss, train_accuracy, val_loss, val_accuracy, test_accuracy');
    expect(broken((r) => delete r.direction)).toBe('space.yaml: direction: missing (expected maximize or minimize)');
    expect(broken((r) => (r.direction = 'up'))).toBe('space.yaml: direction: expected one of maximize, minimize, got "up"');
  });
  it('a missing or ambiguous objective', () => {
    expect(broken((r) => delete r.objective)).toBe('space.yaml: objective: missing (expected one of {model: …}, {module: …}, {function: …})');
    expect(broken((r) => (r.objective = { model: 'mlp', function: 'branin' }))).toBe(
      'space.yaml: objective: expected exactly one of model, module, function, got model and function',
    );
    expect(broken((r) => (r.objective = { model: 'resnet' }))).toContain('objective.model: expected one of mlp, cnn-light, cnn, catsdogs');
  });
  it('a module that does not exist', () => {
    expect(broken((r) => (r.objective = { module: './nope.mjs' }))).toBe(`space.yaml: objective.module: file not found: ${path.join(tmp, 'nope.mjs')}`);
  });
  it('a dataset the model does not know', () => {
    expect(broken((r) => (r.dataset = 'cifar10'))).toBe('space.yaml: dataset: expected one of mnist, fashion-mnist, got "cifar10"');
    expect(broken((r) => delete r.dataset)).toBe('space.yaml: dataset: missing (expected a dataset name: mnist, fashion-mnist)');
  });
  it('test function parameters that do not match the function', () => {
    const message = problem({ name: 'b', objective: { function: 'branin' }, params: { x1: { type: 'float', low: 0, high: 1 }, x3: 1 }, budget: { trials: 3 } });
    expect(message).toContain('params.x3: unknown parameter for function branin (valid: x1, x2)');
    expect(message).toContain('params: missing parameter x2 (branin takes x1, x2)');
    expect(problem({ name: 'b', objective: { function: 'hartmann6', dims: 3 }, budget: { trials: 3 } })).toContain(
      'objective.dims: hartmann6 has 6 dimensions, got 3',
    );
  });
  it('fixed settings: unknown, invalid, or given twice', () => {
    expect(broken((r) => (r.fixed = { epoch: 3 }))).toContain('fixed.epoch: unknown setting for model mlp');
    expect(broken((r) => (r.fixed = { epochs: 0 }))).toBe('space.yaml: fixed.epochs: epochs takes an integer >= 1, got 0');
    expect(broken((r) => (r.fixed = { alpha0: 1 }))).toBe('space.yaml: fixed.alpha0: alpha0 is also in params; give it in one place');
  });
  it('a missing or invalid budget', () => {
    expect(broken((r) => delete r.budget)).toBe('space.yaml: budget.trials: missing (expected the total number of trials, an integer >= 1)');
    expect(broken((r) => (r.budget = { trials: 0 }))).toBe('space.yaml: budget.trials: expected a number >= 1, got 0');
    expect(broken((r) => (r.budget = { trials: 5, time: 'soon' }))).toContain('budget.time: expected seconds or a duration like 90s, 30m, 2h, 1h30m, got "soon"');
  });
  it('reports every problem at once', () => {
    const message = broken((r) => {
      delete r.name;
      r.params.alpha0 = { type: 'float', low: 0, high: 1, log: true };
      r.sampler = { type: 'cmaes' };
    });
    expect(message.split('; ')).toHaveLength(3);
  });
  it('a file that is not a mapping', () => {
    expect(problem([1, 2])).toBe('space.yaml: (top level): expected a mapping of keys (name, objective, params, …), got a list');
  });
});

describe('reading files', () => {
  it('a YAML syntax error names the file, line and column', () => {
    expect(() => parseSpaceText('name: x\nparams:\n  a: [1,\n  b: 2\n', 'bad.yaml')).toThrow(/^bad\.yaml:4:3: /);
  });
  it('a key given twice is an error', () => {
    expect(() => parseSpaceText('name: x\nname: y\n', 'dup.yaml')).toThrow('dup.yaml:2:1: Map keys must be unique');
  });
  it('reads 1e-6 as a number (YAML 1.2)', () => {
    expect(parseSpaceText('a: 1e-6\nb: 1.0e-5\n', 'n.yaml')).toEqual({ a: 1e-6, b: 1e-5 });
  });
  it('a missing file is a clear error', () => {
    expect(() => loadSpaceFile(path.join(tmp, 'missing.yaml'))).toThrow(/cannot read search-space file .*missing\.yaml/);
  });
});
