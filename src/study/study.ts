// A study on the embedded default storage: results/<study>/journal.jsonl.
// Creating or opening one folds its journal into a StudyState; every change
// goes through the journal first and is then applied to the state in memory,
// so the two never disagree.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { Errors } from '../errors.js';
import type { StudySpec } from '../space/spec.js';
import {
  JOURNAL_FORMAT,
  type FinishedState,
  type ControlActionEvent,
  type Params,
  type ParamValue,
  type TrialFinishedEvent,
  type TrialAssignedEvent,
  type TrialStartedEvent,
  type WorkerEvent,
} from './events.js';
import { readJournal } from './journal-reader.js';
import { JournalWriter } from './journal-writer.js';
import { JOURNAL_FILE, studyDir } from './layout.js';
import { applyAssigned, applyFinished, applyWorkerEvent, countsTowardBudget, foldJournal, INTERRUPTED, startedRecord, type StudyState, type TrialRecord } from './state.js';
import { decideSampler } from '../samplers/auto-choice.js';

export { JOURNAL_FILE, studyDir } from './layout.js';
export { countsTowardBudget, INTERRUPTED } from './state.js';
/** The study lock's files (src/study/lock.ts): they stay when --force-new moves an old study aside. */
const LOCK_ENTRIES = new Set(['journal.jsonl.lock', 'lock.json']);

export function studyExists(resultsDir: string, study: string): boolean {
  return fs.existsSync(path.join(studyDir(resultsDir, study), JOURNAL_FILE));
}

export interface StudyWarnings {
  (message: string): void;
}

export class Study {
  /** Trials by number, and how many count toward the budget (running ones included): kept as events are
   * appended, so that the controller's per-trial work does not grow with the study. */
  private readonly byNumber = new Map<number, TrialRecord>();
  private countedTrials = 0;
  private runningTrials = 0;

  private constructor(
    readonly name: string,
    readonly dir: string,
    readonly state: StudyState,
    private readonly writer: JournalWriter,
  ) {
    for (const t of state.trials) {
      this.byNumber.set(t.number, t);
      if (countsTowardBudget(t)) this.countedTrials++;
      if (t.state === 'running') this.runningTrials++;
    }
  }

  /** Trials that count toward the budget, running ones included (interrupted and requeued ones do not). */
  get counted(): number {
    return this.countedTrials;
  }

  /** Finished trials that count toward the budget. */
  get done(): number {
    return this.countedTrials - this.runningTrials;
  }

  get spec(): StudySpec {
    return this.state.created.spec as StudySpec;
  }
  get seed(): number {
    return this.state.created.seed;
  }
  get journalFile(): string {
    return path.join(this.dir, JOURNAL_FILE);
  }

  /** Starts a new study; refuses when one of that name exists (unless forceNew moves it aside). */
  static create(
    resultsDir: string,
    name: string,
    spec: StudySpec,
    seed: number,
    version: string,
    options: { forceNew?: boolean } = {},
  ): Study {
    const dir = studyDir(resultsDir, name);
    const file = path.join(dir, JOURNAL_FILE);
    if (fs.existsSync(file)) {
      if (!options.forceNew) throw Errors.studyExists(name, resultsDir);
      // Never delete a journal: keep the old study beside, under a dated name. The caller holds
      // the study's lock inside this folder: the lock stays, everything else moves.
      const aside = `${dir}.old-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      fs.mkdirSync(aside);
      for (const entry of fs.readdirSync(dir)) {
        if (LOCK_ENTRIES.has(entry)) continue;
        fs.renameSync(path.join(dir, entry), path.join(aside, entry));
      }
    }
    const writer = new JournalWriter(file);
    writer.append({
      event: 'study_created',
      study: name,
      format: JOURNAL_FORMAT,
      hypersweep_version: version,
      spec,
      space_file: spec.file,
      sampler: spec.sampler.type,
      ...(spec.sampler.type === 'auto' ? { sampler_choice: decideSampler(spec.params, spec.sampler.budget) } : {}),
      seed,
      direction: spec.direction,
      metric: spec.metric,
    });
    writer.close();
    return Study.open(resultsDir, name);
  }

  /** Opens an existing study for appending (the caller holds its lock). */
  static open(resultsDir: string, name: string, warn: StudyWarnings = () => {}): Study {
    const dir = studyDir(resultsDir, name);
    const file = path.join(dir, JOURNAL_FILE);
    if (!fs.existsSync(file)) throw Errors.studyNotFound(name, resultsDir);
    const { events, tornLastLine } = readJournal(file);
    if (tornLastLine) {
      warn(`${file}:${tornLastLine.line}: ignoring a torn last line left by a crash: ${tornLastLine.text}`);
      // Cut the torn bytes off so that the next event starts on a line of its own.
      truncateTornTail(file);
    }
    return new Study(name, dir, foldJournal(events), new JournalWriter(file));
  }

  /** Reads a study without opening it for writing (status, leaderboards, reports). */
  static read(resultsDir: string, name: string): StudyState {
    const file = path.join(studyDir(resultsDir, name), JOURNAL_FILE);
    if (!fs.existsSync(file)) throw Errors.studyNotFound(name, resultsDir);
    return foldJournal(readJournal(file).events);
  }

  trial(number: number): TrialRecord | undefined {
    return this.byNumber.get(number);
  }

  /** `sampler`: what made the params (see TrialStartedEvent.sampler); null: not recorded. */
  startTrial(params: Params, seed: number, worker: string, retryOf: number | null = null, userGiven = false, sampler: string | null = null): TrialRecord {
    const event: TrialStartedEvent = {
      event: 'trial_started',
      trial: this.state.nextNumber,
      params,
      seed,
      worker,
      ...(retryOf === null ? {} : { retry_of: retryOf }),
      ...(userGiven ? { user_given: true } : {}),
      ...(sampler === null ? {} : { sampler }),
    };
    this.writer.append(event);
    const record = startedRecord({ ...event, time: new Date().toISOString() });
    this.state.trials.push(record);
    this.byNumber.set(record.number, record);
    this.countedTrials++;
    this.runningTrials++;
    this.state.nextNumber++;
    return record;
  }

  /** Define-by-run: a parameter the running trial asked for, journalled and merged into its params. */
  suggestParam(trial: number, name: string, value: ParamValue, distribution: unknown): void {
    this.writer.append({ event: 'param_suggested', trial, name, value, distribution });
    const record = this.trial(trial);
    if (record) record.params[name] = value;
  }

  report(trial: number, step: number, value: number): void {
    this.writer.append({ event: 'intermediate', trial, step, value });
    this.trial(trial)?.intermediate.push([step, value]);
  }

  finishTrial(
    trial: number,
    state: FinishedState,
    value: number | null,
    durationS: number,
    extra: { metrics?: Record<string, unknown>; error?: string; requeued?: boolean; reason?: string } = {},
  ): TrialRecord {
    const record = this.trial(trial);
    if (!record) throw new Error(`finishTrial: no trial ${trial}`);
    if (record.state !== 'running') throw new Error(`finishTrial: trial ${trial} is already ${record.state}`);
    const event: TrialFinishedEvent = {
      event: 'trial_finished',
      trial,
      state,
      // JSON has no NaN/Infinity: a non-finite value is recorded as null.
      value: value !== null && Number.isFinite(value) ? value : null,
      duration_s: durationS,
      ...(extra.metrics ? { metrics: extra.metrics } : {}),
      ...(extra.error ? { error: extra.error } : {}),
      ...(extra.requeued ? { requeued: true } : {}),
      ...(extra.reason ? { reason: extra.reason } : {}),
    };
    this.writer.append(event);
    applyFinished(record, { ...event, time: new Date().toISOString() });
    this.runningTrials--;
    if (!countsTowardBudget(record)) this.countedTrials--;
    return record;
  }

  /** A queued trial was taken by a worker process. */
  assignTrial(trial: number, worker: { name: string; host: string; pid: number }): void {
    const event: TrialAssignedEvent = { event: 'trial_assigned', trial, worker: worker.name, host: worker.host, pid: worker.pid };
    this.writer.append(event);
    const record = this.trial(trial);
    if (record) applyAssigned(record, event);
  }

  /** A result for a trial that has already finished otherwise: recorded, not applied. */
  ignoreResult(trial: number, worker: string, state: string, value: number | null, reason: string): void {
    this.writer.append({ event: 'result_ignored', trial, worker, state, value: value !== null && Number.isFinite(value) ? value : null, reason });
  }

  workerEvent(
    kind: WorkerEvent['event'],
    worker: { name: string; host: string; pid: number; slots: number },
    reason?: string,
  ): void {
    const event: WorkerEvent = { event: kind, worker: worker.name, host: worker.host, pid: worker.pid, slots: worker.slots, ...(reason ? { reason } : {}) };
    this.writer.append(event);
    applyWorkerEvent(this.state.workers, { ...event, time: new Date().toISOString() });
  }

  /**
   * Trials left `running` by a controller that died: recorded failed with
   * reason `interrupted`, returned so that the caller can run them again.
   */
  failInterrupted(): TrialRecord[] {
    const orphans = this.state.trials.filter((t) => t.state === 'running');
    for (const t of orphans) this.finishTrial(t.number, 'failed', null, 0, { error: INTERRUPTED });
    return orphans;
  }

  /** An action of the control channel (the dashboard), as applied or refused. */
  controlAction(event: Omit<ControlActionEvent, 'event'>): void {
    this.writer.append({ event: 'control_action', ...event });
  }

  controllerEvent(
    kind: 'controller_started' | 'controller_stopped',
    extra: { reason?: string; budget?: { trials: number; time_s: number | null }; queue?: string } = {},
  ): void {
    this.writer.append({ event: kind, pid: process.pid, host: os.hostname(), ...extra });
    const reason = kind === 'controller_started' ? 'controller restarted' : 'controller stopped';
    for (const w of this.state.workers) if (w.connected) Object.assign(w, { connected: false, reason });
  }

  close(): void {
    this.writer.close();
  }
}

function truncateTornTail(file: string): void {
  const text = fs.readFileSync(file);
  const lastNewline = text.lastIndexOf(0x0a);
  fs.truncateSync(file, lastNewline + 1);
}
