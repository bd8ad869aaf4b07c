// Collects every problem found in a space file as (key path, what is expected),
// turning zod issues into the same plain wording as the hand-written checks.

import type { z } from 'zod';

export type PathSegment = string | number;

export interface Problem {
  /** Dotted key path, e.g. `params.alpha0.low` or `params.init.choices[1]`. */
  path: string;
  message: string;
}

export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

/** Short rendering of a value found in the file. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return JSON.stringify(value);
}

const EXPECTED_WORDS: Record<string, string> = {
  number: 'a number',
  int: 'an integer',
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
};

function describeIssue(issue: z.core.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'invalid_type': {
      const expected = EXPECTED_WORDS[issue.expected] ?? issue.expected;
      return input === undefined ? `missing (expected ${expected})` : `expected ${expected}, got ${show(input)}`;
    }
    case 'too_small': {
      if (issue.origin === 'array') return `expected at least ${issue.minimum} item(s)`;
      if (issue.origin === 'string') return `expected a non-empty string`;
      return `expected a number ${issue.inclusive ? '>=' : '>'} ${issue.minimum}, got ${show(input)}`;
    }
    case 'too_big': {
      if (issue.origin === 'array') return `expected at most ${issue.maximum} item(s)`;
      return `expected a number ${issue.inclusive ? '<=' : '<'} ${issue.maximum}, got ${show(input)}`;
    }
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => String(v)).join(', ')}, got ${show(input)}`;
    case 'invalid_format':
      return `${issue.message}, got ${show(input)}`;
    default:
      return issue.message;
  }
}

export class Problems {
  readonly list: Problem[] = [];

  add(path: readonly PathSegment[], message: string): void {
    this.list.push({ path: formatPath(path), message });
  }

  /** Records a zod parse failure under `prefix`; returns the data when it parsed. */
  fromZod<T>(prefix: readonly PathSegment[], result: z.ZodSafeParseResult<T>): T | null {
    if (result.success) return result.data;
    for (const issue of result.error.issues) {
      const path = [...prefix, ...(issue.path as PathSegment[])];
      if (issue.code === 'unrecognized_keys') {
        // One problem per unknown key, at the key itself.
        for (const key of issue.keys) this.add([...path, key], issue.message);
      } else {
        this.add(path, describeIssue(issue));
      }
    }
    return null;
  }

  get empty(): boolean {
    return this.list.length === 0;
  }
}
