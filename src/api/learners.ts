// What a study learns from: its sampler, told every finished trial, and its
// pruner, replayed every intermediate value (ASHA remembers rungs). Built the
// same way for a CLI sweep or resume (src/dispatch/run-study.ts) and for a
// library study handle, so that both suggest exactly the same trials.
import { createPruner } from '../pruners/create.js';
import type { Pruner, PrunerReport } from '../pruners/pruner.js';
import { createSampler, type Sampler } from '../samplers/sampler.js';
import type { PrunerSpec } from '../space/spec.js';
import { readJournal } from '../study/journal-reader.js';
import type { Study } from '../study/study.js';

export interface Learners {
  sampler: Sampler;
  pruner: Pruner;
}

/** The study's sampler and pruner, brought up to date with its journal. `pruner` overrides the study's (resume --pruner). */
export function studyLearners(study: Study, pruner: PrunerSpec | null = study.spec.pruner): Learners {
  const spec = study.spec;
  const learners = {
    pruner: createPruner(pruner, spec.direction, spec.file),
    sampler: createSampler(spec.sampler, spec.params, spec.direction, study.seed),
  };
  for (const t of study.state.trials) {
    if (t.state !== 'running') learners.sampler.tell({ ...t, state: t.state });
  }
  replayReports(learners.pruner, study);
  return learners;
}

/** Feeds a resumed study's past intermediate values, in journal order, to a pruner that remembers (ASHA). */
function replayReports(pruner: Pruner, study: Study): void {
  if (!pruner.replay || study.state.trials.every((t) => t.intermediate.length === 0)) return;
  const reports: PrunerReport[] = [];
  for (const e of readJournal(study.journalFile).events) {
    if (e.event === 'intermediate') reports.push({ trial: e.trial, step: e.step, value: e.value });
  }
  pruner.replay(reports);
}
