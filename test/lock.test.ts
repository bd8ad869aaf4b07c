import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { acquireStudyLock, isStudyLocked, readLockHolder } from '../src/study/lock.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-lock-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const fail = (err: Error) => {
  throw err;
};

describe('study lock', () => {
  it('admits one controller and names it to the next', async () => {
    const lock = await acquireStudyLock(dir, 'demo', fail);
    expect(await isStudyLocked(dir)).toBe(true);
    expect(readLockHolder(dir)).toMatchObject({ pid: process.pid, host: os.hostname() });
    await expect(acquireStudyLock(dir, 'demo', fail)).rejects.toThrow(
      new RegExp(`study "demo" is already being run by pid ${process.pid} on `),
    );
    await lock.release();
    expect(await isStudyLocked(dir)).toBe(false);
    const again = await acquireStudyLock(dir, 'demo', fail);
    await again.release();
  });

  it('takes over the lock of a process killed with SIGKILL', async () => {
    // A child takes the lock, reports, and is killed without any chance to clean up.
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `import('${path.resolve('src/study/lock.ts')}').then(async (m) => { await m.acquireStudyLock(${JSON.stringify(
          dir,
        )}, 'demo', () => {}); console.log('locked'); setInterval(() => {}, 1000); });`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => child.stdout.on('data', () => resolve()));
    expect(readLockHolder(dir)?.pid).toBe(child.pid);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    const started = Date.now();
    const lock = await acquireStudyLock(dir, 'demo', fail);
    expect(readLockHolder(dir)?.pid).toBe(process.pid);
    expect(Date.now() - started).toBeLessThan(20_000);
    await lock.release();
  }, 40_000);
});
