// The Optuna yardstick of bench:distributed: Optuna 3.1 distributed the way its
// users do it, P processes optimising one study on a shared storage (its Redis
// journal, or PostgreSQL through RDBStorage), an instant objective, so the
// figure is trials/s of dispatch. bench/optuna_distributed.py does the work
// under Debian's /usr/bin/python3 (python3-optuna, python3-redis,
// python3-psycopg2); this runs it and reads its JSON lines.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { num, runJsonLines, str, yardstickEnv, type Availability, type JsonRecord } from './yardstick.js';

export type OptunaStorage = 'redis' | 'postgres';

export interface OptunaDistributedOptions {
  storage: OptunaStorage;
  /** Trials in all, split between the processes so that exactly this many run. */
  trials: number;
  processes: number;
  /**
   * shared (default): the processes draw the trials one at a time from one budget of `trials`
   * (a process the scheduler favours runs more, as with a shared queue); even: each runs
   * trials/processes, optimize(n_trials=...) as in Optuna's tutorial, so the slowest one sets the end.
   */
  split?: 'shared' | 'even';
  /** Runs, each on a fresh study (and fresh key prefix / database); the result is the fastest. Default 1. */
  repeat?: number;
  /** Default /usr/bin/python3 (the one with Debian's packages; plain `python3` may be another). */
  python?: string;
  /** Default redis://127.0.0.1:6379/0. Keys go under `hs_bench_optuna_<random>:` and are deleted after the run. */
  redisUrl?: string;
  /**
   * Default postgresql+psycopg2://postgres@127.0.0.1:5432/test: the server to use and the database to
   * connect to; the run creates a database `hs_bench_<random>` of its own there and drops it after
   * (a schema in the URL's database when the role cannot create databases).
   */
  pgUrl?: string;
  /** TPESampler seed of process 0; process i gets seed + i (+ 1000 × repetition). Default 0. */
  seed?: number;
  /** Each JSON record as it arrives (progress). */
  onRecord?: (record: JsonRecord) => void;
}

export interface OptunaDistributedRun {
  storage: OptunaStorage;
  trials: number;
  processes: number;
  /** From the barrier (every process has loaded the study) to the end of the last optimize(). */
  seconds: number;
  trialsPerS: number;
  /** From starting the processes (fresh interpreters) to the last one exiting. */
  wallS: number;
  /** Process start-up, import, storage connection and load_study: the part of wallS before the barrier. */
  startupS: number;
  split: 'shared' | 'even';
  /** Trials each process ran, ascending. */
  perProcess: number[];
  /** Seconds the first process to finish waited on the last one. */
  finishSpreadS: number;
  /** COMPLETE trials in the study afterwards (should equal trials). */
  complete: number;
  /** 1-minute load average before and after the run. */
  loadBefore: number;
  loadAfter: number;
  /** Optuna's version, e.g. "3.1.0". */
  optuna: string;
  record: JsonRecord;
}

/** The fastest run (by trials/s), with every run in `runs`. */
export type OptunaDistributedResult = OptunaDistributedRun & { runs: OptunaDistributedRun[] };

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'optuna_distributed.py');
const DEBIAN: Record<string, string> = { optuna: 'python3-optuna', redis: 'python3-redis', psycopg2: 'python3-psycopg2' };

/**
 * Whether `python` imports optuna, redis and psycopg2 (or only optuna and the
 * given storage's driver); the reason names the Debian packages to install.
 */
export function optunaDistributedAvailable(python = '/usr/bin/python3', storage?: OptunaStorage): Availability {
  const modules = ['optuna', ...(storage === 'redis' ? ['redis'] : storage === 'postgres' ? ['psycopg2'] : ['redis', 'psycopg2'])];
  const code = [
    'import importlib, sys',
    'missing = []',
    `for m in ${JSON.stringify(modules)}:`,
    '    try: importlib.import_module(m)',
    '    except Exception as e: missing.append(m); print(m, type(e).__name__, e, file=sys.stderr)',
    'print(" ".join(missing))',
  ].join('\n');
  const probe = spawnSync(python, ['-c', code], { encoding: 'utf8', env: yardstickEnv(), timeout: 60_000 });
  const all = modules.map((m) => DEBIAN[m]).join(' ');
  if (probe.error) return { ok: false, reason: `${python} did not run (${probe.error.message}); apt-get install ${all}` };
  if (probe.status !== 0) return { ok: false, reason: `${python} failed the import probe (${probe.stderr.trim().slice(-160)}); apt-get install ${all}` };
  const missing = probe.stdout.trim().split(/\s+/).filter((m) => m !== '');
  if (missing.length > 0) {
    const why = probe.stderr.trim().split('\n')[0]?.slice(0, 160) ?? '';
    return { ok: false, reason: `${python} cannot import ${missing.join(', ')} (${why}); apt-get install ${missing.map((m) => DEBIAN[m] ?? m).join(' ')}` };
  }
  return { ok: true, path: python };
}

function toRun(r: JsonRecord): OptunaDistributedRun {
  return {
    storage: str(r, 'storage') as OptunaStorage,
    trials: num(r, 'trials'),
    processes: num(r, 'processes'),
    seconds: num(r, 'seconds'),
    trialsPerS: num(r, 'trials_per_s'),
    wallS: num(r, 'wall_s'),
    startupS: num(r, 'startup_s'),
    split: str(r, 'split') as 'shared' | 'even',
    perProcess: Array.isArray(r.per_process) ? (r.per_process as number[]) : [],
    finishSpreadS: num(r, 'finish_spread_s'),
    complete: num(r, 'complete'),
    loadBefore: num(r, 'load_before'),
    loadAfter: num(r, 'load_after'),
    optuna: str(r, 'optuna'),
    record: r,
  };
}

/**
 * Runs bench/optuna_distributed.py: `trials` trials of TPE on an instant
 * objective, by `processes` processes sharing one study on `storage`.
 * Resolves with `{ skipped }` when Python or its packages are missing, the
 * server is unreachable, or the script fails (the reason says which).
 */
export async function runOptunaDistributed(options: OptunaDistributedOptions): Promise<OptunaDistributedResult | { skipped: string }> {
  const python = options.python ?? '/usr/bin/python3';
  const available = optunaDistributedAvailable(python, options.storage);
  if (!available.ok) return { skipped: available.reason };
  const args = [
    SCRIPT,
    '--storage', options.storage,
    '--trials', String(options.trials),
    '--processes', String(options.processes),
    '--repeat', String(options.repeat ?? 1),
    '--seed', String(options.seed ?? 0),
    '--split', options.split ?? 'shared',
  ];
  if (options.redisUrl !== undefined) args.push('--redis-url', options.redisUrl);
  if (options.pgUrl !== undefined) args.push('--pg-url', options.pgUrl);
  let records: JsonRecord[];
  try {
    records = await runJsonLines(python, args, yardstickEnv(), options.onRecord);
  } catch (error) {
    return { skipped: `Optuna ${options.storage} yardstick failed (${(error as Error).message})` };
  }
  const skipped = records.find((r) => r.kind === 'skipped');
  if (skipped) return { skipped: str(skipped, 'reason') };
  const runs = records.filter((r) => r.kind === 'optuna_distributed').map(toRun);
  const best = runs.reduce<OptunaDistributedRun | undefined>((a, b) => (a === undefined || b.trialsPerS > a.trialsPerS ? b : a), undefined);
  if (best === undefined) return { skipped: `Optuna ${options.storage} yardstick printed no result` };
  return { ...best, runs };
}
