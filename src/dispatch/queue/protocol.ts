// What a distributed sweep keeps in Redis, and the messages that cross it.
//
// - One BullMQ queue per study (`trials-<study key>`, prefix `hypersweep`):
//   one job per trial attempt, id `t<trial number>` (a retry is a new trial
//   number, so a new job), `attempts: 1`. BullMQ gives the at-least-once
//   hand-out, the job locks and the stalled-job check; the controller owns
//   retries and journals each attempt.
// - The study's description (StudyInfo: space, objective code, runtime,
//   identity), refreshed by the controller every heartbeat: workers read it
//   once per study. A Redis restart loses it; the next heartbeat restores it.
// - Streams for what BullMQ does not carry: worker -> controller (the study's
//   inbox: started, report, result, requeue) and controller -> worker (each
//   worker's inbox: prune answers, stop, ack). A result stays in its worker's
//   outbox, and is sent again after a reconnect, until the controller acks it:
//   the controller journals the first terminal record of a trial and ignores
//   (and records) any later one.
// - Worker heartbeats: a key per worker with a beat counter; the controller
//   presumes a worker lost when its counter has not moved for --lost-after.
import { createHash } from 'node:crypto';

import { z } from 'zod';

import type { TrialResult } from '../protocol.js';

export const BULL_PREFIX = 'hypersweep';

export const keys = {
  /** Set of the study keys being dispatched now. */
  studies: 'hypersweep:studies',
  studyInfo: (study: string) => `hypersweep:study:${study}:info`,
  studyInbox: (study: string) => `hypersweep:study:${study}:inbox`,
  workers: 'hypersweep:workers',
  worker: (id: string) => `hypersweep:worker:${id}`,
  workerInbox: (id: string) => `hypersweep:worker:${id}:inbox`,
};

export function queueName(studyKey: string): string {
  return `trials-${studyKey}`;
}

/** Job ids: never all digits and without ':' (BullMQ's rules). */
export function jobId(trial: number): string {
  return `t${trial}`;
}

/**
 * A study's key in Redis: its name plus a hash of its creation, so that a
 * study made again under the same name (--force-new) never meets the old
 * one's jobs.
 */
export function studyKey(name: string, createdAt: string): string {
  return `${name}-${createHash('sha256').update(`${name}\n${createdAt}`).digest('hex').slice(0, 8)}`;
}

/** Timings of a distributed sweep (--lost-after; heartbeats). */
export interface QueueTimings {
  heartbeatMs: number;
  /** A worker whose heartbeat has not moved for this long is presumed lost. */
  lostAfterMs: number;
}
export const DEFAULT_TIMINGS: QueueTimings = { heartbeatMs: 1000, lostAfterMs: 15_000 };
/** BullMQ's own lock and stalled check: the backstop for a worker that died between taking a job and saying so. */
export const JOB_LOCK_MS = 30_000;
export const STALLED_INTERVAL_MS = 15_000;

const scalar = z.union([z.number(), z.string(), z.boolean(), z.null()]);

/** What must match between a controller and a worker for their numbers to agree. */
export const identitySchema = z.object({
  version: z.string(),
  /** The native addon's build id, for model objectives (null otherwise). */
  build: z.string().nullable(),
  /** GEMM kernels (BuildInfo.simd) for model objectives on the cpu; null otherwise. */
  simd: z.string().nullable(),
});
export type Identity = z.infer<typeof identitySchema>;

export const studyInfoSchema = z.object({
  key: z.string(),
  name: z.string(),
  queue: z.string(),
  controller: z.object({ host: z.string(), pid: z.number(), since: z.string() }),
  identity: identitySchema,
  /** The validated study spec (src/space/spec.ts), as the controller's journal holds it. */
  spec: z.record(z.string(), z.unknown()),
  /** A module objective's source, checked by hash on the worker. */
  code: z
    .object({ module: z.string(), path: z.string(), sha256: z.string(), source: z.string() })
    .nullable(),
  runtime: z.object({
    device: z.enum(['auto', 'cpu', 'cuda']),
    engine: z.string().nullable(),
    saveWeights: z.boolean(),
  }),
});
export type StudyInfo = z.infer<typeof studyInfoSchema>;

export const jobDataSchema = z.object({
  study: z.string(),
  trial: z.number().int().nonnegative(),
  seed: z.number().int().nonnegative(),
  params: z.record(z.string(), scalar),
});
export type JobData = z.infer<typeof jobDataSchema>;

export const workerRefSchema = z.object({ id: z.string(), name: z.string(), host: z.string(), pid: z.number() });
export type WorkerRef = z.infer<typeof workerRefSchema>;

export const heartbeatSchema = workerRefSchema.extend({
  beat: z.number(),
  slots: z.number(),
  /** Studies it is limited to (--studies), or null for any. */
  studies: z.array(z.string()).nullable(),
  running: z.array(z.object({ study: z.string(), trial: z.number() })),
  state: z.enum(['serving', 'stopping', 'gone']),
  version: z.string(),
});
export type Heartbeat = z.infer<typeof heartbeatSchema>;

/** Intermediate values may be NaN or infinite: JSON carries them as strings. */
const reportedValue = z.union([z.number(), z.string()]).transform((v) => (typeof v === 'number' ? v : Number(v)));

const errorInfoSchema = z.object({
  message: z.string(),
  code: z.string().optional(),
  hint: z.string().optional(),
  exitCode: z.union([z.literal(1), z.literal(2)]).optional(),
});
const metricsSchema = z.record(z.string(), z.unknown());
const trialResultSchema = z.object({
  outcome: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('returned'), value: z.unknown(), metrics: metricsSchema }),
    z.object({ kind: z.literal('stopped'), lastValue: z.number().nullable(), metrics: metricsSchema }),
    z.object({ kind: z.literal('threw'), error: errorInfoSchema, metrics: metricsSchema }),
  ]),
  sawStop: z.boolean(),
  threadId: z.number(),
});

export const fileSchema = z.object({ name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/), base64: z.string() });
export type ShippedFile = z.infer<typeof fileSchema>;

/** Worker -> controller, on the study's inbox stream. */
export const inboxMessageSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('started'), trial: z.number(), worker: workerRefSchema }),
  z.object({ t: z.literal('report'), trial: z.number(), seq: z.number(), step: z.number(), value: reportedValue, worker: z.string() }),
  /** ranMs: how long the trial ran on the worker (the controller keeps jobs ready ahead for short trials). */
  z.object({ t: z.literal('result'), trial: z.number(), worker: workerRefSchema, result: trialResultSchema, files: z.array(fileSchema), ranMs: z.number().optional() }),
  /** The worker could not or would not run it (refused, handed back when stopping): run it again elsewhere. */
  z.object({ t: z.literal('requeue'), trial: z.number(), worker: workerRefSchema, reason: z.string() }),
]);
export type InboxMessage = z.infer<typeof inboxMessageSchema>;
export type ResultMessage = Extract<InboxMessage, { t: 'result' }>;

/** Controller -> worker, on the worker's inbox stream. */
export const workerMessageSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('answer'), study: z.string(), trial: z.number(), seq: z.number(), prune: z.boolean() }),
  /** kill: terminate the trial's thread now (timeout grace spent, or the worker was presumed lost). */
  z.object({ t: z.literal('stop'), study: z.string(), trial: z.number(), kill: z.boolean() }),
  /** The results (and hand-backs) of these trials are journalled: the worker may forget them. Sent in batches. */
  z.object({ t: z.literal('ack'), study: z.string(), trials: z.array(z.number()) }),
]);
export type WorkerMessage = z.infer<typeof workerMessageSchema>;

/**
 * Inboxes exist only while someone reads them: the controller makes its
 * study's inbox when it opens the study (and again after a Redis restart), a
 * worker makes its own at every heartbeat; each deletes its own when it is
 * done. Messages are added only to an inbox that exists, so a late message
 * (a worker back from a partition after the study ended, an answer to a worker
 * that left) never re-creates one that nobody will delete.
 */
export const ENSURE_STREAM = `if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('XDEL', KEYS[1], redis.call('XADD', KEYS[1], '*', 'm', '{}'))
end
return 1`;
/** XADD KEYS[1] [MAXLEN ~ ARGV[2]] * m ARGV[1] if the stream exists; nil (dropped) otherwise. */
export const ADD_IF_EXISTS = `if redis.call('EXISTS', KEYS[1]) == 0 then return false end
if ARGV[2] then return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'm', ARGV[1]) end
return redis.call('XADD', KEYS[1], '*', 'm', ARGV[1])`;

/** Stream entries carry one JSON field `m`. */
export function encode(message: unknown): string {
  return JSON.stringify(message, (_key, value: unknown) =>
    typeof value === 'number' && !Number.isFinite(value) ? String(value) : value,
  );
}

/** Reads the `m` field of an XREAD entry ([id, [field, value, ...]]). */
export function entryPayload(fields: readonly string[]): unknown {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'm') {
      try {
        return JSON.parse(fields[i + 1]!) as unknown;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export type { TrialResult };
