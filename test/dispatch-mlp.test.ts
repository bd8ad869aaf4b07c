// A small real MLP sweep through the pool: 2 workers × 1 native thread, 1 epoch
// on 2,000 images. Each worker loads the addon and wraps the shared dataset once.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { readJournal } from '../src/study/journal-reader.js';
import { foldJournal } from '../src/study/state.js';
import { lastJsonLine, ROOT, runCli } from './helpers/cli.js';
import { hasAddon } from './helpers/native.js';

const SPACE = path.join(ROOT, 'test', 'fixtures', 'mlp-tiny.yaml');
let results: string;
beforeEach(() => {
  results = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-mlp-sweep-'));
});
afterEach(() => fs.rmSync(results, { recursive: true, force: true }));

describe.skipIf(!hasAddon)('MLP sweep on the pool', () => {
  it('runs 2 workers × 1 thread to the budget, reporting val_accuracy after the epoch', () => {
    const r = runCli([
      'sweep', SPACE, '--results', results, '--trials', '6', '--workers', '2', '--threads-per-trial', '1', '--device', 'cpu', '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(lastJsonLine(r.stdout)).toMatchObject({ stopped: 'budget', counts: { complete: 6, failed: 0 } });
    const trials = foldJournal(readJournal(path.join(results, 'mlp-tiny', 'journal.jsonl')).events).trials;
    expect(trials).toHaveLength(6);
    for (const t of trials) {
      expect(t.intermediate).toHaveLength(1); // one epoch, reported as step 1
      expect(t.intermediate[0]![0]).toBe(1);
      expect(t.value).toBe(t.intermediate[0]![1]);
      expect(t.value).toBeGreaterThan(0);
      expect(t.value).toBeLessThanOrEqual(1);
      expect(t.metrics).toMatchObject({ threads: 1, device: 'cpu', train_rows: 2000 });
    }
    // Both workers trained (two threads), and with plausible learning on the better settings.
    expect(new Set(trials.map((t) => t.metrics.worker_thread)).size).toBe(2);
    expect(Math.max(...trials.map((t) => t.value!))).toBeGreaterThan(0.5);
    // --save-weights best (the default): exactly the best trial's weights are kept, and the
    // leaderboard beside the journal ranks it first.
    const best = trials.reduce((a, b) => (b.value! > a.value! ? b : a));
    expect(fs.readdirSync(path.join(results, 'mlp-tiny', 'trials'))).toEqual([String(best.number)]);
    expect(fs.existsSync(path.join(results, 'mlp-tiny', 'trials', String(best.number), 'weights.bin'))).toBe(true);
    const top = JSON.parse(fs.readFileSync(path.join(results, 'mlp-tiny', 'leaderboard.jsonl'), 'utf8').split('\n')[0]!);
    expect(top).toMatchObject({ rank: 1, trial: best.number });
  });
});
