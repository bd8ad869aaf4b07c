// The leaderboard's fast journal reader (readStudyForRanking) must rank exactly
// as the full reader (Study.read = readJournal + foldJournal) on every journal,
// including lines not in the usual form, a torn last line and corrupt lines.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { rankStudies, readStudyForRanking, type RankOptions, type StateFilter } from '../src/study/leaderboard.js';
import { Study } from '../src/study/study.js';
import { writeSyntheticJournal } from './helpers/synthetic-journal.js';

let results: string;
beforeEach(() => {
  results = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-lbr-'));
});
afterEach(() => fs.rmSync(results, { recursive: true, force: true }));

function sameRanking(study: string, options: RankOptions = {}): void {
  const full = rankStudies([{ name: study, state: Study.read(results, study) }], options);
  const fast = rankStudies([{ name: study, state: readStudyForRanking(results, study) }], options);
  expect(fast).toEqual(full);
}

const STATES: StateFilter[] = ['complete', 'pruned', 'failed', 'all'];

describe('readStudyForRanking', () => {
  it('ranks a synthetic study exactly as the full reader, for every state and metric', () => {
    writeSyntheticJournal(results, 's', { trials: 500, pruned: 0.15, failed: 0.1, running: 0.05, seed: 4 });
    for (const state of STATES) sameRanking('s', { state });
    sameRanking('s', { metric: 'train_loss' });
    sameRanking('s', { metric: 'test_accuracy', top: 7 });
    sameRanking('s', { state: 'all', where: [{ key: 'epochs', op: '>=', text: '2', number: 2 }] });
  });

  it('reads lines in other forms, a torn last line, and counts intermediate values', () => {
    const file = writeSyntheticJournal(results, 's', { trials: 30, pruned: 0.2, failed: 0.1, seed: 5 }).file;
    const extra = [
      // started, intermediate with reordered keys, finished with no metrics and with an error after its metrics
      '{"time":"2026-02-01T00:00:00.000Z","event":"trial_started","trial":30,"params":{"alpha0":1,"lambda":0,"batch_size":16,"init":"zero"},"seed":1,"worker":"w"}',
      '{"trial":30,"time":"2026-02-01T00:00:01.000Z","event":"intermediate","step":1,"value":0.5}',
      '{"time":"2026-02-01T00:00:01.000Z","event":"intermediate","trial":30,"step":2,"value":0.6}',
      '{"time":"2026-02-01T00:00:02.000Z","event":"trial_finished","trial":30,"state":"complete","value":0.6,"duration_s":2}',
      '{"time":"2026-02-01T00:00:00.000Z","event":"trial_started","trial":31,"params":{"alpha0":1,"lambda":0,"batch_size":16,"init":"zero"},"seed":1,"worker":"w"}',
      '{"time":"2026-02-01T00:00:02.000Z","event":"trial_finished","trial":31,"state":"failed","value":null,"duration_s":2,"metrics":{"epochs":[{"epoch":1}]},"error":"x, \\"metrics\\": y"}',
      '{"time":"2026-02-01T00:00:00.000Z","event":"trial_started","trial":32,"params":{"alpha0":2,"lambda":0,"batch_size":16,"init":"zero"},"seed":1,"worker":"w"}',
      // torn last line: a finished event cut after an epoch object (it ends with "}" but is not JSON)
      '{"time":"2026-02-01T00:00:02.000Z","event":"trial_finished","trial":32,"state":"complete","value":0.99,"duration_s":2,"metrics":{"epochs":[{"epoch":1}',
    ];
    fs.appendFileSync(file, extra.join('\n'));
    for (const state of STATES) sameRanking('s', { state });
    const fast = readStudyForRanking(results, 's');
    expect(fast.trials.find((t) => t.number === 30)).toMatchObject({ state: 'complete', value: 0.6, intermediate: { length: 2 } });
    expect(fast.trials.find((t) => t.number === 31)?.metrics).toEqual({ epochs: [{ epoch: 1 }] });
    expect(fast.trials.find((t) => t.number === 32)?.state).toBe('running'); // the torn finish is ignored
  });

  it('reports a corrupt line in the middle, with its line number, as the full reader does', () => {
    const file = writeSyntheticJournal(results, 's', { trials: 5, seed: 6 }).file;
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const at = lines.findIndex((l) => l.includes('"event":"trial_finished"'));
    // Break the metrics part only: the head of the line is still fine.
    lines[at] = lines[at]!.replace('"epochs":[', '"epochs":[,');
    fs.writeFileSync(file, lines.join('\n'));
    const message = new RegExp(`journal.jsonl:${at + 1}: corrupt journal line`);
    expect(() => Study.read(results, 's')).toThrow(message);
    expect(() => rankStudies([{ name: 's', state: readStudyForRanking(results, 's') }])).toThrow(message);

    lines[at] = '{"time":"x","event":"intermediate","trial":0,"step":1,"value":}';
    fs.writeFileSync(file, lines.join('\n'));
    expect(() => readStudyForRanking(results, 's')).toThrow(message);
  });

  it('refuses a study that does not exist', () => {
    expect(() => readStudyForRanking(results, 'nope')).toThrow(expect.objectContaining({ code: 'E_STUDY_NOT_FOUND' }));
  });
});
