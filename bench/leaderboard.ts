// node --import tsx bench/leaderboard.ts [--trials N] [--epochs E]
//
// How long a leaderboard of a 10,000-trial study takes (issue 5: under a
// second). A synthetic MLP-like journal (10 epochs of metrics per trial, an
// intermediate value per epoch; 10% pruned, 5% failed) is written to a temp
// folder, then timed:
//   in-process  read the journal as the CLI does (readStudyForRanking), rank,
//               format the table (median of 5); and with the full reader
//               (Study.read: every line parsed) for comparison
//   rewrite     writeLeaderboard (the per-trial hook: rank all, write, rename)
//   CLI         `node dist/cli/main.js leaderboard <study> --top 20`, end to end
//               (process start included), median of 5; and `--version` as the
//               floor every command pays to start.
// Not a test: it prints figures.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { formatTable } from '../src/report/leaderboard-format.js';
import { rankStudies, readStudyForRanking, writeLeaderboard } from '../src/study/leaderboard.js';
import { Study } from '../src/study/study.js';
import { writeSyntheticJournal } from '../test/helpers/synthetic-journal.js';
import { median, nowS } from './lib/timing.js';
import { renderTable } from './lib/table.js';

const argValue = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const trials = Number(argValue('--trials') ?? 10_000);
const epochs = Number(argValue('--epochs') ?? 10);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'dist', 'cli', 'main.js');

const results = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-bench-lb-'));
try {
  const { file } = writeSyntheticJournal(results, 'big', { trials, epochs, pruned: 0.1, failed: 0.05, seed: 3 });
  const size = fs.statSync(file).size;
  console.log(`journal: ${trials} trials, ${epochs} epochs each, ${(size / 1e6).toFixed(1)} MB (${file})`);

  const timed = (fn: () => void, n = 5): number => {
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = nowS();
      fn();
      times.push(nowS() - t);
    }
    return median(times);
  };
  let rows = 0;
  const inProcess = timed(() => {
    const state = readStudyForRanking(results, 'big');
    const board = rankStudies([{ name: 'big', state }], { top: 20 });
    rows = board.rows.length;
    formatTable(board);
  });
  const fullReader = timed(() => {
    formatTable(rankStudies([{ name: 'big', state: Study.read(results, 'big') }], { top: 20 }));
  });
  const state = Study.read(results, 'big');
  const rewrite = timed(() => writeLeaderboard(results, 'big', state));

  const cli = (args: string[]) =>
    timed(() => {
      const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
    });
  const haveBin = fs.existsSync(bin);
  const cliLeaderboard = haveBin ? cli(['leaderboard', 'big', '--results', results, '--top', '20']) : null;
  const cliVersion = haveBin ? cli(['--version']) : null;

  console.log(
    renderTable(
      ['what', 'seconds', 'under 1 s'],
      [
        [`read + rank + table (in process, top ${rows})`, inProcess, inProcess < 1 ? 'yes' : 'NO'],
        ['  the same with the full reader (Study.read)', fullReader, fullReader < 1 ? 'yes' : 'NO'],
        ['writeLeaderboard (all finished trials)', rewrite, rewrite < 1 ? 'yes' : 'NO'],
        ['CLI leaderboard --top 20, end to end', cliLeaderboard, cliLeaderboard === null ? null : cliLeaderboard < 1 ? 'yes' : 'NO'],
        ['CLI --version (startup floor)', cliVersion, null],
      ],
      3,
    ),
  );
  if (!haveBin) console.log('(dist/cli/main.js missing: run npm run build:ts for the CLI rows)');
} finally {
  fs.rmSync(results, { recursive: true, force: true });
}
