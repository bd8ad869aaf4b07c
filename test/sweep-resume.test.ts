// A study survives being killed at any moment: every finished trial is kept,
// interrupted ones run again, and the budget is reached with no trial lost or
// duplicated. Runs the real CLI on a module objective (no training needed).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { readJournal } from '../src/study/journal-reader.js';
import { foldJournal, type TrialRecord } from '../src/study/state.js';
import { BIN, ensureBuilt, lastJsonLine, ROOT, runCli } from './helpers/cli.js';

const SPACE = path.join(ROOT, 'test', 'fixtures', 'slow.yaml');
let results: string;
beforeEach(() => {
  results = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-sweep-'));
});
afterEach(() => fs.rmSync(results, { recursive: true, force: true }));

function trialsOf(study: string): TrialRecord[] {
  return foldJournal(readJournal(path.join(results, study, 'journal.jsonl')).events).trials;
}
const finishedCount = (study: string) =>
  fs.existsSync(path.join(results, study, 'journal.jsonl'))
    ? (fs.readFileSync(path.join(results, study, 'journal.jsonl'), 'utf8').match(/"trial_finished"/g) ?? []).length
    : 0;

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('sweep and resume', () => {
  it('runs a study to its budget and prints a JSON summary', () => {
    const r = runCli(['sweep', SPACE, '--results', results, '--study', 'plain', '--trials', '8', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const summary = lastJsonLine(r.stdout) as { counts: { complete: number; failed: number }; best: { value: number } };
    const trials = trialsOf('plain');
    expect(trials).toHaveLength(8);
    expect(summary.counts.complete + summary.counts.failed).toBe(8);
    const best = Math.min(...trials.filter((t) => t.state === 'complete').map((t) => t.value!));
    expect(summary.best.value).toBe(best);
  });

  it('--set pins a searched parameter, and a malformed one is a usage error', () => {
    const r = runCli(['sweep', SPACE, '--results', results, '--study', 'pinned', '--trials', '3', '--set', 'x=0.25']);
    expect(r.code, r.stderr).toBe(0);
    expect(trialsOf('pinned').map((t) => t.params.x)).toEqual([0.25, 0.25, 0.25]);
    const bad = runCli(['sweep', SPACE, '--results', results, '--study', 'bad', '--set', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/cannot read "x" in --set/);
    expect(fs.existsSync(path.join(results, 'bad'))).toBe(false);
  });

  it('refuses to start a study that exists, pointing to resume', () => {
    expect(runCli(['sweep', SPACE, '--results', results, '--trials', '2']).code).toBe(0);
    const again = runCli(['sweep', SPACE, '--results', results, '--trials', '2']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/study "slow" already exists .*hypersweep resume slow/);
  });

  it('--force-new keeps the old study beside and holds the lock for a sweep longer than its refresh period', () => {
    expect(runCli(['sweep', SPACE, '--results', results, '--trials', '2']).code).toBe(0);
    // 3 trials of ~1.2 s: the lock is refreshed (every 2 s) after the old study was moved aside.
    const again = runCli(['sweep', SPACE, '--results', results, '--trials', '3', '--force-new'], { SLOW_MS: '1200' });
    expect(again.code, again.stderr).toBe(0);
    expect(trialsOf('slow')).toHaveLength(3);
    const aside = fs.readdirSync(results).filter((d) => d.startsWith('slow.old-'));
    expect(aside).toHaveLength(1);
    expect(foldJournal(readJournal(path.join(results, aside[0]!, 'journal.jsonl')).events).trials).toHaveLength(2);
  });

  it('a stopped-then-resumed study suggests exactly what an uninterrupted one does', () => {
    expect(runCli(['sweep', SPACE, '--results', results, '--study', 'whole', '--trials', '14']).code).toBe(0);
    expect(runCli(['sweep', SPACE, '--results', results, '--study', 'split', '--trials', '9']).code).toBe(0);
    expect(runCli(['resume', 'split', '--results', results, '--trials', '14']).code).toBe(0);
    const whole = trialsOf('whole').map((t) => [t.params, t.value]);
    const split = trialsOf('split').map((t) => [t.params, t.value]);
    expect(split).toEqual(whole);
  });

  it('survives SIGKILL mid-sweep: finished trials kept, the rest resumed to the budget', async () => {
    ensureBuilt();
    const child = spawn(process.execPath, [BIN, 'sweep', SPACE, '--results', results, '--trials', '12'], {
      env: { ...process.env, SLOW_MS: '300' },
      stdio: 'ignore',
    });
    await waitFor(() => finishedCount('slow') >= 4, 60_000);
    // Let it get into the middle of the next trial, then kill it with no chance to clean up.
    await new Promise((r) => setTimeout(r, 120));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));

    const before = trialsOf('slow');
    const finishedBefore = before.filter((t) => t.state !== 'running');
    const orphan = before.find((t) => t.state === 'running');
    expect(finishedBefore.length).toBeGreaterThanOrEqual(4);

    const r = runCli(['resume', 'slow', '--results', results, '--json'], { SLOW_MS: '0' });
    expect(r.code, r.stderr).toBe(0);
    const after = trialsOf('slow');
    // Every trial finished before the kill is still there, unchanged.
    for (const t of finishedBefore) {
      expect(after.find((a) => a.number === t.number)).toMatchObject({ state: t.state, value: t.value, params: t.params });
    }
    // Trial numbers are distinct, and the budget counts all but interrupted trials.
    expect(new Set(after.map((t) => t.number)).size).toBe(after.length);
    const interrupted = after.filter((t) => t.state === 'failed' && t.error === 'interrupted');
    expect(after.length - interrupted.length).toBe(12);
    expect(after.every((t) => t.state !== 'running')).toBe(true);
    if (orphan) {
      // The trial that was running when killed is failed 'interrupted' and run again with its params and seed.
      expect(interrupted.map((t) => t.number)).toContain(orphan.number);
      const retry = after.find((t) => t.retryOf === orphan.number);
      // …and the sampler that made them (journalled on trial_started).
      expect(orphan.sampler).toMatch(/^tpe/);
      expect(retry).toMatchObject({ params: orphan.params, seed: orphan.seed, state: 'complete', sampler: orphan.sampler });
    }
  }, 120_000);

  it('refuses a second controller on a running study', async () => {
    ensureBuilt();
    const child = spawn(process.execPath, [BIN, 'sweep', SPACE, '--results', results, '--trials', '12'], {
      env: { ...process.env, SLOW_MS: '600' },
      stdio: 'ignore',
    });
    try {
      await waitFor(() => finishedCount('slow') >= 1, 60_000);
      const r = runCli(['resume', 'slow', '--results', results]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`study "slow" is already being run by pid ${child.pid} on `));
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.on('exit', r));
    }
  }, 120_000);
});
