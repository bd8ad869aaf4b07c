// `hypersweep report <study>`: the study as one self-contained HTML page
// (see report/study-report.ts). Reads the journal only; works while the study runs.
import type { Command } from 'commander';

interface ReportOptions {
  out?: string;
  results: string;
}

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('write a self-contained HTML report of a study (history, curves, importance, leaderboard)')
    .argument('<study>', "the study's name (a folder under --results)")
    .option('--out <file>', 'the HTML file to write (default: <results>/<study>/report.html)')
    .option('--results <dir>', 'folder holding the studies', 'results')
    .action(async (study: string, opts: ReportOptions) => {
      // The report code loads only when the command runs (start-up of every other command).
      const { report } = await import('../../api/reading.js');
      const written = await report(study, opts.out, { results: opts.results });
      process.stdout.write(`report: ${written.file} (${written.trials} trials)\n`);
      process.exitCode = 0;
    });
}
