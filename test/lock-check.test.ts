// isStudyLocked (src/study/lock.ts) reads the lock folder itself, so that
// `status` need not load proper-lockfile: it must answer as proper-lockfile's
// own check() does, with the options acquireStudyLock takes the lock with.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import lockfile from 'proper-lockfile';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { acquireStudyLock, isStudyLocked } from '../src/study/lock.js';

let dir = '';
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-lock-check-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const theirs = (): Promise<boolean> => lockfile.check(path.join(dir, 'journal.jsonl'), { stale: 10_000, realpath: false });
const lockFolder = (): string => path.join(dir, 'journal.jsonl.lock');
/** Sets the lock folder's mtime `ageMs` in the past. */
const age = (ageMs: number): void => {
  const when = new Date(Date.now() - ageMs);
  fs.utimesSync(lockFolder(), when, when);
};

describe('isStudyLocked agrees with proper-lockfile.check', () => {
  it.each([
    ['no lock folder', () => {}, false],
    ['a lock.json alone (no lock folder)', () => fs.writeFileSync(path.join(dir, 'lock.json'), '{}'), false],
    ['a fresh lock folder', () => fs.mkdirSync(lockFolder()), true],
    ['a lock folder touched 8 s ago', () => { fs.mkdirSync(lockFolder()); age(8_000); }, true],
    ['a lock folder touched 12 s ago (stale)', () => { fs.mkdirSync(lockFolder()); age(12_000); }, false],
  ] as const)('%s', async (_label, arrange, locked) => {
    arrange();
    expect(await theirs()).toBe(locked);
    expect(await isStudyLocked(dir)).toBe(locked);
  });

  it('a lock taken by acquireStudyLock, and released', async () => {
    const lock = await acquireStudyLock(dir, 'demo', (err) => {
      throw err;
    });
    expect([await isStudyLocked(dir), await theirs()]).toEqual([true, true]);
    await lock.release();
    expect([await isStudyLocked(dir), await theirs()]).toEqual([false, false]);
  });

  it('an unreadable study folder is an error, not "unlocked"', async () => {
    const file = path.join(dir, 'not-a-folder');
    fs.writeFileSync(file, '');
    await expect(isStudyLocked(file)).rejects.toMatchObject({ code: 'ENOTDIR' });
  });
});
