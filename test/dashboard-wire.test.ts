// The study snapshot in columns (src/dashboard/shared/wire.ts): what the page
// decodes is the server's fold, field for field — numbers, categorical params
// of every JSON type, params a trial lacks (define-by-run), the rare fields
// (hosts, retries, user-given, reasons, requeued), samplers, times — and only
// the learning curves a big study's page draws travel.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { StudyFold } from '../src/dashboard/shared/fold.js';
import { decodeTrials, encodeTrials, type WireSnapshot } from '../src/dashboard/shared/wire.js';
import { writeSyntheticJournal } from './helpers/synthetic-journal.js';

function foldFile(file: string, name: string): StudyFold {
  const f = new StudyFold(name);
  let at = 0;
  for (const text of fs.readFileSync(file, 'utf8').split('\n')) {
    const end = at + Buffer.byteLength(text) + 1;
    if (text) f.applyText(text, at, end);
    at = end;
  }
  return f;
}

describe('the columnar snapshot', () => {
  it('decodes to the server fold, field for field', () => {
    const f = new StudyFold('mixed');
    const t = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();
    const lines = [
      { time: t(0), event: 'study_created', study: 'mixed', format: 1, hypersweep_version: '0', spec: { budget: { trials: 9 } }, metric: 'loss', direction: 'minimize', sampler: 'tpe', seed: 1 },
      { time: t(10), event: 'trial_started', trial: 0, params: { lr: 0.1, act: 'relu', bn: true, opt: null }, seed: 11, worker: 'w0', sampler: 'tpe (startup: random)' },
      { time: t(20), event: 'intermediate', trial: 0, step: 1, value: 0.5 },
      { time: t(30), event: 'trial_finished', trial: 0, state: 'complete', value: 0.25, duration_s: 0.123456789 },
      { time: t(40), event: 'trial_started', trial: 1, params: { lr: 3e-7, act: 'tanh', bn: false }, seed: 12, worker: 'queue', user_given: true, sampler: 'user' },
      { time: t(45), event: 'trial_assigned', trial: 1, worker: 'gpu-a', host: 'node7', pid: 99 },
      { time: t(50), event: 'trial_finished', trial: 1, state: 'failed', value: null, duration_s: 1, error: 'CUDA out of memory', requeued: true },
      { time: t(60), event: 'trial_started', trial: 2, params: { lr: 0.2, act: 1 }, seed: 13, worker: 'w1', retry_of: 1 },
      { time: t(61), event: 'param_suggested', trial: 2, name: 'depth', value: 4 },
      { time: t(70), event: 'trial_finished', trial: 2, state: 'pruned', value: 0.9, duration_s: 2, reason: 'stopped from the dashboard' },
      { time: t(80), event: 'trial_started', trial: 3, params: {}, seed: 14, worker: 'w0' },
    ];
    for (const l of lines) f.apply(l as never);
    const snap = JSON.parse(f.snapshotJson({ controllerActive: true })) as WireSnapshot;
    expect(snap.controllerActive).toBe(true);
    expect(snap.budget).toBe(9);
    const back = StudyFold.from(snap);
    expect(back.trials).toEqual(f.trials);
    expect(back.trial(1)).toMatchObject({ host: 'node7', worker: 'gpu-a', userGiven: true, requeued: true, reason: 'CUDA out of memory', sampler: 'user' });
    expect(back.trial(2)!.params).toEqual({ lr: 0.2, act: 1, depth: 4 });
    expect(back.trial(3)).toMatchObject({ state: 'running', sampler: null, finishedAt: null, params: {} });
    expect(back.trial(0)!.startedAt).toBe(Date.parse(t(10)));
    // Strings are written once: the column holds codes.
    expect(snap.columns.strings.filter((s) => s === 'w0')).toHaveLength(1);
    expect(snap.columns.params.act).toEqual({ values: ['relu', 'tanh', 1], codes: [0, 1, 2, -1] });
  });

  it('a big study: all of it decodes, only the drawn curves travel, and it is far smaller than trial objects', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-wire-'));
    try {
      const { file } = writeSyntheticJournal(dir, 'big', { trials: 3000, epochs: 3, pruned: 0.1, failed: 0.05, running: 0.01, seed: 7 });
      const f = foldFile(file, 'big');
      const json = f.snapshotJson();
      const back = StudyFold.from(JSON.parse(json) as WireSnapshot);
      expect(back.trials.map(({ curve: _c, ...rest }) => rest)).toEqual(f.trials.map(({ curve: _c, ...rest }) => rest));
      const withCurve = back.trials.filter((t) => t.curve.length);
      // Running trials, the 100 best complete ones and the 100 latest pruned ones; each as folded.
      const running = f.trials.filter((t) => t.state === 'running' && t.curve.length).length;
      expect(withCurve.length).toBeGreaterThan(100);
      expect(withCurve.length).toBeLessThanOrEqual(200 + running);
      for (const t of withCurve) expect(t.curve).toEqual(f.trial(t.n)!.curve);
      const best = [...f.trials].filter((t) => t.state === 'complete').sort((a, b) => b.value! - a.value!)[0]!;
      expect(back.trial(best.n)!.curve.length).toBeGreaterThan(0);
      expect(Buffer.byteLength(json)).toBeLessThan(0.5 * Buffer.byteLength(JSON.stringify(f.trials)));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an empty study', () => {
    expect(decodeTrials(encodeTrials([], () => true))).toEqual([]);
  });
});
