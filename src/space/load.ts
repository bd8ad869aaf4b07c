// Reading a search-space file: YAML or JSON (YAML 1.2 reads both), then
// validation into a StudySpec. Syntax errors name the file, line and column.

import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
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

/** Reads, parses and validates a search-space file. */
export function loadSpaceFile(file: string): StudySpec {
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(absolute, 'utf8');
  } catch (err) {
    throw Errors.spaceFileUnreadable(absolute, err);
  }
  return validateStudySpec(parseSpaceText(text, absolute), absolute, path.dirname(absolute));
}
