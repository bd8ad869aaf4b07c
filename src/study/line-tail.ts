// Follows a file that others append lines to (a study journal, a control
// file): from a byte offset, each complete line is handed over once, with the
// byte offsets where it starts and ends. A last line without its newline is
// held back until its newline arrives (a writer may be in the middle of it).
//
// Changes are noticed through fs.watch on the file's folder, which is quick
// but unreliable on network filesystems, and through stat polling, which
// always works: both only trigger a read of what lies past the offset, so
// being woken twice costs a stat.
import fs from 'node:fs';
import path from 'node:path';

export interface TailLine {
  text: string;
  /** Byte offset of the line's first byte, and just past its newline. */
  start: number;
  end: number;
}

export interface LineTailOptions {
  /** Where to start reading (bytes); default: the file's end now (only what is appended from here on). */
  from?: number;
  /** The stat-polling interval in ms (default 500). */
  pollMs?: number;
  /** Use fs.watch besides polling (default true). */
  watch?: boolean;
}

/** At most this much is read per pass, so that a huge backlog does not take one huge buffer. */
const CHUNK = 4 << 20;

export class LineTail {
  private offset: number;
  private pending: Buffer = Buffer.alloc(0);
  private watcher: fs.FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private reading = false;
  private again = false;
  private closed = false;

  constructor(
    readonly file: string,
    private readonly onLines: (lines: TailLine[]) => void,
    options: LineTailOptions = {},
    private readonly onError: (error: Error) => void = () => {},
  ) {
    this.offset = options.from ?? sizeOf(file);
    if (options.watch !== false) {
      try {
        // The folder, not the file: the file may not exist yet, and a watch on it would not survive a replacement.
        this.watcher = fs.watch(path.dirname(file), (_kind, name) => {
          if (name === null || name === path.basename(file)) this.poke();
        });
        this.watcher.on('error', () => this.watcher?.close());
        this.watcher.unref();
      } catch {
        this.watcher = null; // polling alone
      }
    }
    this.timer = setInterval(() => this.poke(), options.pollMs ?? 500);
    this.timer.unref();
  }

  /** The offset just past the last complete line handed over. */
  get position(): number {
    return this.offset;
  }

  /** Reads whatever has been appended now (also called by the watchers). */
  poke(): void {
    if (this.closed) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    try {
      do {
        this.again = false;
        this.readNew();
      } while (this.again && !this.closed);
    } catch (error) {
      this.onError(error as Error);
    } finally {
      this.reading = false;
    }
  }

  close(): void {
    this.closed = true;
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
  }

  private readNew(): void {
    const size = sizeOf(this.file);
    const readFrom = this.offset + this.pending.length;
    if (size < readFrom) {
      // Truncated (a resume cuts a torn last line): what was held back is gone; carry on from the new end.
      this.pending = Buffer.alloc(0);
      this.offset = Math.min(this.offset, size);
      return;
    }
    if (size === readFrom) return;
    const fd = fs.openSync(this.file, 'r');
    try {
      let at = readFrom;
      while (at < size && !this.closed) {
        const buf = Buffer.alloc(Math.min(CHUNK, size - at));
        const n = fs.readSync(fd, buf, 0, buf.length, at);
        if (n === 0) break;
        at += n;
        this.consume(buf.subarray(0, n));
      }
    } finally {
      fs.closeSync(fd);
    }
  }

  private consume(chunk: Buffer): void {
    const data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const lines: TailLine[] = [];
    let start = 0;
    for (;;) {
      const nl = data.indexOf(0x0a, start);
      if (nl < 0) break;
      lines.push({ text: data.toString('utf8', start, nl), start: this.offset + start, end: this.offset + nl + 1 });
      start = nl + 1;
    }
    this.offset += start;
    // Copied, so that the big chunk it came from can be freed.
    this.pending = Buffer.from(data.subarray(start));
    if (lines.length) this.onLines(lines);
  }
}

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}
