// What `hypersweep sweep/resume` prints while trials run.
// - On a terminal: a live block redrawn in place (one line per running trial:
//   number, params, epoch / epochs, latest metric; then a summary line: done /
//   budget, pruned, failed, best so far, elapsed, ETA), with a line per finished
//   trial scrolling above it.
// - Otherwise: one plain line per finished trial (logs, CI, pipes).
// - Quiet: nothing (the caller still prints the final summary).
import type { SweepListener } from '../dispatch/controller.js';
import { bestTrial, type TrialRecord } from '../study/state.js';
import { countsTowardBudget, type Study } from '../study/study.js';

export interface SweepView extends SweepListener {
  /** A message for the user (e.g. after Ctrl-C), printed above the live block. */
  log(line: string): void;
  stop(): void;
}

export type ViewMode = 'live' | 'lines' | 'quiet';

export function viewMode(stream: NodeJS.WriteStream, quiet: boolean): ViewMode {
  if (quiet) return 'quiet';
  return stream.isTTY ? 'live' : 'lines';
}

export function createSweepView(study: Study, budget: number, stream: NodeJS.WriteStream, mode: ViewMode): SweepView {
  const progress = new Progress(study, budget);
  if (mode === 'quiet') return { log: () => {}, stop: () => {} };
  if (mode === 'lines') {
    return {
      log: (line) => stream.write(`${line}\n`),
      trialFinished: (t) => stream.write(`${progress.finishedLine(t)}\n`),
      stop: () => {},
    };
  }
  return new LiveView(stream, progress);
}

/** The numbers both views print, from the study's state. */
class Progress {
  private readonly startedMs = Date.now();
  /** Trials finished by this run of the controller (for the ETA). */
  private finishedHere = 0;
  /** Latest [step, value] of each running trial. */
  readonly latest = new Map<number, { step: number; value: number }>();

  constructor(
    readonly study: Study,
    readonly budget: number,
  ) {}

  onFinished(t: TrialRecord): void {
    this.finishedHere++;
    this.latest.delete(t.number);
  }

  done(): number {
    return this.study.done;
  }

  elapsed(): number {
    return (Date.now() - this.startedMs) / 1000;
  }

  eta(): string {
    const left = this.budget - this.done();
    if (left <= 0) return '-';
    if (this.finishedHere === 0) return '?';
    return formatDuration((left * this.elapsed()) / this.finishedHere);
  }

  best(): string {
    const best = bestTrial(this.study.state.trials, this.study.spec.direction);
    return best ? `best ${num(best.value!)} (trial ${best.number})` : 'best -';
  }

  finishedLine(t: TrialRecord): string {
    this.onFinished(t);
    const value = t.value === null ? '' : ` ${this.study.spec.metric}=${num(t.value)}`;
    return (
      `[${this.done()}/${this.budget}] trial ${t.number}${placement(t)} ${t.state}${value}${t.error ? ` (${t.error})` : ''}  ${formatParams(t.params)}` +
      `  | ${this.best()}  eta ${this.eta()}`
    );
  }

  runningLine(t: TrialRecord): string {
    const latest = this.latest.get(t.number);
    const epochs = epochsOf(this.study, t);
    let where = 'starting';
    if (latest) {
      const step = epochs === null ? `step ${latest.step}` : `epoch ${latest.step}/${epochs}`;
      where = `${step}  ${this.study.spec.metric} ${num(latest.value)}`;
    } else if (epochs !== null) where = `epoch 0/${epochs}`;
    return `  trial ${t.number}${placement(t)}  ${where}  ${formatParams(t.params)}`;
  }

  summaryLine(): string {
    const counts = { pruned: 0, failed: 0 };
    for (const t of this.study.state.trials) {
      if (t.state === 'pruned') counts.pruned++;
      else if (t.state === 'failed' && countsTowardBudget(t)) counts.failed++;
    }
    const workers = this.study.state.workers.filter((w) => w.connected);
    const remote = workers.length ? ` | ${workers.length} worker${workers.length === 1 ? '' : 's'} (${workers.reduce((n, w) => n + w.slots, 0)} slots)` : '';
    return (
      `[${this.done()}/${this.budget}] ${counts.pruned} pruned, ${counts.failed} failed${remote} | ${this.best()} | ` +
      `elapsed ${formatDuration(this.elapsed())} | eta ${this.eta()}`
    );
  }
}

const ESC = '\u001b[';

/** Redraws its block in place: cursor up over the old block, clear to the end, write the new one. */
class LiveView implements SweepView {
  private readonly running = new Map<number, TrialRecord>();
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly ticker: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly progress: Progress,
  ) {
    stream.write(`${ESC}?25l`); // hide the cursor while redrawing
    // Elapsed time and ETA move even when no trial reports.
    this.ticker = setInterval(() => this.schedule(), 1000);
    this.ticker.unref();
    this.draw();
  }

  trialStarted(t: TrialRecord): void {
    this.running.set(t.number, t);
    this.schedule();
  }

  trialAssigned(): void {
    this.schedule();
  }

  intermediate(t: TrialRecord, step: number, value: number): void {
    this.progress.latest.set(t.number, { step, value });
    this.schedule();
  }

  trialFinished(t: TrialRecord): void {
    this.running.delete(t.number);
    this.log(this.progress.finishedLine(t));
  }

  log(line: string): void {
    if (this.stopped) {
      this.stream.write(`${line}\n`);
      return;
    }
    this.stream.write(`${this.clear()}${line}\n`);
    this.drawn = 0;
    this.draw();
  }

  stop(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    clearInterval(this.ticker);
    this.stream.write(`${this.clear()}${ESC}?25h`);
    this.drawn = 0;
    this.stopped = true;
  }

  /** At most ~10 redraws a second, however often trials report. */
  private schedule(): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.draw();
    }, 100);
    this.timer.unref();
  }

  private clear(): string {
    return this.drawn > 0 ? `${ESC}${this.drawn}A\r${ESC}J` : '';
  }

  private draw(): void {
    if (this.stopped) return;
    const width = Math.max(20, (this.stream.columns || 100) - 1);
    const lines = [...this.running.values()]
      .sort((a, b) => a.number - b.number)
      .map((t) => this.progress.runningLine(t));
    lines.push(this.progress.summaryLine());
    // A line longer than the terminal wraps and breaks the cursor arithmetic: cut it.
    const text = lines.map((l) => (l.length > width ? `${l.slice(0, width - 1)}…` : l)).join('\n');
    this.stream.write(`${this.clear()}${text}\n`);
    this.drawn = lines.length;
  }
}

/** Where a trial of a distributed sweep runs: ' on <worker>', or ' queued' until a worker takes it; '' locally. */
function placement(t: TrialRecord): string {
  if (t.host !== null) return ` on ${t.worker}`;
  return t.worker === 'queue' ? ' queued' : '';
}

function epochsOf(study: Study, t: TrialRecord): number | null {
  const epochs = t.params.epochs ?? study.spec.fixed.epochs;
  return typeof epochs === 'number' && Number.isFinite(epochs) ? epochs : null;
}

export function num(v: number): string {
  return String(Number(v.toPrecision(6)));
}

export function formatParams(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toPrecision(4)) : String(v)}`)
    .join(' ');
}

export function formatDuration(s: number): string {
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
