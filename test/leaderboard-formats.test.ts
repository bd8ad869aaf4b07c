// Leaderboard output formats, the CLI (leaderboard, --rebuild, status) and a
// 10,000-trial journal ranked correctly (correctness only: the time is measured
// by bench/leaderboard.ts, never asserted).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { formatCsv, formatJson, formatJsonl, formatTable } from '../src/report/leaderboard-format.js';
import { LEADERBOARD_FILE, rankStudies, type Leaderboard } from '../src/study/leaderboard.js';
import { acquireStudyLock } from '../src/study/lock.js';
import { Study } from '../src/study/study.js';
import { lastJsonLine, runCli } from './helpers/cli.js';
import { expectedOrder, writeSyntheticJournal } from './helpers/synthetic-journal.js';

let results: string;
beforeEach(() => {
  results = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-lbf-'));
});
afterEach(() => fs.rmSync(results, { recursive: true, force: true }));

const BOARD: Leaderboard = {
  metric: 'val_accuracy',
  direction: 'maximize',
  rows: [
    { rank: 1, study: 'mlp', trial: 12, state: 'complete', value: 0.981234567, metric: 'val_accuracy', direction: 'maximize', params: { alpha0: 0.123456, init: 'glorot', batch_size: 64 }, epochs: 10, duration_s: 75.25, sampler: 'tpe (startup: random)' },
    { rank: 2, study: 'mlp', trial: 3, state: 'complete', value: 0.5, metric: 'val_accuracy', direction: 'maximize', params: { alpha0: 2, init: 'a,"b"', batch_size: 128 }, epochs: 2, duration_s: 3.5, sampler: null }, // a journal older than the sampler field
  ],
};

describe('formats', () => {
  it('table: a header and aligned columns, numbers right-aligned, params short', () => {
    const lines = formatTable(BOARD).trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^rank +study +trial +val_accuracy +alpha0 +init +batch_size +epochs +duration +state +sampler$/);
    expect(lines[1]).toMatch(/ complete +tpe \(startup: random\)$/);
    expect(lines[2]).toMatch(/ complete$/); // unknown sampler: an empty cell
    expect(lines[1]).toContain('0.981235'); // 6 significant digits
    expect(lines[1]).toContain('0.1235'); // params: 4
    expect(lines[1]).toContain('1m15s');
    // Every column starts at the same offset on every line: check where "study" values start.
    const at = lines[0]!.indexOf('study');
    expect(lines[1]!.slice(at, at + 3)).toBe('mlp');
    expect(lines[2]!.slice(at, at + 3)).toBe('mlp');
    // Right alignment: trial numbers end where the "trial" header ends.
    const end = lines[0]!.indexOf('trial') + 'trial'.length;
    expect(lines[1]!.slice(end - 2, end)).toBe('12');
    expect(lines[2]!.slice(end - 1, end)).toBe('3');
  });

  it('json: an array of rows with rank, study, trial, value, params, state, best first', () => {
    const rows = JSON.parse(formatJson(BOARD)) as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(2);
    for (const key of ['rank', 'study', 'trial', 'value', 'params', 'state', 'sampler']) expect(rows[0]).toHaveProperty(key);
    expect(rows.map((r) => r['sampler'])).toEqual(['tpe (startup: random)', null]);
    expect(rows.map((r) => r['trial'])).toEqual([12, 3]);
    expect(rows[0]!['value']).toBe(0.981234567); // full precision
  });

  it('jsonl: one row per line', () => {
    const lines = formatJsonl(BOARD).trimEnd().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { rank: number }).rank)).toEqual([1, 2]);
  });

  it('csv: RFC 4180 quoting, one column per parameter', () => {
    const text = formatCsv(BOARD);
    const lines = text.split('\r\n');
    expect(lines[0]).toBe('rank,study,trial,state,metric,value,alpha0,init,batch_size,epochs,duration_s,sampler');
    expect(lines[1]).toBe('1,mlp,12,complete,val_accuracy,0.981234567,0.123456,glorot,64,10,75.25,tpe (startup: random)');
    expect(lines[2]).toBe('2,mlp,3,complete,val_accuracy,0.5,2,"a,""b""",128,2,3.5,');
    expect(lines[3]).toBe('');
  });
});

describe('10,000 trials', () => {
  it('ranks every state of a 10,000-trial journal exactly as the reference sort', () => {
    const { trials } = writeSyntheticJournal(results, 'big', { trials: 10_000, seed: 7, pruned: 0.1, failed: 0.05, running: 0.01 });
    const state = Study.read(results, 'big');
    expect(state.trials).toHaveLength(10_000);
    const input = [{ name: 'big', state }];
    for (const s of ['complete', 'pruned', 'failed'] as const) {
      const rows = rankStudies(input, { state: s }).rows;
      expect(rows.map((r) => r.trial), s).toEqual(expectedOrder(trials, 'maximize', s));
    }
    // Plenty of ties (3 decimals), so the tie rule is exercised.
    const values = rankStudies(input).rows.map((r) => r.value);
    expect(new Set(values).size).toBeLessThan(values.length / 5);
    const all = rankStudies(input, { state: 'all' }).rows;
    expect(all).toHaveLength(trials.filter((t) => t.state !== 'running').length);
  });

  it('the CLI prints the same top rows in JSON and rebuilds leaderboard.jsonl', () => {
    const { trials } = writeSyntheticJournal(results, 'big', { trials: 10_000, seed: 8, pruned: 0.1, failed: 0.05 });
    const r = runCli(['leaderboard', 'big', '--results', results, '--top', '5', '--format', 'json', '--rebuild']);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{ trial: number; rank: number }>;
    expect(rows.map((x) => x.trial)).toEqual(expectedOrder(trials, 'maximize', 'complete').slice(0, 5));
    expect(r.stderr).toContain(`rebuilt ${path.join(results, 'big', LEADERBOARD_FILE)}`);
    const file = fs.readFileSync(path.join(results, 'big', LEADERBOARD_FILE), 'utf8').trimEnd().split('\n');
    expect(file).toHaveLength(trials.filter((t) => t.state !== 'running').length);
  });
});

describe('CLI', () => {
  it('lists every study under --results when none is named, and filters with --where', () => {
    writeSyntheticJournal(results, 'one', { trials: 20, seed: 1 });
    writeSyntheticJournal(results, 'two', { trials: 20, seed: 2 });
    const r = runCli(['leaderboard', '--results', results, '--format', 'jsonl', '--where', 'init=glorot', '--where', 'batch_size>=64']);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { study: string; params: { init: string; batch_size: number } });
    expect(new Set(rows.map((x) => x.study))).toEqual(new Set(['one', 'two']));
    expect(rows.every((x) => x.params.init === 'glorot' && x.params.batch_size >= 64)).toBe(true);
  });

  it('says clearly when studies do not share a metric (exit 2)', () => {
    writeSyntheticJournal(results, 'acc', { trials: 5 });
    writeSyntheticJournal(results, 'loss', { trials: 5, metric: 'val_loss', direction: 'minimize' });
    const r = runCli(['leaderboard', 'acc', 'loss', '--results', results]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/do not share a metric and direction: acc \(val_accuracy, maximize\), loss \(val_loss, minimize\)/);
    expect(runCli(['leaderboard', 'acc', 'loss', '--results', results, '--metric', 'test_accuracy']).code).toBe(0);
  });

  it('bad option values are usage errors', () => {
    writeSyntheticJournal(results, 's', { trials: 3 });
    expect(runCli(['leaderboard', 's', '--results', results, '--format', 'xml']).code).toBe(2);
    expect(runCli(['leaderboard', 's', '--results', results, '--state', 'done']).code).toBe(2);
    expect(runCli(['leaderboard', 'nope', '--results', results]).stderr).toMatch(/no study "nope"/);
  });

  it('status: budget, counts, best, sampler, elapsed, and the controller holding it', async () => {
    const { trials } = writeSyntheticJournal(results, 's', { trials: 40, pruned: 0.1, failed: 0.1, running: 0.05, sampler: 'tpe' });
    const idle = runCli(['status', 's', '--results', results, '--json']);
    expect(idle.code, idle.stderr).toBe(0);
    const status = lastJsonLine(idle.stdout) as {
      budget: { trials: number };
      counts: Record<string, number>;
      best: { trial: number };
      sampler: string;
      elapsed_s: number;
      controller: { active: boolean };
    };
    const count = (s: string) => trials.filter((t) => t.state === s).length;
    expect(status.counts).toEqual({ running: count('running'), complete: count('complete'), pruned: count('pruned'), failed: count('failed') });
    expect(status.best.trial).toBe(expectedOrder(trials, 'maximize', 'complete')[0]);
    expect(status.sampler).toBe('tpe');
    expect(status.budget.trials).toBe(40);
    expect(status.elapsed_s).toBeGreaterThan(39);
    expect(status.controller.active).toBe(false);
    // With no controller, trials left running were interrupted.
    expect(count('running')).toBeGreaterThan(0);
    expect(runCli(['status', 's', '--results', results]).stdout).toMatch(
      new RegExp(`trials +${count('complete')} complete, ${count('running')} interrupted \\(resume runs them again\\)`),
    );

    const lock = await acquireStudyLock(path.join(results, 's'), 's', () => {});
    try {
      const held = runCli(['status', 's', '--results', results]);
      expect(held.code, held.stderr).toBe(0);
      expect(held.stdout).toMatch(new RegExp(`controller +running now \\(pid ${process.pid} on `));
      expect(held.stdout).toMatch(/trials +\d+ complete, \d+ running, \d+ pruned, \d+ failed/);
    } finally {
      await lock.release();
    }
  });
});
