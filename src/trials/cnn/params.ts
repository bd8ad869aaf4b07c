// The CNN trials' hyperparameters (issue 6): names, types, ranges and the
// defaults of each homework model, in one place. The same names are used by
// the CLI (--set key=value), search spaces and journals.
//
// Defaults follow the homework: the MNIST CNNs train with plain SGD at a fixed
// learning rate of 0.01 (factor 1 = never reduced), on pixels in [0, 1]; the
// cats-vs-dogs CNN starts at 3e-4 on unscaled pixels (rescale: none), reduced
// on a validation-loss plateau, with one augmented copy of every image an epoch.
import { z } from 'zod';

import { Errors } from '../../errors.js';

export const CNN_MODELS = ['cnn-light', 'cnn', 'catsdogs'] as const;
export type CnnModelName = (typeof CNN_MODELS)[number];

export const OPTIMIZERS = ['sgd', 'momentum', 'rmsprop', 'adam'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

/** How pixels (0..255) are scaled before the network sees them. */
export const RESCALES = ['none', 'unit', 'standardize'] as const;
export type RescaleName = (typeof RESCALES)[number];

export const CNN_PARAM_NAMES = [
  'lr',
  'optimizer',
  'batch_size',
  'epochs',
  'dropout',
  'l2',
  'factor',
  'patience',
  'rescale',
  'augment_copies',
  'seed',
  'momentum',
  'rho',
  'beta1',
  'beta2',
] as const;
export type CnnParamName = (typeof CNN_PARAM_NAMES)[number];

export interface CnnParams {
  /** Initial learning rate. */
  lr: number;
  optimizer: OptimizerName;
  batch_size: number;
  epochs: number;
  /** Dropout rate before each dense layer (0: no dropout layer). */
  dropout: number;
  /** L2 penalty on every kernel (weights, not biases); the loss adds l2·Σ w². */
  l2: number;
  /** The learning rate is multiplied by `factor` after `patience` epochs without a better val_loss (1: never). */
  factor: number;
  patience: number;
  rescale: RescaleName;
  /** Augmented variants of each training image per epoch (0: the images as they are). */
  augment_copies: number;
  seed: number;
  /**
   * The optimizers' own settings, each used by one optimizer only (a space
   * searches them with `when: {optimizer: …}`): momentum (optimizer
   * momentum), rho, the decay of RMSProp's squared-gradient average
   * (rmsprop), beta1/beta2, Adam's moment decays (adam). Defaults: tfjs's.
   */
  momentum: number;
  rho: number;
  beta1: number;
  beta2: number;
}

const MNIST_DEFAULTS: Readonly<CnnParams> = Object.freeze({
  lr: 0.01,
  optimizer: 'sgd',
  batch_size: 64,
  epochs: 5,
  dropout: 0,
  l2: 0,
  factor: 1,
  patience: 2,
  rescale: 'unit',
  augment_copies: 0,
  seed: 0,
  momentum: 0.9,
  rho: 0.9,
  beta1: 0.9,
  beta2: 0.999,
});

export const CNN_DEFAULTS: Readonly<Record<CnnModelName, Readonly<CnnParams>>> = Object.freeze({
  'cnn-light': MNIST_DEFAULTS,
  cnn: MNIST_DEFAULTS,
  catsdogs: Object.freeze({
    ...MNIST_DEFAULTS,
    lr: 3e-4,
    batch_size: 32,
    epochs: 20,
    factor: 0.5,
    patience: 2,
    rescale: 'none',
    augment_copies: 1,
  }),
});

export const MAX_CNN_EPOCHS = 10_000;
export const MAX_AUGMENT_COPIES = 64;

const schemas = {
  lr: z.number().positive().finite(),
  optimizer: z.enum(OPTIMIZERS),
  batch_size: z.number().int().min(1).max(1 << 16),
  epochs: z.number().int().min(1).max(MAX_CNN_EPOCHS),
  dropout: z.number().min(0).lt(1),
  l2: z.number().min(0).finite(),
  factor: z.number().gt(0).max(1),
  patience: z.number().int().min(0).max(MAX_CNN_EPOCHS),
  rescale: z.enum(RESCALES),
  augment_copies: z.number().int().min(0).max(MAX_AUGMENT_COPIES),
  seed: z.number().int().min(0).max(0xffffffff),
  momentum: z.number().min(0).lt(1),
  rho: z.number().gt(0).lt(1),
  beta1: z.number().min(0).lt(1),
  beta2: z.number().min(0).lt(1),
} satisfies Record<CnnParamName, z.ZodType>;

export const CNN_PARAM_EXPECTED: Readonly<Record<CnnParamName, string>> = {
  lr: 'a number > 0',
  optimizer: `one of ${OPTIMIZERS.join(', ')}`,
  batch_size: 'an integer in [1, 65536]',
  epochs: `an integer in [1, ${MAX_CNN_EPOCHS}]`,
  dropout: 'a number in [0, 1)',
  l2: 'a number >= 0',
  factor: 'a number in (0, 1] (1: never reduce the learning rate)',
  patience: 'an integer >= 0',
  rescale: `one of ${RESCALES.join(', ')}`,
  augment_copies: `an integer in [0, ${MAX_AUGMENT_COPIES}]`,
  seed: 'an integer in [0, 4294967295]',
  momentum: 'a number in [0, 1)',
  rho: 'a number in (0, 1)',
  beta1: 'a number in [0, 1)',
  beta2: 'a number in [0, 1)',
};

export function isCnnParamName(name: string): name is CnnParamName {
  return (CNN_PARAM_NAMES as readonly string[]).includes(name);
}

export function isCnnModel(name: string): name is CnnModelName {
  return (CNN_MODELS as readonly string[]).includes(name);
}

/** `overrides` on top of the model's defaults; every key and value checked. */
export function resolveCnnParams(
  model: CnnModelName,
  overrides: Readonly<Record<string, unknown>> = {},
  where = 'parameters',
): CnnParams {
  const out: Record<string, unknown> = { ...CNN_DEFAULTS[model] };
  for (const [key, value] of Object.entries(overrides)) {
    if (!isCnnParamName(key)) throw Errors.unknownParam(key, CNN_PARAM_NAMES, where);
    if (!schemas[key].safeParse(value).success) {
      throw Errors.invalidParamValue(key, value, CNN_PARAM_EXPECTED[key], where);
    }
    out[key] = value;
  }
  return out as unknown as CnnParams;
}

/** A `--set key=value` string turned into the parameter's type (numbers for numeric params). */
export function coerceCnnParam(name: CnnParamName, raw: string, where: string): unknown {
  if (name === 'optimizer' || name === 'rescale') return raw;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n)) throw Errors.invalidParamValue(name, raw, CNN_PARAM_EXPECTED[name], where);
  return n;
}
