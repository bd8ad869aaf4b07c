// A study as the dashboard shows it, folded one journal line at a time: the
// same code runs in the server (for the studies page and snapshots) and in the
// browser (which applies the live events of its stream to a snapshot). Pure:
// no Node and no DOM, so that it can be served to the page as it is compiled.
//
// Unlike the journal reader, a line it cannot read is not fatal: it is kept in
// `problems` (byte offset and why) and the rest of the study is still shown.
import type { JournalLine, Params, StudyCreatedEvent } from '../../study/events.js';
import { decodeTrials, encodeTrials, type WireSnapshot } from './wire.js';

export type DashState = 'running' | 'complete' | 'pruned' | 'failed';

export interface DashTrial {
  n: number;
  state: DashState;
  params: Params;
  value: number | null;
  seed: number;
  worker: string;
  /** What made its params (trial_started.sampler): 'tpe', 'user', …; null in journals older than it. */
  sampler: string | null;
  host: string | null;
  retryOf: number | null;
  userGiven: boolean;
  /** Why it stopped: the error of a failed trial, or the reason of one stopped from outside. */
  reason: string | null;
  requeued: boolean;
  durationS: number | null;
  /** Journal times as ms since the epoch (null: unreadable): numbers compare, travel and decode cheaply. */
  startedAt: number | null;
  finishedAt: number | null;
  /** Intermediate values [step, value], in the order reported. */
  curve: Array<[number, number]>;
}

export interface DashProblem {
  /** Byte offset of the line in the journal. */
  offset: number;
  message: string;
}

export interface DashAction {
  time: string;
  action: string;
  trial: number | null;
  budget: number | null;
  params: Params | null;
  refused: string | null;
}

export interface DashWorker {
  name: string;
  host: string;
  pid: number;
  slots: number;
  connected: boolean;
}

/** What a study's page needs at first, before its live stream: the fold up to `offset`. */
export interface StudySnapshot {
  name: string;
  offset: number;
  created: (StudyCreatedEvent & { time: string }) | null;
  trials: DashTrial[];
  budget: number | null;
  controllers: number;
  /** queue: the Redis a distributed sweep's controller dispatches through (controller_started.queue), else null. */
  lastController: { event: string; pid: number; host: string; time: string; queue: string | null } | null;
  workers: DashWorker[];
  actions: DashAction[];
  problems: DashProblem[];
  lastTime: string | null;
}

/** Trials an interrupted or requeued run left failed: run again, not counted toward the budget. */
export function countsTowardBudget(t: DashTrial): boolean {
  return !(t.state === 'failed' && (t.reason === 'interrupted' || t.requeued));
}

export class StudyFold {
  readonly trials: DashTrial[] = [];
  private readonly byNumber = new Map<number, DashTrial>();
  created: (StudyCreatedEvent & { time: string }) | null = null;
  budget: number | null = null;
  controllers = 0;
  lastController: StudySnapshot['lastController'] = null;
  workers: DashWorker[] = [];
  actions: DashAction[] = [];
  problems: DashProblem[] = [];
  lastTime: string | null = null;
  /** Journal bytes folded so far. */
  offset = 0;

  constructor(readonly name: string) {}

  /** The fold a page starts from, from the server's columnar snapshot (wire.ts). */
  static from(snapshot: WireSnapshot): StudyFold {
    const f = new StudyFold(snapshot.name);
    const { columns, ...rest } = snapshot;
    Object.assign(f, { ...rest, trials: [] });
    for (const t of decodeTrials(columns)) {
      f.trials.push(t);
      f.byNumber.set(t.n, t);
    }
    return f;
  }

  /**
   * Which learning curves travel in a snapshot. With many trials, only the
   * ones a page draws (running trials, the best complete ones, the latest
   * pruned ones): the others stay on the server (a trial's page asks for its own).
   */
  private curveKeeper(curves: { keepAllUpTo: number; best: number; pruned: number } = { keepAllUpTo: 2000, best: 100, pruned: 100 }): (t: DashTrial) => boolean {
    const trials = this.trials;
    if (trials.length <= curves.keepAllUpTo) return () => true;
    const keep = new Set<number>();
    const direction = this.created?.direction ?? 'minimize';
    const sign = direction === 'maximize' ? -1 : 1;
    const complete = trials.filter((t) => t.state === 'complete' && t.value !== null);
    for (const t of complete.sort((a, b) => sign * (a.value! - b.value!)).slice(0, curves.best)) keep.add(t.n);
    for (const t of trials.filter((x) => x.state === 'pruned').slice(-curves.pruned)) keep.add(t.n);
    return (t) => t.state === 'running' || keep.has(t.n);
  }

  /** The snapshot a page starts from: the fold up to `offset`, its trials in columns (wire.ts). */
  snapshot(extra: { controllerActive?: boolean } = {}): WireSnapshot {
    return {
      name: this.name,
      offset: this.offset,
      created: this.created,
      budget: this.budget,
      controllers: this.controllers,
      lastController: this.lastController,
      workers: this.workers,
      actions: this.actions,
      problems: this.problems,
      lastTime: this.lastTime,
      ...extra,
      columns: encodeTrials(this.trials, this.curveKeeper()),
    };
  }

  snapshotJson(extra: { controllerActive?: boolean } = {}): string {
    return JSON.stringify(this.snapshot(extra));
  }

  trial(n: number): DashTrial | undefined {
    return this.byNumber.get(n);
  }

  /** Folds one line of text that ended at byte `end`; returns the trial it changed, if any. */
  applyText(text: string, start: number, end: number): DashTrial | null {
    this.offset = Math.max(this.offset, end);
    let e: unknown;
    try {
      e = JSON.parse(text);
    } catch {
      this.problem(start, `not valid JSON: ${text.slice(0, 60)}`);
      return null;
    }
    if (typeof e !== 'object' || e === null || typeof (e as { event?: unknown }).event !== 'string') {
      this.problem(start, 'not a journal event (no "event")');
      return null;
    }
    return this.apply(e as JournalLine, start);
  }

  problem(offset: number, message: string): void {
    // Kept short: a journal full of damage must not fill the page.
    if (this.problems.length < 100) this.problems.push({ offset, message });
  }

  apply(e: JournalLine, start = this.offset): DashTrial | null {
    if (typeof e.time === 'string') this.lastTime = e.time;
    switch (e.event) {
      case 'study_created': {
        this.created = e;
        const trials = (e.spec as { budget?: { trials?: unknown } } | null)?.budget?.trials;
        if (typeof trials === 'number') this.budget = trials;
        return null;
      }
      case 'controller_started':
        this.controllers++;
        this.lastController = { event: e.event, pid: e.pid, host: e.host, time: e.time, queue: e.queue ?? null };
        if (e.budget) this.budget = e.budget.trials;
        for (const w of this.workers) w.connected = false;
        return null;
      case 'controller_stopped':
        this.lastController = { event: e.event, pid: e.pid, host: e.host, time: e.time, queue: e.queue ?? this.lastController?.queue ?? null };
        for (const w of this.workers) w.connected = false;
        return null;
      case 'worker_joined':
      case 'worker_left':
      case 'worker_lost': {
        let w = this.workers.find((x) => x.name === e.worker && x.pid === e.pid && x.host === e.host);
        if (!w) this.workers.push((w = { name: e.worker, host: e.host, pid: e.pid, slots: e.slots, connected: false }));
        w.connected = e.event === 'worker_joined';
        return null;
      }
      case 'control_action':
        this.actions.push({
          time: e.time,
          action: e.action,
          trial: e.trial ?? null,
          budget: e.budget ?? null,
          params: e.params ?? null,
          refused: e.refused ?? null,
        });
        if (e.action === 'set_budget' && !e.refused && typeof e.budget === 'number') this.budget = e.budget;
        return null;
      case 'trial_started': {
        const t: DashTrial = {
          n: e.trial,
          state: 'running',
          params: e.params ?? {},
          value: null,
          seed: e.seed,
          worker: e.worker,
          sampler: e.sampler ?? null,
          host: null,
          retryOf: e.retry_of ?? null,
          userGiven: e.user_given === true,
          reason: null,
          requeued: false,
          durationS: null,
          startedAt: epochMs(e.time),
          finishedAt: null,
          curve: [],
        };
        if (!this.byNumber.has(t.n)) this.trials.push(t);
        else this.trials[this.trials.indexOf(this.byNumber.get(t.n)!)] = t;
        this.byNumber.set(t.n, t);
        return t;
      }
      case 'intermediate': {
        const t = this.byNumber.get(e.trial);
        if (!t) return this.missing(start, e.trial);
        t.curve.push([e.step, e.value]);
        return t;
      }
      case 'trial_assigned': {
        const t = this.byNumber.get(e.trial);
        if (!t) return this.missing(start, e.trial);
        t.worker = e.worker;
        t.host = e.host;
        return t;
      }
      case 'trial_finished': {
        const t = this.byNumber.get(e.trial);
        if (!t) return this.missing(start, e.trial);
        if (t.state !== 'running') return null; // the first terminal record wins
        t.state = e.state;
        t.value = e.value;
        t.durationS = e.duration_s;
        t.reason = e.error ?? e.reason ?? null;
        t.requeued = e.requeued === true;
        t.finishedAt = epochMs(e.time);
        return t;
      }
      case 'param_suggested': {
        // Define-by-run (the library API): a trial's params arrive one at a time.
        const t = this.byNumber.get(e.trial);
        if (!t) return this.missing(start, e.trial);
        t.params = { ...t.params, [e.name]: e.value };
        return t;
      }
      case 'result_ignored':
        return null;
      default:
        // A kind this version does not know (a newer writer): nothing it could show; not a damaged line.
        return null;
    }
  }

  private missing(offset: number, trial: number): null {
    this.problem(offset, `an event of trial ${trial}, which never started`);
    return null;
  }
}

export interface StudySummary {
  name: string;
  state: 'running' | 'finished' | 'interrupted' | 'empty';
  metric: string | null;
  direction: 'maximize' | 'minimize' | null;
  counts: Record<DashState, number>;
  best: { trial: number; value: number } | null;
  budget: number | null;
  done: number;
  trialsPerHour: number | null;
  controller: { pid: number; host: string } | null;
  workers: Array<{ name: string; host: string; slots: number }>;
  problems: number;
  lastTime: string | null;
}

function epochMs(time: unknown): number | null {
  const ms = typeof time === 'string' ? Date.parse(time) : NaN;
  return Number.isFinite(ms) ? ms : null;
}

export function bestOf(trials: readonly DashTrial[], direction: 'maximize' | 'minimize'): DashTrial | null {
  let best: DashTrial | null = null;
  for (const t of trials) {
    if (t.state !== 'complete' || t.value === null || !Number.isFinite(t.value)) continue;
    if (!best || (direction === 'maximize' ? t.value > best.value! : t.value < best.value!)) best = t;
  }
  return best;
}

/** The studies page's line of one study; `controllerActive`: whether a controller holds its lock now. */
export function summarize(f: StudyFold, controllerActive: boolean): StudySummary {
  const counts: Record<DashState, number> = { running: 0, complete: 0, pruned: 0, failed: 0 };
  let done = 0;
  let firstStart = Infinity;
  let lastEnd = -Infinity;
  for (const t of f.trials) {
    counts[t.state]++;
    if (t.state !== 'running' && countsTowardBudget(t)) {
      done++;
      if (t.finishedAt !== null && t.finishedAt > lastEnd) lastEnd = t.finishedAt;
    }
    if (t.startedAt !== null && t.startedAt < firstStart) firstStart = t.startedAt;
  }
  const direction = f.created?.direction ?? null;
  const best = direction ? bestOf(f.trials, direction) : null;
  const hours = Number.isFinite(firstStart) && Number.isFinite(lastEnd) ? (lastEnd - firstStart) / 3_600_000 : 0;
  const state: StudySummary['state'] = !f.created
    ? 'empty'
    : controllerActive
      ? 'running'
      : f.budget !== null && done >= f.budget
        ? 'finished'
        : 'interrupted';
  return {
    name: f.name,
    state,
    metric: f.created?.metric ?? null,
    direction,
    counts,
    best: best ? { trial: best.n, value: best.value! } : null,
    budget: f.budget,
    done,
    trialsPerHour: hours > 0 ? done / hours : null,
    controller: controllerActive && f.lastController ? { pid: f.lastController.pid, host: f.lastController.host } : null,
    workers: f.workers.filter((w) => w.connected).map((w) => ({ name: w.name, host: w.host, slots: w.slots })),
    problems: f.problems.length,
    lastTime: f.lastTime,
  };
}
