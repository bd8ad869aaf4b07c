// A study as the library API holds it. Reading (trials, bestTrial) reads the
// journal, so it sees what a CLI controller writes meanwhile; writing (ask,
// tell, optimize) opens the study under its lock on first use, exactly as
// `hypersweep resume` does (trials a dead process left running are recorded
// interrupted), and holds it until close().
import path from 'node:path';

import { Errors } from '../errors.js';
import type { Pruner } from '../pruners/pruner.js';
import { deriveTrialSeed } from '../samplers/rng.js';
import type { Sampler, TrialSnapshot } from '../samplers/sampler.js';
import type { Distribution } from '../space/distributions.js';
import { LeaderboardWriter } from '../study/leaderboard-writer.js';
import { bestTrial, type StudyState, type TrialRecord } from '../study/state.js';
import { JOURNAL_FILE, Study, studyDir } from '../study/study.js';
import { openStudy, type StudyWriter } from './create.js';
import { checkReport, reportValue, suggestParam } from './host.js';
import { studyLearners } from './learners.js';
import { optimizeStudy } from './optimize.js';
import { TrialHandle } from './trial.js';
import type { Direction, ObjectiveFunction, OptimizeOptions, OptimizeResult, TellResult, Trial, TrialInfo } from './types.js';
import { trialInfo } from './views.js';

/** The study open for writing, and what learns from it. */
export interface Writer extends StudyWriter {
  sampler: Sampler;
  pruner: Pruner;
  leaderboard: LeaderboardWriter;
}

/** A trial asked and not yet told. */
interface OpenTrial {
  handle: TrialHandle;
  suggested: Map<string, Distribution>;
  started: number;
}

/** The worker name the journal gives trials run by ask-and-tell (pool trials are w0, w1, …). */
export const ASK_TELL_WORKER = 'api';

export class StudyHandle {
  private writer: Writer | null = null;
  private opening: Promise<Writer> | null = null;
  private readonly open = new Map<number, OpenTrial>();
  /** Every trial handle this study handle gave out (a trial of another study has the same numbers). */
  private readonly issued = new WeakSet<Trial>();
  private closed = false;
  private optimizing = false;

  /** @internal Use createStudy() or loadStudy(). */
  constructor(
    readonly name: string,
    readonly results: string,
    private readonly created: StudyState['created'],
    writer: StudyWriter | null = null,
    /** Set when the study's lock was lost (another process took it over): writing stops. */
    private readonly lock: { lost: Error | null } = { lost: null },
  ) {
    if (writer) this.writer = this.learn(writer);
  }

  get direction(): Direction {
    return this.created.direction;
  }
  get metric(): string {
    return this.created.metric;
  }
  get seed(): number {
    return this.created.seed;
  }
  /** The journal, results/<study>/journal.jsonl. */
  get journalFile(): string {
    return path.join(studyDir(this.results, this.name), JOURNAL_FILE);
  }

  /** Every trial, in the order they started (read from the journal unless this handle writes it). */
  get trials(): TrialInfo[] {
    return this.state().trials.map(trialInfo);
  }

  /** The best complete trial for the study's direction (ties: the earlier), or null. */
  get bestTrial(): TrialInfo | null {
    const best = bestTrial(this.state().trials, this.direction);
    return best ? trialInfo(best) : null;
  }

  /**
   * A new trial: its number, seed and the space's params, drawn by the study's
   * sampler with the other open trials as running (the constant liar).
   * Journalled as trial_started.
   */
  async ask(): Promise<Trial> {
    const w = await this.writable();
    if (this.optimizing) throw Errors.optionConflict('study.ask()', ['a running study.optimize()']);
    const study = w.study;
    const number = study.state.nextNumber;
    const madeBy = w.sampler.madeBy();
    const params = w.sampler.ask(number, this.running(-1));
    const record = study.startTrial(params, deriveTrialSeed(study.seed, number), ASK_TELL_WORKER, null, false, madeBy);
    const suggested = new Map<string, Distribution>();
    const handle = new TrialHandle(
      number,
      record.seed,
      {
        suggest: (name, distribution) => {
          this.checkOpen(number, `suggest "${name}"`);
          return suggestParam({ study, sampler: w.sampler, number, suggested, running: () => this.running(number) }, name, distribution);
        },
        report: (step, value) => {
          checkReport(step, value);
          this.checkOpen(number, 'report');
          return reportValue(study, w.pruner, number, step, value);
        },
        get params() {
          return record.params;
        },
      },
      new AbortController().signal,
    );
    this.open.set(number, { handle, suggested, started: performance.now() });
    this.issued.add(handle);
    return handle;
  }

  /**
   * Finishes an asked trial: a number is its value (complete; NaN or ±Infinity
   * records it failed, as a pool trial's), or say how it ended. Journalled as
   * trial_finished, then told to the sampler.
   */
  async tell(trial: Trial | number, result: TellResult): Promise<TrialInfo> {
    const w = await this.writable();
    const number = typeof trial === 'number' ? trial : trial.number;
    if (typeof trial !== 'number' && !this.issued.has(trial)) throw Errors.foreignTrial(number, this.name);
    const open = this.checkOpen(number, 'tell it again');
    const seconds = (performance.now() - open.started) / 1000;
    const record = w.study.trial(number)!;
    const outcome = typeof result === 'number' ? { state: 'complete' as const, value: result } : result;
    const metrics = outcome.metrics ? { metrics: JSON.parse(JSON.stringify(outcome.metrics)) as Record<string, unknown> } : {};
    let finished: TrialRecord;
    if (outcome.state === 'complete') {
      finished = Number.isFinite(outcome.value)
        ? w.study.finishTrial(number, 'complete', outcome.value, seconds, metrics)
        : w.study.finishTrial(number, 'failed', null, seconds, { ...metrics, error: `objective returned a non-finite value (${String(outcome.value)})` });
    } else if (outcome.state === 'pruned') {
      // As the controller records a pruned trial: its last reported value.
      const value = outcome.value ?? record.intermediate.at(-1)?.[1] ?? null;
      finished = w.study.finishTrial(number, 'pruned', value, seconds, metrics);
    } else {
      finished = w.study.finishTrial(number, 'failed', null, seconds, { ...metrics, error: outcome.error ?? 'failed' });
    }
    this.open.delete(number);
    w.sampler.tell({ ...finished, state: finished.state as 'complete' | 'pruned' | 'failed' });
    w.leaderboard.markDirty();
    return trialInfo(finished);
  }

  /**
   * Runs trials until the budget: `objective` is a function run in this
   * process (workers 1), or the path of a module exporting
   * `objective(params, ctx)` run in worker threads as the CLI runs it; omitted,
   * the study's own objective (its space file's). Trials left interrupted run
   * again first, as `hypersweep resume` does.
   */
  async optimize(objective?: ObjectiveFunction | string | OptimizeOptions, options: OptimizeOptions = {}): Promise<OptimizeResult> {
    if (typeof objective === 'object') return this.optimize(undefined, objective);
    const w = await this.writable();
    if (this.optimizing) throw Errors.optionConflict('study.optimize()', ['a running study.optimize()']);
    this.optimizing = true;
    try {
      const reason = await optimizeStudy(w, objective, options);
      return { reason, best: this.bestTrial };
    } finally {
      this.optimizing = false;
    }
  }

  /**
   * Lets go of the study: trials asked and not told are recorded interrupted
   * (failed, run again by a later optimize or `hypersweep resume`), the
   * leaderboard file is brought up to date and the lock released.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const w = this.writer ?? (this.opening ? await this.opening.catch(() => null) : null);
    if (!w) return;
    try {
      w.study.failInterrupted();
      w.leaderboard.flush();
    } finally {
      w.study.close();
      await w.lock.release();
    }
  }

  private state(): StudyState {
    return this.writer?.study.state ?? Study.read(this.results, this.name);
  }

  /** The open trials other than `except`, for the sampler's constant liar. */
  private running(except: number): TrialSnapshot[] {
    const study = this.writer!.study;
    return [...this.open.keys()].filter((n) => n !== except).map((n) => ({ number: n, params: study.trial(n)!.params }));
  }

  private checkOpen(number: number, what: string): OpenTrial {
    const open = this.open.get(number);
    if (open) return open;
    const record = this.writer?.study.trial(number);
    if (record && record.state !== 'running') throw Errors.trialFinished(number, record.state, what);
    throw Errors.foreignTrial(number, this.name);
  }

  private async writable(): Promise<Writer> {
    if (this.closed) throw Errors.studyClosed(this.name);
    if (this.lock.lost) throw this.lock.lost;
    if (this.writer) return this.writer;
    this.opening ??= openStudy(this.results, this.name, {
      warn: (message) => process.emitWarning(message, 'HypersweepWarning'),
      onLockLost: (err) => (this.lock.lost = err),
    }).then((opened) => {
      // Trials left running by a process that died: recorded interrupted, as `hypersweep resume` does.
      opened.study.failInterrupted();
      return this.learn(opened);
    });
    try {
      this.writer = await this.opening;
    } catch (err) {
      this.opening = null;
      throw err;
    }
    return this.writer;
  }

  private learn(opened: StudyWriter): Writer {
    return {
      ...opened,
      ...studyLearners(opened.study),
      leaderboard: new LeaderboardWriter(this.results, this.name, opened.study.state),
    };
  }
}
