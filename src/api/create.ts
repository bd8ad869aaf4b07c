// Making and opening studies for writing: the one path for `hypersweep sweep`
// / `resume` and the library's createStudy / loadStudy. A writer holds the
// study's lock (one controller per study) from opening until it closes.
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { Errors } from '../errors.js';
import { readSpaceFile } from '../space/load.js';
import { defaultSamplerSpec, type StudySpec } from '../space/spec.js';
import { validateStudySpec } from '../space/validate.js';
import { acquireStudyLock, type StudyLock } from '../study/lock.js';
import type { TrialRecord } from '../study/state.js';
import { INTERRUPTED, Study, studyDir, studyExists, type StudyWarnings } from '../study/study.js';
import { hypersweepVersion } from '../version.js';
import type { CreateStudyOptions } from './types.js';

/** An open study and its lock; `release()` may be called more than once. */
export interface StudyWriter {
  study: Study;
  lock: StudyLock;
}

/** The default budget of a study made from code without one (what `hypersweep resume` runs to). */
export const DEFAULT_API_TRIALS = 100;

/**
 * The StudySpec of createStudy's options: a space file's keys, with the
 * options in place of the file's (as the CLI's flags are), validated by the
 * space-file validator. Without an objective, the caller's code runs the trials.
 */
export function studySpecFromOptions(options: CreateStudyOptions): StudySpec {
  if (options.space !== undefined && options.spaceFile !== undefined) {
    throw Errors.optionConflict('createStudy({ space })', ['spaceFile']);
  }
  let doc: Record<string, unknown> = {};
  let file = '<createStudy>';
  let baseDir = process.cwd();
  if (options.spaceFile !== undefined) {
    const { absolute, raw } = readSpaceFile(options.spaceFile);
    file = absolute;
    baseDir = path.dirname(file);
    if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) doc = { ...(raw as Record<string, unknown>) };
    else return validateStudySpec(raw, file, baseDir, { callerObjective: true });
  } else {
    doc = { params: options.space ?? {}, budget: { trials: DEFAULT_API_TRIALS } };
    if (options.name === undefined) throw Errors.invalidOption('createStudy({ name })', undefined, 'a study name (it names a folder under results)');
    doc['name'] = options.name;
  }
  const set = (key: string, value: unknown) => {
    if (value !== undefined) doc[key] = value;
  };
  // With a space file, `name` names the study as --study does; the spec keeps the file's name.
  set('direction', options.direction ?? (options.spaceFile === undefined ? 'minimize' : undefined));
  set('metric', options.metric);
  set('objective', options.objective);
  set('fixed', options.fixed);
  if (options.budget !== undefined) doc['budget'] = { ...(doc['budget'] as object | undefined), ...options.budget };
  if (options.pruner !== undefined) doc['pruner'] = typeof options.pruner === 'string' ? { type: options.pruner } : (options.pruner ?? undefined);
  if (options.sampler !== undefined) {
    // A sampler named alone takes its defaults, as --sampler does (the file's options were for its own sampler).
    const current = doc['sampler'] as { type?: unknown; seed?: unknown } | undefined;
    const seed = current?.seed === undefined ? {} : { seed: current.seed };
    if (typeof options.sampler === 'string') {
      if (current?.type !== options.sampler) doc['sampler'] = { type: options.sampler, ...seed };
    } else doc['sampler'] = { ...seed, ...options.sampler };
  }
  return validateStudySpec(doc, file, baseDir, { callerObjective: true });
}

/** The study seed: given, else the space file's sampler seed, else a random one (recorded in the journal). */
export function studySeed(spec: StudySpec, seed?: number): number {
  if (seed !== undefined) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw Errors.invalidOption('seed', seed, 'an integer in [0, 4294967295]');
    return seed;
  }
  return spec.sampler.seed ?? randomInt(0, 2 ** 31);
}

/** --sampler TYPE on the command line: the type's defaults unless the space already names it. */
export function withSamplerType(spec: StudySpec, type: StudySpec['sampler']['type']): StudySpec {
  if (type === spec.sampler.type) return spec;
  const sampler = defaultSamplerSpec(type, spec.sampler.seed);
  // auto picks its sampler knowing the budget (src/samplers/auto-choice.ts).
  return { ...spec, sampler: sampler.type === 'auto' ? { ...sampler, budget: spec.budget.trials } : sampler };
}

/**
 * Starts a new study under its lock: refuses an existing one unless forceNew
 * (which moves it aside). The caller closes the study and releases the lock.
 */
export async function startStudy(
  resultsDir: string,
  name: string,
  spec: StudySpec,
  seed: number,
  options: { forceNew?: boolean; onLockLost: (err: Error) => void },
): Promise<StudyWriter> {
  const dir = studyDir(resultsDir, name);
  if (studyExists(resultsDir, name) && !options.forceNew) throw Errors.studyExists(name, resultsDir);
  fs.mkdirSync(dir, { recursive: true });
  const lock = releaseOnce(await acquireStudyLock(dir, name, options.onLockLost));
  try {
    return { study: Study.create(resultsDir, name, spec, seed, hypersweepVersion(), { forceNew: options.forceNew ?? false }), lock };
  } catch (err) {
    await lock.release();
    throw err;
  }
}

/** Opens an existing study for appending, under its lock. */
export async function openStudy(
  resultsDir: string,
  name: string,
  options: { warn: StudyWarnings; onLockLost: (err: Error) => void },
): Promise<StudyWriter> {
  const dir = studyDir(resultsDir, name);
  if (!studyExists(resultsDir, name)) throw Errors.studyNotFound(name, resultsDir);
  const lock = releaseOnce(await acquireStudyLock(dir, name, options.onLockLost));
  try {
    return { study: Study.open(resultsDir, name, options.warn), lock };
  } catch (err) {
    await lock.release();
    throw err;
  }
}

/**
 * Trials to run again: every trial recorded interrupted (by Ctrl-C, or found
 * running after a kill) that has no retry yet, in their order.
 */
export function interruptedNotRetried(trials: readonly TrialRecord[]): TrialRecord[] {
  const retried = new Set(trials.flatMap((t) => (t.retryOf === null ? [] : [t.retryOf])));
  return trials.filter((t) => t.state === 'failed' && t.error === INTERRUPTED && !retried.has(t.number));
}

/** A lock whose second release is a no-op (an error path may release what a finally already did). */
export function releaseOnce(lock: StudyLock): StudyLock {
  let released: Promise<void> | undefined;
  return { release: () => (released ??= lock.release()) };
}
