// Parallel sweeps through the real CLI (dist/cli/main.js): W trials in flight,
// failures of every kind recorded while the sweep goes on, pruning, Ctrl-C
// then resume with nothing lost or run twice, and the --time budget.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { readJournal } from '../src/study/journal-reader.js';
import { foldJournal, type TrialRecord } from '../src/study/state.js';
import { BIN, ensureBuilt, lastJsonLine, ROOT, runCli } from './helpers/cli.js';

const SPACE = path.join(ROOT, 'test', 'fixtures', 'dispatch.yaml');
let results: string;
beforeEach(() => {
  results = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-dispatch-'));
});
afterEach(() => fs.rmSync(results, { recursive: true, force: true }));

const journalOf = (study: string) => path.join(results, study, 'journal.jsonl');
const eventsOf = (study: string) => readJournal(journalOf(study)).events;
const trialsOf = (study: string): TrialRecord[] => foldJournal(eventsOf(study)).trials;
const finishedCount = (study: string) =>
  fs.existsSync(journalOf(study)) ? (fs.readFileSync(journalOf(study), 'utf8').match(/"trial_finished"/g) ?? []).length : 0;

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every trial started once and finished once, numbered 0..n-1 without gaps. */
function expectEachTrialOnce(study: string): void {
  const events = eventsOf(study);
  const started = events.flatMap((e) => (e.event === 'trial_started' ? [e.trial] : []));
  const finished = events.flatMap((e) => (e.event === 'trial_finished' ? [e.trial] : []));
  expect(started).toEqual([...started.keys()]);
  expect([...finished].sort((a, b) => a - b)).toEqual(started);
}

describe('parallel sweeps', () => {
  it('runs W = 3 trials at once in worker threads, recording every trial exactly once', () => {
    const r = runCli(['sweep', SPACE, '--results', results, '--study', 'w3', '--workers', '3', '--trials', '12', '--json'], {
      HS_STEP_MS: '20',
    });
    expect(r.code, r.stderr).toBe(0);
    const summary = lastJsonLine(r.stdout) as { counts: Record<string, number>; stopped: string };
    expect(summary).toMatchObject({ stopped: 'budget', counts: { complete: 12, failed: 0, pruned: 0, running: 0 } });
    expectEachTrialOnce('w3');
    const events = eventsOf('w3');
    // Three in flight before the first trial ends.
    const firstEnd = events.findIndex((e) => e.event === 'trial_finished');
    expect(events.slice(0, firstEnd).filter((e) => e.event === 'trial_started')).toHaveLength(3);
    const trials = trialsOf('w3');
    expect(new Set(trials.map((t) => t.worker))).toEqual(new Set(['w0', 'w1', 'w2']));
    const threads = new Set(trials.map((t) => t.metrics.worker_thread));
    expect(threads.size).toBe(3);
    expect(threads.has(0)).toBe(false); // not the controller's thread
    expect(trials.every((t) => t.intermediate.length === 4)).toBe(true);
  });

  it('records a throwing, a hanging (timeout), a crashing (process.exit) and a NaN trial failed, and goes on', () => {
    const r = runCli(
      ['sweep', SPACE, '--results', results, '--study', 'bad', '--workers', '2', '--trials', '12', '--trial-timeout', '1s', '--json'],
      { HS_PLAN: '2:throw,4:hang,6:exit,8:nan,9:spin' },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/internal error/);
    expectEachTrialOnce('bad');
    const trials = trialsOf('bad');
    const byNumber = (n: number) => trials.find((t) => t.number === n)!;
    expect(byNumber(2)).toMatchObject({ state: 'failed', error: 'the objective refuses this trial' });
    expect(byNumber(4)).toMatchObject({ state: 'failed', error: 'exceeded --trial-timeout 1s (worker terminated)' });
    expect(byNumber(6)).toMatchObject({ state: 'failed', error: 'worker thread died: worker exited with code: 3' });
    expect(byNumber(8)).toMatchObject({ state: 'failed', error: 'objective returned a non-finite value (NaN)' });
    expect(byNumber(9)).toMatchObject({ state: 'failed', error: 'exceeded --trial-timeout 1s (worker terminated)' });
    const others = trials.filter((t) => ![2, 4, 6, 8, 9].includes(t.number));
    expect(others).toHaveLength(7);
    expect(others.every((t) => t.state === 'complete')).toBe(true);
    // Dead and terminated threads were replaced: the last trials ran on threads started after them.
    expect(byNumber(11).metrics.worker_thread).toBeGreaterThan(2);
  });

  it('prunes with --pruner median and asha: pruned trials keep their last value', () => {
    for (const pruner of ['median', 'asha']) {
      const r = runCli(['sweep', SPACE, '--results', results, '--study', pruner, '--workers', '2', '--trials', '16', '--pruner', pruner, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const trials = trialsOf(pruner);
      expect(trials).toHaveLength(16);
      const pruned = trials.filter((t) => t.state === 'pruned');
      expect(pruned.length, pruner).toBeGreaterThan(2);
      for (const t of pruned) {
        // Stopped at the report the pruner answered, recorded with that report's value.
        expect(t.metrics.stopped_at).toBe(t.intermediate.length);
        expect(t.value).toBe(t.intermediate.at(-1)![1]);
      }
      expect(pruned.some((t) => t.intermediate.length < 4)).toBe(true);
      // Recorded with the study, so that a resume prunes alike.
      expect((foldJournal(eventsOf(pruner)).created.spec as { pruner: unknown }).pruner).toEqual({ type: pruner });
    }
  });

  it('stops on SIGINT (trials interrupted, lock released), then resumes to the budget with nothing lost or run twice', async () => {
    ensureBuilt();
    const child = spawn(process.execPath, [BIN, 'sweep', SPACE, '--results', results, '--workers', '2', '--trials', '12'], {
      env: { ...process.env, HS_STEP_MS: '150' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await waitFor(() => finishedCount('dispatch') >= 3, 60_000);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stdout).toMatch(/resume with: hypersweep resume dispatch/);
    expect(fs.existsSync(path.join(results, 'dispatch', 'lock.json'))).toBe(false);

    const before = trialsOf('dispatch');
    expect(before.every((t) => t.state !== 'running')).toBe(true);
    const interrupted = before.filter((t) => t.error === 'interrupted');
    expect(interrupted.length).toBeGreaterThanOrEqual(1); // two were in flight; at most one can have ended meanwhile
    expect(interrupted.every((t) => t.state === 'failed')).toBe(true);
    expect(before.length).toBeLessThan(12);

    const r = runCli(['resume', 'dispatch', '--results', results, '--workers', '2', '--json'], { HS_STEP_MS: '0' });
    expect(r.code, r.stderr).toBe(0);
    expect(lastJsonLine(r.stdout)).toMatchObject({ stopped: 'budget' });
    const after = trialsOf('dispatch');
    for (const t of before) {
      expect(after.find((a) => a.number === t.number)).toMatchObject({ state: t.state, value: t.value, params: t.params });
    }
    expect(new Set(after.map((t) => t.number)).size).toBe(after.length);
    const counted = after.filter((t) => t.error !== 'interrupted');
    expect(counted).toHaveLength(12);
    // Each interrupted trial is run again exactly once, with its params and seed.
    for (const t of interrupted) {
      const retries = after.filter((a) => a.retryOf === t.number);
      expect(retries).toHaveLength(1);
      expect(retries[0]).toMatchObject({ params: t.params, seed: t.seed, state: 'complete' });
    }
    expect(after.every((t) => t.state !== 'running')).toBe(true);
  }, 120_000);

  it('stops starting trials when --time is spent, and says how to go on', () => {
    const r = runCli(['sweep', SPACE, '--results', results, '--workers', '2', '--trials', '100', '--time', '1s'], { HS_STEP_MS: '100' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/study dispatch: time; /);
    expect(r.stdout).toMatch(/resume with: hypersweep resume dispatch/);
    const trials = trialsOf('dispatch');
    expect(trials.length).toBeGreaterThanOrEqual(2);
    expect(trials.length).toBeLessThan(100);
    expect(trials.every((t) => t.state === 'complete')).toBe(true);
  });

  it('refuses bad dispatch options with a usage error', () => {
    for (const [args, message] of [
      [['--pruner', 'hyperband'], /invalid value "hyperband" for --pruner/],
      [['--trial-timeout', 'soon'], /--trial-timeout/],
      [['--workers', '0'], /--workers/],
    ] as const) {
      const r = runCli(['sweep', SPACE, '--results', results, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });
});
