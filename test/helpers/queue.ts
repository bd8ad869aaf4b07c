// Distributed-sweep tests: the real CLI as controller (`sweep --queue`) and as
// worker processes (`hypersweep worker`), against a real Redis.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { Redis } from 'ioredis';
import { afterEach, beforeEach } from 'vitest';

import { readJournal } from '../../src/study/journal-reader.js';
import { foldJournal, type StudyState } from '../../src/study/state.js';
import type { JournalLine } from '../../src/study/events.js';
import { BIN, ensureBuilt, ROOT } from './cli.js';

export interface Proc {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves when its output matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
}

/** Runs the CLI in a child process (optionally through a wrapper such as `ip netns exec NS`). */
export function startCli(args: string[], env: Record<string, string> = {}, wrapper: string[] = [], cwd = ROOT): Proc {
  ensureBuilt();
  const command = wrapper.length ? wrapper[0]! : process.execPath;
  const argv = wrapper.length ? [...wrapper.slice(1), process.execPath, BIN, ...args] : [BIN, ...args];
  const child = spawn(command, argv, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    child,
    output: () => text,
    exited,
    waitFor: (pattern, timeoutMs = 30_000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pattern.test(text)) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${String(pattern)}; output so far:\n${text.slice(-3000)}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      }),
  };
}

/** A `hypersweep worker` limited to the test's own studies (so that it never takes another test's jobs). */
export function startWorker(url: string, studies: string[], extra: string[] = [], env: Record<string, string> = {}, wrapper: string[] = []): Proc {
  return startCli(['worker', '--queue', url, '--studies', studies.join(','), '--heartbeat', '200', ...extra], env, wrapper);
}

export function journalEvents(results: string, study: string): JournalLine[] {
  const file = path.join(results, study, 'journal.jsonl');
  return fs.existsSync(file) ? readJournal(file).events : [];
}

/** The study's state from its journal; no trials yet while the journal does not exist. */
export function studyState(results: string, study: string): Pick<StudyState, 'trials'> {
  const events = journalEvents(results, study);
  return events.length ? foldJournal(events) : { trials: [] };
}

export async function until(condition: () => boolean, timeoutMs: number, what = 'a condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Keys of Redis at `url` that belong to a study (its BullMQ queue and our own keys). */
export async function studyKeys(url: string, study: string): Promise<string[]> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const ours = await redis.keys(`hypersweep:study:${study}-*`);
    const bull = await redis.keys(`hypersweep:trials-${study}-*`);
    return [...ours, ...bull];
  } finally {
    redis.disconnect();
  }
}

/** Writes a space file for a module objective from test/fixtures into `dir`. */
export function moduleSpace(dir: string, name: string, module: string, body: string): string {
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(file, `name: ${name}\nobjective: {module: ${path.join(ROOT, 'test', 'fixtures', module)}}\n${body}`);
  return file;
}

export const FIXTURES = path.join(ROOT, 'test', 'fixtures');

/** Kills what a test left running. */
export function killAll(procs: readonly Proc[]): void {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
}

/** The Redis the queue tests use: the machine's (each test on studies and workers of its own). */
export const TEST_REDIS = process.env['HS_TEST_REDIS'] ?? 'redis://127.0.0.1:6379';

/** A study name no other test (or run) uses. */
export function uniqueStudy(name: string): string {
  return `${name}-${process.pid}-${Math.random().toString(36).slice(2, 7)}`;
}

/**
 * Per test: a scratch folder (removed after) and the processes started (killed
 * after). Call once at the top of a test file.
 */
export function queueScratch(prefix: string): { dir(): string; track<P extends Proc>(p: P): P } {
  let dir = '';
  let procs: Proc[] = [];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    procs = [];
  });
  afterEach(() => {
    killAll(procs);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir: () => dir,
    track: (p) => {
      procs.push(p);
      return p;
    },
  };
}
