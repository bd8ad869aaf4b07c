// createStudy and loadStudy: the library API's way in. A study made here is
// the same journal on disk as one made by `hypersweep sweep`, and either can
// be resumed, ranked and reported by the other.
import { createPruner } from '../pruners/create.js';
import { createSampler } from '../samplers/sampler.js';
import { Study } from '../study/study.js';
import { startStudy, studySeed, studySpecFromOptions } from './create.js';
import { StudyHandle } from './study-handle.js';
import type { CreateStudyOptions, LoadStudyOptions } from './types.js';

const DEFAULT_RESULTS = 'results';

/**
 * Starts a study (an error if one of that name exists, unless forceNew) and
 * returns it open for writing: close() it when done, so that others (the
 * CLI) may open it.
 */
export async function createStudy(options: CreateStudyOptions): Promise<StudyHandle> {
  const spec = studySpecFromOptions(options);
  const results = options.results ?? DEFAULT_RESULTS;
  const seed = studySeed(spec, options.seed);
  // Refuse bad sampler and pruner options before anything is written.
  createPruner(spec.pruner, spec.direction, spec.file);
  createSampler(spec.sampler, spec.params, spec.direction, seed);
  const lock: { lost: Error | null } = { lost: null };
  const name = options.name ?? spec.name;
  const writer = await startStudy(results, name, spec, seed, {
    forceNew: options.forceNew ?? false,
    onLockLost: (err) => (lock.lost = err),
  });
  return new StudyHandle(name, results, writer.study.state.created, writer, lock);
}

/** An existing study: read at once; opened for writing (under its lock) on the first ask, tell or optimize. */
export async function loadStudy(name: string, options: LoadStudyOptions = {}): Promise<StudyHandle> {
  const results = options.results ?? DEFAULT_RESULTS;
  return new StudyHandle(name, results, Study.read(results, name).created);
}
