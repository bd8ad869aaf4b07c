// `hypersweep report <study>`: the study as one self-contained HTML page
// (see report/study-report.ts). Reads the journal only; works while the study runs.
import path from 'node:path';

import type { Command } from 'commander';

import { Errors } from '../../errors.js';
import { hypersweepVersion } from '../../trials/record.js';

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
      const [{ writeFileAtomic }, { isStudyLocked }, { Study, studyDir }, { buildStudyReport }] = await Promise.all([
        import('../../study/leaderboard.js'),
        import('../../study/lock.js'),
        import('../../study/study.js'),
        import('../../report/study-report.js'),
      ]);
      const state = Study.read(opts.results, study);
      const html = buildStudyReport(study, state, {
        generated: new Date(),
        controllerActive: await isStudyLocked(studyDir(opts.results, study)),
        version: hypersweepVersion(),
      });
      const file = opts.out ?? path.join(opts.results, study, 'report.html');
      try {
        writeFileAtomic(file, html);
      } catch (error) {
        throw Errors.resultsUnwritable(file, error);
      }
      process.stdout.write(`report: ${file} (${state.trials.length} trials)\n`);
      process.exitCode = 0;
    });
}
