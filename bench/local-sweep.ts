// npm run bench:local-sweep — a whole local sweep of an instant objective, end
// to end, against Optuna 3.1 doing the same. Not a test: it prints figures.
//
// The sweep: a module objective that returns at once (the sum of squares of
// six floats x0..x5 in [-5, 5]), TPE with seed 1, 500 trials, run as a user
// would: `node dist/cli/main.js sweep <space> --trials 500 --sampler tpe
// --seed 1 --results <tmp> --quiet`, timed from spawn to exit (wall; several
// runs, median). What that measures is the controller's own cost per trial
// (ask, journal, dispatch to the worker thread and back, leaderboard) plus
// the CLI's start-up, since the trials cost nothing.
//
// The yardstick: bench/optuna_local.py under /usr/bin/python3 (Debian's
// python3-optuna 3.1): TPESampler(seed=1) on JournalStorage(JournalFileStorage),
// the same objective and space, timed from spawn to exit too; it also reports
// its in-process optimize time. Target: ours ≤ 0.1× Optuna's wall time.
//
// Also printed: `--help` and a bare `node -e 0` (start-up floors), the time to
// the first trial, the per-trial cost after it (from the journal's
// timestamps), and ours at 5,000 trials with TPE and with the random sampler:
// the controller's per-trial cost should not grow with the study's size (the
// random rows show it; TPE's own ask is O(n), in Optuna too).
//
// Options: --runs N (ours, default 5), --optuna-runs N (default 1), --trials N
// (default 500), --big N (default 5000; 0 skips the big rows), --skip-optuna,
// --python PATH (default /usr/bin/python3), --json (one JSON object on stdout).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { argValue, repoRoot } from './lib/sweep-run.js';
import { renderTable, verdict, type Cell } from './lib/table.js';
import { median } from './lib/timing.js';

const ROOT = repoRoot();
const BIN = path.join(ROOT, 'dist', 'cli', 'main.js');
const runs = Number(argValue('--runs') ?? 5);
const optunaRuns = Number(argValue('--optuna-runs') ?? 1);
const trials = Number(argValue('--trials') ?? 500);
const big = Number(argValue('--big') ?? 5000);
const python = argValue('--python') ?? '/usr/bin/python3';
const skipOptuna = process.argv.includes('--skip-optuna');
const json = process.argv.includes('--json');
const TARGET = 0.1;
const log = (line: string) => process.stderr.write(line);

// ---------------------------------------------------------------- setup

/** dist/ is what users run: rebuild it when a source file is newer. */
function ensureBuilt(): void {
  const newest = (dir: string): number =>
    fs.readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
      const p = path.join(dir, e.name);
      return Math.max(m, e.isDirectory() ? newest(p) : e.name.endsWith('.ts') ? fs.statSync(p).mtimeMs : 0);
    }, 0);
  if (fs.existsSync(BIN) && fs.statSync(BIN).mtimeMs >= newest(path.join(ROOT, 'src'))) return;
  log('building dist/ (tsc)…\n');
  const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (!fs.existsSync(BIN)) throw new Error(`tsc did not build ${BIN} (exit ${tsc.status})`);
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-bench-local-'));
process.on('exit', () => fs.rmSync(work, { recursive: true, force: true }));
fs.writeFileSync(
  path.join(work, 'objective.mjs'),
  '// bench:local-sweep: returns at once, so the sweep measures the controller, not the trials.\n' +
    'export async function objective(p) {\n' +
    '  return p.x0 ** 2 + p.x1 ** 2 + p.x2 ** 2 + p.x3 ** 2 + p.x4 ** 2 + p.x5 ** 2;\n' +
    '}\n',
);
const SPACE = path.join(work, 'space.yaml');
fs.writeFileSync(
  SPACE,
  [
    'name: local-sweep',
    'objective: {module: ./objective.mjs}',
    'metric: value',
    'direction: minimize',
    'params:',
    ...[0, 1, 2, 3, 4, 5].map((i) => `  x${i}: {type: float, low: -5, high: 5}`),
    'sampler: {type: tpe, seed: 1}',
    `budget: {trials: ${trials}}`,
    '',
  ].join('\n'),
);

// ---------------------------------------------------------------- timing a process

interface ProcessRun {
  wallS: number;
  /** User + system CPU seconds of the process, when /usr/bin/time is there to tell. */
  cpuS: number | null;
  stdout: string;
  startedAtMs: number;
}

const GNU_TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

/** Runs a command to its end: wall time from spawn to exit, and its CPU time. */
function timeProcess(command: string, args: readonly string[]): Promise<ProcessRun> {
  const cpuFile = path.join(work, 'cpu.txt');
  fs.rmSync(cpuFile, { force: true });
  const [cmd, argv] = GNU_TIME ? [GNU_TIME, ['-f', '%U %S', '-o', cpuFile, command, ...args]] : [command, [...args]];
  return new Promise((resolve, reject) => {
    const startedAtMs = Date.now();
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('exit', (code) => {
      const wallS = Number(process.hrtime.bigint() - t0) * 1e-9;
      if (code !== 0) return reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${stderr.trim().slice(-500)}`));
      let cpuS: number | null = null;
      try {
        const [u, s] = fs.readFileSync(cpuFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
        if (Number.isFinite(u) && Number.isFinite(s)) cpuS = u! + s!;
      } catch {
        // no /usr/bin/time output: CPU time not measured
      }
      resolve({ wallS, cpuS, stdout, startedAtMs });
    });
  });
}

// ---------------------------------------------------------------- ours

interface SweepRun extends ProcessRun {
  trials: number;
  /** Spawn to the first trial_started line (journal time stamps, ms resolution). */
  firstTrialS: number;
  /** (last trial_finished − first trial_started) / trials. */
  perTrialMs: number;
}

let sweepCounter = 0;
async function runOurs(n: number, sampler: 'tpe' | 'random'): Promise<SweepRun> {
  const results = path.join(work, `results-${sweepCounter++}`);
  const args = [BIN, 'sweep', SPACE, '--trials', String(n), '--sampler', sampler, '--seed', '1', '--results', results, '--quiet'];
  const run = await timeProcess(process.execPath, args);
  const dir = path.join(results, 'local-sweep');
  const events = fs
    .readFileSync(path.join(dir, 'journal.jsonl'), 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as { event: string; time: string; state?: string });
  const started = events.filter((e) => e.event === 'trial_started');
  const finished = events.filter((e) => e.event === 'trial_finished');
  const complete = finished.filter((e) => e.state === 'complete').length;
  if (complete !== n) throw new Error(`sweep: ${complete} of ${n} trials complete (${dir})`);
  const rows = fs.readFileSync(path.join(dir, 'leaderboard.jsonl'), 'utf8').trimEnd().split('\n').length;
  if (rows !== n) throw new Error(`sweep: leaderboard.jsonl has ${rows} rows, not ${n}`);
  const first = Date.parse(started[0]!.time);
  const last = Date.parse(finished[finished.length - 1]!.time);
  fs.rmSync(results, { recursive: true, force: true });
  return { ...run, trials: n, firstTrialS: (first - run.startedAtMs) / 1000, perTrialMs: (last - first) / n };
}

async function repeat<T>(count: number, label: string, fn: () => Promise<T>, show: (r: T) => string): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count; i++) {
    log(`  ${label} ${i + 1}/${count}… `);
    const r = await fn();
    log(`${show(r)}\n`);
    out.push(r);
  }
  return out;
}

// ---------------------------------------------------------------- Optuna

interface OptunaRun extends ProcessRun {
  version: string;
  importS: number;
  optimizeS: number;
  best: number;
}

function optunaAvailable(): string | null {
  const probe = spawnSync(python, ['-c', 'import optuna'], { encoding: 'utf8' });
  if (probe.error) return `${python} did not run (${probe.error.message}); apt-get install python3-optuna`;
  if (probe.status !== 0) return `${python} cannot import optuna; apt-get install python3-optuna`;
  return null;
}

async function runOptuna(n: number): Promise<OptunaRun> {
  const run = await timeProcess(python, [path.join(ROOT, 'bench', 'optuna_local.py'), '--trials', String(n), '--seed', '1']);
  const r = JSON.parse(run.stdout.trim().split('\n').pop()!) as { optuna: string; trials: number; import_s: number; optimize_s: number; best: number };
  if (r.trials !== n) throw new Error(`optuna: ${r.trials} of ${n} trials complete`);
  return { ...run, version: r.optuna, importS: r.import_s, optimizeS: r.optimize_s, best: r.best };
}

// ---------------------------------------------------------------- run

ensureBuilt();
const load = () => os.loadavg()[0]!.toFixed(1);
log(`bench:local-sweep — ${trials} instant trials (6 floats), ${os.availableParallelism()} cores, load ${load()}\n`);

const bare = await repeat(runs, 'node -e 0', () => timeProcess(process.execPath, ['-e', '0']), (r) => `${r.wallS.toFixed(2)} s`);
const help = await repeat(runs, 'hypersweep --help', () => timeProcess(process.execPath, [BIN, '--help']), (r) => `${r.wallS.toFixed(2)} s`);
const ours = await repeat(runs, `hypersweep sweep tpe ${trials}`, () => runOurs(trials, 'tpe'), (r) => `${r.wallS.toFixed(2)} s`);

const optunaSkip = skipOptuna ? 'skipped (--skip-optuna)' : optunaAvailable();
const optuna = optunaSkip
  ? []
  : await repeat(optunaRuns, `optuna tpe ${trials}`, () => runOptuna(trials), (r) => `${r.wallS.toFixed(2)} s (optimize ${r.optimizeS.toFixed(2)} s)`);

const bigRuns: { label: string; run: SweepRun }[] = [];
const randomSmall = big > 0 ? await repeat(1, `hypersweep sweep random ${trials}`, () => runOurs(trials, 'random'), (r) => `${r.wallS.toFixed(2)} s`) : [];
if (big > 0) {
  for (const sampler of ['random', 'tpe'] as const) {
    const [run] = await repeat(1, `hypersweep sweep ${sampler} ${big}`, () => runOurs(big, sampler), (r) => `${r.wallS.toFixed(2)} s`);
    bigRuns.push({ label: `hypersweep sweep, ${sampler}, ${big} trials`, run: run! });
  }
}

const med = <T>(xs: readonly T[], f: (x: T) => number | null): number | null => {
  const v = xs.map(f).filter((x): x is number => x !== null);
  return v.length ? median(v) : null;
};
const oursWall = med(ours, (r) => r.wallS)!;
const optunaWall = med(optuna, (r) => r.wallS);
const ratio = optunaWall === null ? null : oursWall / optunaWall;

const rows: Cell[][] = [
  ['node -e 0', med(bare, (r) => r.wallS), med(bare, (r) => r.cpuS), null, null],
  ['hypersweep --help', med(help, (r) => r.wallS), med(help, (r) => r.cpuS), null, null],
  [`hypersweep sweep, tpe, ${trials} trials`, oursWall, med(ours, (r) => r.cpuS), med(ours, (r) => r.firstTrialS), med(ours, (r) => r.perTrialMs)],
  ...(optuna.length
    ? [[`Optuna ${optuna[0]!.version} JournalFileStorage, tpe, ${trials}`, optunaWall, med(optuna, (r) => r.cpuS), med(optuna, (r) => r.importS), med(optuna, (r) => (r.optimizeS / trials) * 1000)] as Cell[]]
    : []),
  ...randomSmall.map((r) => [`hypersweep sweep, random, ${trials} trials`, r.wallS, r.cpuS, r.firstTrialS, r.perTrialMs] as Cell[]),
  ...bigRuns.map(({ label, run }) => [label, run.wallS, run.cpuS, run.firstTrialS, run.perTrialMs] as Cell[]),
];

if (json) {
  process.stdout.write(
    JSON.stringify({
      trials,
      load: Number(load()),
      cores: os.availableParallelism(),
      ours: ours.map(({ stdout: _, ...r }) => r),
      optuna: optuna.map(({ stdout: _, ...r }) => r),
      help: help.map((r) => r.wallS),
      bare: bare.map((r) => r.wallS),
      big: bigRuns.map(({ label, run: { stdout: _, ...r } }) => ({ label, ...r })),
      ratio,
      target: TARGET,
    }) + '\n',
  );
} else {
  const note = `median of ${runs} runs (ours), ${optuna.length} (Optuna); one run each for the other sweeps`;
  process.stdout.write(`\nlocal sweep of an instant objective, end to end (${note}; load ${load()} on ${os.availableParallelism()} cores)\n\n`);
  process.stdout.write(
    renderTable(['what', 'wall s', 'cpu s', 'to 1st trial s', 'per trial ms'], rows, [0, 2, 2, 2, 3]) + '\n',
  );
  process.stdout.write(
    '\n(Optuna\'s "to 1st trial" is its import time; its per-trial figure is optimize time / trials.' +
      (GNU_TIME ? '' : ' cpu s needs /usr/bin/time.') +
      ')\n',
  );
  if (optunaSkip) process.stdout.write(`Optuna: ${optunaSkip}\n`);
  process.stdout.write(
    `\nours / Optuna, wall, end to end: ${ratio === null ? '—' : ratio.toFixed(3)}   target ≤ ${TARGET}: ${verdict(ratio === null ? null : ratio <= TARGET)}\n`,
  );
}
