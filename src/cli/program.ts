// The command table of the CLI and how a program is built from it. Only the
// command that runs is loaded: its module drags in what it needs (the addon,
// tfjs, sharp, the samplers, BullMQ...), which a light command or --help must
// not pay for at start-up. The top-level help lists every command from the
// table below without loading any; test/startup-cli.test.ts checks that this
// help equals the one of a program with every command loaded, so the table
// cannot drift from the commands' own definitions.
import { Command, Help } from 'commander';

import { hypersweepVersion } from '../version.js';

type Register = (program: Command) => void;

export interface CommandEntry {
  readonly name: string;
  /** The command's line in the top-level help, as commander writes it. */
  readonly term: string;
  readonly summary: string;
  /** Loads the command's module; its register function may add sibling commands too (sweep and resume). */
  readonly load: () => Promise<Register>;
}

/** Every command, in the order of the help. */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'trial',
    term: 'trial [options] <workload>',
    summary: 'train one model and append its record to <results>/trials.jsonl',
    load: async () => (await import('./commands/trial.js')).registerTrialCommand,
  },
  {
    name: 'gradcheck',
    term: 'gradcheck [options]',
    summary:
      'compare backprop with central differences (eps = 1/N, N in 100, 200, 1000, 10000, 100000) ' +
      'on the first 10 weights of the first row of W2, first training sample',
    load: async () => (await import('./commands/gradcheck.js')).registerGradcheckCommand,
  },
  {
    name: 'sweep',
    term: 'sweep [options] <space-file>',
    summary: 'start a study from a search-space file and run it to its budget',
    load: async () => (await import('./commands/sweep.js')).registerSweepCommands,
  },
  {
    name: 'resume',
    term: 'resume [options] <study>',
    summary: 'continue a study from its journal after a crash, a kill or Ctrl-C',
    load: async () => (await import('./commands/sweep.js')).registerSweepCommands,
  },
  {
    name: 'leaderboard',
    term: 'leaderboard [options] [studies...]',
    summary: "rank finished trials by their study's metric (reads the journals only)",
    load: async () => (await import('./commands/leaderboard.js')).registerLeaderboardCommand,
  },
  {
    name: 'status',
    term: 'status [options] <study>',
    summary: "a study's budget, trial counts, best trial, sampler, elapsed time and controller",
    load: async () => (await import('./commands/status.js')).registerStatusCommand,
  },
  {
    name: 'report',
    term: 'report [options] <study>',
    summary: 'write a self-contained HTML report of a study (history, curves, importance, leaderboard)',
    load: async () => (await import('./commands/report.js')).registerReportCommand,
  },
  {
    name: 'repro',
    term: 'repro [options] <study> <trial>',
    summary: 're-run one trial of a study and compare its metrics with the recorded ones (exit 1 on mismatch)',
    load: async () => (await import('./commands/repro.js')).registerReproCommand,
  },
  {
    name: 'featuremaps',
    term: 'featuremaps [options] <study> <trial>',
    summary: "write the first convolution layer's feature maps of one image as a PNG grid",
    load: async () => (await import('./commands/inside.js')).registerInsideCommands,
  },
  {
    name: 'misclassified',
    term: 'misclassified [options] <study> <trial>',
    summary:
      'list the validation images a CNN trial got most wrong and those nearest the decision boundary; ' +
      'write a contact sheet PNG',
    load: async () => (await import('./commands/inside.js')).registerInsideCommands,
  },
  {
    name: 'worker',
    term: 'worker [options]',
    summary: 'serve the trials of distributed sweeps (sweep --queue) on this machine, until Ctrl-C',
    load: async () => (await import('./commands/worker.js')).registerWorkerCommand,
  },
  {
    name: 'dashboard',
    term: 'dashboard [options]',
    summary: 'serve a live dashboard of the studies under --results (watch, compare and act on running sweeps)',
    load: async () => (await import('./commands/dashboard.js')).registerDashboardCommand,
  },
];

/** The program without commands: name, version, error output. */
export function createProgram(): Command {
  return (
    new Command('hypersweep')
      .description('hyperparameter search for Node.js with a native C++/CUDA training core')
      .version(hypersweepVersion())
      // Throw instead of exiting, so that every exit goes through one place;
      // set before the subcommands are added so that they inherit it.
      .exitOverride()
      .configureOutput({
        outputError: (text, write) => write(`hypersweep: ${text.trimEnd()} (see hypersweep --help)\n`),
      })
  );
}

/** The command an argument list runs (`hypersweep help <cmd>` included), if it names one. */
export function commandNamed(args: readonly string[]): CommandEntry | undefined {
  const name = args[0] === 'help' ? args[1] : args[0];
  return COMMANDS.find((entry) => entry.name === name);
}

/** Adds every command, each fully defined (tests; the help of a program that loads everything). */
export async function registerAllCommands(program: Command): Promise<void> {
  const registers = new Set<Register>();
  for (const entry of COMMANDS) registers.add(await entry.load());
  for (const register of registers) register(program);
}

/**
 * Adds what `args` (the arguments after the script) need: the one command they
 * name, fully defined; otherwise (--help, --version, no or an unknown command)
 * a placeholder per command carrying only its help line, so that the help and
 * commander's "unknown command, did you mean" work with nothing loaded.
 */
export async function registerCommandsFor(program: Command, args: readonly string[]): Promise<void> {
  const entry = commandNamed(args);
  if (entry) {
    (await entry.load())(program);
    return;
  }
  const terms = new Map(COMMANDS.map((e) => [e.name, e.term]));
  const help = new Help();
  program.configureHelp({ subcommandTerm: (cmd) => terms.get(cmd.name()) ?? help.subcommandTerm(cmd) });
  for (const e of COMMANDS) program.command(e.name).description(e.summary);
}
