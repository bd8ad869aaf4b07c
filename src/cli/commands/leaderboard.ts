// `hypersweep leaderboard [<study> …]`: finished trials ranked by the studies'
// metric. Reads journals only (see study/leaderboard.ts) — no dataset, no addon.
import type { Command } from 'commander';

import { rankLeaderboard, readStudies } from '../../api/reading.js';
import { formatLeaderboard, LEADERBOARD_FORMATS, type LeaderboardFormat } from '../../report/leaderboard-format.js';
import { parseWhere, STATE_FILTERS, writeLeaderboard, type Direction, type StateFilter } from '../../study/leaderboard.js';
import { collect, parseChoice, parseIntOption } from '../options.js';

interface LeaderboardOptions {
  top?: string;
  metric?: string;
  direction?: string;
  state: string;
  where?: string[];
  format: string;
  results: string;
  rebuild?: boolean;
}

const DIRECTIONS: readonly Direction[] = ['maximize', 'minimize'];

export function registerLeaderboardCommand(program: Command): void {
  program
    .command('leaderboard')
    .description("rank finished trials by their study's metric (reads the journals only)")
    .argument('[studies...]', 'study names (default: every study under --results)')
    .option('--top <k>', 'show the best K rows only')
    .option('--metric <m>', "rank by this metric instead of the study's (e.g. test_accuracy, train_loss)")
    .option('--direction <d>', `with --metric: ${DIRECTIONS.join(' or ')} (default: the study's, or implied by the name)`)
    .option('--state <s>', `trials to list: ${STATE_FILTERS.join(', ')}`, 'complete')
    .option('--where <cond>', "keep rows where all hold, e.g. 'batch_size=64,alpha0<1' (repeatable)", collect)
    .option('--format <f>', `output: ${LEADERBOARD_FORMATS.join(', ')}`, 'table')
    .option('--results <dir>', 'folder holding the studies', 'results')
    .option('--rebuild', 'rewrite each study\'s leaderboard.jsonl from its journal first')
    .action((studies: string[], opts: LeaderboardOptions) => {
      process.exitCode = leaderboardCommand(studies, opts);
    });
}

function leaderboardCommand(names: string[], opts: LeaderboardOptions): number {
  const format = parseChoice<LeaderboardFormat>('--format', opts.format, LEADERBOARD_FORMATS);
  const state = parseChoice<StateFilter>('--state', opts.state, STATE_FILTERS);
  const top = opts.top === undefined ? undefined : parseIntOption('--top', opts.top, 1, Number.MAX_SAFE_INTEGER);
  const direction = opts.direction === undefined ? undefined : parseChoice<Direction>('--direction', opts.direction, DIRECTIONS);
  const where = opts.where ?? [];
  where.forEach(parseWhere); // a bad --where is refused before any journal is read
  const studies = readStudies(names, opts.results);
  if (opts.rebuild) {
    for (const s of studies) {
      const file = writeLeaderboard(opts.results, s.name, s.state);
      process.stderr.write(`rebuilt ${file} from the journal\n`);
    }
  }
  const board = rankLeaderboard(studies, {
    state,
    where,
    ...(opts.metric === undefined ? {} : { metric: opts.metric }),
    ...(direction === undefined ? {} : { direction }),
    ...(top === undefined ? {} : { top }),
  });
  process.stdout.write(formatLeaderboard(board, format));
  return 0;
}
