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
  /** sampler auto only: the sampler it picked for this study and why (src/samplers/auto-choice.ts). */
  sampler_choice?: { sampler: string; reason: string };
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
  /** Where the trial runs: a local pool slot (w0, w1…) or, for a queued trial, `queue` until a worker takes it. */
  worker: string;
  retry_of?: number;
  /** Params given by a user (the dashboard's "enqueue trial", as Optuna's enqueue_trial), not asked of the sampler. */
  user_given?: boolean;
  /**
   * What made the params: the sampler's madeBy() ('tpe', 'gp (startup: random)', …;
   * auto's delegate), 'user' for user-given ones; a retry keeps its trial's. Absent in older journals.
   */
  sampler?: string;
}

/** A queued trial was taken by a `hypersweep worker` process (distributed sweeps). */
export interface TrialAssignedEvent {
  event: 'trial_assigned';
  trial: number;
  /** The worker's name (--name), its host and pid. */
  worker: string;
  host: string;
  pid: number;
}

/**
 * A result that arrived for a trial already finished otherwise (its worker was
 * presumed lost, or it was stopped): recorded, never applied. A trial number
 * finishes once.
 */
export interface ResultIgnoredEvent {
  event: 'result_ignored';
  trial: number;
  worker: string;
  /** The state and value the late result would have recorded. */
  state: string;
  value: number | null;
  reason: string;
}

/** A worker process started or stopped serving this study (distributed sweeps; seen through its heartbeats). */
export interface WorkerEvent {
  event: 'worker_joined' | 'worker_left' | 'worker_lost';
  worker: string;
  host: string;
  pid: number;
  /** Trials it runs at once. */
  slots: number;
  reason?: string;
}

/**
 * Define-by-run (the library API's trial.suggestFloat / suggestInt /
 * suggestCategorical): a parameter the trial asked for while it ran, merged
 * into the trial's params as if trial_started had listed it.
 */
export interface ParamSuggestedEvent {
  event: 'param_suggested';
  trial: number;
  name: string;
  value: ParamValue;
  /** The distribution it was drawn from (src/space/distributions.ts), for readers that plot or re-check it. */
  distribution: unknown;
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
  /**
   * The trial did not get to run to its end through no fault of its own (its
   * worker was lost, handed it back, or refused it): like an interrupted
   * trial, it does not count toward the budget and is run again (retry_of).
   */
  requeued?: boolean;
  /** Why a trial was stopped from outside, e.g. `stopped from the dashboard` (a pruned trial has no error). */
  reason?: string;
}

export interface ControllerEvent {
  event: 'controller_started' | 'controller_stopped';
  pid: number;
  host: string;
  reason?: string;
  /** controller_started: the budget this run of the controller works toward. */
  budget?: { trials: number; time_s: number | null };
  /** controller_started of a distributed sweep: the Redis it dispatches through, without credentials. */
  queue?: string;
}

/**
 * An action asked of the running controller through the study's control
 * channel (src/study/control.ts: the dashboard), journalled when the
 * controller applies it, or with `refused` saying why it could not.
 */
export interface ControlActionEvent {
  event: 'control_action';
  action: 'stop_trial' | 'stop_study' | 'enqueue_trial' | 'set_budget';
  /** The request's id in control.jsonl, and who asked (`dashboard`). */
  id: string;
  source: string;
  trial?: number;
  params?: Params;
  /** set_budget: the new trial budget. */
  budget?: number;
  refused?: string;
}

export type JournalEvent =
  | StudyCreatedEvent
  | TrialStartedEvent
  | ParamSuggestedEvent
  | IntermediateEvent
  | TrialFinishedEvent
  | TrialAssignedEvent
  | ResultIgnoredEvent
  | WorkerEvent
  | ControllerEvent
  | ControlActionEvent;

/** What a line looks like on disk: the event plus pino's timestamp. */
export type JournalLine = JournalEvent & { time: string };
