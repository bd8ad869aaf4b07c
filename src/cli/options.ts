// Parsers for command-line option values shared by the commands. Each bad
// value is a usage error naming the option and what it accepts. Only plain
// parsers here: light commands (leaderboard) import this file, so what needs
// the engine's constants or the MLP's zod schema lives in engine-options.ts.
import { Errors } from '../errors.js';

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

/** Repeated option collector for commander (--set a=1 --set b=2). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
