// Appends events to a study journal through pino with a synchronous destination.
//
// Durability, plainly:
// - Every event is written with write(2) before append() returns, so it is in
//   the kernel's page cache and any other reader of the file sees it: a
//   `kill -9` of hypersweep loses nothing already appended; at worst a write
//   interrupted mid-line leaves a torn last line, which the reader drops with a
//   warning.
// - Surviving a power loss or a kernel crash takes an fsync, which costs
//   milliseconds (more than a whole trial of a cheap objective), so fsyncs are
//   grouped: the first finished trial (trial_finished, or study_created)
//   appended after the last fsync starts a timer of `groupCommitMs` (default
//   50 ms); when it fires, one fsync, run on libuv's thread pool so that the
//   controller does not wait for it, covers every event appended until then.
// - The trade-off: a power loss or kernel crash can lose the finished trials
//   of the last 50 ms (plus the time one fsync takes; a trial that finishes
//   while an fsync runs waits for the next one, so with a disk slower than the
//   window, plus two). Those trials are then seen as never started, or as
//   interrupted, and a resume runs them again. Anything older is on the disk.
//   Other events (started, intermediate, ...) never start the timer; the next
//   fsync covers them too.
// - flush() and sync() fsync now, synchronously; close() fsyncs everything
//   before it returns. A failed background fsync is thrown by the next
//   append(), flush(), sync() or close().
// - `groupCommitMs: 0` fsyncs each finished trial before append() returns (the
//   old behaviour: nothing finished is ever lost, at an fsync per trial).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Logger, pino as Pino } from 'pino';

import type { JournalEvent } from './events.js';

/** The pino destination type (SonicBoom), as pino.destination returns it. */
type Destination = ReturnType<typeof Pino.destination>;

/** How long a finished trial may wait for its fsync (see the file comment). */
export const DEFAULT_GROUP_COMMIT_MS = 50;

export interface JournalWriterOptions {
  /** The group-commit window in ms; 0 fsyncs each finished trial inside append(). */
  groupCommitMs?: number;
}

export class JournalWriter {
  /** Our own descriptor, so that we can fsync it (SonicBoom does not expose its own in its types). */
  private readonly fd: number;
  private readonly destination: Destination;
  private readonly logger: Logger;
  private readonly groupCommitMs: number;
  private closed = false;
  /** Events were written since the last fsync began. */
  private unsynced = false;
  /** Of those, at least one must reach the disk within the window (a finished trial). */
  private durablePending = false;
  /** When the oldest finished trial not yet fsync'ed was appended (Date.now()). */
  private pendingSince = 0;
  private timer: NodeJS.Timeout | null = null;
  /** A background fsync is running on the thread pool. */
  private inFlight = false;
  /** close() came while a background fsync ran: the descriptor is released when it ends. */
  private endWhenIdle = false;
  /** A background fsync failed: thrown by the next call. */
  private failure: Error | null = null;
  /** How many fsyncs this writer has issued (for tests and benchmarks). */
  fsyncs = 0;

  constructor(
    readonly file: string,
    options: JournalWriterOptions = {},
  ) {
    this.groupCommitMs = Math.max(0, options.groupCommitMs ?? DEFAULT_GROUP_COMMIT_MS);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.fd = fs.openSync(file, 'a');
    // pino loads with the first writer, not with this module: the commands
    // and library calls that only read journals (status...) start ~17 ms sooner.
    const { pino } = createRequire(import.meta.url)('pino') as { pino: typeof Pino };
    this.destination = pino.destination({ dest: this.fd, sync: true });
    this.logger = pino(
      {
        base: null, // no pid/hostname on every line: controller events carry them
        // The journal has no log levels. pino joins '{' + level + timestamp, and the
        // timestamp normally brings its own leading comma; with the level gone it must not.
        formatters: { level: () => ({}) },
        timestamp: () => `"time":"${new Date().toISOString()}"`,
      },
      this.destination,
    );
  }

  /**
   * Appends one event: written (write(2)) before this returns. A finished trial
   * is fsync'ed within the group-commit window (see the file comment).
   */
  append(event: JournalEvent): void {
    if (this.closed) throw new Error(`journal ${this.file} is closed`);
    this.throwFailure();
    this.logger.info(event);
    this.unsynced = true;
    if (event.event === 'trial_finished' || event.event === 'study_created') {
      if (this.groupCommitMs === 0) this.sync();
      else {
        if (!this.durablePending) this.pendingSince = Date.now();
        this.durablePending = true;
        this.schedule();
      }
    }
  }

  /** Fsyncs now if anything appended is not yet known to be on the disk. */
  flush(): void {
    this.throwFailure();
    if (this.unsynced || this.durablePending) this.sync();
  }

  /** Forces everything appended so far onto the disk, now. */
  sync(): void {
    this.throwFailure();
    this.cancelTimer();
    this.unsynced = false;
    this.durablePending = false;
    this.fsyncs++;
    fs.fsyncSync(this.fd);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cancelTimer();
    try {
      this.sync();
    } finally {
      // SonicBoom closes the descriptor: not under a background fsync of ours.
      if (this.inFlight) this.endWhenIdle = true;
      else this.destination.end();
    }
  }

  private schedule(): void {
    // A running fsync reschedules when it ends (it may not cover what came after it began).
    if (this.timer !== null || this.inFlight) return;
    const wait = Math.max(0, this.pendingSince + this.groupCommitMs - Date.now());
    this.timer = setTimeout(() => this.groupSync(), wait);
  }

  private cancelTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** The group commit: one fsync on the thread pool for everything written until now. */
  private groupSync(): void {
    this.timer = null;
    if (this.closed || !this.durablePending) return;
    this.unsynced = false;
    this.durablePending = false;
    this.inFlight = true;
    this.fsyncs++;
    fs.fsync(this.fd, (error) => {
      this.inFlight = false;
      if (error) this.failure ??= new Error(`journal ${this.file}: fsync failed: ${error.message}`);
      if (this.endWhenIdle) {
        this.endWhenIdle = false;
        this.destination.end();
      } else if (this.durablePending && !this.closed) this.schedule();
    });
  }

  private throwFailure(): void {
    const failure = this.failure;
    if (failure === null) return;
    this.failure = null;
    throw failure;
  }
}
