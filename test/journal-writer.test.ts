// The journal's group commit (src/study/journal-writer.ts): every event is on
// the file when append() returns; the fsyncs of finished trials are grouped;
// close(), flush() and sync() fsync before they return.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { JOURNAL_FORMAT, type JournalEvent } from '../src/study/events.js';
import { readJournal } from '../src/study/journal-reader.js';
import { JournalWriter } from '../src/study/journal-writer.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-journal-writer-'));
  file = path.join(dir, 'journal.jsonl');
});
afterEach(() => {
  vi.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

const created: JournalEvent = {
  event: 'study_created',
  study: 's',
  format: JOURNAL_FORMAT,
  hypersweep_version: '0.0.0-test',
  spec: { name: 's' },
  space_file: 'x.yaml',
  sampler: 'random',
  seed: 3,
  direction: 'minimize',
  metric: 'value',
};
const started = (trial: number): JournalEvent => ({ event: 'trial_started', trial, params: { x: trial }, seed: trial, worker: 'main' });
const finished = (trial: number): JournalEvent => ({ event: 'trial_finished', trial, state: 'complete', value: trial / 2, duration_s: 0 });

/** The file as a separate reader sees it: a child process that reads it. */
function linesSeenByAnotherProcess(): string[] {
  const r = spawnSync('cat', [file], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  return r.stdout.split('\n').filter((l) => l !== '');
}

/** The fsyncs issued on one descriptor: synchronous and on the thread pool. */
function spyFsyncs() {
  return { sync: vi.spyOn(fs, 'fsyncSync'), async: vi.spyOn(fs, 'fsync') };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('journal writer: group commit', () => {
  it('puts every event on the file before append() returns, readable by another process, without an fsync inside append()', () => {
    const spies = spyFsyncs();
    const w = new JournalWriter(file, { groupCommitMs: 10_000 });
    w.append(created);
    expect(linesSeenByAnotherProcess()).toHaveLength(1);
    for (let t = 0; t < 8; t++) {
      w.append(started(t));
      expect(linesSeenByAnotherProcess()).toHaveLength(2 + 2 * t);
      w.append(finished(t));
      const lines = linesSeenByAnotherProcess();
      expect(lines).toHaveLength(3 + 2 * t);
      expect(JSON.parse(lines[lines.length - 1]!)).toMatchObject({ event: 'trial_finished', trial: t });
    }
    expect(spies.sync).not.toHaveBeenCalled();
    expect(spies.async).not.toHaveBeenCalled();
    expect(w.fsyncs).toBe(0);
    w.close();
    expect(readJournal(file).events).toHaveLength(17);
  });

  it('covers the finished trials of one window with one fsync on the thread pool', async () => {
    const spies = spyFsyncs();
    const w = new JournalWriter(file, { groupCommitMs: 20 });
    for (let t = 0; t < 200; t++) {
      w.append(started(t));
      w.append(finished(t));
    }
    expect(spies.async).not.toHaveBeenCalled();
    await sleep(150);
    expect(spies.sync).not.toHaveBeenCalled();
    expect(spies.async).toHaveBeenCalledTimes(1);
    expect(w.fsyncs).toBe(1);
    // Events that start no window (started, intermediate) do not cause an fsync by themselves.
    w.append(started(200));
    w.append({ event: 'intermediate', trial: 200, step: 1, value: 1 });
    await sleep(80);
    expect(w.fsyncs).toBe(1);
    // The next finished trial does, and that fsync covers them too.
    w.append(finished(200));
    await sleep(150);
    expect(w.fsyncs).toBe(2);
    w.close();
  });

  it('close() fsyncs everything before it returns, and no fsync of its timer comes later', async () => {
    const spies = spyFsyncs();
    const w = new JournalWriter(file, { groupCommitMs: 10_000 });
    w.append(created);
    w.append(started(0));
    w.append(finished(0));
    expect(spies.sync).not.toHaveBeenCalled();
    w.close();
    expect(spies.sync).toHaveBeenCalled();
    expect(w.fsyncs).toBe(1);
    expect(() => w.append(started(1))).toThrow(/is closed/);
    await sleep(50);
    expect(w.fsyncs).toBe(1);
  });

  it('close() while a group fsync runs: fsyncs again, and the journal stays whole', async () => {
    const w = new JournalWriter(file, { groupCommitMs: 0.001 });
    w.append(created);
    w.append(started(0));
    w.append(finished(0));
    await sleep(1); // the timer fires: an fsync on the thread pool, likely still running
    w.append(started(1));
    w.close();
    expect(w.fsyncs).toBeGreaterThanOrEqual(2);
    await sleep(50);
    expect(readJournal(file).events).toHaveLength(4);
  });

  it('flush() fsyncs at once when something is pending, and only then', () => {
    const w = new JournalWriter(file, { groupCommitMs: 10_000 });
    w.flush();
    expect(w.fsyncs).toBe(0);
    w.append(started(0));
    w.flush();
    expect(w.fsyncs).toBe(1);
    w.append(finished(0));
    w.flush();
    expect(w.fsyncs).toBe(2);
    w.flush();
    expect(w.fsyncs).toBe(2);
    w.sync(); // sync() always does
    expect(w.fsyncs).toBe(3);
    w.close();
  });

  it('groupCommitMs 0 fsyncs each finished trial inside append()', () => {
    const spies = spyFsyncs();
    const w = new JournalWriter(file, { groupCommitMs: 0 });
    w.append(started(0));
    expect(spies.sync).not.toHaveBeenCalled();
    w.append(finished(0));
    expect(spies.sync).toHaveBeenCalledTimes(1);
    w.close();
  });

  it('kill -9 right after append() loses nothing appended', () => {
    const module = pathToFileURL(path.resolve('src/study/journal-writer.ts')).href;
    const script = `
      const { JournalWriter } = await import(${JSON.stringify(module)});
      const w = new JournalWriter(${JSON.stringify(file)}, { groupCommitMs: 10000 });
      w.append(${JSON.stringify(created)});
      for (let t = 0; t < 300; t++) {
        w.append({ event: 'trial_started', trial: t, params: { x: t }, seed: t, worker: 'main' });
        w.append({ event: 'trial_finished', trial: t, state: 'complete', value: t, duration_s: 0 });
      }
      process.kill(process.pid, 'SIGKILL');
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.signal, r.stderr).toBe('SIGKILL');
    const { events, tornLastLine } = readJournal(file);
    expect(tornLastLine).toBeNull();
    expect(events).toHaveLength(601);
    expect(events[600]).toMatchObject({ event: 'trial_finished', trial: 299 });
  });
});
