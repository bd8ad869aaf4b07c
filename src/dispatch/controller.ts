// The controller: keeps W trials in flight, asks the sampler for each new one
// (telling it which trials are running, for TPE's constant liar), records every
// event in the study journal (it is the journal's only writer), answers the
// workers' reports with the pruner's decisions, and tells the sampler what
// finished. Trials themselves run elsewhere (a TrialExecutor: the worker pool),
// never on this event loop.
import { performance } from 'node:perf_hooks';

import { trialSuggester } from '../api/host.js';
import { isHypersweepError } from '../errors.js';
import type { Pruner } from '../pruners/pruner.js';
import { deriveTrialSeed } from '../samplers/rng.js';
import type { Sampler, TrialSnapshot } from '../samplers/sampler.js';
import { contains, describe } from '../space/distributions.js';
import { STOPPED_FROM_DASHBOARD, type ControlRequest } from '../study/control.js';
import type { Params } from '../study/events.js';
import type { TrialRecord } from '../study/state.js';
import { INTERRUPTED, type Study } from '../study/study.js';
import { rebuildError, TrialRequeued, type TrialControl, type TrialExecutor } from './pool.js';
import type { TrialResult } from './protocol.js';

export interface SweepListener {
  trialStarted?(trial: TrialRecord): void;
  /** A queued trial was taken by a worker process (trial.worker/host/pid now say which). */
  trialAssigned?(trial: TrialRecord): void;
  /** After the value is journalled; `prune` is the pruner's answer. */
  intermediate?(trial: TrialRecord, step: number, value: number, prune: boolean): void;
  trialFinished?(trial: TrialRecord): void;
}

export interface SweepOptions {
  /** Total trials of the study (interrupted ones excluded: they are run again). */
  budget: number;
  /** Wall-clock seconds for this run of the controller, or null. When spent, no new trial starts; running ones finish (as Optuna's timeout). */
  timeSeconds: number | null;
  /** Trials in flight at once (unless the executor says otherwise: capacity()). */
  workers: number;
  pruner: Pruner;
  /** A trial running longer is stopped and recorded failed; null: no limit. */
  trialTimeoutSeconds?: number | null;
  /**
   * After a timeout, how long the trial gets to stop on its own (at its next
   * report or minibatch) before its worker thread is terminated. Default: half
   * the timeout, between 1 and 10 seconds.
   */
  stopGraceSeconds?: number;
  /** Trials to run again first, with their original params and seed (resume). */
  retries?: readonly TrialRecord[];
  /** Trials left running by an earlier controller that the executor may still follow (distributed resume). */
  adopted?: readonly TrialRecord[];
  /** How many times a trial's params are run again after lost workers or hand-backs (default 3). */
  maxRetries?: number;
  /** Aborting stops asking and asks running trials to stop (recorded interrupted). */
  signal?: AbortSignal;
  listener?: SweepListener;
  /** The control channel (the dashboard): called with the apply function, returns an unsubscribe. See applyControl. */
  control?: (apply: (request: ControlRequest) => void) => () => void;
}

export type StopReason = 'budget' | 'time' | 'interrupted' | 'exhausted';

export function countedTrials(study: Study): number {
  return study.counted;
}

/** A trial in flight. */
interface InFlight {
  record: TrialRecord;
  slot: number;
  /** Aborted to ask the trial to stop (its executor relays it). */
  stopper: AbortController;
  /** Why the controller asked the trial to stop, if it did. */
  stop: 'interrupted' | 'timeout' | null;
  /** Whether the pruner answered "prune" to one of its reports. */
  pruned: boolean;
  /** Why it was stopped from outside (the dashboard): recorded with the pruned state. */
  reason?: string;
  done: Promise<void>;
}

export async function runSweep(
  study: Study,
  sampler: Sampler,
  executor: TrialExecutor,
  options: SweepOptions,
): Promise<StopReason> {
  const started = performance.now();
  const retries = [...(options.retries ?? [])];
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  const running = new Map<number, InFlight>();
  const busySlots = new Set<number>();
  const capacity = () => executor.capacity?.() ?? options.workers;
  const timeout = options.trialTimeoutSeconds ?? null;
  const grace = options.stopGraceSeconds ?? (timeout === null ? 10 : Math.min(10, Math.max(1, timeout / 2)));
  let stoppedAsking: StopReason | null = null;
  let fatal: Error | null = null;
  // The control channel: the budget may change, params may be given, the study may be asked to stop.
  let budget = options.budget;
  const enqueued: Params[] = [];
  let stopAsked = false;
  let nudge = nudger();

  const stopAll = () => {
    for (const t of running.values()) requestStop(t, 'interrupted');
  };
  options.signal?.addEventListener('abort', stopAll);

  const whyStop = (): StopReason | null => {
    if (options.signal?.aborted || fatal || stopAsked) return 'interrupted';
    if (options.timeSeconds !== null && (performance.now() - started) / 1000 >= options.timeSeconds) return 'time';
    if (countedTrials(study) >= budget) return 'budget';
    if (retries.length === 0 && enqueued.length === 0 && countedTrials(study) >= sampler.capacity) return 'exhausted';
    return null;
  };

  // One pending wake-up at a time (not one per loop turn): resolved when the executor's capacity changes.
  let wake: Promise<void> | null = null;
  const capacityWake = (): Promise<void> => {
    wake ??= executor.capacityChanged!().then(() => {
      wake = null;
    });
    return wake;
  };

  const freeSlot = (): number => {
    let slot = 0;
    while (busySlots.has(slot)) slot++;
    busySlots.add(slot);
    return slot;
  };

  const track = (record: TrialRecord, slot: number, run: (control: TrialControl, hardStop: AbortSignal) => Promise<TrialResult> | null): void => {
    const inFlight: InFlight = { record, slot, stopper: new AbortController(), stop: null, pruned: false, done: Promise.resolve() };
    running.set(record.number, inFlight);
    const control: TrialControl = {
      report: (step, value) => onReport(inFlight, step, value),
      stopSignal: inFlight.stopper.signal,
      assigned: (worker) => {
        if (inFlight.record.state !== 'running') return;
        study.assignTrial(record.number, worker);
        options.listener?.trialAssigned?.(inFlight.record);
      },
      // Define-by-run from a pool thread's ctx.suggest*: drawn and journalled here, the other running trials as liars.
      suggest: trialSuggester(study, sampler, record.number, () =>
        [...running.values()].filter((t) => t !== inFlight).map((t) => ({ number: t.record.number, params: t.record.params })),
      ),
    };
    inFlight.done = runOne(inFlight, control, run).then(
      () => undefined,
      (err: unknown) => {
        fatal ??= err instanceof Error ? err : new Error(String(err));
      },
    );
  };

  const start = (): void => {
    const retry = retries.shift();
    const given = retry ? undefined : enqueued.shift();
    const number = study.state.nextNumber;
    let params: Params;
    let seed: number;
    // What made the params (journalled): a retry keeps its trial's, user-given ones are the user's.
    let madeBy: string | null = given !== undefined ? 'user' : null;
    if (retry) {
      params = retry.params;
      seed = retry.seed;
      madeBy = retry.sampler;
    } else {
      madeBy ??= sampler.madeBy();
      const pending: TrialSnapshot[] = [...running.values()].map((t) => ({ number: t.record.number, params: t.record.params }));
      // Params given through the control channel win; the sampler fills in any left out (as Optuna's enqueue_trial).
      params = { ...sampler.ask(number, pending), ...given };
      seed = deriveTrialSeed(study.seed, number);
    }
    const slot = freeSlot();
    const record = study.startTrial(params, seed, executor.label?.(slot) ?? `w${slot}`, retry ? retry.number : null, given !== undefined, madeBy);
    options.listener?.trialStarted?.(record);
    track(record, slot, (control, hardStop) => executor.runTrial({ number, seed, params, slot }, control, hardStop));
  };

  const onReport = (t: InFlight, step: number, value: number): boolean => {
    if (t.record.state !== 'running') return true;
    if (!Number.isFinite(value)) {
      // The journal (JSON) cannot hold NaN/Inf; Optuna's pruners stop such a trial.
      t.pruned ||= options.pruner.type !== 'none';
    } else {
      study.report(t.record.number, step, value);
      t.pruned ||= options.pruner.shouldPrune(t.record, study.state.trials);
    }
    options.listener?.intermediate?.(t.record, step, value, t.pruned);
    return t.pruned;
  };

  const requestStop = (t: InFlight, why: 'interrupted' | 'timeout'): void => {
    if (t.stop === 'timeout') return;
    t.stop = why;
    t.stopper.abort();
  };

  const runOne = async (
    t: InFlight,
    control: TrialControl,
    run: (control: TrialControl, hardStop: AbortSignal) => Promise<TrialResult> | null,
  ): Promise<void> => {
    const t0 = performance.now();
    const hardStop = new AbortController();
    let graceTimer: NodeJS.Timeout | undefined;
    const timeoutTimer =
      timeout === null
        ? undefined
        : setTimeout(() => {
            requestStop(t, 'timeout');
            graceTimer = setTimeout(() => hardStop.abort(), grace * 1000);
          }, timeout * 1000);
    if (options.signal?.aborted) requestStop(t, 'interrupted');
    let result: TrialResult | null = null;
    let crash: string | null = null;
    let requeue: string | null = null;
    try {
      const pending = run(control, hardStop.signal);
      if (pending === null) requeue = INTERRUPTED;
      else result = await pending;
    } catch (err) {
      if (err instanceof TrialRequeued) requeue = err.reason;
      else crash = (err as Error)?.message ?? String(err);
    } finally {
      clearTimeout(timeoutTimer);
      clearTimeout(graceTimer);
    }
    const seconds = (performance.now() - t0) / 1000;
    try {
      if (t.record.state !== 'running') return; // finished meanwhile (cannot happen locally; guards remote races)
      let finished: TrialRecord;
      if (requeue === INTERRUPTED) {
        finished = study.finishTrial(t.record.number, 'failed', null, seconds, { error: INTERRUPTED });
        retries.push(finished);
      } else if (requeue !== null) {
        finished = study.finishTrial(t.record.number, 'failed', null, seconds, { error: requeue, requeued: true });
        // Run again with the same params and seed, unless this chain of retries is long enough
        // (then the sampler asks for new params: the budget is still reached exactly).
        if (retryDepth(study, finished) < maxRetries && !options.signal?.aborted) retries.push(finished);
      } else {
        finished = finish(study, t, result, crash, seconds, timeout);
      }
      sampler.tell({ ...finished, state: finished.state as 'complete' | 'pruned' | 'failed' });
      options.listener?.trialFinished?.(finished);
      // Asking stopped at the budget while this trial still counted; requeued, it no longer does:
      // ask again (its retry, or a new trial), so the budget is reached exactly.
      if (stoppedAsking === 'budget' && countedTrials(study) < budget) stoppedAsking = null;
      // A configuration error fails every trial alike: stop instead of burning the budget.
      if (result?.outcome.kind === 'threw' && result.outcome.error.exitCode === 2 && !t.stop) {
        throw rebuildError(result.outcome.error);
      }
    } finally {
      running.delete(t.record.number);
      busySlots.delete(t.slot);
    }
  };

  // Trials an earlier controller dispatched (a distributed sweep's resume): the executor follows them.
  for (const record of options.adopted ?? []) {
    const slot = freeSlot();
    track(record, slot, (control, hardStop) =>
      executor.adopt ? executor.adopt({ number: record.number, seed: record.seed, params: record.params, slot }, control, hardStop) : null,
    );
  }

  // What the dashboard asks (src/study/control.ts), journalled as applied or refused.
  const applyControl = (r: ControlRequest): void => {
    const base = { action: r.action, id: r.id, source: r.source };
    const refuse = (why: string) => study.controlAction({ ...base, ...('trial' in r ? { trial: r.trial } : {}), refused: why });
    if (stoppedAsking !== null && stoppedAsking !== 'budget') return refuse(`the study is stopping (${stoppedAsking})`);
    switch (r.action) {
      case 'stop_trial': {
        const t = running.get(r.trial);
        if (!t || t.record.state !== 'running') return refuse(`trial ${r.trial} is not running`);
        study.controlAction({ ...base, trial: r.trial });
        t.pruned = true;
        t.reason = STOPPED_FROM_DASHBOARD;
        requestStop(t, 'interrupted');
        break;
      }
      case 'stop_study':
        // As Ctrl-C, but gentler: no new trial starts; the running ones run to their end.
        study.controlAction(base);
        stopAsked = true;
        break;
      case 'enqueue_trial': {
        const wrong = checkGivenParams(study, r.params);
        if (wrong) return refuse(wrong);
        study.controlAction({ ...base, params: r.params });
        enqueued.push(r.params);
        break;
      }
      case 'set_budget':
        study.controlAction({ ...base, budget: r.budget });
        budget = r.budget;
        break;
    }
    if (stoppedAsking === 'budget' && countedTrials(study) < budget) stoppedAsking = null;
    nudge.wake();
  };
  const unsubscribe = options.control?.(applyControl);

  try {
    for (;;) {
      while (stoppedAsking === null && running.size < capacity()) {
        const why = whyStop();
        if (why !== null) {
          stoppedAsking = why;
          if (why === 'interrupted' && !stopAsked) stopAll();
          break;
        }
        start();
      }
      if (running.size === 0) {
        // Nothing to wait for: either asking stopped, or no capacity at all (a queue with no worker yet).
        if (stoppedAsking !== null || !executor.capacityChanged) break;
        await Promise.race([capacityWake(), abortedPromise(options.signal), nudge.promise]);
        nudge = nudge.woken ? nudger() : nudge;
        if (options.signal?.aborted && stoppedAsking === null) stoppedAsking = 'interrupted';
        continue;
      }
      const waits: Array<Promise<unknown>> = [...running.values()].map((t) => t.done);
      if (executor.capacityChanged && stoppedAsking === null) waits.push(capacityWake());
      waits.push(nudge.promise);
      await Promise.race(waits);
      if (nudge.woken) nudge = nudger();
      if (fatal) stopAll();
    }
  } finally {
    options.signal?.removeEventListener('abort', stopAll);
    unsubscribe?.();
  }
  if (fatal) throw fatal;
  if (countedTrials(study) >= budget) return 'budget';
  // Short of the budget after Ctrl-C, even if asking had already stopped for another reason.
  if (options.signal?.aborted) return 'interrupted';
  return stoppedAsking ?? 'budget';
}

/** Retries allowed for one trial's params after lost workers / hand-backs (default of --max-retries). */
export const DEFAULT_MAX_RETRIES = 3;

/** How many requeued attempts precede (and include) this one in its retry_of chain. */
function retryDepth(study: Study, record: TrialRecord): number {
  let depth = 0;
  let current: TrialRecord | undefined = record;
  while (current) {
    if (current.requeued) depth++;
    current = current.retryOf === null ? undefined : study.trial(current.retryOf);
  }
  return depth;
}

/** A promise the control channel resolves to wake the loop (re-created once woken). */
function nudger(): { promise: Promise<void>; wake: () => void; woken: boolean } {
  let resolve: () => void = () => {};
  const n = { promise: new Promise<void>((r) => (resolve = r)), woken: false, wake: () => {} };
  n.wake = () => {
    n.woken = true;
    resolve();
  };
  return n;
}

/** What is wrong with params given for a trial (enqueue_trial), or null: each must be one the space can hold. */
function checkGivenParams(study: Study, params: Params): string | null {
  const space = study.spec.params;
  for (const [name, value] of Object.entries(params)) {
    const dist = space[name];
    if (!dist) return `no param "${name}" in the search space (it has ${Object.keys(space).join(', ')})`;
    if (!contains(dist, value)) return `param ${name}=${JSON.stringify(value)} is outside its distribution (${describe(dist)})`;
  }
  return null;
}

function abortedPromise(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return new Promise(() => {});
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** Records how a trial ended, from what the worker returned (or how it died). */
function finish(
  study: Study,
  t: InFlight,
  result: TrialResult | null,
  crash: string | null,
  seconds: number,
  timeout: number | null,
): TrialRecord {
  const n = t.record.number;
  const lastValue = t.record.intermediate.at(-1)?.[1] ?? null;
  const timedOut = `exceeded --trial-timeout ${formatSeconds(timeout ?? 0)}`;
  if (result === null) {
    // The task was rejected: the worker thread died, or was terminated after a timeout.
    const error = t.stop === 'timeout' ? `${timedOut} (worker terminated)` : `worker thread died: ${crash}`;
    return study.finishTrial(n, 'failed', null, seconds, { error });
  }
  const { outcome } = result;
  const metrics = { ...outcome.metrics, worker_thread: result.threadId };
  if (t.stop === 'timeout') return study.finishTrial(n, 'failed', null, seconds, { metrics, error: timedOut });
  // Told to stop (pruned or interrupted): the objective returned, threw or stopped, as it likes.
  if (result.sawStop || outcome.kind === 'stopped') {
    if (t.pruned) {
      const value = lastValue ?? (outcome.kind === 'stopped' ? outcome.lastValue : null);
      return study.finishTrial(n, 'pruned', value, seconds, { metrics, ...(t.reason ? { reason: t.reason } : {}) });
    }
    return study.finishTrial(n, 'failed', null, seconds, { metrics, error: INTERRUPTED });
  }
  if (outcome.kind === 'threw') {
    const error = t.stop === 'interrupted' ? INTERRUPTED : errorText(outcome.error);
    return study.finishTrial(n, 'failed', null, seconds, { metrics, error });
  }
  const value = outcome.value;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    const shown = typeof value === 'number' ? String(value) : value === undefined ? 'undefined' : typeof value;
    return study.finishTrial(n, 'failed', null, seconds, {
      metrics,
      error: `objective returned a non-finite value (${shown})`,
    });
  }
  return study.finishTrial(n, 'complete', value, seconds, { metrics });
}

function errorText(info: { message: string; code?: string; hint?: string }): string {
  const error = rebuildError(info);
  return isHypersweepError(error) ? error.oneLine() : error.message;
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${Number(s.toPrecision(3))}s`;
  if (s < 3600) return `${Number((s / 60).toPrecision(3))}m`;
  return `${Number((s / 3600).toPrecision(3))}h`;
}
