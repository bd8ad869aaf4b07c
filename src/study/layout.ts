// Where a study lives on the embedded default storage: results/<study>/journal.jsonl.
// Apart from study.ts so that readers (status, leaderboard) need not load the writer.
import path from 'node:path';

import { Errors } from '../errors.js';

export const JOURNAL_FILE = 'journal.jsonl';

const STUDY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function studyDir(resultsDir: string, study: string): string {
  if (!STUDY_NAME.test(study)) throw Errors.badStudyName(study);
  return path.join(resultsDir, study);
}
