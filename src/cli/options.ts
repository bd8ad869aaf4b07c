// Parsers for command-line option values shared by the commands. Each bad
// value is a usage error naming the option and what it accepts.
import { availableParallelism } from 'node:os';

import { Errors } from '../errors.js';
import { MAX_THREADS } from '../engine/native.js';
import { coerceMlpParam, parseSetArgs, resolveMlpParams, type MlpParams } from '../trials/mlp/params.js';

export function parseIntOption(option: string, raw: string, min: number, max: number): number {
  const text = raw.trim();
  const value = /^[+-]?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw Errors.invalidOption(option, raw, `an integer in [${min}, ${max}]`);
  }
  return value;
}

export function parseChoice<T extends string>(option: string, raw: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(raw)) throw Errors.invalidOption(option, raw, `one of ${choices.join(', ')}`);
  return raw as T;
}

export function defaultThreads(): number {
  return availableParallelism();
}

export function parseThreads(raw: string | undefined): number {
  return raw === undefined ? defaultThreads() : parseIntOption('--threads', raw, 1, MAX_THREADS);
}

/** Repeated option collector for commander (--set a=1 --set b=2). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** --set assignments plus the --epochs/--seed shortcuts (giving both for one name is an error). */
export function mlpParamsFromOptions(opts: { set?: string[]; epochs?: string; seed?: string }): MlpParams {
  const overrides: Partial<MlpParams> = parseSetArgs(opts.set ?? []);
  for (const name of ['epochs', 'seed'] as const) {
    const raw = opts[name];
    if (raw === undefined) continue;
    if (overrides[name] !== undefined) throw Errors.duplicateParam(name, `--set and --${name}`);
    overrides[name] = coerceMlpParam(name, raw, `--${name}`);
  }
  return resolveMlpParams(overrides, '--set');
}
