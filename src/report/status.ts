// `hypersweep status <study>` as data: budget, counts, best so far, sampler,
// how long it has run and who holds it now. Journal and lock file only.
import fs from 'node:fs';
import path from 'node:path';

import { Errors } from '../errors.js';
import type { JournalLine, Params } from '../study/events.js';
import { readJournal } from '../study/journal-reader.js';
import { isStudyLocked, readLockHolder, type LockHolder } from '../study/lock.js';
import { JOURNAL_FILE, studyDir } from '../study/layout.js';
import { bestTrial, countByState, countsTowardBudget, foldJournal, type StudyState } from '../study/state.js';

export interface StudyStatus {
  study: string;
  metric: string;
  direction: 'maximize' | 'minimize';
  sampler: string;
  seed: number;
  /**
   * Trials and seconds the study runs to. `source` says where the numbers come
   * from: the last controller's own budget when its journal event records one
   * (a --trials override), else the space file's.
   */
  budget: { trials: number; time_s: number | null; source: 'controller' | 'space file' };
  /** Trials that count toward the budget (interrupted ones are run again and do not). */
  done: number;
  counts: { running: number; complete: number; pruned: number; failed: number };
  best: { trial: number; value: number; params: Params } | null;
  created: string;
  last_event: string;
  /** Seconds from the first event of the journal to its last. */
  elapsed_s: number;
  controller: { active: boolean; holder: LockHolder | null };
  /** A distributed sweep's Redis (without credentials), from the last controller's start; null for a local sweep. */
  queue: string | null;
  /** Worker processes of a distributed sweep: connected ones first, each with the trials it runs now. */
  workers: Array<{ name: string; host: string; pid: number; slots: number; connected: boolean; since: string; reason: string | null; running: number[] }>;
  hypersweep_version: string;
  journal: string;
}

function budgetOf(events: readonly JournalLine[], state: StudyState): StudyStatus['budget'] {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.event !== 'controller_started') continue;
    // Not in the journal format yet: recorded once the controller writes it (see the report to the lead).
    const b = (e as { budget?: { trials?: unknown; time_s?: unknown } }).budget;
    if (b && typeof b.trials === 'number') {
      return { trials: b.trials, time_s: typeof b.time_s === 'number' ? b.time_s : null, source: 'controller' };
    }
    break;
  }
  const spec = state.created.spec as { budget?: { trials?: number; timeSeconds?: number | null } } | null;
  return { trials: spec?.budget?.trials ?? 0, time_s: spec?.budget?.timeSeconds ?? null, source: 'space file' };
}

function queueOf(events: readonly JournalLine[]): string | null {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.event === 'controller_started') return e.queue ?? null;
  }
  return null;
}

export async function studyStatus(resultsDir: string, name: string): Promise<StudyStatus> {
  const dir = studyDir(resultsDir, name);
  const file = path.join(dir, JOURNAL_FILE);
  if (!fs.existsSync(file)) throw Errors.studyNotFound(name, resultsDir);
  const { events } = readJournal(file);
  const state = foldJournal(events);
  const created = state.created;
  const best = bestTrial(state.trials, created.direction);
  const last = events[events.length - 1]!;
  const active = await isStudyLocked(dir);
  return {
    study: name,
    metric: created.metric,
    direction: created.direction,
    sampler: created.sampler_choice ? `${created.sampler} → ${created.sampler_choice.sampler}: ${created.sampler_choice.reason}` : created.sampler,
    seed: created.seed,
    budget: budgetOf(events, state),
    done: state.trials.filter((t) => t.state !== 'running' && countsTowardBudget(t)).length,
    counts: countByState(state.trials),
    best: best ? { trial: best.number, value: best.value!, params: best.params } : null,
    created: created.time,
    last_event: last.time,
    elapsed_s: (Date.parse(last.time) - Date.parse(created.time)) / 1000,
    controller: { active, holder: active ? readLockHolder(dir) : null },
    queue: queueOf(events),
    workers: state.workers
      .map((w) => ({
        ...w,
        running: state.trials.filter((t) => t.state === 'running' && t.worker === w.name && t.pid === w.pid).map((t) => t.number),
      }))
      .sort((a, b) => Number(b.connected) - Number(a.connected)),
    hypersweep_version: created.hypersweep_version,
    journal: file,
  };
}

export function formatStatus(s: StudyStatus, fmtDuration: (seconds: number) => string): string {
  const c = s.counts;
  const budget = `${s.done}/${s.budget.trials} trials` + (s.budget.time_s === null ? '' : `, time limit ${fmtDuration(s.budget.time_s)}`);
  const best = s.best
    ? `trial ${s.best.trial}  ${s.metric}=${Number(s.best.value.toPrecision(6))}  ` +
      Object.entries(s.best.params)
        .map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toPrecision(4)) : String(v)}`)
        .join(' ')
    : 'no complete trial yet';
  const holder = s.controller.holder;
  const controller = s.controller.active
    ? `running now${holder ? ` (pid ${holder.pid} on ${holder.host}, since ${holder.started})` : ''}`
    : 'none (not running)';
  return [
    `study       ${s.study}`,
    `objective   ${s.direction} ${s.metric}`,
    `sampler     ${s.sampler} (seed ${s.seed})`,
    `budget      ${budget} (${s.budget.source})`,
    `trials      ${c.complete} complete, ${c.running} ${s.controller.active || c.running === 0 ? 'running' : 'interrupted (resume runs them again)'}, ${c.pruned} pruned, ${c.failed} failed`,
    `best        ${best}`,
    `elapsed     ${fmtDuration(s.elapsed_s)} (${s.created} → ${s.last_event})`,
    `controller  ${controller}`,
    ...(s.queue ? [`queue       ${s.queue}`] : []),
    ...s.workers.map(
      (w, i) =>
        `${i === 0 ? 'workers    ' : '           '} ${w.name} (${w.host}, pid ${w.pid}, ${w.slots} slot${w.slots === 1 ? '' : 's'}): ` +
        (w.connected ? (w.running.length ? `running trial ${w.running.join(', ')}` : 'idle') : `gone (${w.reason ?? 'no heartbeat'})`),
    ),
    `journal     ${s.journal}`,
  ].join('\n') + '\n';
}
