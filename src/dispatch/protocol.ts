// What the controller and the pool's workers exchange. Plain, structured-
// cloneable data only: tasks and results cross a thread boundary.
import type { MessagePort } from 'node:worker_threads';

import { HypersweepError, isHypersweepError } from '../errors.js';
import type { StudySpec } from '../space/spec.js';
import type { Params } from '../study/events.js';
import type { ObjectiveRuntime, StudyData } from '../trials/objective.js';

/** Given to every worker once, when it starts (Piscina's workerData). */
export interface PoolData {
  spec: StudySpec;
  runtime: ObjectiveRuntime;
  /** A model objective's dataset: its arrays live in SharedArrayBuffers, so every worker sees the controller's copy. */
  dataset: StudyData | null;
}

/** Builds the objective in a worker and reports whether that works (before any trial starts). */
export interface PrepareTask {
  kind: 'prepare';
}

/** Runs one trial. */
export interface TrialTask {
  kind: 'trial';
  trial: number;
  seed: number;
  params: Params;
  /** The worker's end of the trial's link (transferred). */
  port: MessagePort;
  /** The link's shared answer slots (see link.ts). */
  shared: SharedArrayBuffer;
}

export type WorkerTask = PrepareTask | TrialTask;

/** An error as it crosses the thread boundary (structured clone keeps no class). */
export interface ErrorInfo {
  message: string;
  /** A HypersweepError's code and exit code; a config error (exit code 2) stops the sweep. */
  code?: string;
  hint?: string;
  exitCode?: 1 | 2;
}

export type TrialOutcome =
  /** The objective returned; `value` is whatever it returned (the controller checks it is finite). */
  | { kind: 'returned'; value: unknown; metrics: Record<string, unknown> }
  /** The objective stopped on request (TrialStopped: pruned or the sweep stopping it). */
  | { kind: 'stopped'; lastValue: number | null; metrics: Record<string, unknown> }
  | { kind: 'threw'; error: ErrorInfo; metrics: Record<string, unknown> };

export interface TrialResult {
  outcome: TrialOutcome;
  /** Whether ctx.shouldPrune() answered true during the trial. */
  sawStop: boolean;
  /** The worker thread's id (for the journal's metrics and the tests). */
  threadId: number;
}

export type PrepareResult = { ok: true } | { ok: false; error: ErrorInfo };

/** Metrics go into the JSON journal: anything JSON cannot hold is dropped here, not in the controller. */
export function jsonMetrics(metrics: unknown): Record<string, unknown> {
  if (metrics === undefined || metrics === null) return {};
  try {
    const json = JSON.parse(JSON.stringify(metrics)) as unknown;
    return typeof json === 'object' && json !== null && !Array.isArray(json)
      ? (json as Record<string, unknown>)
      : { metrics: json };
  } catch (err) {
    return { metrics_error: `metrics could not be written as JSON: ${(err as Error).message}` };
  }
}

/** An error as it crosses the thread boundary (and as an in-process objective's is recorded). */
export function errorInfo(err: unknown): ErrorInfo {
  if (isHypersweepError(err)) {
    return { message: err.message, code: err.code, exitCode: err.exitCode, ...(err.hint ? { hint: err.hint } : {}) };
  }
  if (err instanceof Error) return { message: err.message || err.name };
  return { message: `threw ${String(err)}` };
}

/** A HypersweepError thrown in a worker (or answered to one), as the receiving side throws it again. */
export function rebuildError(info: ErrorInfo): Error {
  if (info.code) {
    return new HypersweepError(info.code, info.message, {
      exitCode: info.exitCode ?? 1,
      ...(info.hint ? { hint: info.hint } : {}),
    });
  }
  return new Error(info.message);
}
