// The pool of worker threads that run trials (Piscina). One thread per trial
// in flight; a thread that dies is replaced by Piscina, and a task can be
// aborted (its thread terminated and replaced) through an AbortSignal.
import { Piscina } from 'piscina';

import type { ParamValue } from '../api/types.js';
import { Errors } from '../errors.js';
import type { Distribution } from '../space/distributions.js';
import { ControllerLink, type SuggestAnswerer } from './link.js';
import { rebuildError, type PoolData, type PrepareResult, type TrialResult, type TrialTask, type WorkerTask } from './protocol.js';
import type { Params } from '../study/events.js';

// Where it was first written; the controller and the queue import it from here.
export { rebuildError };

/** The controller's side of one running trial, as an executor sees it. */
export interface TrialControl {
  /** Journals an intermediate value and returns the pruner's answer (true: stop). */
  report(step: number, value: number): boolean;
  /** Aborted when the controller asks the trial to stop (Ctrl-C, --trial-timeout): it should stop at its next report. */
  readonly stopSignal: AbortSignal;
  /** A queued trial was taken by this worker process (journalled). */
  assigned(worker: WorkerIdentity): void;
  /**
   * Define-by-run: the trial's value of `name` (the one it holds, else a draw
   * from the study's sampler, journalled as param_suggested). Absent where
   * trials cannot ask (their ctx.suggest* then throw E_SUGGEST_UNAVAILABLE).
   */
  suggest?(name: string, distribution: Distribution): ParamValue;
}

/** A `hypersweep worker` process, as the journal names it. */
export interface WorkerIdentity {
  name: string;
  host: string;
  pid: number;
}

/**
 * Why a trial did not run to its end through no fault of its own (its worker
 * was lost, handed it back, refused it): an executor rejects with this, the
 * controller records the trial failed with `reason`, not counted, and runs it
 * again (up to a limit).
 */
export class TrialRequeued extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'TrialRequeued';
  }
}

/** A trial to run: its number, seed and params, and the executor slot it was given. */
export interface TrialTicket {
  number: number;
  seed: number;
  params: Params;
  slot: number;
}

/**
 * What the controller needs to run trials somewhere: the local pool, a queue
 * of remote workers, both, or a fake in tests. `hardStop` aborts a trial that
 * ignored a stop request (its thread is terminated).
 */
export interface TrialExecutor {
  runTrial(trial: TrialTicket, control: TrialControl, hardStop: AbortSignal): Promise<TrialResult>;
  /** Trials it can run at once now; absent: the sweep's `workers`. May change (remote workers join and leave). */
  capacity?(): number;
  /** Resolves when capacity() may have grown (the controller then starts more trials). */
  capacityChanged?(): Promise<void>;
  /** How the journal names where the trial in `slot` runs (default: w<slot>). */
  label?(slot: number): string;
  /**
   * Resume: a trial that an earlier controller dispatched and that may still
   * be running (or have finished) somewhere; null when nothing is known of it
   * (it is then recorded interrupted and run again).
   */
  adopt?(trial: TrialTicket, control: TrialControl, hardStop: AbortSignal): Promise<TrialResult> | null;
}

/**
 * The worker file next to this one: worker.js in dist/ (compiled), worker.ts
 * under tsx or vitest, where the worker needs tsx's loader to import it.
 */
export function workerEntry(): { url: URL; execArgv: string[] | undefined } {
  const fromTs = import.meta.url.endsWith('.ts');
  const url = new URL(fromTs ? './worker.ts' : './worker.js', import.meta.url);
  return { url, execArgv: fromTs ? ['--import', 'tsx'] : undefined };
}

export class TrialPool implements TrialExecutor {
  private readonly piscina: Piscina<WorkerTask, TrialResult | PrepareResult>;

  constructor(workers: number, data: PoolData) {
    const entry = workerEntry();
    this.piscina = new Piscina({
      filename: entry.url.href,
      ...(entry.execArgv ? { execArgv: entry.execArgv } : {}),
      // Exactly `workers` threads, started now and kept: each loads the addon and
      // the objective once. The controller never queues more tasks than that.
      minThreads: workers,
      maxThreads: workers,
      idleTimeout: Number.POSITIVE_INFINITY,
      workerData: data,
    });
    // A thread that dies between tasks is replaced; nothing to record then.
    this.piscina.on('error', () => {});
  }

  /** Builds the objective in one worker: a broken module or model fails here, before any trial starts. */
  async prepare(): Promise<void> {
    const result = (await this.piscina.run({ kind: 'prepare' })) as PrepareResult;
    if (!result.ok) throw rebuildError(result.error);
  }

  async runTrial(trial: TrialTicket, control: TrialControl, hardStop: AbortSignal): Promise<TrialResult> {
    const onSuggest: SuggestAnswerer | undefined = control.suggest ? (name, distribution) => control.suggest!(name, distribution) : undefined;
    return this.runWithLink(trial, (step, value) => control.report(step, value), control.stopSignal, hardStop, onSuggest);
  }

  /**
   * Runs a trial in a pool thread, linked to whoever answers its reports: the
   * controller in this process, or (on a `hypersweep worker`) a remote one
   * whose answers come back as promises. `onSuggest` answers the trial's
   * ctx.suggest* (the controller in this process); without it they throw
   * E_SUGGEST_UNAVAILABLE (a remote worker: its trials' params were drawn
   * when they were queued).
   */
  async runWithLink(
    trial: { number: number; seed: number; params: Params },
    onReport: (step: number, value: number) => boolean | Promise<boolean>,
    stopSignal: AbortSignal,
    hardStop: AbortSignal,
    onSuggest?: SuggestAnswerer,
  ): Promise<TrialResult> {
    const link = new ControllerLink(onReport, onSuggest ?? remoteSuggest);
    const stop = () => link.requestStop();
    stopSignal.addEventListener('abort', stop);
    if (stopSignal.aborted) stop();
    const task: TrialTask = {
      kind: 'trial',
      trial: trial.number,
      seed: trial.seed,
      params: trial.params,
      port: link.workerPort,
      shared: link.shared,
    };
    try {
      return (await this.piscina.run(task, { transferList: [link.workerPort], signal: hardStop })) as TrialResult;
    } finally {
      stopSignal.removeEventListener('abort', stop);
      link.close();
    }
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}

/** What a trial run without a controller at hand (a `hypersweep worker`) gets from ctx.suggest*. */
const remoteSuggest: SuggestAnswerer = (name) => {
  throw Errors.suggestUnavailable(
    name,
    'on a remote worker (a distributed sweep, --queue): its trials run with the params drawn when they were queued',
    'declare the parameter in the space file, or run the sweep without --queue: pool threads ask the controller',
  );
};
