// The studies under a results folder, followed live: one journal tail per
// study (src/study/line-tail.ts: fs.watch plus stat polling, a half-written
// last line held back), folded as it grows (shared/fold.ts), and handed to
// whoever listens (the SSE streams of the open pages).
import fs from 'node:fs';
import path from 'node:path';

import { isStudyLocked } from '../study/lock.js';
import { LineTail, type TailLine } from '../study/line-tail.js';
import { JOURNAL_FILE } from '../study/study.js';
import { StudyFold, summarize, type StudySummary } from './shared/fold.js';

const STUDY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export type LinesListener = (lines: readonly TailLine[]) => void;

export class LiveStudy {
  readonly fold: StudyFold;
  readonly file: string;
  private readonly tail: LineTail;
  private readonly listeners = new Set<LinesListener>();
  /** Whether a controller holds the study's lock, refreshed in the background. */
  controllerActive = false;
  /** The last snapshot's JSON, kept until the journal grows or the lock changes (every tab of a finished study gets the same one). */
  private snapshotCache: { key: string; body: Buffer } | null = null;

  constructor(
    readonly name: string,
    readonly dir: string,
    pollMs: number,
    private readonly changed: () => void,
  ) {
    this.file = path.join(dir, JOURNAL_FILE);
    this.fold = new StudyFold(name);
    this.tail = new LineTail(this.file, (lines) => this.onLines(lines), { from: 0, pollMs });
    this.tail.poke(); // the journal so far, now
  }

  /** The offset up to which the fold and the listeners have seen the journal. */
  get position(): number {
    return this.tail.position;
  }

  listen(listener: LinesListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  summary(): StudySummary {
    return summarize(this.fold, this.controllerActive);
  }

  /** The study's snapshot as the page loads it (shared/wire.ts), as JSON bytes. */
  snapshotBody(): Buffer {
    const key = `${this.fold.offset}:${this.controllerActive}`;
    if (this.snapshotCache?.key !== key) {
      this.snapshotCache = { key, body: Buffer.from(this.fold.snapshotJson({ controllerActive: this.controllerActive })) };
    }
    return this.snapshotCache.body;
  }

  async refreshLock(): Promise<void> {
    try {
      this.controllerActive = await isStudyLocked(this.dir);
    } catch {
      this.controllerActive = false;
    }
  }

  /** Reads the complete lines between two offsets from the file (a stream catching up). */
  linesBetween(from: number, to: number): TailLine[] {
    if (to <= from) return [];
    const fd = fs.openSync(this.file, 'r');
    try {
      const buf = Buffer.alloc(to - from);
      const n = fs.readSync(fd, buf, 0, buf.length, from);
      const lines: TailLine[] = [];
      let start = 0;
      for (;;) {
        const nl = buf.indexOf(0x0a, start);
        if (nl < 0 || nl >= n) break;
        lines.push({ text: buf.toString('utf8', start, nl), start: from + start, end: from + nl + 1 });
        start = nl + 1;
      }
      return lines;
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Whether `offset` is where a line starts (0, or just after a newline). */
  atLineStart(offset: number): boolean {
    if (offset === 0) return true;
    const fd = fs.openSync(this.file, 'r');
    try {
      const b = Buffer.alloc(1);
      return fs.readSync(fd, b, 0, 1, offset - 1) === 1 && b[0] === 0x0a;
    } finally {
      fs.closeSync(fd);
    }
  }

  close(): void {
    this.tail.close();
    this.listeners.clear();
  }

  private onLines(lines: readonly TailLine[]): void {
    for (const l of lines) this.fold.applyText(l.text, l.start, l.end);
    for (const listener of this.listeners) listener(lines);
    this.changed();
  }
}

/** Every study of a results folder; new ones are found by a rescan every few seconds. */
export class LiveResults {
  private readonly studies = new Map<string, LiveStudy>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly summaryListeners = new Set<() => void>();
  private summaryTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly resultsDir: string,
    private readonly options: { pollMs?: number; rescanMs?: number; summaryThrottleMs?: number } = {},
  ) {
    this.rescan();
    const rescan = setInterval(() => {
      this.rescan();
      void this.refreshLocks();
    }, options.rescanMs ?? 2000);
    rescan.unref();
    this.timers.push(rescan);
  }

  /** Resolves once the journals are folded, the locks known and the snapshots made: a first page load only sends bytes. */
  async ready(): Promise<void> {
    await this.refreshLocks();
    for (const s of this.studies.values()) s.snapshotBody();
  }

  names(): string[] {
    return [...this.studies.keys()].sort();
  }

  get(name: string): LiveStudy | undefined {
    if (!STUDY_NAME.test(name)) return undefined;
    if (!this.studies.has(name)) this.rescan();
    return this.studies.get(name);
  }

  summaries(): StudySummary[] {
    return this.names().map((n) => this.studies.get(n)!.summary());
  }

  /** Called (at most every summaryThrottleMs) after any study changed. */
  onSummaries(listener: () => void): () => void {
    this.summaryListeners.add(listener);
    return () => this.summaryListeners.delete(listener);
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
    if (this.summaryTimer) clearTimeout(this.summaryTimer);
    for (const s of this.studies.values()) s.close();
    this.studies.clear();
  }

  private rescan(): void {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(this.resultsDir, { withFileTypes: true });
    } catch {
      return; // no results folder (yet): no studies
    }
    for (const e of entries) {
      if (!e.isDirectory() || !STUDY_NAME.test(e.name) || this.studies.has(e.name)) continue;
      const dir = path.join(this.resultsDir, e.name);
      if (!fs.existsSync(path.join(dir, JOURNAL_FILE))) continue;
      this.studies.set(e.name, new LiveStudy(e.name, dir, this.options.pollMs ?? 500, () => this.studyChanged()));
      this.studyChanged();
    }
  }

  private async refreshLocks(): Promise<void> {
    const before = this.names().map((n) => this.studies.get(n)!.controllerActive).join();
    await Promise.all([...this.studies.values()].map((s) => s.refreshLock()));
    if (this.names().map((n) => this.studies.get(n)!.controllerActive).join() !== before) this.studyChanged();
  }

  private studyChanged(): void {
    if (this.summaryTimer || this.summaryListeners.size === 0) return;
    this.summaryTimer = setTimeout(() => {
      this.summaryTimer = null;
      for (const l of this.summaryListeners) l();
    }, this.options.summaryThrottleMs ?? 300);
  }
}
