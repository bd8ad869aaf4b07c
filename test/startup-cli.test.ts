// Start-up of the CLI (issue 12): the top-level help is written from the
// command table in src/cli/program.ts without loading any command, and must
// read exactly as with every command loaded; the light commands (--help,
// status, leaderboard) must not load tfjs, sharp, the addon, BullMQ/ioredis or
// Piscina, nor the libraries only other commands need (zod, yaml, pino,
// progress bars, proper-lockfile: test/helpers/heavy-modules.ts). What a
// process loads is traced by test/helpers/module-trace.mjs.
// Times are measured by `npm run bench:startup`, not here.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { COMMANDS, commandNamed, createProgram, registerAllCommands, registerCommandsFor } from '../src/cli/program.js';
import { BIN, ensureBuilt, ROOT, runCli } from './helpers/cli.js';
import { heavyIn, startUpLibrariesIn } from './helpers/heavy-modules.js';
import { writeSyntheticJournal } from './helpers/synthetic-journal.js';

const TRACE = path.join(ROOT, 'test', 'helpers', 'module-trace.mjs');

let scratch = '';
beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-startup-'));
  writeSyntheticJournal(scratch, 'demo', { trials: 30, epochs: 3, pruned: 0.1, seed: 2 });
  // A study whose controller holds its lock right now: a fresh lock folder,
  // as proper-lockfile makes it, and the holder file beside it.
  writeSyntheticJournal(scratch, 'held', { trials: 5, epochs: 2, seed: 3 });
  fs.mkdirSync(path.join(scratch, 'held', 'journal.jsonl.lock'));
  fs.writeFileSync(
    path.join(scratch, 'held', 'lock.json'),
    JSON.stringify({ pid: process.pid, host: os.hostname(), started: new Date().toISOString() }),
  );
});
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** Runs the compiled CLI under the module trace; returns what it loaded. */
function loadedBy(args: string[]): { code: number | null; stdout: string; stderr: string; modules: string[] } {
  ensureBuilt();
  const trace = path.join(scratch, `trace-${args.join('-').replace(/[^\w-]/g, '_')}.txt`);
  fs.rmSync(trace, { force: true }); // the trace appends; a command run twice starts afresh
  const r = spawnSync(process.execPath, ['--import', TRACE, BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, HS_TRACE_FILE: trace },
    encoding: 'utf8',
  });
  const modules = fs.existsSync(trace) ? fs.readFileSync(trace, 'utf8').split('\n').filter(Boolean) : [];
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, modules };
}

function helpOf(program: Command): string {
  return program.helpInformation();
}

describe('the command table (src/cli/program.ts)', () => {
  it('the top-level help written from the table equals the one with every command loaded', async () => {
    const light = createProgram();
    await registerCommandsFor(light, ['--help']);
    const full = createProgram();
    await registerAllCommands(full);
    expect(helpOf(light)).toBe(helpOf(full));
    // Every command of the full program is in the table, and only those.
    expect(full.commands.map((c) => c.name())).toEqual(COMMANDS.map((e) => e.name));
  });

  it('names the command an argument list runs, `help <command>` included', () => {
    expect(commandNamed(['status', 'x'])?.name).toBe('status');
    expect(commandNamed(['help', 'resume'])?.name).toBe('resume');
    expect(commandNamed(['--help'])).toBeUndefined();
    expect(commandNamed(['statsu'])).toBeUndefined();
    expect(commandNamed([])).toBeUndefined();
  });

  it('loads only the named command: the others are not registered', async () => {
    const program = createProgram();
    await registerCommandsFor(program, ['resume', 'demo']);
    expect(program.commands.map((c) => c.name()).sort()).toEqual(['resume', 'sweep']);
  });
});

describe('the compiled CLI', () => {
  it('a misspelt command still gets commander\'s suggestion, exit 2', () => {
    const r = runCli(['statsu', 'demo']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'statsu'/);
    expect(r.stderr).toMatch(/Did you mean status\?/);
  });

  it('`help <command>` and `<command> --help` print that command\'s options', () => {
    for (const args of [['help', 'status'], ['status', '--help']]) {
      const r = runCli(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Usage: hypersweep status \[options\] <study>/);
      expect(r.stdout).toMatch(/--json/);
    }
  });

  it.each([
    ['--help', ['--help']],
    ['--version', ['--version']],
    ['status', ['status', 'demo']],
    ['status --json', ['status', 'demo', '--json']],
    ['leaderboard', ['leaderboard', 'demo']],
  ])('%s loads none of tfjs, sharp, the addon, bullmq, ioredis, piscina', (_label, args) => {
    const r = loadedBy([...args, ...(args[0]!.startsWith('-') ? [] : ['--results', scratch])]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // The trace works: it saw the bin and commander.
    expect(r.modules.some((m) => m.endsWith('/dist/cli/main.js'))).toBe(true);
    expect(r.modules.some((m) => m.includes('/node_modules/commander/'))).toBe(true);
    expect(heavyIn(r.modules)).toEqual([]);
  });

  it.each([
    ['--help', ['--help']],
    ['--version', ['--version']],
    ['status', ['status', 'demo']],
    ['status --json', ['status', 'demo', '--json']],
    ['leaderboard', ['leaderboard', 'demo']],
    ['leaderboard --format json', ['leaderboard', 'demo', '--format', 'json']],
  ])('%s loads no schema, YAML, logging, progress-bar or lock library either (start-up time)', (_label, args) => {
    const r = loadedBy([...args, ...(args[0]!.startsWith('-') ? [] : ['--results', scratch])]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(startUpLibrariesIn(r.modules)).toEqual([]);
  });

  it('status of a study whose lock is held says so, and still loads no lock library', () => {
    const r = loadedBy(['status', 'held', '--json', '--results', scratch]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const status = JSON.parse(r.stdout) as { controller: { active: boolean; holder: { pid: number } | null } };
    expect(status.controller.active).toBe(true);
    expect(status.controller.holder?.pid).toBe(process.pid);
    expect(startUpLibrariesIn(r.modules)).toEqual([]);
  });

  it('the trace does see heavy modules, imported or required (the check above can fail)', () => {
    const trace = path.join(scratch, 'trace-control.txt');
    const script =
      "import { createRequire } from 'node:module'; await import('piscina'); await import('zod'); " +
      "createRequire(import.meta.url)('ioredis'); createRequire(import.meta.url)('proper-lockfile');";
    const r = spawnSync(process.execPath, ['--import', TRACE, '--input-type=module', '-e', script], {
      cwd: ROOT,
      env: { ...process.env, HS_TRACE_FILE: trace },
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    const modules = fs.readFileSync(trace, 'utf8');
    expect(modules).toMatch(/\/node_modules\/piscina\//);
    expect(modules).toMatch(/\/node_modules\/ioredis\//);
    const lines = modules.split('\n');
    expect(startUpLibrariesIn(lines)).toEqual(['zod', 'proper-lockfile', 'graceful-fs']);
  });
});
