// LeaderboardWriter (src/study/leaderboard-writer.ts): rewrites of
// leaderboard.jsonl coalesced to at most one per interval, exact after flush().
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { LEADERBOARD_FILE, studyLeaderboard, type RankableStudy, type RankableTrial } from '../src/study/leaderboard.js';
import { LeaderboardWriter } from '../src/study/leaderboard-writer.js';

let results: string;
beforeEach(() => {
  results = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-lbw-'));
  fs.mkdirSync(path.join(results, 's')); // the study's folder, as a sweep has it
});
afterEach(() => fs.rmSync(results, { recursive: true, force: true }));

function study(): RankableStudy & { trials: RankableTrial[] } {
  return { created: { metric: 'value', direction: 'minimize', spec: { params: { x: {} } } as never }, trials: [] };
}
function finish(s: { trials: RankableTrial[] }, n: number, value: number): void {
  s.trials.push({ number: n, state: 'complete', params: { x: value }, value, metrics: {}, durationS: 0, intermediate: { length: 0 } });
}
const fileOf = () => path.join(results, 's', LEADERBOARD_FILE);
const rowsOnFile = () => fs.readFileSync(fileOf(), 'utf8').trimEnd().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { trial: number });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('leaderboard writer', () => {
  it('coalesces many finished trials into few rewrites, and flush() makes the file exact', async () => {
    const s = study();
    const w = new LeaderboardWriter(results, 's', s, 60_000);
    for (let n = 0; n < 500; n++) {
      finish(s, n, (n * 37) % 101);
      w.markDirty();
      if (n % 100 === 0) await sleep(5);
    }
    await sleep(20);
    expect(w.writes).toBe(1); // the first one at once, the next not before the interval
    expect(rowsOnFile()).toHaveLength(1);
    expect(w.flush()).toBe(fileOf());
    expect(w.writes).toBe(2);
    const expected = studyLeaderboard('s', s).rows.map((r) => JSON.parse(JSON.stringify(r)) as unknown);
    expect(rowsOnFile()).toEqual(expected);
    expect(w.flush()).toBeNull(); // nothing changed since
    expect(w.writes).toBe(2);
  });

  it('rewrites again after the interval while trials keep finishing', async () => {
    const s = study();
    const w = new LeaderboardWriter(results, 's', s, 30);
    finish(s, 0, 1);
    w.markDirty();
    await sleep(10);
    expect(rowsOnFile()).toHaveLength(1);
    finish(s, 1, 0.5);
    w.markDirty();
    // After the interval (or 20 times the last rewrite's duration, if longer).
    for (let waited = 0; w.writes < 2 && waited < 3000; waited += 10) await sleep(10);
    expect(w.writes).toBe(2);
    expect(rowsOnFile().map((r) => r.trial)).toEqual([1, 0]);
    expect(w.flush()).toBeNull();
  });

  it('an empty study still gets its (empty) file on flush', () => {
    const w = new LeaderboardWriter(results, 's', study());
    w.markDirty();
    w.flush();
    expect(fs.readFileSync(fileOf(), 'utf8')).toBe('');
  });

  it('a failed rewrite on the timer is thrown by the next call', async () => {
    const s = study();
    fs.rmSync(path.join(results, 's'), { recursive: true });
    const w = new LeaderboardWriter(results, 's', s, 0);
    w.markDirty();
    await sleep(20);
    expect(() => w.markDirty()).toThrow();
  });
});
