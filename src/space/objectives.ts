// What each kind of objective accepts in a space file: parameter names and the
// values they take, metric names, datasets. The space validator checks a file
// against these tables so that mistakes surface when the file is loaded, not
// in the middle of a sweep.

import { TEST_FUNCTIONS, type TestFunctionName } from '../trials/functions.js';

export const MODEL_NAMES = ['mlp', 'cnn-light', 'cnn', 'catsdogs'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export const FUNCTION_NAMES = Object.keys(TEST_FUNCTIONS) as TestFunctionName[];

/** What values one model parameter takes. */
export type ParamKind =
  | { readonly kind: 'float'; readonly min: number; readonly minInclusive: boolean; readonly below?: number }
  | { readonly kind: 'int'; readonly min: number; readonly max: number }
  | { readonly kind: 'enum'; readonly values: readonly string[] };

const positiveFloat: ParamKind = { kind: 'float', min: 0, minInclusive: false };
const nonNegativeFloat: ParamKind = { kind: 'float', min: 0, minInclusive: true };
const positiveInt: ParamKind = { kind: 'int', min: 1, max: Number.MAX_SAFE_INTEGER };

/** The homework MLP's parameters (issue 2: names used everywhere). */
export const MLP_PARAMS: Readonly<Record<string, ParamKind>> = {
  alpha0: positiveFloat,
  delta: nonNegativeFloat,
  lambda: nonNegativeFloat,
  batch_size: positiveInt,
  init: { kind: 'enum', values: ['zero', 'normal', 'glorot'] },
  h1: positiveInt,
  h2: positiveInt,
  activation: { kind: 'enum', values: ['sigmoid', 'relu', 'tanh'] },
  epochs: positiveInt,
  seed: { kind: 'int', min: 0, max: 0xffffffff },
};

/** Settings that may appear under `fixed` for the MLP without being search parameters. */
export const MLP_SETTINGS: Readonly<Record<string, ParamKind>> = {
  dtype: { kind: 'enum', values: ['float32', 'float64'] },
};

export const MLP_METRICS = ['train_loss', 'train_accuracy', 'val_loss', 'val_accuracy', 'test_accuracy'] as const;
export const MLP_DATASETS = ['mnist', 'fashion-mnist'] as const;

/** The CNNs' parameters (issue 6; see src/trials/cnn/params.ts for defaults). */
export const CNN_PARAMS: Readonly<Record<string, ParamKind>> = {
  lr: positiveFloat,
  optimizer: { kind: 'enum', values: ['sgd', 'momentum', 'rmsprop', 'adam'] },
  batch_size: positiveInt,
  epochs: positiveInt,
  dropout: { kind: 'float', min: 0, minInclusive: true },
  l2: nonNegativeFloat,
  factor: positiveFloat,
  patience: { kind: 'int', min: 0, max: Number.MAX_SAFE_INTEGER },
  rescale: { kind: 'enum', values: ['none', 'unit', 'standardize'] },
  augment_copies: { kind: 'int', min: 0, max: 64 },
  seed: { kind: 'int', min: 0, max: 0xffffffff },
  // Each optimizer's own settings (src/trials/cnn/optimizers.ts): search them with when: {optimizer: …}.
  momentum: { kind: 'float', min: 0, minInclusive: true, below: 1 },
  rho: { kind: 'float', min: 0, minInclusive: false, below: 1 },
  beta1: { kind: 'float', min: 0, minInclusive: true, below: 1 },
  beta2: { kind: 'float', min: 0, minInclusive: true, below: 1 },
};

/**
 * Named datasets of each model. Every CNN also takes an image folder (a path),
 * so for them a name outside this list is read as a folder; catsdogs takes
 * folders only.
 */
const CNN_DATASETS: Readonly<Record<Exclude<ModelName, 'mlp'>, readonly string[]>> = {
  'cnn-light': MLP_DATASETS,
  cnn: MLP_DATASETS,
  catsdogs: [],
};

/** Parameter table of a model. */
export function modelParams(model: ModelName): Readonly<Record<string, ParamKind>> {
  return model === 'mlp' ? MLP_PARAMS : CNN_PARAMS;
}

export function modelSettings(model: ModelName): Readonly<Record<string, ParamKind>> {
  return model === 'mlp' ? MLP_SETTINGS : {};
}

export function modelMetrics(_model: ModelName): readonly string[] {
  return MLP_METRICS;
}

/** The dataset names a model takes; null: names are not checked here (MLP: all are names). */
export function modelDatasets(model: ModelName): readonly string[] {
  return model === 'mlp' ? MLP_DATASETS : CNN_DATASETS[model];
}

/** Whether a model also takes an image folder as its dataset. */
export function modelTakesFolders(model: ModelName): boolean {
  return model !== 'mlp';
}

/** `value` fits `kind`; returns what was expected when it does not. */
export function checkKind(kind: ParamKind, value: unknown): string | null {
  switch (kind.kind) {
    case 'enum':
      return typeof value === 'string' && kind.values.includes(value) ? null : `one of ${kind.values.join(', ')}`;
    case 'int':
      return typeof value === 'number' && Number.isInteger(value) && value >= kind.min && value <= kind.max
        ? null
        : kind.max === Number.MAX_SAFE_INTEGER
          ? `an integer >= ${kind.min}`
          : `an integer in [${kind.min}, ${kind.max}]`;
    case 'float':
      return typeof value === 'number' &&
        Number.isFinite(value) &&
        (kind.minInclusive ? value >= kind.min : value > kind.min) &&
        (kind.below === undefined || value < kind.below)
        ? null
        : kind.below === undefined
          ? `a number ${kind.minInclusive ? '>=' : '>'} ${kind.min}`
          : `a number in ${kind.minInclusive ? '[' : '('}${kind.min}, ${kind.below})`;
  }
}
