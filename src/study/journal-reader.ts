// Reads a study journal back into events, tolerating exactly one kind of damage:
// a torn last line (a crash in the middle of a write). Anything else malformed is
// an error naming the file and the line, because silently skipping a finished
// trial would lose it.
import fs from 'node:fs';

import { Errors } from '../errors.js';
import { JOURNAL_FORMAT, type JournalLine } from './events.js';

export interface JournalReadResult {
  events: JournalLine[];
  /** Set when the last line was torn and ignored. */
  tornLastLine: { line: number; text: string } | null;
}

const KNOWN_EVENTS = new Set([
  'study_created',
  'trial_started',
  'param_suggested',
  'intermediate',
  'trial_finished',
  'trial_assigned',
  'result_ignored',
  'worker_joined',
  'worker_left',
  'worker_lost',
  'controller_started',
  'controller_stopped',
  'control_action',
]);

/** Events about one trial: they carry its number. */
const TRIAL_EVENTS = new Set(['trial_started', 'param_suggested', 'intermediate', 'trial_finished', 'trial_assigned', 'result_ignored']);

export function readJournal(file: string): JournalReadResult {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw Errors.journalUnreadable(file, (err as Error).message);
  }
  const lines = text.split('\n');
  // A journal that ends cleanly ends with '\n', so the final piece is empty.
  const lastIndex = lines.length - 1;
  const events: JournalLine[] = [];
  let tornLastLine: JournalReadResult['tornLastLine'] = null;

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    if (raw === '') {
      if (i !== lastIndex) throw Errors.journalCorruptLine(file, i + 1, 'empty line');
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      if (i === lastIndex) {
        // No newline after it: the write never completed.
        tornLastLine = { line: i + 1, text: raw.slice(0, 80) };
        continue;
      }
      throw Errors.journalCorruptLine(file, i + 1, 'not valid JSON');
    }
    // A journal written by a newer hypersweep says so on its first line: refuse it there,
    // before its later lines fail as events this version does not know.
    if (i === 0) refuseTooNew(parsed, file);
    const event = checkEvent(parsed, file, i + 1);
    if (i === lastIndex) {
      // A complete JSON object without its newline: keep it (the newline is the
      // last byte pino writes, so the object itself was fully written).
    }
    events.push(event);
  }

  const first = events[0];
  if (first && first.event !== 'study_created') {
    throw Errors.journalCorruptLine(file, 1, `expected a study_created event, found "${first.event}"`);
  }
  return { events, tornLastLine };
}

function refuseTooNew(value: unknown, file: string): void {
  if (typeof value !== 'object' || value === null) return;
  const { event, format, hypersweep_version: version } = value as { event?: unknown; format?: unknown; hypersweep_version?: unknown };
  if (event === 'study_created' && typeof format === 'number' && format > JOURNAL_FORMAT) {
    throw Errors.journalTooNew(file, format, JOURNAL_FORMAT, typeof version === 'string' ? version : 'unknown');
  }
}

function checkEvent(value: unknown, file: string, line: number): JournalLine {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw Errors.journalCorruptLine(file, line, 'not a JSON object');
  }
  const kind = (value as { event?: unknown }).event;
  if (typeof kind !== 'string' || !KNOWN_EVENTS.has(kind)) {
    throw Errors.journalCorruptLine(file, line, `unknown event ${JSON.stringify(kind)}`);
  }
  if (TRIAL_EVENTS.has(kind)) {
    const trial = (value as { trial?: unknown }).trial;
    if (!Number.isInteger(trial)) throw Errors.journalCorruptLine(file, line, 'missing trial number');
  }
  return value as JournalLine;
}
