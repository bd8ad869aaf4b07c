// What the controller and the pool's workers exchange. Plain, structured-
// cloneable data only: tasks and results cross a thread boundary.
import type { MessagePort } from 'node:worker_threads';

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
