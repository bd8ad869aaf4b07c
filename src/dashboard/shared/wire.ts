// The study snapshot as it travels to the page: columnar. A 50,000-trial study
// as an array of trial objects is 13.7 MiB of JSON that the page must parse
// key by key; here each field is one array (numbers, or small codes into a
// table of strings written once), times are milliseconds from one base, the
// fields most trials leave at their defaults travel only for the trials that
// set them, and only the learning curves the page draws travel at all (the
// rest stay on the server: a trial's page asks for its own).
//
// Pure (no Node, no DOM): the server encodes with it, the page decodes with it.
import type { ParamValue, Params } from '../../study/events.js';
import type { DashState, DashTrial, StudySnapshot } from './fold.js';

/** State codes: an index into this list. */
export const WIRE_STATES: readonly DashState[] = ['running', 'complete', 'pruned', 'failed'];

/** A param's column: numbers (null where a trial lacks it), or codes into the values it takes (-1: lacks it). */
export type WireParam = { num: Array<number | null> } | { values: ParamValue[]; codes: number[] };

/** Fields most trials leave at their defaults: only the trials that set them, by row. */
export interface WireRare {
  row: number;
  host?: number;
  retryOf?: number;
  userGiven?: true;
  reason?: number;
  requeued?: true;
}

export interface WireTrials {
  count: number;
  /** Every string of the columns below, once (workers, hosts, reasons, samplers). */
  strings: string[];
  n: number[];
  state: number[];
  value: Array<number | null>;
  seed: number[];
  worker: number[];
  /** -1: unknown (an older journal). */
  sampler: number[];
  durationS: Array<number | null>;
  /** Milliseconds after `timeBase` (null: unknown; finishedAt: null while running). */
  timeBase: number;
  startedAt: Array<number | null>;
  finishedAt: Array<number | null>;
  params: Record<string, WireParam>;
  rare: WireRare[];
  /** Learning curves of the trials that carry one: [row, flat steps and values]. */
  curves: Array<[number, number[]]>;
}

export type WireSnapshot = Omit<StudySnapshot, 'trials'> & { columns: WireTrials; controllerActive?: boolean };

class Interner {
  readonly list: string[] = [];
  private readonly index = new Map<string, number>();
  code(s: string): number {
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.list.length;
      this.list.push(s);
      this.index.set(s, i);
    }
    return i;
  }
}

/** The trials in columns; `keepCurve(t)`: whether its learning curve travels. */
export function encodeTrials(trials: readonly DashTrial[], keepCurve: (t: DashTrial) => boolean): WireTrials {
  const strings = new Interner();
  const count = trials.length;
  let timeBase = Infinity;
  for (const t of trials) if (t.startedAt !== null && t.startedAt < timeBase) timeBase = t.startedAt;
  if (!Number.isFinite(timeBase)) timeBase = 0;
  const out: WireTrials = {
    count,
    strings: strings.list,
    n: new Array<number>(count),
    state: new Array<number>(count),
    value: new Array<number | null>(count),
    seed: new Array<number>(count),
    worker: new Array<number>(count),
    sampler: new Array<number>(count),
    durationS: new Array<number | null>(count),
    timeBase,
    startedAt: new Array<number | null>(count),
    finishedAt: new Array<number | null>(count),
    params: {},
    rare: [],
    curves: [],
  };
  const names: string[] = [];
  const seen = new Set<string>();
  for (const t of trials) {
    for (const k in t.params) {
      if (!seen.has(k)) {
        seen.add(k);
        names.push(k);
      }
    }
  }
  for (const name of names) {
    const numeric = trials.every((t) => t.params[name] === undefined || typeof t.params[name] === 'number');
    if (numeric) {
      out.params[name] = { num: trials.map((t) => (t.params[name] as number | undefined) ?? null) };
    } else {
      const values: ParamValue[] = [];
      const index = new Map<ParamValue, number>();
      const codes = trials.map((t) => {
        const v = t.params[name];
        if (v === undefined) return -1;
        let c = index.get(v);
        if (c === undefined) {
          c = values.length;
          values.push(v);
          index.set(v, c);
        }
        return c;
      });
      out.params[name] = { values, codes };
    }
  }
  for (let i = 0; i < count; i++) {
    const t = trials[i]!;
    out.n[i] = t.n;
    out.state[i] = WIRE_STATES.indexOf(t.state);
    out.value[i] = t.value;
    out.seed[i] = t.seed;
    out.worker[i] = strings.code(t.worker);
    out.sampler[i] = t.sampler === null ? -1 : strings.code(t.sampler);
    out.durationS[i] = t.durationS;
    out.startedAt[i] = t.startedAt === null ? null : t.startedAt - timeBase;
    out.finishedAt[i] = t.finishedAt === null ? null : t.finishedAt - timeBase;
    const rare: WireRare = { row: i };
    if (t.host !== null) rare.host = strings.code(t.host);
    if (t.retryOf !== null) rare.retryOf = t.retryOf;
    if (t.userGiven) rare.userGiven = true;
    if (t.reason !== null) rare.reason = strings.code(t.reason);
    if (t.requeued) rare.requeued = true;
    if (Object.keys(rare).length > 1) out.rare.push(rare);
    if (t.curve.length && keepCurve(t)) out.curves.push([i, t.curve.flat()]);
  }
  return out;
}

/** The trials back as the fold holds them (curves left on the server are empty). */
export function decodeTrials(w: WireTrials): DashTrial[] {
  const time = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : w.timeBase + ms);
  const columns = Object.entries(w.params);
  const trials = new Array<DashTrial>(w.count);
  for (let i = 0; i < w.count; i++) {
    const params: Params = {};
    for (const [name, col] of columns) {
      if ('num' in col) {
        const v = col.num[i];
        if (v !== null && v !== undefined) params[name] = v;
      } else {
        const c = col.codes[i]!;
        if (c >= 0) params[name] = col.values[c]!;
      }
    }
    const sampler = w.sampler[i]!;
    trials[i] = {
      n: w.n[i]!,
      state: WIRE_STATES[w.state[i]!]!,
      params,
      value: w.value[i] ?? null,
      seed: w.seed[i]!,
      worker: w.strings[w.worker[i]!]!,
      sampler: sampler < 0 ? null : w.strings[sampler]!,
      host: null,
      retryOf: null,
      userGiven: false,
      reason: null,
      requeued: false,
      durationS: w.durationS[i] ?? null,
      startedAt: time(w.startedAt[i]),
      finishedAt: time(w.finishedAt[i]),
      curve: [],
    };
  }
  for (const r of w.rare) {
    const t = trials[r.row]!;
    if (r.host !== undefined) t.host = w.strings[r.host]!;
    if (r.retryOf !== undefined) t.retryOf = r.retryOf;
    if (r.userGiven) t.userGiven = true;
    if (r.reason !== undefined) t.reason = w.strings[r.reason]!;
    if (r.requeued) t.requeued = true;
  }
  for (const [row, flat] of w.curves) {
    const curve: Array<[number, number]> = [];
    for (let k = 0; k + 1 < flat.length; k += 2) curve.push([flat[k]!, flat[k + 1]!]);
    trials[row]!.curve = curve;
  }
  return trials;
}
