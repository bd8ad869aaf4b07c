#!/usr/bin/env node
// The hypersweep command line. This file only wires the commands; each lives
// in commands/, and only the one that runs is loaded (see program.ts). User
// errors print one line on stderr and exit 2 (usage) or 1.
import { CommanderError } from 'commander';

import { createProgram, registerCommandsFor } from './program.js';

const EXIT_USAGE = 2;

async function main(argv: string[]): Promise<number> {
  try {
    const program = createProgram();
    await registerCommandsFor(program, argv.slice(2));
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has already printed its message; help and --version exit 0.
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    // The error printer (and the progress bars beside it) load only when needed.
    const { reportError } = await import('./output.js');
    return reportError(error);
  }
}

process.exitCode = await main(process.argv);
