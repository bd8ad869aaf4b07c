// The events of a study journal (results/<study>/journal.jsonl), one JSON object
// per line. The journal is append-only and is the single source of truth: the
// study's state, the leaderboard and a resumed sampler are all rebuilt from it.

/** Bumped on any change a reader of an older hypersweep could not understand. */
export const JOURNAL_FORMAT = 1;

export type ParamValue = number | string | boolean | null;
export type Params = Record<string, ParamValue>;
export type TrialState = 'running' | 'complete' | 'pruned' | 'failed';
export type FinishedState = Exclude<TrialState, 'running'>;

export interface StudyCreatedEvent {
  event: 'study_created';
  study: string;
  format: number;
  hypersweep_version: string;
  /** The validated search-space file, as the study will use it. */
  spec: unknown;
  space_file: string;
  sampler: string;
  seed: number;
  direction: 'maximize' | 'minimize';
  metric: string;
}

export interface TrialStartedEvent {
  event: 'trial_started';
  trial: number;
  params: Params;
  /** Seed for the trial's own randomness, derived from (study seed, trial number). */
  seed: number;
  worker: string;
  retry_of?: number;
}

export interface IntermediateEvent {
  event: 'intermediate';
  trial: number;
  step: number;
  value: number;
}

export interface TrialFinishedEvent {
  event: 'trial_finished';
  trial: number;
  state: FinishedState;
  value: number | null;
  metrics?: Record<string, unknown>;
  duration_s: number;
  error?: string;
}

export interface ControllerEvent {
  event: 'controller_started' | 'controller_stopped';
  pid: number;
  host: string;
  reason?: string;
  /** controller_started: the budget this run of the controller works toward. */
  budget?: { trials: number; time_s: number | null };
}

export type JournalEvent =
  | StudyCreatedEvent
  | TrialStartedEvent
  | IntermediateEvent
  | TrialFinishedEvent
  | ControllerEvent;

/** What a line looks like on disk: the event plus pino's timestamp. */
export type JournalLine = JournalEvent & { time: string };
