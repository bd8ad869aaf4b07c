// Reading a search-space file: YAML or JSON (YAML 1.2 reads both), then
// validation into a StudySpec. Syntax errors name the file, line and column.

import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { DATASET_NAMES } from '../data/index.js';
import { Errors } from '../errors.js';
import type { StudySpec } from './spec.js';
import { validateStudySpec } from './validate.js';

/** Parses the text of a space file; `file` names it in errors. */
export function parseSpaceText(text: string, file: string): unknown {
  try {
    // uniqueKeys (default) rejects a key given twice; YAML 1.2 core schema
    // reads 1e-6 as a number, unlike YAML 1.1.
    return YAML.parse(text, { version: '1.2', prettyErrors: true });
  } catch (err) {
    if (err instanceof YAML.YAMLError) {
      const pos = err.linePos?.[0];
      const detail = err.message.split('\n')[0] ?? err.message;
      throw Errors.spaceFileSyntax(file, pos?.line ?? 1, pos?.col ?? 1, detail.replace(/ at line \d+, column \d+:?$/, ''));
    }
    throw err;
  }
}

/** Reads and parses a search-space file (not validated yet): its absolute path and content. */
export function readSpaceFile(file: string): { absolute: string; raw: unknown } {
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(absolute, 'utf8');
  } catch (err) {
    throw Errors.spaceFileUnreadable(absolute, err);
  }
  return { absolute, raw: parseSpaceText(text, absolute) };
}

/**
 * Reads, parses and validates a search-space file. `overrides` (the sweep's
 * --set) are applied before validation, so a bad one is reported exactly as
 * the same mistake in the file would be: a searched parameter becomes fixed
 * at the value, any other key becomes a fixed setting.
 */
export function loadSpaceFile(
  file: string,
  overrides: Readonly<Record<string, unknown>> = {},
  options: { dataset?: string } = {},
): StudySpec {
  const read = readSpaceFile(file);
  const absolute = read.absolute;
  let raw = read.raw;
  let label = absolute;
  if (options.dataset !== undefined && raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    raw = { ...raw, dataset: datasetOverride((raw as { dataset?: unknown }).dataset, options.dataset) };
    label = `${absolute} (with --dataset ${options.dataset})`;
  }
  const keys = Object.keys(overrides);
  if (keys.length === 0 || raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return validateStudySpec(raw, label, path.dirname(absolute));
  }
  const doc = raw as { params?: Record<string, unknown>; fixed?: Record<string, unknown> };
  const params = { ...(doc.params ?? {}) };
  const fixed = { ...(doc.fixed ?? {}) };
  for (const key of keys) {
    if (key in params) params[key] = overrides[key];
    else fixed[key] = overrides[key];
  }
  const shown = keys.map((k) => `${k}=${String(overrides[k])}`).join(' ');
  return validateStudySpec({ ...doc, params, fixed }, `${label} (with --set ${shown})`, path.dirname(absolute));
}

/**
 * The file's dataset with --dataset in place of its name or folder (other keys,
 * e.g. train_subset, kept). A dataset name stays a name; anything else is a
 * folder, resolved against the current directory (not the space file's).
 */
function datasetOverride(current: unknown, value: string): unknown {
  const rest = current !== null && typeof current === 'object' && !Array.isArray(current) ? { ...(current as Record<string, unknown>) } : {};
  delete rest['name'];
  delete rest['folder'];
  const isName = (DATASET_NAMES as readonly string[]).includes(value);
  return isName ? { ...rest, name: value } : { ...rest, folder: path.resolve(value) };
}
