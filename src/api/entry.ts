// The package entry's functions that make or open studies: each loads the
// study machinery (the space validator, the samplers, the journal writer) on
// its first call, so that `import 'hypersweep'` itself stays light.
import type { StudyHandle } from './study-handle.js';
import type { CreateStudyOptions, LoadStudyOptions } from './types.js';

/**
 * Starts a study (an error if one of that name exists, unless forceNew) and
 * returns it open for writing: close() it when done, so that others (the
 * CLI) may open it.
 */
export async function createStudy(options: CreateStudyOptions): Promise<StudyHandle> {
  return (await import('./studies.js')).createStudy(options);
}

/** An existing study: read at once; opened for writing (under its lock) on the first ask, tell or optimize. */
export async function loadStudy(name: string, options: LoadStudyOptions = {}): Promise<StudyHandle> {
  return (await import('./studies.js')).loadStudy(name, options);
}
