// Appends events to a study journal through pino with a synchronous destination.
//
// Durability, plainly:
// - Every event is written with write(2) before append() returns, so it is in
//   the kernel's page cache: a `kill -9` of hypersweep loses nothing already
//   appended; at worst a write interrupted mid-line leaves a torn last line,
//   which the reader drops with a warning.
// - A finished trial is also fsync'ed before append() returns, so it survives a
//   power loss or a kernel crash too. Other events (started, intermediate) are
//   not fsync'ed: after a power loss the last few of them may be missing, and
//   the trial they belong to is simply seen as never started or interrupted.
import fs from 'node:fs';
import path from 'node:path';
import { pino, type Logger } from 'pino';

import type { JournalEvent } from './events.js';

/** The pino destination type (SonicBoom), as pino.destination returns it. */
type Destination = ReturnType<typeof pino.destination>;

export class JournalWriter {
  /** Our own descriptor, so that we can fsync it (SonicBoom does not expose its own in its types). */
  private readonly fd: number;
  private readonly destination: Destination;
  private readonly logger: Logger;
  private closed = false;

  constructor(readonly file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.fd = fs.openSync(file, 'a');
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

  /** Appends one event; fsyncs when it finishes a trial (see the file comment). */
  append(event: JournalEvent): void {
    if (this.closed) throw new Error(`journal ${this.file} is closed`);
    this.logger.info(event);
    if (event.event === 'trial_finished' || event.event === 'study_created') this.sync();
  }

  /** Forces everything appended so far onto the disk. */
  sync(): void {
    fs.fsyncSync(this.fd);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sync();
    this.destination.end();
  }
}
