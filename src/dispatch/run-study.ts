// Runs a study's trials on a worker pool until its budget (or a stop): the
// one entry point shared by `hypersweep sweep/resume` and the benchmarks.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';


import type { DeviceName } from '../engine/addon-types.js';
import type { EngineRequest } from '../engine/engine-request.js';
import { buildInfo } from '../engine/native.js';
import { hypersweepVersion } from '../trials/record.js';
import { studyLearners, type Learners } from '../api/learners.js';
import type { ObjectiveSpec, PrunerSpec } from '../space/spec.js';
import { LeaderboardWriter } from '../study/leaderboard-writer.js';
import { bestTrial, type TrialRecord } from '../study/state.js';
import type { Study } from '../study/study.js';
import { loadStudyDataset } from '../trials/objective.js';
import { removeTrialWeights, type SaveWeightsPolicy } from '../trials/weights.js';
import { fileControl, type ControlRequest, type ControlTransport } from '../study/control.js';
import { runSweep, type StopReason, type SweepListener, type SweepOptions } from './controller.js';
import { MixedExecutor } from './mixed.js';
import { TrialPool, type TrialExecutor } from './pool.js';
import type { QueueExecutor } from './queue/queue-executor.js';
import type { QueueAddress } from './queue/address.js';
import type { QueueTimings } from './queue/protocol.js';

export interface StudyRunOptions {
  budget: number;
  timeSeconds: number | null;
  workers: number;
  threadsPerTrial: number;
  device: DeviceName;
  /** The pruner for this run (default: the study's). */
  pruner?: PrunerSpec | null;
  trialTimeoutSeconds?: number | null;
  retries?: readonly TrialRecord[];
  signal?: AbortSignal;
  listener?: SweepListener;
  /** Which complete model trials keep their weights under results/<study>/trials/<n>/ (default: best). */
  saveWeights?: SaveWeightsPolicy;
  /** CNN trials: the TensorFlow.js engine (default auto). */
  engine?: EngineRequest;
  /** Told about data problems worth a line (image files skipped, blank images dropped), and queue events. */
  onNotice?: (line: string) => void;
  /** A distributed sweep: trials also go to `hypersweep worker` processes through this Redis. */
  queue?: { address: QueueAddress; timings: QueueTimings } | null;
  /** Trials left running by a killed controller of a distributed sweep, to collect instead of re-running. */
  adopted?: readonly TrialRecord[];
  /** Times a trial's params run again after lost workers or hand-backs. */
  maxRetries?: number;
  /** The library API: its study handle's sampler and pruner (up to date), shared with its ask-and-tell. */
  learners?: Learners;
  /** Run the trials here instead of a pool (the library API: an objective function in this process). */
  executor?: TrialExecutor;
  /** The pool's trials run this objective instead of the study's (the library API: optimize('./module.mjs')). */
  objective?: ObjectiveSpec;
  /** Follow the study's control channel (control.jsonl: the dashboard's actions); default true. */
  control?: boolean;
}

export async function runStudy(study: Study, options: StudyRunOptions): Promise<StopReason> {
  const spec = study.spec;
  const { sampler, pruner } = options.learners ?? studyLearners(study, options.pruner === undefined ? spec.pruner : options.pruner);
  const resultsDir = path.dirname(study.dir);
  const policy = options.saveWeights ?? 'best';
  const saving = spec.objective.kind === 'model' && policy !== 'none';
  const queue = options.queue ? await openQueue(study, options, saving) : null;
  let pool: TrialPool | null = null;
  try {
    if (options.workers > 0 && !options.executor) {
      // Loaded once here, shared with every worker (SharedArrayBuffers, not copies).
      const dataset = spec.objective.kind === 'model' ? await loadStudyDataset(spec, resultsDir, options.onNotice) : null;
      pool = new TrialPool(options.workers, {
        spec: options.objective ? { ...spec, objective: options.objective } : spec,
        runtime: {
          device: options.device,
          threads: options.threadsPerTrial,
          ...(options.engine ? { engine: options.engine } : {}),
          weights: saving ? { resultsDir, study: study.name } : null,
        },
        dataset,
      });
    }
  } catch (err) {
    await queue?.close();
    throw err;
  }
  const executor: TrialExecutor = options.executor ?? (queue ? (pool ? new MixedExecutor(pool, options.workers, queue) : queue) : pool!);
  // Under 'best', the weights kept on disk: the study's best finished trial's.
  let keptBest = bestTrial(study.state.trials, spec.direction)?.number ?? null;
  const leaderboard = new LeaderboardWriter(resultsDir, study.name, study.state);
  const onFinished = (trial: TrialRecord): void => {
    // The ranked view beside the journal: rewritten at most once a second during the sweep, exact at its end.
    leaderboard.markDirty();
    if (!saving || policy !== 'best') return;
    const best = bestTrial(study.state.trials, spec.direction)?.number ?? null;
    if (best !== trial.number) removeTrialWeights(resultsDir, study.name, trial.number);
    else if (keptBest !== null && keptBest !== best) removeTrialWeights(resultsDir, study.name, keptBest);
    keptBest = best;
  };
  const outer = options.listener;
  const listener: SweepListener = {
    trialStarted: (trial) => outer?.trialStarted?.(trial),
    trialAssigned: (trial) => outer?.trialAssigned?.(trial),
    intermediate: (trial, step, value, prune) => outer?.intermediate?.(trial, step, value, prune),
    trialFinished: (trial) => {
      onFinished(trial);
      outer?.trialFinished?.(trial);
    },
  };
  leaderboard.markDirty();
  const control = options.control === false ? null : followControl(study, options.onNotice, options.queue?.address ?? null);
  try {
    await pool?.prepare();
    if (queue && options.adopted?.length) await queue.prepareAdoption(options.adopted.map((t) => t.number));
    return await runSweep(study, sampler, executor, {
      budget: options.budget,
      timeSeconds: options.timeSeconds,
      workers: options.workers,
      pruner,
      trialTimeoutSeconds: options.trialTimeoutSeconds ?? null,
      ...(options.retries ? { retries: options.retries } : {}),
      ...(options.adopted ? { adopted: options.adopted } : {}),
      ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(control ? { control: control.subscribe } : {}),
      listener,
    });
  } finally {
    await control?.closed();
    await pool?.close();
    await queue?.close();
    leaderboard.flush();
  }
}

/**
 * Connects the study to its queue. What the workers need to run its trials
 * goes with it: the space, a module objective's code (checked by hash on the
 * worker), and what must match for the numbers to agree (version, addon build,
 * GEMM kernels).
 */
async function openQueue(study: Study, options: StudyRunOptions, saving: boolean): Promise<QueueExecutor> {
  const spec = study.spec;
  const { QueueExecutor } = await import('./queue/queue-executor.js');
  const model = spec.objective.kind === 'model';
  const build = model ? buildInfo() : null;
  const code =
    spec.objective.kind === 'module'
      ? (() => {
          const source = fs.readFileSync(spec.objective.path);
          // Where a worker's --code-root finds it: relative to this working folder when inside it.
          const relative = path.relative(process.cwd(), spec.objective.path);
          return {
            module: relative.startsWith('..') || path.isAbsolute(relative) ? spec.objective.module : relative,
            path: spec.objective.path,
            sha256: createHash('sha256').update(source).digest('hex'),
            source: source.toString('utf8'),
          };
        })()
      : null;
  return QueueExecutor.open({
    address: options.queue!.address,
    study,
    resultsDir: path.dirname(study.dir),
    timings: options.queue!.timings,
    ...(options.onNotice ? { onNotice: options.onNotice } : {}),
    info: {
      identity: { version: hypersweepVersion(), build: build?.buildId ?? null, simd: build && options.device === 'cpu' ? build.simd : null },
      spec: spec as unknown as Record<string, unknown>,
      code,
      runtime: { device: options.device, engine: options.engine ?? null, saveWeights: saving },
    },
  });
}

/**
 * The dashboard's requests reach the controller through the study's control
 * file (src/study/control.ts) and, for a distributed sweep, its control stream
 * in the queue's Redis too (control-redis.ts: a dashboard on another machine).
 * `closed` resolves once both are let go (the stream deleted).
 */
function followControl(
  study: Study,
  onNotice: ((line: string) => void) | undefined,
  queue: QueueAddress | null,
): { subscribe: NonNullable<SweepOptions['control']>; closed(): Promise<void> } {
  let closing: Promise<unknown> = Promise.resolve();
  return {
    subscribe: (apply) => {
      const onRequest = (request: ControlRequest) => {
        onNotice?.(`control: ${request.action}${'trial' in request ? ` trial ${request.trial}` : ''}${'budget' in request ? ` budget ${request.budget}` : ''} (from ${request.source})`);
        apply(request);
      };
      const onProblem = (problem: string) => onNotice?.(problem);
      const transports: Array<Promise<ControlTransport>> = [Promise.resolve(fileControl(study.dir))];
      if (queue) {
        transports.push(import('../study/control-redis.js').then(({ redisControl, studyKey }) => redisControl(queue, studyKey(study.name, study.state.created.time))));
      }
      const watches = transports.map((t) => t.then((transport) => transport.follow(onRequest, onProblem)));
      return () => {
        closing = Promise.all(watches.map((w) => w.then((watch) => watch.close()))).catch((err: Error) => onProblem(`control: ${err.message}`));
      };
    },
    closed: () => closing.then(() => undefined),
  };
}

/**
 * Every native call of a trial (an epoch, an evaluation) holds one libuv
 * thread while it runs, and libuv has 4 unless told otherwise: more workers
 * than that would queue behind each other. Must run before libuv's pool first
 * starts (it is sized once), so the sweep command calls it first thing.
 */
export function reserveLibuvThreads(workers: number): void {
  const wanted = workers + 2;
  const current = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  if (!(current >= wanted)) process.env.UV_THREADPOOL_SIZE = String(Math.min(1024, wanted));
}
