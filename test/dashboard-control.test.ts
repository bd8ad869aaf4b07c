// The control channel (src/study/control.ts) end to end: a real sweep (the CLI,
// a module objective) follows results/<study>/control.jsonl, and applies and
// journals each action: stop a trial (pruned, "stopped from the dashboard"),
// enqueue params (run next, user_given), change the budget, stop the study
// (running trials finish), and refuses what it cannot do, saying why.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { appendControlRequest, parseControlAsk, watchControl, type ControlRequest } from '../src/study/control.js';
import type { JournalLine } from '../src/study/events.js';
import { readJournal } from '../src/study/journal-reader.js';
import { foldJournal } from '../src/study/state.js';
import { BIN, ensureBuilt, ROOT } from './helpers/cli.js';

const SPACE = path.join(ROOT, 'test', 'fixtures', 'dashboard.yaml');
let results: string;
let child: ChildProcess | null = null;
beforeEach(() => {
  results = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-dash-control-'));
});
afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  child = null;
  fs.rmSync(results, { recursive: true, force: true });
});

const journal = (study: string): JournalLine[] => {
  const file = path.join(results, study, 'journal.jsonl');
  return fs.existsSync(file) ? readJournal(file).events : [];
};

async function waitFor<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 30));
  }
}

function sweep(study: string, args: string[], env: Record<string, string>): { done: Promise<{ code: number | null; out: string }> } {
  ensureBuilt();
  child = spawn(process.execPath, [BIN, 'sweep', SPACE, '--results', results, '--study', study, '--workers', '2', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const c = child;
  return { done: new Promise((resolve) => c.on('exit', (code) => resolve({ code, out }))) };
}

describe('control requests', () => {
  it('are checked for shape with a message saying what is wrong', () => {
    expect(parseControlAsk({ action: 'stop_trial', trial: 3 })).toEqual({ action: 'stop_trial', trial: 3 });
    expect(parseControlAsk({ action: 'stop_trial', trial: -1 })).toMatch(/trial number/);
    expect(parseControlAsk({ action: 'nuke' })).toMatch(/unknown action "nuke"/);
    expect(parseControlAsk({ action: 'set_budget', budget: 0 })).toMatch(/at least 1/);
    expect(parseControlAsk({ action: 'enqueue_trial', params: { x: Number.NaN } })).toMatch(/param x must be a finite number/);
    expect(parseControlAsk([])).toMatch(/JSON object/);
  });

  it('are read once each, from the end of the file when the watch starts, a half-written line held back', async () => {
    const dir = path.join(results, 's');
    fs.mkdirSync(dir);
    appendControlRequest(dir, { action: 'stop_study' }); // before the watch: not applied
    const seen: ControlRequest[] = [];
    const problems: string[] = [];
    const watch = watchControl(dir, (r) => seen.push(r), (p) => problems.push(p), { pollMs: 20 });
    const a = appendControlRequest(dir, { action: 'set_budget', budget: 5 });
    fs.appendFileSync(path.join(dir, 'control.jsonl'), '{"action":"stop_trial","trial":1,"id":"x"'); // torn: held back
    await waitFor('the first request', () => seen.length === 1);
    expect(seen[0]!.id).toBe(a.id);
    fs.appendFileSync(path.join(dir, 'control.jsonl'), '}\nnot json\n');
    await waitFor('the completed line and a problem', () => seen.length === 2 && problems.length === 1);
    expect(seen[1]).toMatchObject({ action: 'stop_trial', trial: 1, id: 'x' });
    expect(problems[0]).toMatch(/not valid JSON; ignored/);
    watch.close();
  });
});

describe('a running sweep follows its control file', () => {
  it('stops a trial (pruned, reason), runs enqueued params next (user_given), changes the budget, refuses the impossible', async () => {
    const run = sweep('acts', ['--trials', '40'], { DASH_STEPS: '40', DASH_MS: '25' });
    const dir = path.join(results, 'acts');
    // Trial 0 running: stop it.
    await waitFor('trial 0 to start', () => journal('acts').some((e) => e.event === 'trial_started' && e.trial === 0));

    appendControlRequest(dir, { action: 'stop_trial', trial: 0 });
    const stopped = await waitFor('trial 0 to finish', () =>
      journal('acts').find((e) => e.event === 'trial_finished' && e.trial === 0),
    );
    expect(stopped).toMatchObject({ state: 'pruned', reason: 'stopped from the dashboard' });
    expect(journal('acts').find((e) => e.event === 'control_action' && e.action === 'stop_trial')).toMatchObject({ trial: 0, source: 'dashboard' });

    // Enqueue: the next trial to start has these params (kind filled in by the sampler), recorded user_given.
    const before = foldJournal(journal('acts')).nextNumber;
    appendControlRequest(dir, { action: 'enqueue_trial', params: { lr: 0.01, x: 0.3 } });
    const given = await waitFor('the enqueued trial', () =>
      journal('acts').find((e) => e.event === 'trial_started' && e.user_given === true),
    );
    expect(given).toMatchObject({ params: { lr: 0.01, x: 0.3 }, sampler: 'user' });
    expect(given.event === 'trial_started' && given.trial).toBeLessThanOrEqual(before + 1);
    expect(['a', 'b', 'c']).toContain(given.event === 'trial_started' ? given.params.kind : null);

    // Refused, and journalled as refused: a trial that is not running, a param outside the space.
    appendControlRequest(dir, { action: 'stop_trial', trial: 999 });
    appendControlRequest(dir, { action: 'enqueue_trial', params: { lr: 5 } });
    appendControlRequest(dir, { action: 'enqueue_trial', params: { nope: 1 } });
    const refused = await waitFor('three refusals', () => {
      const r = journal('acts').filter((e) => e.event === 'control_action' && e.refused);
      return r.length === 3 ? r : null;
    });
    expect(refused.map((e) => (e.event === 'control_action' ? e.refused : ''))).toEqual([
      'trial 999 is not running',
      expect.stringMatching(/param lr=5 is outside its distribution/),
      expect.stringMatching(/no param "nope" in the search space/),
    ]);

    // A smaller budget ends the sweep there.
    appendControlRequest(dir, { action: 'set_budget', budget: 6 });
    const { code, out } = await run.done;
    expect(code, out).toBe(0);
    const state = foldJournal(journal('acts'));
    expect(state.trials.filter((t) => t.state !== 'running').length).toBe(6);
    expect(journal('acts').find((e) => e.event === 'control_action' && e.action === 'set_budget')).toMatchObject({ budget: 6 });
  }, 120_000);

  it('stops the study as Ctrl-C does, but lets the running trials finish', async () => {
    const run = sweep('halt', ['--trials', '40'], { DASH_STEPS: '10', DASH_MS: '40' });
    const dir = path.join(results, 'halt');
    await waitFor('two trials to start', () => journal('halt').filter((e) => e.event === 'trial_started').length >= 2);
    await new Promise((r) => setTimeout(r, 100));
    appendControlRequest(dir, { action: 'stop_study' });
    const { code, out } = await run.done;
    expect(code, out).toBe(130); // as after Ctrl-C: resumable
    expect(out).toMatch(/resume with: hypersweep resume halt/);
    const state = foldJournal(journal('halt'));
    expect(state.trials.length).toBeLessThan(40);
    expect(state.trials.every((t) => t.state === 'complete')).toBe(true);
    expect(journal('halt').some((e) => e.event === 'control_action' && e.action === 'stop_study')).toBe(true);
  }, 60_000);
});
