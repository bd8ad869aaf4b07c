// The pool of worker threads that run trials (Piscina). One thread per trial
// in flight; a thread that dies is replaced by Piscina, and a task can be
// aborted (its thread terminated and replaced) through an AbortSignal.
import { Piscina } from 'piscina';

import { HypersweepError } from '../errors.js';
import type { ControllerLink } from './link.js';
import type { ErrorInfo, PoolData, PrepareResult, TrialResult, TrialTask, WorkerTask } from './protocol.js';
import type { Params } from '../study/events.js';

/** What the controller needs to run a trial somewhere (the pool, or a fake in tests). */
export interface TrialExecutor {
  runTrial(
    trial: { number: number; seed: number; params: Params },
    link: ControllerLink,
    signal: AbortSignal,
  ): Promise<TrialResult>;
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

  runTrial(trial: { number: number; seed: number; params: Params }, link: ControllerLink, signal: AbortSignal): Promise<TrialResult> {
    const task: TrialTask = {
      kind: 'trial',
      trial: trial.number,
      seed: trial.seed,
      params: trial.params,
      port: link.workerPort,
      shared: link.shared,
    };
    return this.piscina.run(task, { transferList: [link.workerPort], signal }) as Promise<TrialResult>;
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}

/** A HypersweepError thrown in a worker, as the controller throws it again. */
export function rebuildError(info: ErrorInfo): Error {
  if (info.code) {
    return new HypersweepError(info.code, info.message, {
      exitCode: info.exitCode ?? 1,
      ...(info.hint ? { hint: info.hint } : {}),
    });
  }
  return new Error(info.message);
}
