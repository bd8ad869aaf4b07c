// The control channel of a running study: requests of whoever wants
// something of the controller (the dashboard), followed by the controller
// while it runs. One interface (ControlTransport), two transports: this file's,
// results/<study>/control.jsonl, one JSON request per line (the default); and
// a Redis stream per study for distributed sweeps (control-redis.ts), where
// the dashboard may run on another machine than the controller.
//
// The journal stays single-writer: a request is only a wish until the
// controller applies it and journals a `control_action` event (or journals it
// refused, saying why). Requests written while no controller runs are not
// applied later: a controller follows the file from its length when it starts.
// The file lives in the study folder, which a distributed sweep's controller
// shares with the dashboard, so it serves those too.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import type { Params } from './events.js';
import { LineTail } from './line-tail.js';

export const CONTROL_FILE = 'control.jsonl';

/** Why a trial stopped from the dashboard is recorded pruned. */
export const STOPPED_FROM_DASHBOARD = 'stopped from the dashboard';

export type ControlAsk =
  | { action: 'stop_trial'; trial: number }
  | { action: 'stop_study' }
  | { action: 'enqueue_trial'; params: Params }
  | { action: 'set_budget'; budget: number };

export type ControlRequest = ControlAsk & { id: string; time: string; source: string };

const ACTIONS = new Set(['stop_trial', 'stop_study', 'enqueue_trial', 'set_budget']);

/** Checks the shape of a request (from the file, or from an HTTP body); returns what is wrong, or the ask. */
export function parseControlAsk(value: unknown): ControlAsk | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'a request is a JSON object';
  const v = value as Record<string, unknown>;
  if (typeof v.action !== 'string' || !ACTIONS.has(v.action)) {
    return `unknown action ${JSON.stringify(v.action)} (one of ${[...ACTIONS].join(', ')})`;
  }
  switch (v.action) {
    case 'stop_trial':
      if (!Number.isInteger(v.trial) || (v.trial as number) < 0) return 'stop_trial needs "trial": a trial number';
      return { action: 'stop_trial', trial: v.trial as number };
    case 'stop_study':
      return { action: 'stop_study' };
    case 'enqueue_trial': {
      const p = v.params;
      if (typeof p !== 'object' || p === null || Array.isArray(p)) return 'enqueue_trial needs "params": an object of name: value';
      for (const [k, x] of Object.entries(p)) {
        if (!['number', 'string', 'boolean'].includes(typeof x) || (typeof x === 'number' && !Number.isFinite(x))) {
          return `enqueue_trial: param ${k} must be a finite number, a string or a boolean`;
        }
      }
      return { action: 'enqueue_trial', params: p as Params };
    }
    default: {
      if (!Number.isInteger(v.budget) || (v.budget as number) < 1) return 'set_budget needs "budget": a whole number of trials, at least 1';
      return { action: 'set_budget', budget: v.budget as number };
    }
  }
}

/** Appends a request for the study's controller (one write of one line); returns it with its id. */
export function appendControlRequest(studyDir: string, ask: ControlAsk, source = 'dashboard'): ControlRequest {
  const request = newControlRequest(ask, source);
  fs.appendFileSync(path.join(studyDir, CONTROL_FILE), `${JSON.stringify(request)}\n`);
  return request;
}

export interface ControlWatch {
  /** Reads what has been appended now (the controller also reads on its own). */
  poll(): void;
  close(): void;
}

/** A way for requests to reach a study's controller: sent by the dashboard, followed by the controller. */
export interface ControlTransport {
  /** Where requests go, for messages ("results/s/control.jsonl", "redis://host:6379 stream …"). */
  readonly where: string;
  /** Sends one request; resolves once it is stored where the controller reads. */
  send(ask: ControlAsk, source: string): Promise<ControlRequest>;
  /** Follows requests sent from now on (not those sent before: a request is for the controller running when it is sent). */
  follow(onRequest: (request: ControlRequest) => void, onProblem: (message: string) => void): { close(): Promise<void> };
}

/** A request read back from a transport: checked as an HTTP body is, with its id; or what is wrong with it. */
export function parseControlRequest(value: unknown): ControlRequest | string {
  const ask = parseControlAsk(value);
  if (typeof ask === 'string') return ask;
  const v = value as Record<string, unknown>;
  if (typeof v.id !== 'string') return 'no "id"';
  return { ...ask, id: v.id, time: typeof v.time === 'string' ? v.time : '', source: typeof v.source === 'string' ? v.source : 'unknown' };
}

export function newControlRequest(ask: ControlAsk, source: string): ControlRequest {
  return { ...ask, id: randomUUID(), time: new Date().toISOString(), source };
}

/** The study folder's control file as a transport. */
export function fileControl(studyDir: string, options: { pollMs?: number } = {}): ControlTransport {
  return {
    where: path.join(studyDir, CONTROL_FILE),
    send: async (ask, source) => appendControlRequest(studyDir, ask, source),
    follow: (onRequest, onProblem) => {
      const watch = watchControl(studyDir, onRequest, onProblem, options);
      return { close: async () => watch.close() };
    },
  };
}

/**
 * Follows the study's control file from its current end: each well-formed
 * request goes to `onRequest`, anything else to `onProblem` (a line the
 * controller cannot read is reported, never applied).
 */
export function watchControl(
  studyDir: string,
  onRequest: (request: ControlRequest) => void,
  onProblem: (message: string) => void = () => {},
  options: { pollMs?: number } = {},
): ControlWatch {
  const file = path.join(studyDir, CONTROL_FILE);
  const tail = new LineTail(
    file,
    (lines) => {
      for (const line of lines) {
        let value: unknown;
        try {
          value = JSON.parse(line.text);
        } catch {
          onProblem(`${file}: byte ${line.start}: not valid JSON; ignored`);
          continue;
        }
        const request = parseControlRequest(value);
        if (typeof request === 'string') {
          onProblem(`${file}: byte ${line.start}: ${request}; ignored`);
          continue;
        }
        onRequest(request);
      }
    },
    { pollMs: options.pollMs ?? 250 },
    (error) => onProblem(`${file}: ${error.message}`),
  );
  return { poll: () => tail.poke(), close: () => tail.close() };
}
