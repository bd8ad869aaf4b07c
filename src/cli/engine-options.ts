// Option parsers that need the engine (its thread limit) or the MLP's
// parameter schema (zod): imported by the training commands only, never by a
// light command (start-up; see options.ts).
import { availableParallelism } from 'node:os';

import { Errors } from '../errors.js';
import { MAX_THREADS } from '../engine/native.js';
import { coerceMlpParam, parseSetArgs, resolveMlpParams, type MlpParams } from '../trials/mlp/params.js';
import { parseIntOption } from './options.js';

export function defaultThreads(): number {
  return availableParallelism();
}

export function parseThreads(raw: string | undefined): number {
  return raw === undefined ? defaultThreads() : parseIntOption('--threads', raw, 1, MAX_THREADS);
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
