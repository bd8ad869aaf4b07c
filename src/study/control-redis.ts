// The control channel through Redis, for distributed sweeps (`sweep --queue`):
// the dashboard may run on another machine than the controller, and both
// reach the queue's Redis. One stream per study, under the queue's keys
// (`hypersweep:study:<study key>:control`, the study key as the queue names
// it: protocol.ts studyKey), one entry per request (field `r`: the request as
// JSON, as a line of control.jsonl). The controller reads it with a blocking
// XREAD from the entries after the last one there when it starts (a request
// is for the controller running when it is sent, as with the file), and
// deletes the stream when it stops, leaving nothing of the study in Redis.
//
// The journal stays single-writer: the controller journals each request it
// applies (or refuses) as a control_action, whichever transport brought it.
import type { Redis } from 'ioredis';

import type { QueueAddress } from '../dispatch/queue/address.js';
import { BULL_PREFIX, studyKey } from '../dispatch/queue/protocol.js';
import { connect } from '../dispatch/queue/redis.js';
import { newControlRequest, parseControlRequest, type ControlTransport } from './control.js';

/** The study's key in the queue's Redis (name + a hash of its creation time), as the queue names it. */
export { studyKey };

/** Entries kept at most (XADD MAXLEN ~): requests are few; a stream never grows without bound. */
const MAX_ENTRIES = 1000;
/** A stream left by a controller that died before deleting it expires (s). */
const TTL_S = 7 * 24 * 3600;

export interface RedisControlOptions {
  /** Key prefix (default: the queue's, `hypersweep`); tests use their own. */
  prefix?: string;
  /** How long one blocking read waits before it reads again (ms). */
  blockMs?: number;
}

export function controlStreamKey(studyKey: string, prefix = BULL_PREFIX): string {
  return `${prefix}:study:${studyKey}:control`;
}

export interface RedisControlTransport extends ControlTransport {
  /** Closes the connection `send` opened, if any. */
  close(): Promise<void>;
}

/** The study's control stream in the queue's Redis; `studyKey` as protocol.ts studyKey(name, created time) makes it. */
export function redisControl(address: QueueAddress, studyKey: string, options: RedisControlOptions = {}): RedisControlTransport {
  const stream = controlStreamKey(studyKey, options.prefix);
  let sender: Redis | null = null;
  return {
    where: `${address.shown} stream ${stream}`,
    async send(ask, source) {
      // Fails after a few tries rather than queueing for ever: the dashboard answers the click.
      sender ??= connect(address, 'hypersweep-dashboard-control', { maxRetriesPerRequest: 2 });
      const request = newControlRequest(ask, source);
      await sender.multi().xadd(stream, 'MAXLEN', '~', String(MAX_ENTRIES), '*', 'r', JSON.stringify(request)).expire(stream, TTL_S).exec();
      return request;
    },
    follow(onRequest, onProblem) {
      // A connection of its own: a blocking read holds it.
      const reader = connect(address, `hypersweep-control-${studyKey}`);
      let closed = false;
      const loop = (async () => {
        const newest = await reader.xrevrange(stream, '+', '-', 'COUNT', 1);
        let last = newest[0]?.[0] ?? '0-0';
        while (!closed) {
          let got: Array<[string, Array<[string, string[]]>]> | null;
          try {
            got = (await reader.xread('BLOCK', options.blockMs ?? 1000, 'STREAMS', stream, last)) as typeof got;
          } catch (error) {
            if (closed) break;
            onProblem(`${address.shown} stream ${stream}: ${(error as Error).message}`);
            await new Promise((r) => setTimeout(r, 1000));
            continue;
          }
          for (const [id, fields] of got?.[0]?.[1] ?? []) {
            last = id;
            const text = fields[fields.indexOf('r') + 1];
            let value: unknown;
            try {
              value = JSON.parse(text ?? '');
            } catch {
              onProblem(`${address.shown} stream ${stream}: entry ${id}: not valid JSON; ignored`);
              continue;
            }
            const request = parseControlRequest(value);
            if (typeof request === 'string') onProblem(`${address.shown} stream ${stream}: entry ${id}: ${request}; ignored`);
            else onRequest(request);
          }
        }
      })().catch((error: unknown) => {
        if (!closed) onProblem(`${address.shown} stream ${stream}: ${(error as Error).message}; no longer followed`);
      });
      return {
        close: async () => {
          closed = true;
          reader.disconnect(); // ends the blocking read at once
          await loop;
          // What is left was for this controller: nothing of the study stays in Redis.
          // Bounded: a controller whose Redis is gone must not wait on it to exit (the stream then expires).
          const cleaner = connect(address, 'hypersweep-control-cleanup', { maxRetriesPerRequest: 1 });
          let timer: NodeJS.Timeout | undefined;
          try {
            await Promise.race([
              cleaner.del(stream),
              new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('no answer in 2 s')), 2000))),
            ]);
          } catch (error) {
            onProblem(`${address.shown} stream ${stream}: could not delete it (${(error as Error).message}); it expires in ${TTL_S / 86400} days`);
          } finally {
            clearTimeout(timer);
            cleaner.disconnect();
          }
        },
      };
    },
    async close() {
      await sender?.quit().catch(() => sender?.disconnect());
      sender = null;
    },
  };
}
