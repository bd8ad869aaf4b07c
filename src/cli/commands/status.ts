// `hypersweep status <study>`: where a study stands (see report/status.ts).
import type { Command } from 'commander';

interface StatusOptions {
  results: string;
  json?: boolean;
}

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description("a study's budget, trial counts, best trial, sampler, elapsed time and controller")
    .argument('<study>', "the study's name (a folder under --results)")
    .option('--results <dir>', 'folder holding the studies', 'results')
    .option('--json', 'print the status as one JSON object')
    .action(async (study: string, opts: StatusOptions) => {
      // The report code loads only when the command runs (start-up of every other command).
      const [{ formatDuration }, { formatStatus, studyStatus }, { printJsonLine }] = await Promise.all([
        import('../../report/leaderboard-format.js'),
        import('../../report/status.js'),
        import('../output.js'),
      ]);
      const status = await studyStatus(opts.results, study);
      if (opts.json) printJsonLine(status);
      else process.stdout.write(formatStatus(status, formatDuration));
      process.exitCode = 0;
    });
}
