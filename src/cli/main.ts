#!/usr/bin/env node
// The hypersweep command line. This file only wires the commands; each lives
// in commands/. User errors print one line on stderr and exit 2 (usage) or 1.
import { Command, CommanderError } from 'commander';

import { hypersweepVersion } from '../trials/record.js';
import { registerGradcheckCommand } from './commands/gradcheck.js';
import { registerInsideCommands } from './commands/inside.js';
import { registerLeaderboardCommand } from './commands/leaderboard.js';
import { registerReportCommand } from './commands/report.js';
import { registerReproCommand } from './commands/repro.js';
import { registerStatusCommand } from './commands/status.js';
import { registerSweepCommands } from './commands/sweep.js';
import { registerTrialCommand } from './commands/trial.js';
import { registerWorkerCommand } from './commands/worker.js';
import { reportError } from './output.js';

const EXIT_USAGE = 2;

function buildProgram(): Command {
  const program = new Command('hypersweep')
    .description('hyperparameter search for Node.js with a native C++/CUDA training core')
    .version(hypersweepVersion())
    // Throw instead of exiting, so that every exit goes through one place;
    // set before the subcommands are added so that they inherit it.
    .exitOverride()
    .configureOutput({
      outputError: (text, write) => write(`hypersweep: ${text.trimEnd()} (see hypersweep --help)\n`),
    });
  registerTrialCommand(program);
  registerGradcheckCommand(program);
  registerSweepCommands(program);
  registerLeaderboardCommand(program);
  registerStatusCommand(program);
  registerReportCommand(program);
  registerReproCommand(program);
  registerInsideCommands(program);
  registerWorkerCommand(program);
  return program;
}

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has already printed its message; help and --version exit 0.
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    return reportError(error);
  }
}

process.exitCode = await main(process.argv);
