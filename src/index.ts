// hypersweep as a library: `import { createStudy } from 'hypersweep'`.
// Re-exports only. Nothing imported here loads TensorFlow.js, sharp or the
// native addon: they load when a trial of a model objective needs them
// (checked by test/api-import.test.ts).
export { createStudy, loadStudy } from './api/entry.js';
export { leaderboard, listStudies, report } from './api/reading.js';
export { TrialPruned } from './api/pruned.js';
export { HypersweepError, isHypersweepError } from './errors.js';
export type { StudyHandle as Study } from './api/study-handle.js';
export type {
  CategoricalParam,
  CreateStudyOptions,
  Direction,
  FinishedState,
  FloatParam,
  IntParam,
  LeaderboardOptions,
  LeaderboardRow,
  LoadStudyOptions,
  ModuleObjective,
  ObjectiveContext,
  ObjectiveFunction,
  ObjectiveOption,
  OptimizeOptions,
  OptimizeResult,
  Params,
  ParamValue,
  PrunerName,
  PrunerOption,
  SamplerName,
  SamplerOption,
  Space,
  SpaceParam,
  StateFilter,
  StopReason,
  SuggestFloatOptions,
  SuggestIntOptions,
  TellResult,
  Trial,
  TrialInfo,
  TrialState,
} from './api/types.js';
