// The MLP's hyperparameters: names, types, ranges and defaults, in one place.
// The same names are used by the CLI (--set key=value), search spaces and
// journals (issue 2). Defaults: the homework's network (784-400-700-10,
// sigmoid, glorot) and
//   alpha0 = 0.5, delta = 0, lambda = 0, batch_size = 32, epochs = 10, seed = 0.
// Why alpha0 = 0.5 (measured on MNIST, seed 1, batch 32, val_accuracy after
// 2 epochs): sigmoid units learn slowly at small rates (full training set:
// 0.934 at 0.5, 0.947 at 1, 0.957 at 2; on 10,000 images: 0.67 at 0.1), while
// relu trains well at 0.5 and diverges at 1 (10,000 images: 0.947 vs 0.50).
// 0.5 is good for both; tanh needs about 0.1 (10,000 images: 0.856 at 0.1,
// 0.23 at 0.5).
import { z } from 'zod';

import { Errors } from '../../errors.js';
import { ACTIVATIONS, INITS, MAX_SEED } from '../../engine/native.js';
import type { ActivationName, InitName } from '../../engine/addon-types.js';

export const MLP_PARAM_NAMES = [
  'alpha0',
  'delta',
  'lambda',
  'batch_size',
  'init',
  'h1',
  'h2',
  'activation',
  'epochs',
  'seed',
] as const;
export type MlpParamName = (typeof MLP_PARAM_NAMES)[number];

export interface MlpParams {
  /** Initial learning rate α0 of α_t = α0 / (1 + δ·t). */
  alpha0: number;
  /** Decay δ of the learning rate; t counts minibatch updates from 0. */
  delta: number;
  /** L2 penalty λ on the three weight matrices (biases are not penalised). */
  lambda: number;
  batch_size: number;
  init: InitName;
  h1: number;
  h2: number;
  activation: ActivationName;
  epochs: number;
  /** The trial's seed; the init and shuffle seeds are derived from it (see run.ts). */
  seed: number;
}

export const MLP_DEFAULTS: Readonly<MlpParams> = Object.freeze({
  alpha0: 0.5,
  delta: 0,
  lambda: 0,
  batch_size: 32,
  init: 'glorot',
  h1: 400,
  h2: 700,
  activation: 'sigmoid',
  epochs: 10,
  seed: 0,
});

export const MAX_LAYER_WIDTH = 1 << 16;
export const MAX_EPOCHS = 100_000;
export const MAX_BATCH_SIZE = 1 << 20;

const finite = z.number().refine(Number.isFinite);
const int = (min: number, max: number) => z.number().int().min(min).max(max);

export const MlpParamsSchema = z
  .object({
    alpha0: finite.refine((v) => v > 0),
    delta: finite.refine((v) => v >= 0),
    lambda: finite.refine((v) => v >= 0),
    batch_size: int(1, MAX_BATCH_SIZE),
    init: z.enum(INITS as [InitName, ...InitName[]]),
    h1: int(1, MAX_LAYER_WIDTH),
    h2: int(1, MAX_LAYER_WIDTH),
    activation: z.enum(ACTIVATIONS as [ActivationName, ...ActivationName[]]),
    epochs: int(1, MAX_EPOCHS),
    seed: int(0, MAX_SEED),
  })
  .strict();

/** What each parameter accepts, as the error messages say it. */
export const MLP_PARAM_EXPECTED: Readonly<Record<MlpParamName, string>> = {
  alpha0: 'a finite number > 0',
  delta: 'a finite number >= 0',
  lambda: 'a finite number >= 0',
  batch_size: `an integer in [1, ${MAX_BATCH_SIZE}]`,
  init: `one of ${INITS.join(', ')}`,
  h1: `an integer in [1, ${MAX_LAYER_WIDTH}]`,
  h2: `an integer in [1, ${MAX_LAYER_WIDTH}]`,
  activation: `one of ${ACTIVATIONS.join(', ')}`,
  epochs: `an integer in [1, ${MAX_EPOCHS}]`,
  seed: `an integer in [0, ${MAX_SEED}]`,
};

const CATEGORICAL: ReadonlySet<MlpParamName> = new Set(['init', 'activation']);

export function isMlpParamName(name: string): name is MlpParamName {
  return (MLP_PARAM_NAMES as readonly string[]).includes(name);
}

function checkName(name: string, where: string): MlpParamName {
  if (!isMlpParamName(name)) throw Errors.unknownParam(name, MLP_PARAM_NAMES, where);
  return name;
}

/** Checks one already-typed value against its parameter's schema. */
export function checkMlpParam<K extends MlpParamName>(name: K, value: unknown, where: string): MlpParams[K] {
  const result = MlpParamsSchema.shape[name].safeParse(value);
  if (!result.success) throw Errors.invalidParamValue(name, value, MLP_PARAM_EXPECTED[name], where);
  return result.data as MlpParams[K];
}

/**
 * Turns the text of a value (from --set or a flag) into the parameter's type:
 * numbers must be complete numeric literals ("1e-3", "32"; not "", "3x", "NaN"),
 * categorical values are taken verbatim. Then the range is checked.
 */
export function coerceMlpParam<K extends MlpParamName>(name: K, raw: string, where: string): MlpParams[K] {
  if (CATEGORICAL.has(name)) return checkMlpParam(name, raw, where);
  const text = raw.trim();
  const value = text === '' ? Number.NaN : Number(text);
  if (Number.isNaN(value)) throw Errors.invalidParamValue(name, raw, MLP_PARAM_EXPECTED[name], where);
  return checkMlpParam(name, value, where);
}

/** Splits "key=value" (the value may itself contain '='). */
export function parseAssignment(raw: string, where = '--set'): { key: string; value: string } {
  const at = raw.indexOf('=');
  const key = at < 0 ? '' : raw.slice(0, at).trim();
  if (key === '') throw Errors.badAssignment(raw, where);
  return { key, value: raw.slice(at + 1) };
}

/** Parses repeated `--set key=value` strings into checked, typed overrides. */
export function parseSetArgs(list: readonly string[], where = '--set'): Partial<MlpParams> {
  const out: Partial<Record<MlpParamName, unknown>> = {};
  for (const raw of list) {
    const { key, value } = parseAssignment(raw, where);
    const name = checkName(key, `${where} ${raw}`);
    if (name in out) throw Errors.duplicateParam(name, where);
    out[name] = coerceMlpParam(name, value, `${where} ${raw}`);
  }
  return out as Partial<MlpParams>;
}

/**
 * Full parameters from typed overrides (e.g. a search-space sample or parsed
 * --set values): unknown names and bad values are errors; missing ones take
 * MLP_DEFAULTS.
 */
export function resolveMlpParams(overrides: Readonly<Record<string, unknown>> = {}, where = 'parameters'): MlpParams {
  const out: Record<string, unknown> = { ...MLP_DEFAULTS };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const name = checkName(key, where);
    out[name] = checkMlpParam(name, value, where);
  }
  return out as unknown as MlpParams;
}
