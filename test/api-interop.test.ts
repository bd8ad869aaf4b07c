// The CLI and the library API on the same journal: a study made by one is
// resumed, ranked and reported by the other, and resuming it either way
// suggests the same trials (one code path).
import fs from 'node:fs';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { lastJsonLine, ROOT, runCli } from './helpers/cli.js';
import { journalEvents, loadApi, scratchDir } from './helpers/api.js';

const MODULE = path.join(ROOT, 'test', 'fixtures', 'dispatch-objective.mjs');
const SPACE = path.join(ROOT, 'test', 'fixtures', 'dispatch.yaml');
/** The fixture module's value after its 4 steps. */
const curve = (x: number) => (x - 0.3) ** 2 + 1 / 4;

let results: string;
beforeEach(() => {
  results = scratchDir('api-interop');
});
afterEach(() => fs.rmSync(results, { recursive: true, force: true }));

function cliRows(...studies: string[]): unknown[] {
  const r = runCli(['leaderboard', ...studies, '--results', results, '--format', 'json', '--state', 'all']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as unknown[];
}

describe('CLI and API on one journal', () => {
  it('a study made by the API is resumed, ranked and reported by the CLI', async () => {
    const { createStudy, leaderboard, loadStudy } = await loadApi();
    const study = await createStudy({
      name: 'from-api',
      results,
      objective: { module: MODULE },
      space: { x: { type: 'float', low: 0, high: 1 }, steps: 4 },
      sampler: { type: 'tpe', options: { n_startup_trials: 3 } },
      budget: { trials: 9 },
      seed: 21,
    });
    for (let i = 0; i < 4; i++) {
      const t = await study.ask();
      await study.tell(t, curve(t.params.x as number));
    }
    await study.close();

    const r = runCli(['resume', 'from-api', '--results', results, '--workers', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(lastJsonLine(r.stdout)).toMatchObject({ stopped: 'budget', counts: { complete: 9, pruned: 0, failed: 0 } });

    const reloaded = await loadStudy('from-api', { results });
    expect(reloaded.trials).toHaveLength(9);
    for (const t of reloaded.trials) expect(t.value).toBeCloseTo(curve(t.params.x as number), 12);
    expect(leaderboard('from-api', { results, state: 'all' })).toEqual(cliRows('from-api'));
    expect(leaderboard('from-api', { results, top: 2, where: 'x<0.9' })).toEqual(
      JSON.parse(runCli(['leaderboard', 'from-api', '--results', results, '--format', 'json', '--top', '2', '--where', 'x<0.9']).stdout),
    );
    const report = runCli(['report', 'from-api', '--results', results]);
    expect(report.stdout).toBe(`report: ${path.join(results, 'from-api', 'report.html')} (9 trials)\n`);
    const status = runCli(['status', 'from-api', '--results', results]);
    expect(status.stdout).toMatch(/budget\s+9\/9 trials/);
  });

  it('a study made by the CLI is resumed by the API exactly as `hypersweep resume` resumes it', async () => {
    const { loadStudy, leaderboard, report } = await loadApi();
    // The fixture's space with TPE past its random start-up within the first trials.
    const space = path.join(results, 'tpe.yaml');
    fs.writeFileSync(space, fs.readFileSync(SPACE, 'utf8').replace('./dispatch-objective.mjs', MODULE).replace(/^sampler:.*$/m, 'sampler: {type: tpe, seed: 9, options: {n_startup_trials: 3}}'));
    for (const name of ['by-cli', 'by-api']) {
      const r = runCli(['sweep', space, '--results', results, '--study', name, '--trials', '4', '--workers', '1', '--json']);
      expect(r.code, r.stderr).toBe(0);
    }
    expect(runCli(['resume', 'by-cli', '--results', results, '--trials', '10', '--workers', '1', '--json']).code).toBe(0);
    const study = await loadStudy('by-api', { results });
    expect(study.trials).toHaveLength(4);
    const result = await study.optimize({ trials: 10 }); // the study's own objective (the module), in the pool
    expect(result.reason).toBe('budget');
    await study.close();
    const params = (name: string) => journalEvents(results, name).flatMap((e) => (e.event === 'trial_started' ? [e.params] : []));
    expect(params('by-api')).toHaveLength(10);
    // Trials 4-9 were drawn by TPE from the journal's history: the same either way.
    expect(params('by-api')).toEqual(params('by-cli'));
    expect(new Set(params('by-api').map((p) => p['x'])).size).toBe(10);
    // Ranked together by either.
    expect(leaderboard(['by-api', 'by-cli'], { results, state: 'all' })).toEqual(cliRows('by-api', 'by-cli'));
    const written = await report(study);
    expect(written).toEqual({ file: path.join(results, 'by-api', 'report.html'), trials: 10 });
    expect(fs.readFileSync(written.file, 'utf8')).toMatch(/^<!doctype html>/i);
  });

  it('createStudy({ spaceFile }) reads a space file as `hypersweep sweep` does; optimize() runs its objective', async () => {
    const { createStudy } = await loadApi();
    const r = runCli(['sweep', SPACE, '--results', results, '--study', 'cli', '--trials', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const study = await createStudy({ spaceFile: SPACE, name: 'api', results });
    await study.optimize({ trials: 2 });
    await study.close();
    const created = (name: string) => journalEvents(results, name)[0]!;
    const { study: _a, time: _t1, ...fromApi } = created('api') as unknown as Record<string, unknown>;
    const { study: _b, time: _t2, ...fromCli } = created('cli') as unknown as Record<string, unknown>;
    expect(fromApi).toEqual(fromCli); // the same spec (objective resolved against the file's folder), sampler, seed 3
    const params = (name: string) => journalEvents(results, name).flatMap((e) => (e.event === 'trial_finished' ? [[e.trial, e.value]] : []));
    expect(params('api')).toEqual(params('cli'));
  });

  it("ranks a distributed sweep's journal (workers, assignments, ignored results, dashboard actions) as the CLI does", async () => {
    const { leaderboard } = await loadApi();
    const dir = path.join(results, 'dist');
    fs.mkdirSync(dir);
    const t = (ms: number) => `2026-12-04T20:00:00.${String(ms).padStart(3, '0')}Z`;
    const lines = [
      { event: 'study_created', study: 'dist', format: 1, hypersweep_version: '0.1.0', spec: {}, space_file: 'x', sampler: 'random', seed: 1, direction: 'minimize', metric: 'value' },
      { event: 'controller_started', pid: 1, host: 'h', queue: 'redis://r:6379' },
      { event: 'worker_joined', worker: 'w1', host: 'h2', pid: 7, slots: 2 },
      { event: 'trial_started', trial: 0, params: { x: 1 }, seed: 1, worker: 'queue' },
      { event: 'trial_assigned', trial: 0, worker: 'w1', host: 'h2', pid: 7 },
      { event: 'trial_started', trial: 1, params: { x: 2 }, seed: 2, worker: 'queue' },
      { event: 'trial_finished', trial: 1, state: 'complete', value: 0.5, duration_s: 0.2 },
      { event: 'control_action', action: 'stop_trial', id: 'a', source: 'dashboard', trial: 0 },
      { event: 'trial_finished', trial: 0, state: 'pruned', value: 3, duration_s: 0.1 },
      { event: 'result_ignored', trial: 0, worker: 'w1', state: 'complete', value: 1, reason: 'late' },
      { event: 'worker_left', worker: 'w1', host: 'h2', pid: 7, slots: 2 },
    ];
    fs.writeFileSync(path.join(dir, 'journal.jsonl'), lines.map((e, i) => JSON.stringify({ time: t(i), ...e }) + '\n').join(''));
    const rows = leaderboard('dist', { results, state: 'all' });
    expect(rows.map((r) => [r.trial, r.state, r.value])).toEqual([
      [1, 'complete', 0.5],
      [0, 'pruned', 3],
    ]);
    expect(rows).toEqual(cliRows('dist'));
  });

  it('the CLI refuses to run a study whose objective is the caller’s code, or one the API holds', async () => {
    const { createStudy, loadStudy } = await loadApi();
    // Held by an open handle: refused as a second controller is.
    const holder = await createStudy({ name: 'held', results, objective: { module: MODULE }, space: { x: { type: 'float', low: 0, high: 1 } } });
    const held = runCli(['resume', 'held', '--results', results]);
    expect(held.code).toBe(1);
    expect(held.stderr).toMatch(new RegExp(`study "held" is already being run by pid ${process.pid}`));
    await holder.close();
    expect(runCli(['resume', 'held', '--results', results, '--trials', '1']).code).toBe(0);

    const study = await createStudy({ name: 'code', results, seed: 1 });
    const t = await study.ask();
    await study.tell(t, t.suggestFloat('lr', 1e-3, 1, { log: true }));
    await study.close();
    const before = fs.readFileSync(path.join(results, 'code', 'journal.jsonl'), 'utf8');
    const r = runCli(['resume', 'code', '--results', results]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/study "code" has no objective of its own: its trials are run by the program that uses it through the library API/);
    expect(fs.readFileSync(path.join(results, 'code', 'journal.jsonl'), 'utf8')).toBe(before);
    // Ranked and reported all the same, define-by-run params included.
    expect(cliRows('code')).toMatchObject([{ trial: 0, params: { lr: t.params.lr } }]);
    expect(runCli(['report', 'code', '--results', results]).code).toBe(0);
    expect(fs.readFileSync(path.join(results, 'code', 'report.html'), 'utf8')).toContain('lr');
    expect((await loadStudy('code', { results })).trials).toHaveLength(1);
  });
});
