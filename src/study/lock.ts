// One controller per study: an exclusive lock on the study folder.
//
// proper-lockfile does the atomic part (mkdir of <study>/journal.jsonl.lock, kept
// fresh by touching its mtime; a lock whose mtime is older than STALE_MS belongs
// to a dead process and is taken over). Beside it we write lock.json with the
// holder's pid, host and start time, so that a refusal can say who holds it.
// proper-lockfile (and graceful-fs, retry, signal-exit beneath it) loads only
// when a lock is taken: `status`, the dashboard and report only check whether
// one is held, which is a stat of the lock folder (start-up of light commands).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { Errors } from '../errors.js';

const STALE_MS = 10_000;
const UPDATE_MS = 2_000;

export interface LockHolder {
  pid: number;
  host: string;
  started: string;
}

export interface StudyLock {
  release(): Promise<void>;
}

function holderFile(studyDir: string): string {
  return path.join(studyDir, 'lock.json');
}

export function readLockHolder(studyDir: string): LockHolder | null {
  try {
    return JSON.parse(fs.readFileSync(holderFile(studyDir), 'utf8')) as LockHolder;
  } catch {
    return null;
  }
}

/** The folder proper-lockfile makes for `journal.jsonl` (its default lockfilePath: the target plus `.lock`). */
function lockFolder(studyDir: string): string {
  return path.join(studyDir, 'journal.jsonl.lock');
}

/**
 * Whether a controller holds the study right now: its lock folder exists and
 * was touched within STALE_MS. The same rule as proper-lockfile's check()
 * (which holds `stale` to at least 2 s), without loading it.
 */
export async function isStudyLocked(studyDir: string): Promise<boolean> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(lockFolder(studyDir));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  return stat.mtime.getTime() >= Date.now() - Math.max(STALE_MS, 2_000);
}

/** Whether a process of this pid runs on this host (EPERM: it does, as another user). */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the study's lock or refuses with a message naming the holder. A lock left
 * by a dead process on this host is waited out (at most STALE_MS) and taken over.
 */
export async function acquireStudyLock(
  studyDir: string,
  study: string,
  onCompromised: (err: Error) => void,
): Promise<StudyLock> {
  const target = path.join(studyDir, 'journal.jsonl');
  const { default: lockfile } = await import('proper-lockfile');
  const holder = readLockHolder(studyDir);
  const holderIsDeadHere =
    holder !== null && holder.host === os.hostname() && !processIsAlive(holder.pid);
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(target, {
      stale: STALE_MS,
      update: UPDATE_MS,
      realpath: false,
      // Waiting only makes sense for a lock whose holder we know is dead.
      retries: holderIsDeadHere ? { retries: 12, minTimeout: 1_000, maxTimeout: 1_000, factor: 1 } : 0,
      onCompromised,
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOCKED') {
      throw Errors.studyLocked(study, readLockHolder(studyDir));
    }
    throw err;
  }
  const me: LockHolder = { pid: process.pid, host: os.hostname(), started: new Date().toISOString() };
  fs.writeFileSync(holderFile(studyDir), JSON.stringify(me) + '\n');
  return {
    async release() {
      try {
        fs.rmSync(holderFile(studyDir), { force: true });
      } finally {
        await release();
      }
    },
  };
}
