// Leaderboards: ordering for maximize and minimize, ties, state filters,
// --where, several studies, other metrics, and leaderboard.jsonl.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { FinishedState, Params } from '../src/study/events.js';
import {
  LEADERBOARD_FILE,
  parseWhere,
  rankStudies,
  writeLeaderboard,
  type StudyInput,
} from '../src/study/leaderboard.js';
import { Study } from '../src/study/study.js';

let results: string;
beforeEach(() => {
  results = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-lb-'));
});
afterEach(() => fs.rmSync(results, { recursive: true, force: true }));

interface T {
  params: Params;
  state: FinishedState | 'running';
  value: number | null;
  epochs?: number;
  metrics?: Record<string, unknown>;
}

/** Writes a hand-made journal and returns the study read back. */
function study(name: string, metric: string, direction: 'maximize' | 'minimize', trials: T[]): StudyInput {
  const lines: object[] = [
    {
      time: '2026-01-01T00:00:00.000Z',
      event: 'study_created',
      study: name,
      format: 1,
      hypersweep_version: '0.1.0',
      spec: { name, metric, direction, params: { x: { type: 'float', low: 0, high: 10, log: false, step: null, includeZero: false }, b: { type: 'categorical', choices: [16, 64] } }, fixed: {} },
      space_file: 'x.yaml',
      sampler: 'random',
      seed: 0,
      direction,
      metric,
    },
  ];
  trials.forEach((t, n) => {
    lines.push({ time: `2026-01-01T00:00:${String(n).padStart(2, '0')}.000Z`, event: 'trial_started', trial: n, params: t.params, seed: n, worker: 'main' });
    for (let s = 0; s < (t.epochs ?? 0); s++) lines.push({ time: '2026-01-01T00:01:00.000Z', event: 'intermediate', trial: n, step: s, value: 0 });
    if (t.state !== 'running') {
      lines.push({
        time: '2026-01-01T00:02:00.000Z',
        event: 'trial_finished',
        trial: n,
        state: t.state,
        value: t.value,
        duration_s: n + 0.5,
        ...(t.metrics ? { metrics: t.metrics } : {}),
      });
    }
  });
  const file = path.join(results, name, 'journal.jsonl');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return { name, state: Study.read(results, name) };
}

const order = (rows: { trial: number }[]) => rows.map((r) => r.trial);

const MIXED: T[] = [
  { params: { x: 1, b: 16 }, state: 'complete', value: 0.5 },
  { params: { x: 2, b: 64 }, state: 'complete', value: 0.9 },
  { params: { x: 3, b: 16 }, state: 'complete', value: 0.7 },
  { params: { x: 4, b: 64 }, state: 'complete', value: 0.9 }, // ties with trial 1
  { params: { x: 5, b: 16 }, state: 'failed', value: null },
  { params: { x: 6, b: 64 }, state: 'pruned', value: 0.6, epochs: 2 },
  { params: { x: 7, b: 16 }, state: 'running', value: null },
  { params: { x: 8, b: 64 }, state: 'pruned', value: 0.8, epochs: 1 },
  { params: { x: 9, b: 16 }, state: 'failed', value: null },
];

describe('ranking', () => {
  it('maximize: best first, ties to the lower trial number, only complete trials by default', () => {
    const board = rankStudies([study('s', 'acc', 'maximize', MIXED)]);
    expect(board).toMatchObject({ metric: 'acc', direction: 'maximize' });
    expect(order(board.rows)).toEqual([1, 3, 2, 0]);
    expect(board.rows.map((r) => r.rank)).toEqual([1, 2, 3, 4]);
  });

  it('minimize: lowest first, ties to the lower trial number', () => {
    const board = rankStudies([study('s', 'loss', 'minimize', MIXED)]);
    expect(order(board.rows)).toEqual([0, 2, 1, 3]);
  });

  it('ties are broken by trial number whatever the journal order', () => {
    const tied = [0.3, 0.3, 0.1, 0.3].map((value, i): T => ({ params: { x: i, b: 16 }, state: 'complete', value }));
    expect(order(rankStudies([study('s', 'v', 'maximize', tied)]).rows)).toEqual([0, 1, 3, 2]);
    expect(order(rankStudies([study('t', 'v', 'minimize', tied)]).rows)).toEqual([2, 0, 1, 3]);
  });

  it('filters by state; "all" lists complete, then pruned, then failed, never running', () => {
    const s = study('s', 'acc', 'maximize', MIXED);
    expect(order(rankStudies([s], { state: 'pruned' }).rows)).toEqual([7, 5]);
    expect(order(rankStudies([s], { state: 'failed' }).rows)).toEqual([4, 8]);
    const all = rankStudies([s], { state: 'all' }).rows;
    expect(order(all)).toEqual([1, 3, 2, 0, 7, 5, 4, 8]);
    expect(all.map((r) => r.state)).toEqual(['complete', 'complete', 'complete', 'complete', 'pruned', 'pruned', 'failed', 'failed']);
  });

  it('--top keeps the best K', () => {
    expect(order(rankStudies([study('s', 'acc', 'maximize', MIXED)], { top: 2 }).rows)).toEqual([1, 3]);
  });

  it('reports epochs run (per-epoch metrics, else intermediate values) and durations', () => {
    const s = study('s', 'acc', 'maximize', [
      { params: { x: 1, b: 16 }, state: 'complete', value: 1, metrics: { epochs: [{ epoch: 1 }, { epoch: 2 }, { epoch: 3 }] } },
      { params: { x: 1, b: 16 }, state: 'complete', value: 0, epochs: 4 },
    ]);
    const rows = rankStudies([s]).rows;
    expect(rows.map((r) => [r.trial, r.epochs, r.duration_s])).toEqual([
      [0, 3, 0.5],
      [1, 4, 1.5],
    ]);
  });
});

describe('--where', () => {
  it('parses conditions joined by commas', () => {
    expect(parseWhere('batch_size=64, alpha0<1')).toEqual([
      { key: 'batch_size', op: '=', text: '64', number: 64 },
      { key: 'alpha0', op: '<', text: '1', number: 1 },
    ]);
    expect(parseWhere('init!=zero')).toEqual([{ key: 'init', op: '!=', text: 'zero', number: null }]);
  });

  it('refuses malformed conditions with a usage error', () => {
    for (const bad of ['', 'a', 'a=', 'a<zero', '=3', 'a=1,,b=2']) {
      expect(() => parseWhere(bad), bad).toThrow(expect.objectContaining({ code: 'E_BAD_WHERE', exitCode: 2 }));
    }
  });

  it('keeps rows where every condition holds', () => {
    const s = study('s', 'acc', 'maximize', MIXED);
    expect(order(rankStudies([s], { where: parseWhere('b=64') }).rows)).toEqual([1, 3]);
    expect(order(rankStudies([s], { where: parseWhere('b=16,x>=2') }).rows)).toEqual([2]);
    expect(order(rankStudies([s], { where: parseWhere('value<0.8'), state: 'all' }).rows)).toEqual([2, 0, 5]);
    expect(order(rankStudies([s], { where: parseWhere('b!=64,trial>0'), state: 'all' }).rows)).toEqual([2, 4, 8]);
  });

  it('names the valid keys when a key is unknown', () => {
    const s = study('s', 'acc', 'maximize', MIXED);
    expect(() => rankStudies([s], { where: parseWhere('batch=64') })).toThrow(/unknown name "batch"; known: .*x.*b/);
  });
});

describe('several studies and other metrics', () => {
  it('merges studies that share the metric, ties by trial then study', () => {
    const a = study('a', 'acc', 'maximize', [
      { params: { x: 1, b: 16 }, state: 'complete', value: 0.8 },
      { params: { x: 2, b: 16 }, state: 'complete', value: 0.6 },
    ]);
    const b = study('b', 'acc', 'maximize', [
      { params: { x: 3, b: 16 }, state: 'complete', value: 0.8 },
      { params: { x: 4, b: 16 }, state: 'complete', value: 0.9 },
    ]);
    const rows = rankStudies([b, a]).rows;
    expect(rows.map((r) => `${r.study}/${r.trial}`)).toEqual(['b/1', 'a/0', 'b/0', 'a/1']);
  });

  it('refuses studies with different metrics unless --metric says which', () => {
    const a = study('a', 'acc', 'maximize', [{ params: { x: 1, b: 16 }, state: 'complete', value: 0.8, metrics: { test_accuracy: 0.7 } }]);
    const b = study('b', 'loss', 'minimize', [{ params: { x: 1, b: 16 }, state: 'complete', value: 0.3, metrics: { test_accuracy: 0.9 } }]);
    expect(() => rankStudies([a, b])).toThrow(expect.objectContaining({ code: 'E_METRICS_DIFFER' }));
    expect(() => rankStudies([a, b])).toThrow(/a \(acc, maximize\), b \(loss, minimize\)/);
    const board = rankStudies([a, b], { metric: 'test_accuracy' });
    expect(board.direction).toBe('maximize'); // implied by the name
    expect(board.rows.map((r) => [r.study, r.value])).toEqual([
      ['b', 0.9],
      ['a', 0.7],
    ]);
  });

  it('ranks by a per-epoch metric of the last epoch, minimizing a loss', () => {
    const s = study('s', 'acc', 'maximize', [
      { params: { x: 1, b: 16 }, state: 'complete', value: 0.9, metrics: { epochs: [{ epoch: 1, train_loss: 0.5 }, { epoch: 2, train_loss: 0.4 }] } },
      { params: { x: 2, b: 16 }, state: 'complete', value: 0.8, metrics: { epochs: [{ epoch: 1, train_loss: 0.2 }] } },
      { params: { x: 3, b: 16 }, state: 'complete', value: 0.7 },
    ]);
    const board = rankStudies([s], { metric: 'train_loss' });
    expect(board.direction).toBe('minimize');
    expect(board.rows.map((r) => [r.trial, r.value])).toEqual([
      [1, 0.2],
      [0, 0.4],
      [2, null],
    ]);
    expect(() => rankStudies([s], { metric: 'mystery' })).toThrow(expect.objectContaining({ code: 'E_METRIC_DIRECTION' }));
    expect(rankStudies([s], { metric: 'mystery', direction: 'minimize' }).rows).toHaveLength(3);
  });
});

describe('leaderboard.jsonl', () => {
  it('is the --state all ranking, one JSON row per finished trial, written atomically', () => {
    const s = study('s', 'acc', 'maximize', MIXED);
    const file = writeLeaderboard(results, 's', s.state);
    expect(file).toBe(path.join(results, 's', LEADERBOARD_FILE));
    const rows = fs.readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { trial: number; rank: number });
    expect(order(rows)).toEqual([1, 3, 2, 0, 7, 5, 4, 8]);
    expect(rows[0]).toMatchObject({ rank: 1, study: 's', trial: 1, state: 'complete', value: 0.9, metric: 'acc', direction: 'maximize', params: { x: 2, b: 64 } });
    // No temp file is left beside it.
    expect(fs.readdirSync(path.join(results, 's')).sort()).toEqual(['journal.jsonl', LEADERBOARD_FILE]);
  });

  it('replaces the old file whole (a reader never sees a mix)', () => {
    const s = study('s', 'acc', 'maximize', MIXED);
    const file = path.join(results, 's', LEADERBOARD_FILE);
    fs.writeFileSync(file, 'stale\n'.repeat(1000));
    writeLeaderboard(results, 's', s.state);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain('stale');
    expect(text.trimEnd().split('\n')).toHaveLength(8);
  });
});
