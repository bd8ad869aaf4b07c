import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { isHypersweepError } from '../src/errors.js';
import { readJournal } from '../src/study/journal-reader.js';
import { JournalWriter } from '../src/study/journal-writer.js';
import { foldJournal } from '../src/study/state.js';
import { JOURNAL_FORMAT, type JournalEvent } from '../src/study/events.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-journal-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const created: JournalEvent = {
  event: 'study_created',
  study: 's',
  format: JOURNAL_FORMAT,
  hypersweep_version: '0.0.0-test',
  spec: { name: 's' },
  space_file: 'x.yaml',
  sampler: 'random',
  seed: 3,
  direction: 'maximize',
  metric: 'value',
};

function writeEvents(file: string, events: JournalEvent[]): void {
  const w = new JournalWriter(file);
  for (const e of events) w.append(e);
  w.close();
}

const someTrials: JournalEvent[] = [
  created,
  { event: 'trial_started', trial: 0, params: { a: 1.5, b: 'x' }, seed: 11, worker: 'main' },
  { event: 'intermediate', trial: 0, step: 1, value: 0.25 },
  { event: 'trial_finished', trial: 0, state: 'complete', value: 0.5, duration_s: 1.25, metrics: { k: [1, 2] } },
  { event: 'trial_started', trial: 1, params: { a: 2, b: 'y' }, seed: 12, worker: 'main' },
];

describe('journal', () => {
  it('round-trips every event, one JSON object per line', () => {
    const file = path.join(dir, 'journal.jsonl');
    writeEvents(file, someTrials);
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(someTrials.length);
    const { events, tornLastLine } = readJournal(file);
    expect(tornLastLine).toBeNull();
    expect(events.map(({ time, ...rest }) => (expect(typeof time).toBe('string'), rest))).toEqual(someTrials);
    const state = foldJournal(events);
    expect(state.nextNumber).toBe(2);
    expect(state.trials[0]).toMatchObject({ number: 0, state: 'complete', value: 0.5, intermediate: [[1, 0.25]] });
    expect(state.trials[1]).toMatchObject({ number: 1, state: 'running', params: { a: 2, b: 'y' } });
  });

  it('appends to an existing journal without rewriting it', () => {
    const file = path.join(dir, 'journal.jsonl');
    writeEvents(file, someTrials.slice(0, 2));
    const before = fs.readFileSync(file, 'utf8');
    writeEvents(file, someTrials.slice(2));
    expect(fs.readFileSync(file, 'utf8').startsWith(before)).toBe(true);
    expect(readJournal(file).events).toHaveLength(someTrials.length);
  });

  it('ignores a torn last line with a report of it', () => {
    const file = path.join(dir, 'journal.jsonl');
    writeEvents(file, someTrials);
    fs.appendFileSync(file, '{"time":"2026-01-01T00:00:00Z","event":"trial_fini');
    const { events, tornLastLine } = readJournal(file);
    expect(events).toHaveLength(someTrials.length);
    expect(tornLastLine?.line).toBe(someTrials.length + 1);
  });

  it('refuses a corrupt line in the middle, naming the file and line', () => {
    const file = path.join(dir, 'journal.jsonl');
    writeEvents(file, someTrials);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines[2] = lines[2]!.slice(0, 20); // damage line 3
    fs.writeFileSync(file, lines.join('\n'));
    let error: unknown;
    try {
      readJournal(file);
    } catch (e) {
      error = e;
    }
    expect(isHypersweepError(error)).toBe(true);
    expect((error as Error).message).toContain(`${file}:3:`);
  });

  it('refuses an unknown event and a journal from a newer format', () => {
    const file = path.join(dir, 'journal.jsonl');
    writeEvents(file, [created]);
    fs.appendFileSync(file, '{"event":"mystery","trial":1}\n{"event":"intermediate","trial":0,"step":0,"value":1}\n');
    expect(() => readJournal(file)).toThrow(/:2: corrupt journal line \(unknown event "mystery"\)/);

    const newer = path.join(dir, 'newer.jsonl');
    writeEvents(newer, [{ ...created, format: JOURNAL_FORMAT + 1, hypersweep_version: '9.0.0' } as JournalEvent]);
    expect(() => readJournal(newer)).toThrow(/hypersweep 9\.0\.0 in journal format 2/);
    // A newer journal's events this version does not know: still "too new", not "corrupt".
    fs.appendFileSync(newer, '{"event":"from_the_future","trial":0}\n');
    expect(() => readJournal(newer)).toThrow(/hypersweep 9\.0\.0 in journal format 2/);
  });
});
