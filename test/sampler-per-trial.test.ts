// Which sampler made each trial's params: every sampler says it (madeBy), the
// study journals it on trial_started.sampler, and the leaderboard (table, CSV,
// JSON) and the HTML report show it; a journal older than the field reads as
// unknown (an empty cell, null in JSON). 'user' for enqueued params is checked
// in dashboard-control.test.ts, on a real sweep's control channel.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { runSweep } from '../src/dispatch/controller.js';
import { NopPruner } from '../src/pruners/index.js';
import { createSampler, type FinishedTrial, type Sampler } from '../src/samplers/sampler.js';
import { loadSpaceFile } from '../src/space/load.js';
import type { SearchSpace } from '../src/space/distributions.js';
import { DEFAULT_GP_OPTIONS, DEFAULT_TPE_OPTIONS } from '../src/space/spec.js';
import { readStudyForRanking, rankStudies } from '../src/study/leaderboard.js';
import { readJournal } from '../src/study/journal-reader.js';
import { Study } from '../src/study/study.js';
import { journalEvents, loadApi } from './helpers/api.js';
import { ROOT, runCli } from './helpers/cli.js';
import { withoutTrialSamplers } from './helpers/old-journal.js';

const float = (low: number, high: number) => ({ type: 'float', low, high, log: false, step: null, includeZero: false }) as const;
const SPACE: SearchSpace = { a: float(0, 1), b: float(-2, 2) };
const FINITE: SearchSpace = { k: { type: 'categorical', choices: [1, 2, 3] } };

/** madeBy() before each of `n` asks, telling each trial complete (value: a + b). */
function labels(sampler: Sampler, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    out.push(sampler.madeBy());
    const params = sampler.ask(i, []);
    const value = typeof params.a === 'number' ? params.a + (params.b as number) : i;
    sampler.tell({ number: i, state: 'complete', params, value, intermediate: [] } satisfies FinishedTrial);
  }
  return out;
}

describe('madeBy', () => {
  it('names the sampler, and the startup trials of tpe and gp as random', () => {
    const startup = (n: number, label: string) => Array.from({ length: n }, () => label);
    expect(labels(createSampler({ type: 'random', seed: 1 }, SPACE, 'minimize', 1), 3)).toEqual(startup(3, 'random'));
    expect(labels(createSampler({ type: 'grid', seed: null }, FINITE, 'minimize', 1), 3)).toEqual(startup(3, 'grid'));
    const tpe = createSampler({ type: 'tpe', seed: 1, options: { ...DEFAULT_TPE_OPTIONS, nStartupTrials: 3 } }, SPACE, 'minimize', 1);
    expect(labels(tpe, 5)).toEqual([...startup(3, 'tpe (startup: random)'), 'tpe', 'tpe']);
    const gp = createSampler({ type: 'gp', seed: 1, options: { ...DEFAULT_GP_OPTIONS, nStartupTrials: 3 } }, SPACE, 'minimize', 1);
    expect(labels(gp, 4)).toEqual([...startup(3, 'gp (startup: random)'), 'gp']);
  });

  it('auto names the delegate it uses', () => {
    const gp = createSampler({ type: 'auto', seed: 1, budget: 50 }, SPACE, 'minimize', 1);
    expect(labels(gp, 11)).toEqual([...Array.from({ length: 10 }, () => 'gp (startup: random)'), 'gp']);
    expect(labels(createSampler({ type: 'auto', seed: 1, budget: 50 }, FINITE, 'minimize', 1), 2)).toEqual(['grid', 'grid']);
    const tpe = createSampler({ type: 'auto', seed: 1, budget: 5000 }, SPACE, 'minimize', 1);
    expect(tpe.madeBy()).toBe('tpe (startup: random)');
  });
});

describe('journal, leaderboard and report', () => {
  let results: string;
  beforeEach(() => {
    results = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-per-trial-'));
  });
  afterEach(() => fs.rmSync(results, { recursive: true, force: true }));

  const started = (study: string) => readJournal(path.join(results, study, 'journal.jsonl')).events.filter((e) => e.event === 'trial_started');

  it('a sweep journals the sampler of each trial; the leaderboard shows it in every format, and the report in its table and tooltips', () => {
    const space = path.join(ROOT, 'test', 'fixtures', 'slow.yaml');
    const r = runCli(['sweep', space, '--results', results, '--study', 's', '--trials', '12']);
    expect(r.code, r.stderr).toBe(0);
    // slow.yaml: tpe with its 10 random startup trials, then TPE proper.
    const made = started('s').map((e) => (e.event === 'trial_started' ? e.sampler : undefined));
    expect(made).toEqual([...Array.from({ length: 10 }, () => 'tpe (startup: random)'), 'tpe', 'tpe']);

    const json = runCli(['leaderboard', 's', '--results', results, '--format', 'json', '--state', 'all']);
    expect(json.code, json.stderr).toBe(0);
    const rows = JSON.parse(json.stdout) as Array<{ trial: number; sampler: string | null }>;
    expect(rows).toHaveLength(12);
    for (const row of rows) expect(row.sampler).toBe(row.trial < 10 ? 'tpe (startup: random)' : 'tpe');

    const csv = runCli(['leaderboard', 's', '--results', results, '--format', 'csv']).stdout.split('\r\n');
    expect(csv[0]).toMatch(/,sampler$/);
    expect(csv.slice(1, -1).every((l) => /,tpe( \(startup: random\))?$/.test(l))).toBe(true);
    const table = runCli(['leaderboard', 's', '--results', results]).stdout.split('\n');
    expect(table[0]).toMatch(/ sampler$/);
    expect(table[1]).toMatch(/ tpe( \(startup: random\))?$/);

    expect(runCli(['report', 's', '--results', results]).code).toBe(0);
    const html = fs.readFileSync(path.join(results, 's', 'report.html'), 'utf8');
    expect(html).toMatch(/<th>sampler<\/th>/);
    expect(html).toMatch(/<td>tpe \(startup: random\)<\/td>/);
    expect(html).toMatch(/<title>trial 11 \(complete, sampler: tpe\): value=/);
  });

  it('a journal older than the field reads as unknown: null in JSON, empty cells, no tooltip text', () => {
    const space = path.join(ROOT, 'test', 'fixtures', 'slow.yaml');
    expect(runCli(['sweep', space, '--results', results, '--study', 'old', '--trials', '3']).code).toBe(0);
    const file = path.join(results, 'old', 'journal.jsonl');
    fs.writeFileSync(file, withoutTrialSamplers(fs.readFileSync(file, 'utf8')));
    expect(started('old').every((e) => e.event === 'trial_started' && e.sampler === undefined)).toBe(true);

    const state = readStudyForRanking(results, 'old');
    expect(rankStudies([{ name: 'old', state }], { state: 'all' }).rows.map((r) => r.sampler)).toEqual([null, null, null]);
    const json = runCli(['leaderboard', 'old', '--results', results, '--format', 'json', '--state', 'all']);
    expect((JSON.parse(json.stdout) as Array<{ sampler: unknown }>).map((r) => r.sampler)).toEqual([null, null, null]);
    const csv = runCli(['leaderboard', 'old', '--results', results, '--format', 'csv']).stdout.split('\r\n');
    expect(csv.slice(1, -1).every((l) => l.endsWith(','))).toBe(true);
    expect(runCli(['report', 'old', '--results', results]).code).toBe(0);
    const html = fs.readFileSync(path.join(results, 'old', 'report.html'), 'utf8');
    expect(html).not.toMatch(/sampler: /);
    expect(html).toMatch(/<th>sampler<\/th>/);
  });

  it('a trial run again (after an interruption) keeps the sampler of its params; new ones get the sampler asked', async () => {
    // dispatch.yaml names the random sampler; the interrupted trial's params were the GP's.
    const study = Study.create(results, 'retry', loadSpaceFile(path.join(ROOT, 'test', 'fixtures', 'dispatch.yaml')), 5, 'test');
    const first = study.startTrial({ x: 0.5, steps: 4 }, 9, 'w0', null, false, 'gp');
    const interrupted = study.finishTrial(first.number, 'failed', null, 0, { error: 'interrupted' });
    const sampler = createSampler(study.spec.sampler, study.spec.params, study.spec.direction, study.seed);
    const done = { runTrial: () => Promise.resolve({ outcome: { kind: 'returned' as const, value: 1, metrics: {} }, sawStop: false, threadId: 1 }) };
    await runSweep(study, sampler, done, { budget: 3, timeSeconds: null, workers: 1, pruner: new NopPruner('minimize'), retries: [interrupted] });
    study.close();
    expect(study.state.trials.map((t) => [t.retryOf, t.sampler])).toEqual([
      [null, 'gp'],
      [0, 'gp'],
      [null, 'random'],
      [null, 'random'],
    ]);
  });

  it('the library API journals the sampler of each ask', async () => {
    const { createStudy } = await loadApi();
    const study = await createStudy({ name: 'api', results, space: { x: { type: 'float', low: 0, high: 1 } }, seed: 2, sampler: { type: 'tpe', options: { n_startup_trials: 2 } } });
    for (let i = 0; i < 3; i++) {
      const t = await study.ask();
      await study.tell(t, t.params.x as number);
    }
    await study.close();
    const made = journalEvents(results, 'api').flatMap((e) => (e.event === 'trial_started' ? [e.sampler] : []));
    expect(made).toEqual(['tpe (startup: random)', 'tpe (startup: random)', 'tpe']);
  });
});
