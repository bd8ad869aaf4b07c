// Keeps results/<study>/leaderboard.jsonl up to date during a sweep without
// rewriting it after every finished trial.
//
// A rewrite ranks every finished trial and replaces the file atomically (with
// an fsync): O(n) in the study's size, so one per trial is O(n²) over a study
// and, for a cheap objective, costs more than the trials (a rewrite takes
// ~13 ms at 500 finished trials and ~60 ms at 5,000). Instead markDirty()
// (after each finished trial) schedules at most one rewrite per `intervalMs`
// (default 1 s), or per 20 times the last rewrite's duration when that is
// longer (so rewrites never take more than ~5 % of the controller's time), on
// a timer that does not keep the process alive; flush() rewrites at once if
// anything changed since the last rewrite. So during a sweep the file may lag
// the journal by about a second (the journal is the record; the leaderboard is
// a view of it), and after flush(), which the sweep calls when it ends, it is
// exact.
import { writeLeaderboard, type RankableStudy } from './leaderboard.js';

export const DEFAULT_LEADERBOARD_INTERVAL_MS = 1000;
/** The interval is at least this many times the last rewrite's duration. */
const MAX_SHARE = 20;

export class LeaderboardWriter {
  private dirty = false;
  private timer: NodeJS.Timeout | null = null;
  /** When the last rewrite ended (performance.now()), or -Infinity before the first. */
  private lastWrite = -Infinity;
  /** How long the last rewrite took (ms). */
  private lastDuration = 0;
  /** A rewrite on the timer failed: thrown by the next markDirty() or flush(). */
  private failure: unknown = null;
  /** Rewrites done (for tests and benchmarks). */
  writes = 0;

  constructor(
    readonly resultsDir: string,
    readonly study: string,
    private readonly state: RankableStudy,
    private readonly intervalMs = DEFAULT_LEADERBOARD_INTERVAL_MS,
  ) {}

  /** The study changed: rewrite the file soon (at most once per interval). */
  markDirty(): void {
    this.throwFailure();
    this.dirty = true;
    if (this.timer !== null) return;
    const interval = Math.max(this.intervalMs, MAX_SHARE * this.lastDuration);
    const wait = Math.max(0, this.lastWrite + interval - performance.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      try {
        this.writeIfDirty();
      } catch (error) {
        this.failure ??= error;
      }
    }, wait);
    this.timer.unref();
  }

  /** Rewrites the file now if the study changed since the last rewrite; returns its path, or null. */
  flush(): string | null {
    this.throwFailure();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    return this.writeIfDirty();
  }

  private writeIfDirty(): string | null {
    if (!this.dirty) return null;
    this.dirty = false;
    const start = performance.now();
    try {
      return writeLeaderboard(this.resultsDir, this.study, this.state);
    } catch (error) {
      this.dirty = true; // still to be written
      throw error;
    } finally {
      this.writes++;
      this.lastWrite = performance.now();
      this.lastDuration = this.lastWrite - start;
    }
  }

  private throwFailure(): void {
    const failure = this.failure;
    if (failure === null) return;
    this.failure = null;
    throw failure;
  }
}
