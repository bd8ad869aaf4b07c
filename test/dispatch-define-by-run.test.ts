// Define-by-run inside module objectives run in the worker pool: a module's
// ctx.suggestFloat / suggestInt / suggestCategorical ask the controller
// (src/dispatch/link.ts), which draws from the study's sampler, journals
// param_suggested and answers; the value is in the trial's params for the
// leaderboard, TPE learns from it, and repro replays it. Run by the CLI sweep
// (2 workers) and by study.optimize(modulePath, { workers: 2 }).
import fs from 'node:fs';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { replaySuggestions } from '../src/api/suggest.js';
import { TrialPool } from '../src/dispatch/pool.js';
import { loadSpaceFile } from '../src/space/load.js';
import type { JournalLine } from '../src/study/events.js';
import { foldJournal, type TrialRecord } from '../src/study/state.js';
import { journalEvents, loadApi, scratchDir } from './helpers/api.js';
import { lastJsonLine, ROOT, runCli } from './helpers/cli.js';

const SPACE = path.join(ROOT, 'test', 'fixtures', 'define-by-run.yaml');
const MODULE = path.join(ROOT, 'test', 'fixtures', 'define-by-run-objective.mjs');
const DEFINED_BY_RUN = ['y', 'act', 'layers', 'z'];

let results = '';
beforeEach(() => {
  results = scratchDir('dbr-pool');
});
afterEach(() => fs.rmSync(results, { recursive: true, force: true }));

/** The fixture's value, recomputed from a trial's recorded params and seed (before the 1/step of the last step). */
function expectedValue(t: TrialRecord): number {
  const p = t.params as Record<string, number | string>;
  const x = p.x as number;
  const y = p.y as number;
  const layers = p.layers as number;
  const branch = p.act === 'b' ? Math.log10((p.z as number) / 0.1) ** 2 * 0.1 : 0.5;
  return (x - 0.3) ** 2 + (y - 0.5) ** 2 + branch + 0.01 * layers + ((t.seed % 1000) / 1000) * 1e-3 + 1 / 3;
}

/** A copy of the fixture's space file with another sampler, in the scratch folder (its module path made absolute). */
function spaceWith(name: string, extra: string): string {
  const text = fs
    .readFileSync(SPACE, 'utf8')
    .replace('./define-by-run-objective.mjs', MODULE)
    .replace(/^sampler:.*$/m, '');
  const file = path.join(results, `${name}.yaml`);
  fs.writeFileSync(file, `${text}\n${extra}\n`);
  return file;
}

function sweep(study: string, space: string, trials: number, env: Record<string, string> = {}) {
  return runCli(['sweep', space, '--results', results, '--study', study, '--workers', '2', '--trials', String(trials), '--json'], env);
}

const suggestedOf = (events: JournalLine[]) => events.filter((e) => e.event === 'param_suggested');

describe('a module objective that suggests its params, run by the CLI sweep with 2 workers', () => {
  it('journals each suggestion once, inside its trial; the objective used exactly the journalled values', () => {
    const r = sweep('dbr', SPACE, 12);
    expect(r.code, r.stderr).toBe(0);
    expect(lastJsonLine(r.stdout)).toMatchObject({ stopped: 'budget', counts: { complete: 12, failed: 0 } });
    const events = journalEvents(results, 'dbr');
    const trials = foldJournal(events).trials;
    expect(new Set(trials.map((t) => t.metrics['worker_thread'])).size).toBe(2);
    for (const t of trials) {
      const mine = suggestedOf(events).filter((e) => e.trial === t.number);
      // y, act, layers always; z only on the 'b' branch; the objective's second ask of y is not journalled again.
      expect(mine.map((e) => e.name)).toEqual(t.params.act === 'b' ? ['y', 'act', 'layers', 'z'] : ['y', 'act', 'layers']);
      expect(Object.keys(t.params).sort()).toEqual(['x', ...mine.map((e) => e.name)].sort());
      const started = events.findIndex((e) => e.event === 'trial_started' && e.trial === t.number);
      const finished = events.findIndex((e) => e.event === 'trial_finished' && e.trial === t.number);
      for (const e of mine) expect(events.indexOf(e)).toBeGreaterThan(started);
      for (const e of mine) expect(events.indexOf(e)).toBeLessThan(finished);
      expect(t.value).toBe(expectedValue(t));
      expect(t.metrics['act_code']).toBe(['a', 'b', 'c'].indexOf(t.params.act as string));
      expect(t.metrics['n_params']).toBe(1); // called with x only
    }
    // The distribution travels with the value.
    expect(suggestedOf(events).find((e) => e.name === 'layers')!.distribution).toMatchObject({ type: 'int', low: 1, high: 4 });
  });

  it('the leaderboard shows the suggested params, empty where a trial did not ask (z)', () => {
    expect(sweep('lb', SPACE, 8).code).toBe(0);
    const lb = runCli(['leaderboard', 'lb', '--results', results, '--format', 'json']);
    expect(lb.code, lb.stderr).toBe(0);
    const rows = JSON.parse(lb.stdout) as Array<{ trial: number; params: Record<string, unknown> }>;
    expect(rows).toHaveLength(8);
    const trials = foldJournal(journalEvents(results, 'lb')).trials;
    for (const row of rows) expect(row.params).toEqual(trials.find((t) => t.number === row.trial)!.params);
    const table = runCli(['leaderboard', 'lb', '--results', results]);
    expect(table.stdout.split('\n')[0]).toMatch(/\bx\b.*\by\b.*\bact\b.*\blayers\b/);
  });

  it('is deterministic: the same seed gives the same params and values, whichever thread ran what', () => {
    expect(sweep('one', SPACE, 10).code).toBe(0);
    expect(sweep('two', SPACE, 10).code).toBe(0);
    const view = (study: string) =>
      foldJournal(journalEvents(results, study))
        .trials.map((t) => ({ n: t.number, params: t.params, value: t.value }))
        .sort((a, b) => a.n - b.n);
    expect(view('two')).toEqual(view('one'));
  });

  it('TPE learns from the suggested params: later trials crowd round the optimum of y and take branch b', () => {
    const space = spaceWith('tpe', 'sampler: {type: tpe, seed: 11, options: {n_startup_trials: 8}}');
    const r = sweep('tpe', space, 40);
    expect(r.code, r.stderr).toBe(0);
    const trials = foldJournal(journalEvents(results, 'tpe')).trials.sort((a, b) => a.number - b.number);
    expect(trials).toHaveLength(40);
    const yError = (from: number, to: number) =>
      trials.slice(from, to).reduce((s, t) => s + Math.abs((t.params.y as number) - 0.5), 0) / (to - from);
    // Random y in [-1, 1]: mean |y - 0.5| is 0.625; fitted on the journalled values, TPE's are far closer.
    expect(yError(25, 40)).toBeLessThan(yError(0, 8) / 2);
    expect(trials.slice(25).filter((t) => t.params.act === 'b').length).toBeGreaterThan(15 / 3);
  });

  it('repro of such a trial replays the recorded values: bit-identical, on either branch and after TPE', () => {
    const space = spaceWith('rep', 'sampler: {type: tpe, seed: 5, options: {n_startup_trials: 4}}');
    expect(sweep('rep', space, 12).code).toBe(0);
    const trials = foldJournal(journalEvents(results, 'rep')).trials;
    const picks = [trials.find((t) => t.params.act === 'b'), trials.find((t) => t.params.act !== 'b'), trials.find((t) => t.number === 11)];
    for (const t of picks.filter((p): p is TrialRecord => p !== undefined)) {
      const r = runCli(['repro', 'rep', String(t.number), '--results', results, '--json']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const report = lastJsonLine(r.stdout) as { match: boolean; check: string; bit_identical: boolean; comparisons: unknown[] };
      expect(report).toMatchObject({ match: true, check: 'bit-identical', bit_identical: true });
      // 3 intermediate values, the value, metrics.act_code and metrics.n_params (called with x only, as when it ran).
      expect(report.comparisons.length).toBe(6);
    }
  });

  it('an objective that asks for a param again with another range stops the sweep with E_SUGGEST_CONFLICT', () => {
    const r = sweep('conflict', SPACE, 6, { HS_DBR_MODE: 'conflict' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/E_SUGGEST_CONFLICT|parameter "y" was suggested as/);
    const failed = foldJournal(journalEvents(results, 'conflict')).trials.filter((t) => t.state === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0]!.error).toMatch(/parameter "y" was suggested as float \[-1, 1\] and now as float \[0, 2\]/);
  });
});

describe('study.optimize(modulePath, { workers: 2 }) with a module that suggests its params', () => {
  it('journals and returns the suggested params, and draws what the CLI draws from the same seed', async () => {
    const { createStudy } = await loadApi();
    const study = await createStudy({ name: 'api', results, seed: 3, sampler: 'random', direction: 'minimize', space: { x: { type: 'float', low: 0, high: 1 } } });
    const result = await study.optimize(MODULE, { trials: 10, workers: 2 });
    expect(result.reason).toBe('budget');
    const trials = study.trials;
    expect(trials.every((t) => t.state === 'complete')).toBe(true);
    for (const t of trials) for (const name of ['y', 'act', 'layers']) expect(t.params).toHaveProperty(name);
    expect(result.best!.params).toHaveProperty('y');
    expect(new Set(trials.map((t) => t.metrics['worker_thread'])).size).toBe(2);
    await study.close();
    const events = journalEvents(results, 'api');
    expect(suggestedOf(events).length).toBe(trials.reduce((n, t) => n + Object.keys(t.params).filter((p) => DEFINED_BY_RUN.includes(p)).length, 0));

    // The CLI's sweep of the same space and seed (random: a draw depends only on seed, trial and name).
    expect(sweep('cli', SPACE, 10).code).toBe(0);
    const cli = foldJournal(journalEvents(results, 'cli')).trials;
    const byNumber = (list: ReadonlyArray<{ number: number; params: unknown; value: number | null }>) =>
      [...list].sort((a, b) => a.number - b.number).map((t) => [t.number, t.params, t.value]);
    expect(byNumber(trials)).toEqual(byNumber(cli));
  });
});

describe('an interrupted trial run again (resume)', () => {
  it('keeps the values it was given: its retry asks again and gets them, nothing new journalled, same params argument', async () => {
    const { createStudy } = await loadApi();
    const study = await createStudy({ name: 'again', results, seed: 4, sampler: 'random', direction: 'minimize', space: { x: { type: 'float', low: 0, high: 1 } } });
    process.env['HS_DBR_STEP_MS'] = '150'; // read by the pool's threads when they start
    const stopper = new AbortController();
    try {
      const first = await study.optimize(MODULE, { trials: 10, workers: 2, signal: stopper.signal, onTrial: () => stopper.abort() });
      expect(first.reason).toBe('interrupted');
    } finally {
      delete process.env['HS_DBR_STEP_MS'];
    }
    const interrupted = study.trials.filter((t) => t.error === 'interrupted');
    expect(interrupted.length).toBeGreaterThan(0);
    expect(interrupted.every((t) => 'y' in t.params && 'act' in t.params && 'layers' in t.params)).toBe(true);
    expect((await study.optimize(MODULE, { trials: 6, workers: 2 })).reason).toBe('budget');
    await study.close();
    const events = journalEvents(results, 'again');
    const trials = foldJournal(events).trials;
    for (const old of interrupted) {
      const retry = trials.find((t) => t.retryOf === old.number)!;
      expect(retry).toMatchObject({ state: 'complete', params: old.params, seed: old.seed });
      expect(suggestedOf(events).filter((e) => e.trial === retry.number)).toEqual([]);
      expect(retry.value).toBe(expectedValue(retry));
      // Called with the space's params only, as on its first run (its recorded params hold its suggestions too).
      expect(retry.metrics['n_params']).toBe(1);
    }
  });
});

describe('where a trial cannot ask', () => {
  it('a pool trial run without a controller to answer (a remote worker) fails with E_SUGGEST_UNAVAILABLE', async () => {
    const spec = loadSpaceFile(SPACE);
    const pool = new TrialPool(1, { spec, runtime: { device: 'cpu', threads: 1, weights: null }, dataset: null });
    try {
      await pool.prepare();
      const never = new AbortController();
      const result = await pool.runWithLink({ number: 0, seed: 1, params: { x: 0.5 } }, () => false, never.signal, never.signal);
      expect(result.outcome).toMatchObject({ kind: 'threw', error: { code: 'E_SUGGEST_UNAVAILABLE', exitCode: 2 } });
      expect(result.outcome.kind === 'threw' && result.outcome.error.message).toMatch(/cannot suggest "y".*remote worker/);
    } finally {
      await pool.close();
    }
  });

  it('a re-run replays the recorded values, and refuses a param the trial did not record', () => {
    const replay = replaySuggestions(4, { x: 0.5, y: 0.25, act: 'b', layers: 3 });
    expect(replay.suggestFloat('y', -1, 1)).toBe(0.25);
    expect(replay.suggestCategorical('act', ['a', 'b', 'c'])).toBe('b');
    expect(replay.suggestInt('layers', 1, 4)).toBe(3);
    expect(() => replay.suggestFloat('z', 1e-3, 1, { log: true })).toThrow(expect.objectContaining({ code: 'E_SUGGEST_NOT_RECORDED' }));
    // A recorded value the distribution asked for now cannot produce.
    expect(() => replay.suggestInt('layers', 5, 9)).toThrow(expect.objectContaining({ code: 'E_SUGGEST_CONFLICT' }));
  });
});
