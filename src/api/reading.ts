// Reading studies: leaderboards and the HTML report, from the journals only
// (no dataset, no addon). `hypersweep leaderboard` and `hypersweep report`
// are these functions with a command line around them.
import fs from 'node:fs';
import path from 'node:path';

import { Errors } from '../errors.js';
import type { Distribution } from '../space/distributions.js';
import { readJournal } from '../study/journal-reader.js';
import {
  parseWhere,
  rankStudies,
  readStudyForRanking,
  writeFileAtomic,
  type Leaderboard,
  type RankOptions,
  type StudyInput,
} from '../study/leaderboard.js';
import { foldJournal, type StudyState } from '../study/state.js';
import { JOURNAL_FILE, studyDir } from '../study/study.js';
import { hypersweepVersion } from '../version.js';
import type { LeaderboardOptions, LeaderboardRow } from './types.js';

const DEFAULT_RESULTS = 'results';

/** Names of the folders under `resultsDir` that hold a journal, sorted. */
export function listStudies(resultsDir: string = DEFAULT_RESULTS): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(resultsDir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(resultsDir, e.name, JOURNAL_FILE)))
    .map((e) => e.name)
    .sort();
}

/** The studies named (every study under `resultsDir` when none is), read for ranking. */
export function readStudies(names: readonly string[], resultsDir: string): StudyInput[] {
  const studyNames = names.length > 0 ? [...new Set(names)] : listStudies(resultsDir);
  if (studyNames.length === 0) throw Errors.noStudies(resultsDir);
  return studyNames.map((name) => ({ name, state: readStudyForRanking(resultsDir, name) }));
}

/** The ranking of `hypersweep leaderboard`, metric and direction included. */
export function rankLeaderboard(studies: readonly StudyInput[], options: Omit<LeaderboardOptions, 'results'>): Leaderboard {
  const where = typeof options.where === 'string' ? [options.where] : (options.where ?? []);
  const rank: RankOptions = {
    where: where.flatMap(parseWhere),
    ...(options.state !== undefined ? { state: options.state } : {}),
    ...(options.metric !== undefined ? { metric: options.metric } : {}),
    ...(options.direction !== undefined ? { direction: options.direction } : {}),
    ...(options.top !== undefined ? { top: options.top } : {}),
  };
  return rankStudies(studies, rank);
}

/**
 * The finished trials of one or more studies (all under `results` when none
 * is named), best first: the rows `hypersweep leaderboard --format json` prints.
 */
export function leaderboard(studies?: string | readonly string[], options: LeaderboardOptions = {}): LeaderboardRow[] {
  const names = studies === undefined ? [] : typeof studies === 'string' ? [studies] : studies;
  return rankLeaderboard(readStudies(names, options.results ?? DEFAULT_RESULTS), options).rows;
}

/**
 * Writes the study's self-contained HTML report (default
 * results/<study>/report.html); returns the file and how many trials it shows.
 * Define-by-run parameters get their plots as space parameters do.
 */
export async function report(
  study: string | { readonly name: string; readonly results: string },
  file?: string,
  options: { results?: string } = {},
): Promise<{ file: string; trials: number }> {
  const name = typeof study === 'string' ? study : study.name;
  const results = typeof study === 'string' ? (options.results ?? DEFAULT_RESULTS) : study.results;
  // The report code loads when a report is made (start-up of everything else).
  const [{ isStudyLocked }, { buildStudyReport }] = await Promise.all([import('../study/lock.js'), import('../report/study-report.js')]);
  const state = readWithSuggestedSpace(results, name);
  const html = buildStudyReport(name, state, {
    generated: new Date(),
    controllerActive: await isStudyLocked(studyDir(results, name)),
    version: hypersweepVersion(),
  });
  const out = file ?? path.join(results, name, 'report.html');
  try {
    writeFileAtomic(out, html);
  } catch (error) {
    throw Errors.resultsUnwritable(out, error);
  }
  return { file: out, trials: state.trials.length };
}

/**
 * The study's state, its space extended by the distributions of define-by-run
 * parameters (the first each name was suggested with), so that the report
 * plots them as it plots the space file's.
 */
function readWithSuggestedSpace(results: string, name: string): StudyState {
  const file = path.join(studyDir(results, name), JOURNAL_FILE);
  if (!fs.existsSync(file)) throw Errors.studyNotFound(name, results);
  const { events } = readJournal(file);
  const state = foldJournal(events);
  const spec = state.created.spec as { params?: Record<string, Distribution> } | null;
  const extra: Record<string, Distribution> = {};
  for (const e of events) {
    if (e.event === 'param_suggested' && !(e.name in extra) && !(spec?.params && e.name in spec.params)) {
      extra[e.name] = e.distribution as Distribution;
    }
  }
  if (Object.keys(extra).length === 0) return state;
  return { ...state, created: { ...state.created, spec: { ...spec, params: { ...spec?.params, ...extra } } } };
}
