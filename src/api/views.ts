// Trials as the library API shows them: copies of the journal's records, so
// that a caller holding one cannot change the study's state.
import type { TrialRecord } from '../study/state.js';
import type { TrialInfo } from './types.js';

export function trialInfo(t: TrialRecord): TrialInfo {
  return {
    number: t.number,
    state: t.state,
    params: { ...t.params },
    seed: t.seed,
    value: t.value,
    intermediate: t.intermediate.map(([step, value]) => [step, value] as const),
    metrics: { ...t.metrics },
    durationS: t.durationS,
    error: t.error,
    startedAt: t.startedAt,
    finishedAt: t.finishedAt,
  };
}
