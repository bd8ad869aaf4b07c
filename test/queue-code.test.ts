// A worker needs no filesystem shared with the controller for a module
// objective: it runs the code sent through Redis (checked by SHA-256), or the
// same file under --code-root when it is the same code, and refuses a file
// that differs. --trial-timeout stops remote trials as local ones.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { countsTowardBudget } from '../src/study/study.js';
import { queueScratch, startCli, startWorker, studyState, TEST_REDIS, uniqueStudy, until } from './helpers/queue.js';

const URL = TEST_REDIS;
const scratch = queueScratch('hs-qcode-');

/** A study whose module objective lives in `dir/code/` (relative to the space file, as users write it). */
function study(name: string, source: string, trials: number): string {
  fs.mkdirSync(path.join(scratch.dir(), 'code'), { recursive: true });
  fs.writeFileSync(path.join(scratch.dir(), 'code', 'objective.mjs'), source);
  const file = path.join(scratch.dir(), `${name}.yaml`);
  fs.writeFileSync(
    file,
    `name: ${name}\nobjective: {module: ./code/objective.mjs}\nmetric: value\ndirection: minimize\nparams:\n  x: {type: float, low: 0, high: 1}\nsampler: {type: random, seed: 4}\nbudget: {trials: ${trials}}\n`,
  );
  return file;
}

const SOURCE = 'export async function objective(p) { return (p.x - 0.25) ** 2; }\n';

describe('module objectives on workers', () => {
  it('runs the code sent through Redis when the worker has no copy, and the same file under --code-root', async () => {
    const name = uniqueStudy('qcode');
    // Each trial takes 200 ms, so that both workers get some.
    const space = study(name, SOURCE.replace('return', 'await new Promise((r) => setTimeout(r, 200)); return'), 6);
    const results = path.join(scratch.dir(), 'results');
    // Worker 1: an empty --code-root, so no file there: it runs the shipped code.
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-empty-'));
    // Worker 2: a copy of the controller's working folder under --code-root, same bytes.
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-copy-'));
    fs.mkdirSync(path.join(copy, 'code'));
    fs.copyFileSync(path.join(scratch.dir(), 'code', 'objective.mjs'), path.join(copy, 'code', 'objective.mjs'));
    try {
      const a = startWorker(URL, [name], ['--workers', '1', '--name', 'shipped', '--code-root', empty]);
      const b = startWorker(URL, [name], ['--workers', '1', '--name', 'copied', '--code-root', copy]);
      scratch.track(a);
      scratch.track(b);
      await Promise.all([a.waitFor(/serving studies/), b.waitFor(/serving studies/)]);
      const c = startCli(['sweep', space, '--queue', URL, '--results', results], {}, [], scratch.dir());
      scratch.track(c);
      expect(await c.exited, c.output()).toBe(0);
      const trials = studyState(results, name).trials;
      expect(trials.every((t) => t.state === 'complete')).toBe(true);
      expect(new Set(trials.map((t) => t.worker))).toEqual(new Set(['shipped', 'copied']));
      for (const t of trials) {
        expect(t.value).toBeCloseTo(((t.params.x as number) - 0.25) ** 2, 12);
        // repro looks for the controller's file, whichever copy ran.
        expect((t.metrics['repro'] as { module: { path: string } }).module.path).toBe(path.join(scratch.dir(), 'code', 'objective.mjs'));
      }
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });

  it('refuses a study whose module differs under --code-root (hash mismatch)', async () => {
    const name = uniqueStudy('qhash');
    const space = study(name, SOURCE, 3);
    const results = path.join(scratch.dir(), 'results');
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-other-'));
    fs.mkdirSync(path.join(other, 'code'));
    fs.writeFileSync(path.join(other, 'code', 'objective.mjs'), SOURCE.replace('0.25', '0.75'));
    try {
      const stale = startWorker(URL, [name], ['--workers', '1', '--name', 'stale', '--code-root', other]);
      scratch.track(stale);
      await stale.waitFor(/serving studies/);
      const c = startCli(['sweep', space, '--queue', URL, '--results', results], {}, [], scratch.dir());
      scratch.track(c);
      await until(() => studyState(results, name).trials.some((t) => t.requeued), 20_000, 'a refused trial');
      const good = startWorker(URL, [name], ['--workers', '1', '--name', 'good']);
      scratch.track(good);
      expect(await c.exited, c.output()).toBe(0);
      const trials = studyState(results, name).trials;
      const refused = trials.filter((t) => t.requeued);
      expect(refused).toHaveLength(1);
      expect(refused[0]!.error).toMatch(/^refused by worker stale: .*objective\.mjs differs from the controller's objective module \(sha256 /);
      expect(trials.filter(countsTowardBudget).every((t) => t.state === 'complete' && t.worker === 'good')).toBe(true);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  it('--trial-timeout stops a remote trial that hangs, recorded failed, and the sweep goes on', async () => {
    const name = uniqueStudy('qtime');
    const space = study(name, 'export async function objective(p, ctx) { if (ctx.trial === 1) await new Promise(() => {}); return p.x; }\n', 4);
    const results = path.join(scratch.dir(), 'results');
    const w = startWorker(URL, [name], ['--workers', '2', '--name', 'w']);
    scratch.track(w);
    await w.waitFor(/serving studies/);
    const c = startCli(['sweep', space, '--queue', URL, '--results', results, '--trial-timeout', '2s']);
    scratch.track(c);
    expect(await c.exited, c.output()).toBe(0);
    const trials = studyState(results, name).trials;
    expect(trials.find((t) => t.number === 1)).toMatchObject({ state: 'failed', error: 'exceeded --trial-timeout 2s (worker terminated)' });
    expect(trials.filter((t) => t.state === 'complete')).toHaveLength(3);
  });
});
