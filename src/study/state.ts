// The state of a study, folded from its journal events. Pure: no I/O.
import type {
  JournalLine,
  Params,
  StudyCreatedEvent,
  TrialAssignedEvent,
  TrialFinishedEvent,
  TrialStartedEvent,
  TrialState,
  WorkerEvent,
} from './events.js';

export interface TrialRecord {
  number: number;
  state: TrialState;
  params: Params;
  seed: number;
  /** A local pool slot (w0…), or the name of the `hypersweep worker` that ran it. */
  worker: string;
  /** Host and pid of the worker process, for trials run through a queue; null for local ones. */
  host: string | null;
  pid: number | null;
  retryOf: number | null;
  /** What made the params (trial_started.sampler); null in journals older than the field. */
  sampler: string | null;
  /** Intermediate values in the order reported: [step, value]. */
  intermediate: Array<[number, number]>;
  value: number | null;
  metrics: Record<string, unknown>;
  durationS: number | null;
  error: string | null;
  /** Run again elsewhere (lost worker, handed back, refused): does not count toward the budget. */
  requeued: boolean;
  startedAt: string;
  finishedAt: string | null;
}

export interface StudyState {
  created: StudyCreatedEvent & { time: string };
  /** Every trial by number, in the order they started. */
  trials: TrialRecord[];
  /** The number the next trial gets. */
  nextNumber: number;
  /** Worker processes of a distributed sweep, as the last controller saw them come and go. */
  workers: WorkerState[];
}

/** A `hypersweep worker` that served the study (journalled from its heartbeats). */
export interface WorkerState {
  name: string;
  host: string;
  pid: number;
  slots: number;
  connected: boolean;
  /** When it joined, or left / was lost. */
  since: string;
  /** Why it is no longer connected. */
  reason: string | null;
}

export function foldJournal(events: readonly JournalLine[]): StudyState {
  const first = events[0];
  if (!first || first.event !== 'study_created') {
    throw new Error('foldJournal: a journal starts with study_created');
  }
  const byNumber = new Map<number, TrialRecord>();
  const trials: TrialRecord[] = [];
  const workers: WorkerState[] = [];
  let nextNumber = 0;
  for (const e of events) {
    switch (e.event) {
      case 'worker_joined':
      case 'worker_left':
      case 'worker_lost':
        applyWorkerEvent(workers, e);
        break;
      case 'controller_started':
      case 'controller_stopped':
        // Workers are seen by a running controller only: they join again under the next one.
        for (const w of workers) if (w.connected) Object.assign(w, { connected: false, since: e.time, reason: `controller ${e.event === 'controller_started' ? 'restarted' : 'stopped'}` });
        break;
      case 'trial_started': {
        const record = startedRecord(e);
        byNumber.set(e.trial, record);
        trials.push(record);
        nextNumber = Math.max(nextNumber, e.trial + 1);
        break;
      }
      case 'param_suggested': {
        const record = byNumber.get(e.trial);
        if (record) record.params[e.name] = e.value;
        break;
      }
      case 'intermediate': {
        byNumber.get(e.trial)?.intermediate.push([e.step, e.value]);
        break;
      }
      case 'trial_finished': {
        const record = byNumber.get(e.trial);
        // The first terminal record of a trial wins (a writer never writes two; a reader never applies two).
        if (record && record.state === 'running') applyFinished(record, e);
        break;
      }
      case 'trial_assigned': {
        const record = byNumber.get(e.trial);
        if (record) applyAssigned(record, e);
        break;
      }
      default:
        break;
    }
  }
  return { created: first, trials, nextNumber, workers };
}

/** Folds a worker_joined / worker_left / worker_lost event into the list of workers. */
export function applyWorkerEvent(workers: WorkerState[], e: WorkerEvent & { time: string }): void {
  let w = workers.find((x) => x.name === e.worker && x.host === e.host && x.pid === e.pid);
  if (!w) {
    w = { name: e.worker, host: e.host, pid: e.pid, slots: e.slots, connected: false, since: e.time, reason: null };
    workers.push(w);
  }
  w.connected = e.event === 'worker_joined';
  w.since = e.time;
  w.reason = e.event === 'worker_joined' ? null : `${e.event === 'worker_lost' ? 'lost' : 'left'}${e.reason ? `: ${e.reason}` : ''}`;
  if (e.event === 'worker_joined') w.slots = e.slots;
}

/** The record of a trial that has just started. */
export function startedRecord(e: TrialStartedEvent & { time: string }): TrialRecord {
  return {
    number: e.trial,
    state: 'running',
    params: e.params,
    seed: e.seed,
    worker: e.worker,
    host: null,
    pid: null,
    retryOf: e.retry_of ?? null,
    sampler: e.sampler ?? null,
    intermediate: [],
    value: null,
    metrics: {},
    durationS: null,
    error: null,
    requeued: false,
    startedAt: e.time,
    finishedAt: null,
  };
}

/** Applies a trial_finished event to the trial's record. */
export function applyFinished(record: TrialRecord, e: TrialFinishedEvent & { time: string }): void {
  record.state = e.state;
  record.value = e.value;
  record.metrics = e.metrics ?? {};
  record.durationS = e.duration_s;
  record.error = e.error ?? null;
  record.requeued = e.requeued === true;
  record.finishedAt = e.time;
}

/** Applies a trial_assigned event: the worker process that took the trial. */
export function applyAssigned(record: TrialRecord, e: TrialAssignedEvent): void {
  record.worker = e.worker;
  record.host = e.host;
  record.pid = e.pid;
}

export function countByState(trials: readonly TrialRecord[]): Record<TrialState, number> {
  const counts: Record<TrialState, number> = { running: 0, complete: 0, pruned: 0, failed: 0 };
  for (const t of trials) counts[t.state]++;
  return counts;
}

/** The best complete trial for the study's direction; ties go to the earlier trial. */
export function bestTrial(
  trials: readonly TrialRecord[],
  direction: 'maximize' | 'minimize',
): TrialRecord | null {
  let best: TrialRecord | null = null;
  for (const t of trials) {
    if (t.state !== 'complete' || t.value === null || !Number.isFinite(t.value)) continue;
    if (!best || (direction === 'maximize' ? t.value > best.value! : t.value < best.value!)) best = t;
  }
  return best;
}

/** Why a trial that was running when its controller stopped is recorded failed. */
export const INTERRUPTED = 'interrupted';

/** Trials that count toward the budget: all but interrupted and requeued ones (those are run again). */
export function countsTowardBudget(t: TrialRecord): boolean {
  return !(t.state === 'failed' && (t.error === INTERRUPTED || t.requeued));
}
