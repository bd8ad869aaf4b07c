// Validation of a parsed space file into a StudySpec. zod checks the shape of
// each part (types, ranges, unknown keys); the rules that relate several keys
// (low < high, log needs low > 0, grid needs finite params, parameter names of
// the objective, …) are checked by hand below. Every problem found is reported,
// each with its key path, in one error.

import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { Errors } from '../errors.js';
import { TEST_FUNCTIONS, isTestFunctionName, type TestFunctionName } from '../trials/functions.js';
import { checkConditions } from './check-conditions.js';
import {
  finiteValues,
  type Condition,
  type Distribution,
  type FloatDistribution,
  type Scalar,
} from './distributions.js';
import {
  FUNCTION_NAMES,
  MODEL_NAMES,
  checkKind,
  modelDatasets,
  modelTakesFolders,
  modelMetrics,
  modelParams,
  modelSettings,
  type ModelName,
  type ParamKind,
} from './objectives.js';
import { GridPoints } from './grid-points.js';
import { Problems, show, type PathSegment } from './problems.js';
import {
  DEFAULT_GP_OPTIONS,
  DEFAULT_TPE_OPTIONS,
  SAMPLER_TYPES,
  type BudgetSpec,
  type DatasetSpec,
  type Direction,
  type ObjectiveSpec,
  type PrunerSpec,
  type SamplerSpec,
  type StudySpec,
  type TpeOptions,
} from './spec.js';

/** A strict object whose unknown-key message lists the keys it does accept. */
function strict<S extends z.core.$ZodLooseShape>(shape: S) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown key (expected one of: ${allowed})` : undefined),
  });
}

const finite = z.number().refine(Number.isFinite, 'expected a finite number');
const scalar = z.union([finite, z.string(), z.boolean()], {
  error: 'expected a number, a string or true/false',
});
const uint32 = z.number().int().min(0).max(0xffffffff);

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const STUDY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

const topSchema = strict({
  name: z.string().regex(STUDY_NAME, 'expected a name of letters, digits, ".", "_" or "-" (it names a folder)'),
  description: z.string().optional(),
  objective: z.unknown().optional(),
  dataset: z.unknown().optional(),
  metric: z.string().min(1).optional(),
  direction: z.enum(['maximize', 'minimize']).optional(),
  params: z.record(z.string(), z.unknown()).optional(),
  fixed: z.record(z.string(), scalar).optional(),
  sampler: z.unknown().optional(),
  budget: z.unknown().optional(),
  pruner: z.looseObject({ type: z.string().min(1) }).optional(),
});

/** `when: {parent: value | [values]}` (every parent's condition must hold). */
const whenSchema = z.record(z.string(), z.union([scalar, z.array(scalar).min(1)]));

const floatSchema = strict({
  type: z.literal('float'),
  low: finite,
  high: finite,
  log: z.boolean().optional(),
  step: z.number().positive().optional(),
  include_zero: z.boolean().optional(),
  when: whenSchema.optional(),
});
const intSchema = strict({
  type: z.literal('int'),
  low: z.number().int(),
  high: z.number().int(),
  log: z.boolean().optional(),
  step: z.number().int().positive().optional(),
  when: whenSchema.optional(),
});
const categoricalSchema = strict({
  type: z.literal('categorical'),
  choices: z.array(scalar).min(1),
  when: whenSchema.optional(),
});

const tpeOptionsSchema = strict({
  n_startup_trials: z.number().int().min(0).optional(),
  n_ei_candidates: z.number().int().min(1).optional(),
  gamma: z.number().gt(0).max(1).optional(),
  gamma_max: z.number().int().min(1).optional(),
  weights: z.enum(['ramp', 'uniform']).optional(),
  consider_prior: z.boolean().optional(),
  prior_weight: z.number().gt(0).optional(),
  consider_magic_clip: z.boolean().optional(),
  consider_endpoints: z.boolean().optional(),
  multivariate: z.boolean().optional(),
  group: z.boolean().optional(),
  constant_liar: z.boolean().optional(),
  normalize_kernels: z.boolean().optional(),
});
const samplerSchema = strict({
  type: z.enum(SAMPLER_TYPES as ['tpe', 'random', 'grid', 'gp', 'auto']),
  seed: uint32.optional(),
  options: z.record(z.string(), z.unknown()).optional(),
});
const budgetSchema = strict({
  trials: z.number().int().min(1).optional(),
  time: z.union([z.number().positive(), z.string()]).optional(),
});
const datasetSchema = z.union([
  z.string().min(1),
  strict({
    name: z.string().min(1).optional(),
    folder: z.string().min(1).optional(),
    train_subset: z.number().int().min(1).optional(),
    val_fraction: z.number().gt(0).lt(1).optional(),
    split_seed: uint32.optional(),
  }),
]);

const PARAM_TYPES = ['float', 'int', 'categorical'];

/** `2h`, `30m`, `1h30m`, `90s`, `1.5h` → seconds; null when unreadable. */
export function parseDuration(text: string): number | null {
  const re = /(\d+(?:\.\d+)?)\s*([smhd])/gy;
  const unit: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
  const trimmed = text.trim();
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(trimmed); m; m = re.exec(trimmed)) {
    total += Number(m[1]) * unit[m[2]!]!;
    consumed = re.lastIndex;
  }
  return consumed === trimmed.length && consumed > 0 && total > 0 ? total : null;
}

function parseParam(problems: Problems, at: PathSegment[], raw: unknown): Distribution | null {
  if (typeof raw === 'number' || typeof raw === 'string' || typeof raw === 'boolean') {
    if (typeof raw === 'number' && !Number.isFinite(raw)) {
      problems.add(at, `expected a finite number, got ${show(raw)}`);
      return null;
    }
    return { type: 'fixed', value: raw };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    problems.add(at, `expected a fixed value or a mapping with type: ${PARAM_TYPES.join(' | ')}, got ${show(raw)}`);
    return null;
  }
  const type = (raw as Record<string, unknown>).type;
  if (type === undefined) {
    problems.add([...at, 'type'], `missing (expected one of ${PARAM_TYPES.join(', ')})`);
    return null;
  }
  if (type === 'float') {
    const p = problems.fromZod(at, floatSchema.safeParse(raw, { reportInput: true }));
    if (!p) return null;
    const log = p.log ?? false;
    const step = p.step ?? null;
    let ok = true;
    if (!(p.low < p.high)) {
      problems.add([...at, 'low'], `must be less than high (${p.high}), got ${p.low}; use a plain value for a constant`);
      ok = false;
    }
    if (log && p.low <= 0) {
      problems.add([...at, 'low'], `must be > 0 when log is true, got ${p.low}`);
      ok = false;
    }
    if (log && step !== null) {
      problems.add([...at, 'step'], 'cannot be combined with log: true');
      ok = false;
    }
    if (p.include_zero && !log) {
      problems.add([...at, 'include_zero'], 'only applies with log: true (a linear range can contain 0 itself)');
      ok = false;
    }
    if (ok && step !== null) {
      const k = Math.round((p.high - p.low) / step);
      if (Math.abs(k * step - (p.high - p.low)) > 1e-9 * Math.max(1, Math.abs(p.high - p.low))) {
        problems.add([...at, 'high'], `high - low = ${p.high - p.low} is not a multiple of step ${step}`);
        ok = false;
      }
    }
    return ok ? { type: 'float', low: p.low, high: p.high, log, step, includeZero: p.include_zero ?? false, ...conditions(p.when) } : null;
  }
  if (type === 'int') {
    const p = problems.fromZod(at, intSchema.safeParse(raw, { reportInput: true }));
    if (!p) return null;
    const log = p.log ?? false;
    const step = p.step ?? 1;
    let ok = true;
    if (!(p.low < p.high)) {
      problems.add([...at, 'low'], `must be less than high (${p.high}), got ${p.low}; use a plain value for a constant`);
      ok = false;
    }
    if (log && p.low < 1) {
      problems.add([...at, 'low'], `must be >= 1 when log is true, got ${p.low}`);
      ok = false;
    }
    if (log && step !== 1) {
      problems.add([...at, 'step'], `must be 1 when log is true, got ${step}`);
      ok = false;
    }
    if (ok && (p.high - p.low) % step !== 0) {
      problems.add([...at, 'high'], `high - low = ${p.high - p.low} is not a multiple of step ${step}`);
      ok = false;
    }
    return ok ? { type: 'int', low: p.low, high: p.high, log, step, ...conditions(p.when) } : null;
  }
  if (type === 'categorical') {
    const p = problems.fromZod(at, categoricalSchema.safeParse(raw, { reportInput: true }));
    if (!p) return null;
    let ok = true;
    p.choices.forEach((c, i) => {
      const first = p.choices.indexOf(c);
      if (first !== i) {
        problems.add([...at, 'choices', i], `duplicate of choices[${first}] (${show(c)})`);
        ok = false;
      }
    });
    return ok ? { type: 'categorical', choices: p.choices, ...conditions(p.when) } : null;
  }
  problems.add([...at, 'type'], `expected one of ${PARAM_TYPES.join(', ')}, got ${show(type)}`);
  return null;
}

/** A parsed `when` as conditions (nothing when absent, so unconditional distributions stay as they were). */
function conditions(when: Readonly<Record<string, Scalar | Scalar[]>> | undefined): { when?: Condition[] } {
  if (when === undefined) return {};
  return { when: Object.entries(when).map(([param, v]) => ({ param, values: Array.isArray(v) ? v : [v] })) };
}

/** Checks a distribution against what a model parameter accepts. */
function checkModelParam(problems: Problems, at: PathSegment[], name: string, kind: ParamKind, dist: Distribution): void {
  const check = (where: PathSegment[], value: unknown): void => {
    const expected = checkKind(kind, value);
    if (expected !== null) problems.add(where, `${name} takes ${expected}, got ${show(value)}`);
  };
  switch (dist.type) {
    case 'fixed':
      check(at, dist.value);
      return;
    case 'categorical':
      dist.choices.forEach((c, i) => check([...at, 'choices', i], c));
      return;
    case 'int':
    case 'float':
      if (kind.kind === 'enum') {
        problems.add([...at, 'type'], `${name} takes one of ${kind.values.join(', ')}: expected categorical`);
        return;
      }
      if (kind.kind === 'int' && dist.type === 'float') {
        problems.add([...at, 'type'], `${name} takes integers: expected int or categorical`);
        return;
      }
      check([...at, 'low'], dist.low);
      check([...at, 'high'], dist.high);
      if (dist.type === 'float' && dist.includeZero) check([...at, 'include_zero'], 0);
      return;
  }
}

/**
 * One distribution written as in a space file's params (the library API's
 * trial.suggestFloat / suggestInt / suggestCategorical), checked by the same
 * rules; `where` names it in the error.
 */
export function parseDistribution(raw: unknown, where: string): Distribution {
  const problems = new Problems();
  const dist = parseParam(problems, [], raw);
  if (!dist || !problems.empty) throw Errors.spaceInvalid(where, problems.list);
  return dist;
}

function parseObjective(problems: Problems, raw: unknown, baseDir: string, callerObjective = false): ObjectiveSpec | null {
  const at = ['objective'];
  if (raw === undefined && callerObjective) return { kind: 'api' };
  if (raw === undefined) {
    problems.add(at, 'missing (expected one of {model: …}, {module: …}, {function: …})');
    return null;
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    problems.add(at, `expected a mapping with one of model, module, function, got ${show(raw)}`);
    return null;
  }
  const keys = ['model', 'module', 'function'].filter((k) => k in raw);
  if (keys.length !== 1) {
    problems.add(at, `expected exactly one of model, module, function, got ${keys.length === 0 ? 'none' : keys.join(' and ')}`);
    return null;
  }
  if (keys[0] === 'model') {
    const p = problems.fromZod(at, strict({ model: z.enum(MODEL_NAMES) }).safeParse(raw, { reportInput: true }));
    return p ? { kind: 'model', model: p.model } : null;
  }
  if (keys[0] === 'module') {
    const p = problems.fromZod(at, strict({ module: z.string().min(1) }).safeParse(raw, { reportInput: true }));
    if (!p) return null;
    const resolved = path.resolve(baseDir, p.module);
    if (!fs.existsSync(resolved)) {
      problems.add([...at, 'module'], `file not found: ${resolved}`);
      return null;
    }
    return { kind: 'module', module: p.module, path: resolved };
  }
  const p = problems.fromZod(
    at,
    strict({ function: z.enum(FUNCTION_NAMES as [TestFunctionName]), dims: z.number().int().min(2).max(100).optional() }).safeParse(raw, {
      reportInput: true,
    }),
  );
  if (!p || !isTestFunctionName(p.function)) return null;
  const fn = TEST_FUNCTIONS[p.function];
  if (p.dims !== undefined && !fn.variableDims && p.dims !== fn.defaultDims) {
    problems.add([...at, 'dims'], `${p.function} has ${fn.defaultDims} dimensions, got ${p.dims}`);
    return null;
  }
  return { kind: 'function', function: p.function, dims: p.dims ?? fn.defaultDims };
}

function parseDataset(problems: Problems, raw: unknown, objective: ObjectiveSpec | null, baseDir: string): DatasetSpec | null {
  const at = ['dataset'];
  if (raw === undefined) {
    if (objective?.kind === 'model') problems.add(at, `missing (expected a dataset name${datasetList(objective.model)})`);
    return null;
  }
  if (objective?.kind === 'function') {
    problems.add(at, 'test functions take no dataset');
    return null;
  }
  const p = problems.fromZod(at, datasetSchema.safeParse(raw, { reportInput: true }));
  if (p === null) return null;
  const o = typeof p === 'string' ? { name: p } : p;
  if ((o.name === undefined) === (o.folder === undefined)) {
    problems.add(at, 'give either name (a dataset name) or folder (a folder of images), not both');
    return null;
  }
  const model = objective?.kind === 'model' ? objective.model : null;
  const named = model ? modelDatasets(model) : null;
  // A CNN's dataset that is not a known name is an image folder.
  const folderText = o.folder ?? (model && modelTakesFolders(model) && !named!.includes(o.name!) ? o.name! : undefined);
  const spec: DatasetSpec = {
    name: o.name ?? o.folder!,
    trainSubset: o.train_subset ?? null,
    ...(o.val_fraction !== undefined ? { valFraction: o.val_fraction } : {}),
    ...(o.split_seed !== undefined ? { splitSeed: o.split_seed } : {}),
  };
  const where = typeof p === 'string' ? at : [...at, o.folder !== undefined ? 'folder' : 'name'];
  if (folderText === undefined) {
    if (named && !named.includes(spec.name)) problems.add(where, `expected one of ${named.join(', ')}, got ${show(spec.name)}`);
    if (o.val_fraction !== undefined || o.split_seed !== undefined) {
      problems.add(at, 'val_fraction and split_seed apply to image folders only (named datasets have a fixed split)');
    }
    return spec;
  }
  if (model && !modelTakesFolders(model)) {
    problems.add(where, `model ${model} takes a dataset name (${named!.join(', ')}), not a folder`);
    return null;
  }
  const folder = path.resolve(baseDir, folderText);
  let isDir = false;
  try {
    isDir = fs.statSync(folder).isDirectory();
  } catch {
    /* reported below */
  }
  if (!isDir) {
    const names = named && named.length > 0 ? `a dataset name (${named.join(', ')}) or ` : '';
    problems.add(where, `expected ${names}a folder of images; ${folder} is not a folder`);
    return null;
  }
  return { ...spec, folder };
}

function datasetList(model: ModelName): string {
  const valid = modelDatasets(model);
  return valid ? `: ${valid.join(', ')}` : '';
}

const gpOptionsSchema = strict({
  n_startup_trials: z.number().int().min(0).optional(),
  deterministic_objective: z.boolean().optional(),
});

function parseGpOptions(problems: Problems, seed: number | null, raw: Record<string, unknown> | undefined): SamplerSpec | null {
  const o = problems.fromZod(['sampler', 'options'], gpOptionsSchema.safeParse(raw ?? {}, { reportInput: true }));
  if (!o) return null;
  const d = DEFAULT_GP_OPTIONS;
  const options = { nStartupTrials: o.n_startup_trials ?? d.nStartupTrials, deterministicObjective: o.deterministic_objective ?? d.deterministicObjective };
  return { type: 'gp', seed, options };
}

function parseSampler(problems: Problems, raw: unknown): SamplerSpec | null {
  // No sampler named: auto, the default for new spaces (its budget is filled in below).
  if (raw === undefined) return { type: 'auto', seed: null, budget: null };
  const p = problems.fromZod(['sampler'], samplerSchema.safeParse(raw, { reportInput: true }));
  if (!p) return null;
  const seed = p.seed ?? null;
  if (p.type === 'gp') return parseGpOptions(problems, seed, p.options);
  if (p.type !== 'tpe') {
    for (const key of Object.keys(p.options ?? {})) {
      problems.add(['sampler', 'options', key], `unknown key (the ${p.type} sampler takes no options)`);
    }
    return p.type === 'auto' ? { type: p.type, seed, budget: null } : { type: p.type, seed };
  }
  const o = problems.fromZod(['sampler', 'options'], tpeOptionsSchema.safeParse(p.options ?? {}, { reportInput: true }));
  if (!o) return null;
  const d = DEFAULT_TPE_OPTIONS;
  if (o.group && !(o.multivariate ?? d.multivariate)) {
    problems.add(['sampler', 'options', 'group'], 'needs multivariate: true as well (groups are joint estimators, as in Optuna)');
  }
  const options: TpeOptions = {
    nStartupTrials: o.n_startup_trials ?? d.nStartupTrials,
    nEiCandidates: o.n_ei_candidates ?? d.nEiCandidates,
    gamma: o.gamma ?? d.gamma,
    gammaMax: o.gamma_max ?? d.gammaMax,
    weights: o.weights ?? d.weights,
    considerPrior: o.consider_prior ?? d.considerPrior,
    priorWeight: o.prior_weight ?? d.priorWeight,
    considerMagicClip: o.consider_magic_clip ?? d.considerMagicClip,
    considerEndpoints: o.consider_endpoints ?? d.considerEndpoints,
    multivariate: o.multivariate ?? d.multivariate,
    group: o.group ?? d.group,
    constantLiar: o.constant_liar ?? d.constantLiar,
    normalizeKernels: o.normalize_kernels ?? d.normalizeKernels,
  };
  return { type: 'tpe', seed, options };
}

/**
 * Number of grid points (only valid combinations of a conditional space), or
 * null when some parameter is continuous.
 */
export function gridSize(params: Readonly<Record<string, Distribution>>): number | null {
  if (GridPoints.continuousParam(params) !== null) return null;
  return new GridPoints(params).size;
}

/**
 * Validates a parsed space file (an object as read from YAML or JSON).
 * `file` names it in errors; relative module paths resolve against `baseDir`.
 * Throws Errors.spaceInvalid listing every problem found.
 */
export function validateStudySpec(
  raw: unknown,
  file: string,
  baseDir: string = path.dirname(file),
  /** The library API: without an objective key, the caller's code is the objective ({kind: 'api'}). */
  options: { callerObjective?: boolean } = {},
): StudySpec {
  const problems = new Problems();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    problems.add([], `expected a mapping of keys (name, objective, params, …), got ${show(raw)}`);
    throw Errors.spaceInvalid(file, problems.list);
  }
  const top = problems.fromZod([], topSchema.safeParse(raw, { reportInput: true }));
  const src = raw as Record<string, unknown>;
  const objective = parseObjective(problems, src.objective, baseDir, options.callerObjective ?? false);
  const dataset = parseDataset(problems, src.dataset, objective, baseDir);
  const sampler = parseSampler(problems, src.sampler);

  // Parameters, checked against the objective's parameter table when it has one.
  const params: Record<string, Distribution> = {};
  const rawParams =
    top?.params ?? (typeof src.params === 'object' && src.params !== null && !Array.isArray(src.params) ? (src.params as Record<string, unknown>) : {});
  const table = objective?.kind === 'model' ? modelParams(objective.model) : null;
  for (const [name, value] of Object.entries(rawParams)) {
    const at = ['params', name];
    if (!PARAM_NAME.test(name)) {
      problems.add(at, 'a parameter name is letters, digits and "_", not starting with a digit');
      continue;
    }
    const dist = parseParam(problems, at, value);
    if (!dist) continue;
    if (table && objective?.kind === 'model') {
      const kind = table[name];
      if (!kind) {
        problems.add(at, `unknown parameter for model ${objective.model} (valid: ${Object.keys(table).join(', ')})`);
        continue;
      }
      checkModelParam(problems, at, name, kind, dist);
    }
    if (objective?.kind === 'function') {
      const valid = TEST_FUNCTIONS[objective.function].paramNames(objective.dims);
      if (!valid.includes(name)) {
        problems.add(at, `unknown parameter for function ${objective.function} (valid: ${valid.join(', ')})`);
        continue;
      }
      const numeric = dist.type === 'fixed' ? typeof dist.value === 'number' : dist.type === 'categorical' ? dist.choices.every((c) => typeof c === 'number') : true;
      if (!numeric) problems.add(at, `${objective.function} takes numbers only`);
    }
    params[name] = dist;
  }
  if (objective?.kind === 'function') {
    const fn = TEST_FUNCTIONS[objective.function];
    const names = fn.paramNames(objective.dims);
    if (src.params === undefined) {
      // No params: the function's usual domain.
      fn.domain(objective.dims).forEach(([low, high], i) => {
        params[names[i]!] = { type: 'float', low, high, log: false, step: null, includeZero: false } satisfies FloatDistribution;
      });
    } else {
      for (const name of names) {
        if (!(name in rawParams)) problems.add(['params'], `missing parameter ${name} (${objective.function} takes ${names.join(', ')})`);
      }
    }
  } else if (src.params === undefined) {
    problems.add(['params'], 'missing (expected a mapping of parameter names to distributions)');
  }

  // Conditions (`when`): parents exist and can take the values, no cycles, every branch reachable.
  const conditionsOk = checkConditions(problems, params, rawParams);

  // Fixed settings.
  const fixed: Record<string, Scalar> = {};
  for (const [name, value] of Object.entries(top?.fixed ?? {})) {
    const at = ['fixed', name];
    if (name in rawParams) {
      problems.add(at, `${name} is also in params; give it in one place`);
      continue;
    }
    if (objective?.kind === 'function') {
      problems.add(at, 'test functions take no fixed settings');
      continue;
    }
    if (objective?.kind === 'model') {
      const kind = modelParams(objective.model)?.[name] ?? modelSettings(objective.model)?.[name];
      if (table && !kind) {
        const valid = [...Object.keys(table), ...Object.keys(modelSettings(objective.model) ?? {})];
        problems.add(at, `unknown setting for model ${objective.model} (valid: ${valid.join(', ')})`);
        continue;
      }
      if (kind) {
        const expected = checkKind(kind, value);
        if (expected !== null) problems.add(at, `${name} takes ${expected}, got ${show(value)}`);
      }
    }
    fixed[name] = value;
  }

  // Metric and direction: required for models, defaulted for modules and functions.
  let metric = top?.metric;
  let direction: Direction | undefined = top?.direction;
  if (objective?.kind === 'model') {
    const metrics = modelMetrics(objective.model);
    if (metric === undefined && src.metric === undefined) {
      problems.add(['metric'], `missing (expected ${metrics ? `one of ${metrics.join(', ')}` : 'a metric name'})`);
    } else if (metric !== undefined && metrics && !metrics.includes(metric)) {
      problems.add(['metric'], `expected one of ${metrics.join(', ')}, got ${show(metric)}`);
    }
    if (direction === undefined && src.direction === undefined) problems.add(['direction'], 'missing (expected maximize or minimize)');
  } else if (objective?.kind === 'module' || objective?.kind === 'api') {
    metric ??= 'value';
    if (direction === undefined && src.direction === undefined) problems.add(['direction'], 'missing (expected maximize or minimize)');
  } else if (objective?.kind === 'function') {
    if (metric !== undefined && metric !== 'value') problems.add(['metric'], `test functions report "value", got ${show(metric)}`);
    metric = 'value';
    direction ??= 'minimize';
  }

  // The grid sampler enumerates: every parameter needs a finite set of values.
  if (sampler?.type === 'grid') {
    for (const [name, dist] of Object.entries(params)) {
      if (finiteValues(dist) === null) {
        problems.add(['params', name], 'the grid sampler needs a finite set of values: give a step (not with log) or make it categorical');
      }
    }
  }

  // Budget: trials required, except for a grid, which defaults to its size.
  let budget: BudgetSpec | null = null;
  const b = src.budget === undefined ? {} : problems.fromZod(['budget'], budgetSchema.safeParse(src.budget, { reportInput: true }));
  if (b) {
    let trials = b.trials;
    if (trials === undefined && sampler?.type === 'grid' && conditionsOk) trials = gridSize(params) ?? undefined;
    if (trials === undefined && sampler?.type !== 'grid') {
      problems.add(['budget', 'trials'], 'missing (expected the total number of trials, an integer >= 1)');
    }
    let timeSeconds: number | null = null;
    if (typeof b.time === 'number') timeSeconds = b.time;
    else if (typeof b.time === 'string') {
      timeSeconds = parseDuration(b.time);
      if (timeSeconds === null) problems.add(['budget', 'time'], `expected seconds or a duration like 90s, 30m, 2h, 1h30m, got ${show(b.time)}`);
    }
    if (trials !== undefined) budget = { trials, timeSeconds };
  }

  if (!problems.empty || !top || !objective || !sampler || !budget || metric === undefined || direction === undefined) {
    if (problems.empty) problems.add([], 'invalid space file');
    throw Errors.spaceInvalid(file, problems.list);
  }
  const pruner = top.pruner === undefined ? null : (top.pruner as PrunerSpec);
  return {
    file,
    name: top.name,
    description: top.description ?? null,
    objective,
    dataset,
    metric,
    direction,
    params,
    fixed,
    // auto picks its sampler knowing the budget (src/samplers/auto.ts).
    sampler: sampler.type === 'auto' ? { ...sampler, budget: budget.trials } : sampler,
    budget,
    pruner,
  };
}
