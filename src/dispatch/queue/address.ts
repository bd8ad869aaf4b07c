// The address of the Redis of a distributed sweep (--queue URL,
// HYPERSWEEP_QUEUE), parsed without loading any Redis client (light commands
// stay light).
//
// The URL may carry credentials (redis://user:secret@host:6379/0, rediss://
// for TLS, as ioredis supports them). They never leave the ioredis options:
// everything shown to the user, journalled or logged uses `QueueAddress.shown`,
// which is the URL without user and password.
import { isIP } from 'node:net';

import type { RedisOptions } from 'ioredis';

import { Errors } from '../../errors.js';

export interface QueueAddress {
  /** ioredis options (credentials included: never print these). */
  options: RedisOptions;
  /** redis[s]://host:port[/db], without user and password: safe to show, journal and log. */
  shown: string;
}

/** Parses --queue / HYPERSWEEP_QUEUE; a malformed URL is a usage error that does not echo the password. */
export function parseQueueUrl(raw: string): QueueAddress {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw Errors.badQueueUrl(redactRaw(raw), 'not a URL');
  }
  const tls = url.protocol === 'rediss:';
  if (url.protocol !== 'redis:' && !tls) throw Errors.badQueueUrl(redactRaw(raw), 'the scheme must be redis:// or rediss:// (TLS)');
  if (!url.hostname) throw Errors.badQueueUrl(redactRaw(raw), 'no host');
  const port = url.port === '' ? 6379 : Number(url.port);
  const dbText = url.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) throw Errors.badQueueUrl(redactRaw(raw), `the database "${dbText}" is not a number`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const options: RedisOptions = {
    host,
    port,
    db,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    // SNI carries host names only: Node warns (DEP0123) when it is given an IP address.
    ...(tls ? { tls: isIP(host) ? {} : { servername: host } } : {}),
  };
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return { options, shown: `${url.protocol}//${shownHost}:${port}${db ? `/${db}` : ''}` };
}

/** A URL that did not parse, with anything between '//' and '@' hidden. */
function redactRaw(raw: string): string {
  return raw.replace(/\/\/[^/@]*@/, '//***@');
}
