// `hypersweep sweep <space-file>` and `hypersweep resume <study>`: run a study's
// trials until its budget is reached, recording everything in its journal.
import type { Command } from 'commander';
import { parse as parseYamlValue } from 'yaml';

import { interruptedNotRetried, openStudy, startStudy, studySeed, withSamplerType } from '../../api/create.js';
import { runController } from '../../api/run.js';
import type { StopReason, SweepListener } from '../../dispatch/controller.js';
import { planWorkers } from '../../dispatch/plan.js';
import { DEFAULT_TIMINGS, type QueueTimings } from '../../dispatch/queue/protocol.js';
import { parseQueueUrl, type QueueAddress } from '../../dispatch/queue/address.js';
import { reserveLibuvThreads } from '../../dispatch/run-study.js';
import { parseDeviceRequest, resolveDevice } from '../../engine/device.js';
import { ENGINE_REQUESTS, checkEngineRequest, parseEngineRequest, type EngineRequest } from '../../engine/engine-request.js';
import { MAX_THREADS } from '../../engine/native.js';
import { Errors } from '../../errors.js';
import { createPruner, defaultPrunerSpec } from '../../pruners/create.js';
import { PRUNER_TYPES, type PrunerType } from '../../pruners/pruner.js';
import { createSampler } from '../../samplers/sampler.js';
import { loadSpaceFile } from '../../space/load.js';
import { parseDuration } from '../../space/validate.js';
import { SAMPLER_TYPES, type PrunerSpec, type SamplerType, type StudySpec } from '../../space/spec.js';
import type { StudyLock } from '../../study/lock.js';
import { bestTrial, countByState, type TrialRecord } from '../../study/state.js';
import { Study, studyDir, studyExists } from '../../study/study.js';
import { SAVE_WEIGHTS_POLICIES, type SaveWeightsPolicy } from '../../trials/weights.js';
import { collect, parseChoice, parseIntOption } from '../options.js';
import { printJsonLine } from '../output.js';
import { createSweepView, formatParams, viewMode, type SweepView } from '../sweep-view.js';

interface RunOptions {
  trials?: string;
  results: string;
  device: string;
  engine: string;
  workers?: string;
  threadsPerTrial?: string;
  threads?: string;
  pruner?: string;
  trialTimeout?: string;
  time?: string;
  saveWeights: string;
  queue?: string;
  lostAfter?: string;
  maxRetries?: string;
  json?: boolean;
  quiet?: boolean;
}
interface SweepOptions extends RunOptions {
  study?: string;
  sampler?: string;
  seed?: string;
  set?: string[];
  dataset?: string;
  forceNew?: boolean;
}

const MAX_TRIALS = 1_000_000;

function addRunOptions(cmd: Command): Command {
  return cmd
    .option('--trials <n>', "the study's total number of trials (default: the space file's budget)")
    .option('--results <dir>', 'folder holding the studies', 'results')
    .option('--device <device>', 'auto, cpu or cuda (MLP objectives)', 'auto')
    .option('--engine <engine>', `TensorFlow.js engine of CNN objectives: ${ENGINE_REQUESTS.join(', ')}`, 'auto')
    .option('--workers <w>', 'trials in flight at once here, each in a worker thread (default: min(cores, 2) for a model on the cpu, else 1; 0 with --queue)')
    .option('--threads-per-trial <t>', 'native threads of each trial (default: cores / workers)')
    .option('--threads <t>', 'same as --threads-per-trial')
    .option('--pruner <type>', `stop hopeless trials early: ${PRUNER_TYPES.join(', ')} (default: the space file's, else none)`)
    .option('--trial-timeout <duration>', 'record a trial running longer than this (e.g. 90s, 5m) failed, and go on')
    .option('--time <duration>', "stop starting trials after this long (e.g. 2h); default: the space file's budget.time")
    .option('--save-weights <policy>', 'which model trials keep their weights in <results>/<study>/trials/<n>/: best, all or none', 'best')
    .option('--queue <url>', 'distributed sweep: also dispatch trials to `hypersweep worker` processes through this Redis (redis[s]://[user:password@]host:port[/db]; default: $HYPERSWEEP_QUEUE)')
    .option('--lost-after <duration>', 'distributed sweep: presume a worker lost when its heartbeat stops this long (default 15s)')
    .option('--max-retries <n>', 'times a trial runs again after its worker was lost or handed it back (default 3)')
    .option('--quiet', 'print only the summary')
    .option('--json', 'print the summary as one JSON object on the last line of stdout');
}

export function registerSweepCommands(program: Command): void {
  addRunOptions(
    program
      .command('sweep')
      .description('start a study from a search-space file and run it to its budget')
      .argument('<space-file>', 'YAML or JSON search-space file (see search-spaces/)')
      .option('--study <name>', "the study's name (default: the space file's name)")
      .option('--sampler <type>', `override the space's sampler: ${SAMPLER_TYPES.join(', ')}`)
      .option('--seed <s>', 'study seed (default: the space file\'s, else a random one, recorded)')
      .option('--set <key=value>', 'pin a parameter or a fixed setting (repeatable), e.g. --set epochs=1', collect)
      .option('--dataset <name-or-folder>', "use this dataset instead of the space file's (CNNs: a folder of images)")
      .option('--force-new', 'if the study exists, move it aside (never deleted) and start again'),
  ).action(async (file: string, opts: SweepOptions) => {
    process.exitCode = await sweepCommand(file, opts);
  });
  addRunOptions(
    program
      .command('resume')
      .description('continue a study from its journal after a crash, a kill or Ctrl-C')
      .argument('<study>', "the study's name (a folder under --results)"),
  ).action(async (study: string, opts: RunOptions) => {
    process.exitCode = await resumeCommand(study, opts);
  });
}

async function sweepCommand(file: string, opts: SweepOptions): Promise<number> {
  let spec = loadSpaceFile(file, parseOverrides(opts.set ?? []), opts.dataset === undefined ? {} : { dataset: opts.dataset });
  if (opts.sampler) spec = withSamplerType(spec, parseChoice<SamplerType>('--sampler', opts.sampler, SAMPLER_TYPES));
  const seed = studySeed(spec, opts.seed !== undefined ? parseIntOption('--seed', opts.seed, 0, 0xffffffff) : undefined);
  const budget = opts.trials !== undefined ? parseIntOption('--trials', opts.trials, 1, MAX_TRIALS) : spec.budget.trials;
  // --pruner is recorded with the study, so that a resume goes on pruning alike.
  if (opts.pruner !== undefined) spec = { ...spec, pruner: prunerFromOption(opts.pruner, spec.pruner) };
  createPruner(spec.pruner, spec.direction, spec.file); // refuse bad pruner options before creating anything
  const name = opts.study ?? spec.name;
  studyDir(opts.results, name); // refuse a bad name first
  if (studyExists(opts.results, name) && !opts.forceNew) throw Errors.studyExists(name, opts.results);
  const runtime = runtimeFrom(opts, spec);
  createSampler(spec.sampler, spec.params, spec.direction, seed); // refuse a bad sampler before creating anything
  await checkQueue(runtime, opts);

  const { study, lock } = await startStudy(opts.results, name, spec, seed, { forceNew: opts.forceNew ?? false, onLockLost });
  try {
    return await drive(study, budget, runtime, [], opts, lock);
  } catch (err) {
    await lock.release();
    throw err;
  }
}

async function resumeCommand(name: string, opts: RunOptions): Promise<number> {
  if (!studyExists(opts.results, name)) throw Errors.studyNotFound(name, opts.results);
  const spec = Study.read(opts.results, name).created.spec as StudySpec;
  // A study made by the library API with its objective in the caller's code: nothing here can run its trials.
  if (spec.objective.kind === 'api') throw Errors.apiObjective(name);
  const runtime = runtimeFrom(opts, spec);
  if (runtime.pruner !== undefined) createPruner(runtime.pruner, spec.direction, spec.file);
  await checkQueue(runtime, opts);
  const { study, lock } = await openStudy(opts.results, name, {
    warn: (message) => process.stderr.write(`hypersweep: warning: ${message}\n`),
    onLockLost,
  });
  try {
    // Trials a killed controller left running: through a queue they may still run (or have
    // finished) on a worker, and are followed; locally they died with it and run again.
    const adopted = runtime.queue ? study.state.trials.filter((t) => t.state === 'running') : [];
    if (!runtime.queue) study.failInterrupted();
    const retries = interruptedNotRetried(study.state.trials);
    const budget =
      opts.trials !== undefined ? parseIntOption('--trials', opts.trials, 1, MAX_TRIALS) : study.spec.budget.trials;
    const out = opts.json ? process.stderr : process.stdout;
    if (!opts.quiet) {
      const counts = countByState(study.state.trials);
      out.write(
        `resuming ${name}: ${counts.complete} complete, ${counts.pruned} pruned, ${counts.failed} failed` +
          (retries.length ? `; running again ${retries.length} interrupted trial(s): ${retries.map((t) => t.number).join(', ')}` : '') +
          (adopted.length ? `; collecting ${adopted.length} trial(s) dispatched before: ${adopted.map((t) => t.number).join(', ')}` : '') +
          '\n',
      );
    }
    return await drive(study, budget, runtime, retries, opts, lock, adopted);
  } catch (err) {
    await lock.release();
    throw err;
  }
}

interface Runtime {
  device: 'cpu' | 'cuda';
  engine: EngineRequest;
  workers: number;
  threadsPerTrial: number;
  /** This run's pruner when --pruner overrides the study's (resume); undefined: the study's. */
  pruner: PrunerSpec | null | undefined;
  trialTimeoutSeconds: number | null;
  /** --time, else null (the study's budget.time applies). */
  timeSeconds: number | null;
  saveWeights: SaveWeightsPolicy;
  /** --queue (or HYPERSWEEP_QUEUE): a distributed sweep. */
  queue: { address: QueueAddress; timings: QueueTimings } | null;
  maxRetries: number | undefined;
}

function runtimeFrom(opts: RunOptions, spec: StudySpec): Runtime {
  const queueUrl = opts.queue ?? (process.env['HYPERSWEEP_QUEUE'] || undefined);
  const address = queueUrl === undefined ? null : parseQueueUrl(queueUrl);
  if (!address) {
    if (opts.lostAfter !== undefined) throw Errors.queueOptionWithoutQueue('--lost-after');
    if (opts.maxRetries !== undefined) throw Errors.queueOptionWithoutQueue('--max-retries');
  }
  const lostAfterMs =
    opts.lostAfter === undefined ? DEFAULT_TIMINGS.lostAfterMs : 1000 * parseDurationOption('--lost-after', opts.lostAfter);
  if (address && lostAfterMs < 3 * DEFAULT_TIMINGS.heartbeatMs) {
    throw Errors.invalidOption('--lost-after', opts.lostAfter, `at least ${(3 * DEFAULT_TIMINGS.heartbeatMs) / 1000}s (three heartbeats)`);
  }
  const localWorkers = opts.workers === undefined ? undefined : parseIntOption('--workers', opts.workers, address ? 0 : 1, 256);
  const device = resolveDevice(parseDeviceRequest(opts.device));
  if (opts.threads !== undefined && opts.threadsPerTrial !== undefined) {
    throw Errors.invalidOption('--threads', opts.threads, 'not given with --threads-per-trial (they are the same option)');
  }
  const threadsRaw = opts.threadsPerTrial ?? opts.threads;
  const threadsOption = opts.threadsPerTrial !== undefined ? '--threads-per-trial' : '--threads';
  const engine = checkEngineRequest(parseEngineRequest(opts.engine));
  // CNN trials on the cuda engine share the GPU: one at a time unless --workers says otherwise.
  const planDevice = engine === 'cuda' && spec.objective.kind === 'model' && spec.objective.model !== 'mlp' ? 'cuda' : device;
  const plan = planWorkers(spec.objective, planDevice, {
    ...(localWorkers !== undefined ? { workers: localWorkers } : address ? { workers: 0 } : {}),
    ...(threadsRaw !== undefined ? { threadsPerTrial: parseIntOption(threadsOption, threadsRaw, 1, MAX_THREADS) } : {}),
  });
  // Before anything starts libuv's thread pool (it is sized once).
  reserveLibuvThreads(plan.workers);
  return {
    device,
    engine,
    workers: plan.workers,
    threadsPerTrial: plan.threadsPerTrial,
    pruner: opts.pruner === undefined ? undefined : prunerFromOption(opts.pruner, spec.pruner),
    trialTimeoutSeconds: opts.trialTimeout === undefined ? null : parseDurationOption('--trial-timeout', opts.trialTimeout),
    timeSeconds: opts.time === undefined ? null : parseDurationOption('--time', opts.time),
    saveWeights: parseChoice<SaveWeightsPolicy>('--save-weights', opts.saveWeights, SAVE_WEIGHTS_POLICIES),
    queue: address ? { address, timings: { ...DEFAULT_TIMINGS, lostAfterMs } } : null,
    maxRetries: opts.maxRetries === undefined ? undefined : parseIntOption('--max-retries', opts.maxRetries, 0, 100),
  };
}

/**
 * A distributed sweep: Redis must answer (and accept the credentials) before
 * anything is written to the journal. Redis evicting keys would lose jobs.
 */
async function checkQueue(runtime: Runtime, opts: RunOptions): Promise<void> {
  if (!runtime.queue) return;
  const { checkRedis } = await import('../../dispatch/queue/redis.js');
  const check = await checkRedis(runtime.queue.address);
  const out = opts.json ? process.stderr : process.stdout;
  if (check.maxmemoryPolicy === null) {
    out.write(`hypersweep: warning: could not read maxmemory-policy of ${runtime.queue.address.shown} (make sure it is noeviction)\n`);
  } else if (check.maxmemoryPolicy !== 'noeviction') {
    out.write(
      `hypersweep: warning: Redis at ${runtime.queue.address.shown} has maxmemory-policy ${check.maxmemoryPolicy}: ` +
        'under memory pressure it may evict queued trials; set it to noeviction (CONFIG SET maxmemory-policy noeviction)\n',
    );
  }
}

/** `--pruner TYPE`: the space file's options when it names the same type, else the type's defaults. */
function prunerFromOption(raw: string, current: PrunerSpec | null): PrunerSpec {
  const type = parseChoice<PrunerType>('--pruner', raw, PRUNER_TYPES);
  return current?.type === type ? current : defaultPrunerSpec(type);
}

function parseDurationOption(option: string, raw: string): number {
  const seconds = /^\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : parseDuration(raw);
  if (seconds === null || !(seconds > 0)) throw Errors.invalidOption(option, raw, 'a duration like 90s, 30m, 2h or 1h30m (or seconds)');
  return seconds;
}

function onLockLost(err: Error): void {
  process.stderr.write(`hypersweep: error: lost the study lock (${err.message}); stopping\n`);
  process.exit(1);
}

/**
 * The view, plus one line the first time a trial says which TensorFlow.js
 * engine trained it (CNN trials pick their engine inside the workers).
 */
function announceEngine(view: SweepView): SweepListener {
  let announced = false;
  return {
    trialStarted: (t) => view.trialStarted?.(t),
    trialAssigned: (t) => view.trialAssigned?.(t),
    intermediate: (t, step, value, prune) => view.intermediate?.(t, step, value, prune),
    trialFinished: (t) => {
      const engine = t.metrics['engine'];
      if (!announced && typeof engine === 'string') {
        announced = true;
        view.log(`CNN trials train on the ${engine} engine (recorded in every trial's metrics)`);
      }
      view.trialFinished?.(t);
    },
  };
}

/** Runs the study to its budget with Ctrl-C handling, then prints the summary. */
async function drive(
  study: Study,
  budget: number,
  runtime: Runtime,
  retries: readonly TrialRecord[],
  opts: RunOptions,
  lock: StudyLock,
  adopted: readonly TrialRecord[] = [],
): Promise<number> {
  // With --json, stdout carries only the final JSON line: progress goes to stderr.
  const out = opts.json ? process.stderr : process.stdout;
  const view = createSweepView(study, budget, out, viewMode(out, opts.quiet ?? false));
  const choice = study.state.created.sampler_choice;
  if (choice) view.log(`sampler auto → ${choice.sampler}: ${choice.reason}`);
  const stopper = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    if (interrupts > 1) {
      // Every event already written is in the journal: aborting now loses only the running trials' progress.
      view.stop();
      process.stderr.write(`\nhypersweep: ${signal} again: aborting now; resume with: hypersweep resume ${study.name}\n`);
      process.exit(130);
    }
    view.log(
      `hypersweep: ${signal}: no new trials; running trials stop at their next epoch or report ` +
        `and are recorded interrupted (${signal === 'SIGINT' ? 'Ctrl-C' : signal} again to abort now)`,
    );
    stopper.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let reason: StopReason;
  try {
    const timeSeconds = runtime.timeSeconds ?? study.spec.budget.timeSeconds;
    if (runtime.queue && !opts.quiet) {
      view.log(
        `dispatching trials through ${runtime.queue.address.shown}` +
          (runtime.workers > 0 ? ` and ${runtime.workers} local worker(s)` : '') +
          `; start workers with: hypersweep worker --queue ${runtime.queue.address.shown}`,
      );
    }
    reason = await runController(study, {
      budget,
      timeSeconds,
      workers: runtime.workers,
      threadsPerTrial: runtime.threadsPerTrial,
      device: runtime.device,
      ...(runtime.pruner !== undefined ? { pruner: runtime.pruner } : {}),
      trialTimeoutSeconds: runtime.trialTimeoutSeconds,
      retries,
      signal: stopper.signal,
      listener: announceEngine(view),
      saveWeights: runtime.saveWeights,
      engine: runtime.engine,
      onNotice: (line) => view.log(line),
      queue: runtime.queue,
      adopted,
      ...(runtime.maxRetries !== undefined ? { maxRetries: runtime.maxRetries } : {}),
    });
  } finally {
    view.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    study.close();
    await lock.release();
  }
  const summary = summarize(study, reason);
  if (opts.json) printJsonLine(summary);
  else {
    const best = summary.best;
    process.stdout.write(
      `study ${study.name}: ${reason}; ${summary.counts.complete} complete, ${summary.counts.pruned} pruned, ` +
        `${summary.counts.failed} failed\n` +
        (best ? `best: trial ${best.trial} ${study.spec.metric}=${best.value} ${formatParams(best.params)}\n` : 'no complete trial yet\n') +
        `journal: ${study.journalFile}\n`,
    );
  }
  // After the journal is closed and the lock released, so that the command printed works at once.
  if (reason === 'interrupted' || reason === 'time') {
    (opts.json ? process.stderr : process.stdout).write(`resume with: hypersweep resume ${study.name}\n`);
  }
  return reason === 'interrupted' ? 130 : 0;
}

function summarize(study: Study, reason: StopReason) {
  const best = bestTrial(study.state.trials, study.spec.direction);
  return {
    study: study.name,
    stopped: reason,
    metric: study.spec.metric,
    direction: study.spec.direction,
    counts: countByState(study.state.trials),
    best: best ? { trial: best.number, params: best.params, value: best.value } : null,
    journal: study.journalFile,
  };
}

/** `--set key=value` assignments, values read as YAML scalars (1e-3, true, glorot). */
function parseOverrides(assignments: readonly string[]): Record<string, unknown> {
  const overrides: Record<string, unknown> = {};
  for (const assignment of assignments) {
    const eq = assignment.indexOf('=');
    if (eq <= 0) throw Errors.badAssignment(assignment, '--set');
    overrides[assignment.slice(0, eq).trim()] = parseYamlValue(assignment.slice(eq + 1));
  }
  return overrides;
}
