// Leaderboards: the finished trials of one or more studies ranked by a metric,
// built from journals only (no model, no dataset, no addon), and the ranked
// view kept beside each journal in results/<study>/leaderboard.jsonl.
//
// Ordering, precisely:
// - trials with a value come first, best first for the direction; trials
//   without one (failed, or the metric was never measured) come last;
// - ties (equal values) go to the lower trial number, then the study name;
// - with --state all, complete trials come first, then pruned, then failed,
//   each group ordered as above (a pruned trial's value is the last one it
//   reported, so it is not comparable with a complete trial's);
// - running trials are never listed: they have no result yet.
import fs from 'node:fs';
import path from 'node:path';

import { Errors } from '../errors.js';
import { JOURNAL_FORMAT, type FinishedState, type Params, type ParamValue, type StudyCreatedEvent, type TrialState } from './events.js';
import { JOURNAL_FILE, studyDir } from './study.js';

export type Direction = 'maximize' | 'minimize';
export type StateFilter = FinishedState | 'all';
export const STATE_FILTERS: readonly StateFilter[] = ['complete', 'pruned', 'failed', 'all'];
export const LEADERBOARD_FILE = 'leaderboard.jsonl';

export interface LeaderboardRow {
  rank: number;
  study: string;
  trial: number;
  state: FinishedState;
  value: number | null;
  metric: string;
  direction: Direction;
  params: Params;
  /** Epochs (MLP) or intermediate values (other objectives) the trial reported. */
  epochs: number;
  duration_s: number | null;
  /** What made the trial's params (trial_started.sampler: 'tpe', 'gp (startup: random)', 'user'…); null when the journal predates it. */
  sampler: string | null;
}

export interface Leaderboard {
  metric: string;
  direction: Direction;
  rows: LeaderboardRow[];
}

/** What ranking needs of a trial; the study's TrialRecord has all of it. */
export interface RankableTrial {
  number: number;
  state: TrialState;
  params: Params;
  value: number | null;
  metrics: Record<string, unknown>;
  durationS: number | null;
  /** Only the count of intermediate values is used. */
  intermediate: { readonly length: number };
  /** What made the params; absent or null: not recorded. */
  sampler?: string | null;
}

/** What ranking needs of a study; the study's StudyState has all of it. */
export interface RankableStudy {
  created: Pick<StudyCreatedEvent, 'metric' | 'direction' | 'spec'>;
  trials: readonly RankableTrial[];
}

export interface StudyInput {
  name: string;
  state: RankableStudy;
}

export type ConditionOp = '=' | '!=' | '<' | '<=' | '>' | '>=';
export interface Condition {
  key: string;
  op: ConditionOp;
  /** The right-hand side as written. */
  text: string;
  /** The right-hand side as a number, when it is one. */
  number: number | null;
}

export interface RankOptions {
  /** Rank by this metric instead of each study's own. */
  metric?: string;
  direction?: Direction;
  state?: StateFilter;
  where?: readonly Condition[];
  top?: number;
}

/** Fields besides the parameters that --where may test. */
const ROW_FIELDS = ['trial', 'value', 'state', 'epochs', 'duration_s'] as const;

// ---------------------------------------------------------------------------
// Metrics and directions

const MINIMIZED = /(loss|error|err$|mse|mae|rmse|regret|seconds|time|duration)/i;
const MAXIMIZED = /(accuracy|acc$|auc|f1|precision|recall|r2|score|reward)/i;

/** The direction a metric's name implies, or null when it says nothing. */
export function inferDirection(metric: string): Direction | null {
  if (MINIMIZED.test(metric)) return 'minimize';
  if (MAXIMIZED.test(metric)) return 'maximize';
  return null;
}

/**
 * A trial's value of `metric`: its recorded value for the study's own metric;
 * otherwise a number in its metrics (e.g. test_accuracy), else the metric of its
 * last epoch (e.g. train_loss of an MLP trial).
 */
export function metricValue(t: RankableTrial, metric: string, studyMetric: string): number | null {
  if (metric === studyMetric) return t.value;
  const direct = t.metrics[metric];
  if (typeof direct === 'number') return Number.isFinite(direct) ? direct : null;
  const epochs = t.metrics['epochs'];
  if (Array.isArray(epochs) && epochs.length > 0) {
    const last = epochs[epochs.length - 1] as Record<string, unknown> | null;
    const v = last?.[metric];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return null;
}

/** Epochs an MLP trial ran (its per-epoch metrics), else how many intermediate values it reported. */
export function epochsRun(t: RankableTrial): number {
  const epochs = t.metrics['epochs'];
  return Array.isArray(epochs) ? epochs.length : t.intermediate.length;
}

// ---------------------------------------------------------------------------
// --where

const CONDITION = /^\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*(!=|<=|>=|=|<|>)\s*(.*?)\s*$/;

/** Parses "a=1,b<2" (conditions joined by commas, all must hold). */
export function parseWhere(raw: string): Condition[] {
  const out: Condition[] = [];
  for (const part of raw.split(',')) {
    if (part.trim() === '') throw Errors.badWhere(raw, 'empty condition');
    const m = CONDITION.exec(part);
    if (!m) throw Errors.badWhere(raw, `"${part.trim()}" is not <name><op><value>`);
    const [, key, op, text] = m as unknown as [string, string, ConditionOp, string];
    if (text === '') throw Errors.badWhere(raw, `"${part.trim()}" has no value`);
    const n = Number(text);
    const number = Number.isFinite(n) ? n : null;
    if (op !== '=' && op !== '!=' && number === null) {
      throw Errors.badWhere(raw, `"${part.trim()}": ${op} compares numbers, and ${JSON.stringify(text)} is not one`);
    }
    out.push({ key, op, text, number });
  }
  return out;
}

interface Candidate {
  row: LeaderboardRow;
  trial: RankableTrial;
}

function fieldOf({ row, trial }: Candidate, key: string): ParamValue | undefined {
  if (key in row.params) return row.params[key];
  switch (key) {
    case 'trial':
      return row.trial;
    case 'value':
      return row.value;
    case 'state':
      return row.state;
    case 'epochs':
      return epochsRun(trial);
    case 'duration_s':
      return row.duration_s;
    default:
      return undefined;
  }
}

function holds(c: Condition, v: ParamValue | undefined): boolean {
  if (v === undefined || v === null) return c.op === '!=';
  if (typeof v === 'number' && c.number !== null) {
    switch (c.op) {
      case '=':
        return v === c.number;
      case '!=':
        return v !== c.number;
      case '<':
        return v < c.number;
      case '<=':
        return v <= c.number;
      case '>':
        return v > c.number;
      case '>=':
        return v >= c.number;
    }
  }
  if (c.op === '=') return String(v) === c.text;
  if (c.op === '!=') return String(v) !== c.text;
  return false; // an ordering test on a non-number
}

function checkWhereKeys(conditions: readonly Condition[], studies: readonly StudyInput[]): void {
  const known = new Set<string>(ROW_FIELDS);
  for (const s of studies) {
    const spaceParams = (s.state.created.spec as { params?: Record<string, unknown> } | null)?.params;
    for (const name of Object.keys(spaceParams ?? {})) known.add(name);
    for (const t of s.state.trials) for (const name of Object.keys(t.params)) known.add(name);
  }
  for (const c of conditions) {
    if (!known.has(c.key)) {
      throw Errors.badWhere(`${c.key}${c.op}${c.text}`, `unknown name "${c.key}"; known: ${[...known].join(', ')}`);
    }
  }
}

// ---------------------------------------------------------------------------
// Ranking

const STATE_ORDER: Record<FinishedState, number> = { complete: 0, pruned: 1, failed: 2 };

/** Comparator: better value first, no value last, ties by trial number then study. */
function compareRows(direction: Direction, byState: boolean) {
  return (a: LeaderboardRow, b: LeaderboardRow): number => {
    if (byState && a.state !== b.state) return STATE_ORDER[a.state] - STATE_ORDER[b.state];
    if (a.value !== b.value) {
      if (a.value === null) return 1;
      if (b.value === null) return -1;
      return direction === 'maximize' ? b.value - a.value : a.value - b.value;
    }
    if (a.trial !== b.trial) return a.trial - b.trial;
    return a.study < b.study ? -1 : a.study > b.study ? 1 : 0;
  };
}

/** The metric and direction the studies are ranked by; an error when they disagree. */
export function resolveMetric(
  studies: readonly StudyInput[],
  options: Pick<RankOptions, 'metric' | 'direction'>,
): { metric: string; direction: Direction } {
  if (options.metric !== undefined) {
    const own = studies.find((s) => s.state.created.metric === options.metric);
    const direction = options.direction ?? own?.state.created.direction ?? inferDirection(options.metric);
    if (!direction) throw Errors.metricDirectionUnknown(options.metric);
    return { metric: options.metric, direction };
  }
  const first = studies[0];
  if (!first) throw new Error('resolveMetric: no study');
  const metric = first.state.created.metric;
  const direction = options.direction ?? first.state.created.direction;
  const differ = studies.some((s) => s.state.created.metric !== metric || s.state.created.direction !== first.state.created.direction);
  if (differ) {
    throw Errors.metricsDiffer(
      studies.map((s) => ({ study: s.name, metric: s.state.created.metric, direction: s.state.created.direction })),
    );
  }
  return { metric, direction };
}

/** Ranks the finished trials of the studies (see the ordering at the top of the file). */
export function rankStudies(studies: readonly StudyInput[], options: RankOptions = {}): Leaderboard {
  const { metric, direction } = resolveMetric(studies, options);
  const stateFilter = options.state ?? 'complete';
  const where = options.where ?? [];
  if (where.length > 0) checkWhereKeys(where, studies);
  const candidates: Candidate[] = [];
  for (const s of studies) {
    const studyMetric = s.state.created.metric;
    for (const t of s.state.trials) {
      if (t.state === 'running') continue;
      if (stateFilter !== 'all' && t.state !== stateFilter) continue;
      const row: LeaderboardRow = {
        rank: 0,
        study: s.name,
        trial: t.number,
        state: t.state,
        value: metricValue(t, metric, studyMetric),
        metric,
        direction,
        params: t.params,
        epochs: 0, // filled in for the rows kept (it may need the trial's metrics parsed)
        duration_s: t.durationS,
        sampler: t.sampler ?? null,
      };
      const candidate = { row, trial: t };
      if (where.every((c) => holds(c, fieldOf(candidate, c.key)))) candidates.push(candidate);
    }
  }
  const compare = compareRows(direction, stateFilter === 'all');
  candidates.sort((a, b) => compare(a.row, b.row));
  const kept = options.top === undefined ? candidates : candidates.slice(0, options.top);
  const rows = kept.map(({ row, trial }, i) => {
    row.rank = i + 1;
    row.epochs = epochsRun(trial);
    return row;
  });
  return { metric, direction, rows };
}

// ---------------------------------------------------------------------------
// results/<study>/leaderboard.jsonl

let tempCounter = 0;

/** Writes `content` to `file` atomically: a temp file beside it, fsync'ed, then renamed over it. */
export function writeFileAtomic(file: string, content: string | Uint8Array): void {
  const temp = `${file}.tmp-${process.pid}-${tempCounter++}`;
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  const fd = fs.openSync(temp, 'w');
  try {
    for (let at = 0; at < bytes.length; ) at += fs.writeSync(fd, bytes, at, bytes.length - at);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(temp, file);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw err;
  }
}

/** Every finished trial of the study, ranked as `--state all`. */
export function studyLeaderboard(study: string, state: RankableStudy): Leaderboard {
  return rankStudies([{ name: study, state }], { state: 'all' });
}

/**
 * Rewrites results/<study>/leaderboard.jsonl from the study's state: one JSON
 * row per finished trial (see LeaderboardRow), best first. Atomic, so a reader
 * sees the old file or the new one, never half of one. Returns the file's path.
 * Call it after every finished trial; `hypersweep leaderboard --rebuild` calls it too.
 */
export function writeLeaderboard(resultsDir: string, study: string, state: RankableStudy): string {
  const file = path.join(studyDir(resultsDir, study), LEADERBOARD_FILE);
  const rows = studyLeaderboard(study, state).rows;
  let text = '';
  for (const row of rows) text += JSON.stringify(row) + '\n';
  try {
    writeFileAtomic(file, text);
  } catch (error) {
    throw Errors.resultsUnwritable(file, error);
  }
  return file;
}

// ---------------------------------------------------------------------------
// Reading a journal for ranking, fast
//
// A 10,000-trial MLP study has ~120,000 journal lines (25 MB); parsing all of
// them costs most of the leaderboard's time. Ranking needs only the count of
// intermediate values per trial and, of a trial_finished line, the fields
// before its metrics (the per-epoch floats are the bulk of the file). So this
// reader recognises intermediate lines in the form JournalWriter writes them
// with one anchored regular expression (which also validates them), parses
// the head of each trial_finished line now and its metrics only when asked,
// and parses every other line in full. The rules are those of
// journal-reader.ts and foldJournal: a torn last line is ignored, any other
// malformed line is an error naming the file and the line.

// A JSON number as JSON.stringify writes it.
const NUM = '-?(?:0|[1-9]\\d*)(?:\\.\\d+)?(?:[eE][+-]?\\d+)?';
/** An intermediate-value line exactly as JournalWriter writes it; anything else is parsed in full. */
const INTERMEDIATE_LINE = new RegExp(
  `^\\{"time":"[0-9T:.Z+-]{1,40}","event":"intermediate","trial":(\\d{1,15}),"step":${NUM},"value":(?:${NUM}|null)\\}$`,
);

/** The trial number of an intermediate-value line in the usual form, else null. */
function intermediateTrial(line: string): number | null {
  const m = INTERMEDIATE_LINE.exec(line);
  return m ? Number(m[1]) : null;
}

/**
 * A trial read for ranking. Its metrics (the bulk of a trial_finished line:
 * per-epoch floats) are parsed from the line only when asked for, which
 * ranking by the study's own metric never does except for the rows shown.
 */
class ScannedTrial implements RankableTrial {
  state: TrialState = 'running';
  value: number | null = null;
  durationS: number | null = null;
  readonly intermediate = { length: 0 };
  private finishedLine: { text: string; file: string; line: number } | null = null;
  private parsedMetrics: Record<string, unknown> | null = null;

  constructor(
    readonly number: number,
    readonly params: Params,
    readonly sampler: string | null,
  ) {}

  finish(e: Record<string, unknown>, line: { text: string; file: string; line: number } | null): void {
    this.state = e['state'] as FinishedState;
    this.value = (e['value'] as number | null | undefined) ?? null;
    this.durationS = (e['duration_s'] as number | undefined) ?? null;
    const metrics = e['metrics'] as Record<string, unknown> | undefined;
    this.parsedMetrics = metrics ?? (line === null ? {} : null);
    this.finishedLine = line;
  }

  get metrics(): Record<string, unknown> {
    if (this.parsedMetrics === null) {
      const { text, file, line } = this.finishedLine!;
      try {
        this.parsedMetrics = (JSON.parse(text) as { metrics?: Record<string, unknown> }).metrics ?? {};
      } catch {
        throw Errors.journalCorruptLine(file, line, 'not valid JSON');
      }
    }
    return this.parsedMetrics;
  }
}

const METRICS_KEY = ',"metrics":';

/**
 * A trial_finished line parsed without its metrics: the fields before
 * "metrics" (event, trial, state, value, duration_s, as Study.finishTrial
 * writes them) closed with "}". Null when the line is not in that form.
 */
function finishedHead(line: string): Record<string, unknown> | null {
  const at = line.indexOf(METRICS_KEY);
  if (at < 0 || line.indexOf('"event":"trial_finished"') < 0) return null;
  try {
    const head = JSON.parse(line.slice(0, at) + '}') as Record<string, unknown>;
    return head['event'] === 'trial_finished' && 'state' in head && 'duration_s' in head ? head : null;
  } catch {
    return null;
  }
}

/** Events that hold nothing ranking needs: controllers, a distributed sweep's workers, the dashboard's actions. */
const SKIPPED_EVENTS = new Set([
  'controller_started',
  'controller_stopped',
  'trial_assigned',
  'result_ignored',
  'worker_joined',
  'worker_left',
  'worker_lost',
  'control_action',
]);
const KNOWN_EVENTS = new Set(['study_created', 'trial_started', 'param_suggested', 'intermediate', 'trial_finished', ...SKIPPED_EVENTS]);

/** A study's journal read for ranking (see above). */
export function readStudyForRanking(resultsDir: string, name: string): RankableStudy {
  const file = path.join(studyDir(resultsDir, name), JOURNAL_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw Errors.studyNotFound(name, resultsDir);
    throw Errors.journalUnreadable(file, (err as Error).message);
  }
  const lines = text.split('\n');
  const last = lines.length - 1;
  let created: (StudyCreatedEvent & { time: string }) | null = null;
  const byNumber = new Map<number, ScannedTrial>();
  const trials: ScannedTrial[] = [];
  const finish = (e: Record<string, unknown>, text: string | null, at: number) => {
    const number = e['trial'];
    if (!Number.isInteger(number)) throw Errors.journalCorruptLine(file, at, 'missing trial number');
    byNumber.get(number as number)?.finish(e, text === null ? null : { text, file, line: at });
  };
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw === '') {
      if (i !== last) throw Errors.journalCorruptLine(file, i + 1, 'empty line');
      continue;
    }
    // The last line may be torn by a crash: it always gets the full check below.
    if (created !== null && i !== last) {
      const n = intermediateTrial(raw);
      if (n !== null) {
        const t = byNumber.get(n);
        if (t) t.intermediate.length++;
        continue;
      }
      // The rest of a trial_finished line is parsed if and when its metrics are needed.
      const head = raw.charCodeAt(raw.length - 1) === 0x7d ? finishedHead(raw) : null;
      if (head !== null) {
        finish(head, raw, i + 1);
        continue;
      }
    }
    let e: Record<string, unknown>;
    try {
      e = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      if (i === last) continue; // torn by a crash mid-write
      throw Errors.journalCorruptLine(file, i + 1, 'not valid JSON');
    }
    if (typeof e !== 'object' || e === null || Array.isArray(e)) throw Errors.journalCorruptLine(file, i + 1, 'not a JSON object');
    const kind = e['event'];
    if (typeof kind !== 'string' || !KNOWN_EVENTS.has(kind)) throw Errors.journalCorruptLine(file, i + 1, `unknown event ${JSON.stringify(kind)}`);
    if (created === null) {
      if (kind !== 'study_created') throw Errors.journalCorruptLine(file, 1, `expected a study_created event, found "${kind}"`);
      created = e as unknown as StudyCreatedEvent & { time: string };
      if (created.format > JOURNAL_FORMAT) throw Errors.journalTooNew(file, created.format, JOURNAL_FORMAT, created.hypersweep_version);
      continue;
    }
    if (SKIPPED_EVENTS.has(kind) || kind === 'study_created') continue;
    const number = e['trial'];
    if (!Number.isInteger(number)) throw Errors.journalCorruptLine(file, i + 1, 'missing trial number');
    if (kind === 'trial_started') {
      const sampler = e['sampler'];
      const t = new ScannedTrial(number as number, e['params'] as Params, typeof sampler === 'string' ? sampler : null);
      byNumber.set(t.number, t);
      trials.push(t);
    } else if (kind === 'param_suggested') {
      // Define-by-run: merged into the trial's params (see journal-reader.ts / foldJournal).
      const t = byNumber.get(number as number);
      if (t) t.params[e['name'] as string] = e['value'] as ParamValue;
    } else if (kind === 'trial_finished') {
      finish(e, null, i + 1);
    } else if (kind === 'intermediate') {
      // An intermediate line not in the usual form: counted all the same.
      const t = byNumber.get(number as number);
      if (t) t.intermediate.length++;
    }
  }
  if (created === null) throw Errors.journalCorruptLine(file, 1, 'empty journal');
  return { created, trials };
}
