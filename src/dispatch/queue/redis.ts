// Connections to the Redis of a distributed sweep: long-lived ones that
// reconnect for ever, and a one-shot check that fails fast with one line.
import { Redis, type RedisOptions } from 'ioredis';

import { Errors } from '../../errors.js';
import type { QueueAddress } from './address.js';
import { ADD_IF_EXISTS } from './protocol.js';

export type { QueueAddress } from './address.js';

/**
 * A long-lived connection: reconnects for ever (1 s, then up to 2 s between
 * tries), and queues commands while disconnected instead of failing them, as
 * BullMQ requires (maxRetriesPerRequest: null).
 */
export function connect(address: QueueAddress, name: string, extra: RedisOptions = {}): Redis {
  return new Redis({
    ...address.options,
    ...extra,
    connectionName: name,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(250 * times, 2000),
    // A connection attempt into a partition hangs (its SYNs are dropped): give up and try again
    // soon, so that the first attempt after the network heals gets through.
    connectTimeout: 3000,
    // Silent partitions of an established connection are the worker's watchdog's job
    // (worker-service.ts): TCP keep-alive probes would take minutes with the kernel's defaults.
    keepAlive: 1000,
  });
}

/** A command connection, with our one hot script loaded (EVALSHA, not the script's text each time). */
export interface CommandRedis extends Redis {
  /** XADD KEYS[1] * m message [MAXLEN ~ maxlen] if the stream exists; null (dropped) when it does not. */
  addIfExists(stream: string, message: string, maxlen?: string): Promise<string | null>;
}

/**
 * The connection for commands (not for blocking reads): commands issued in
 * the same tick go out in one write (auto-pipelining), which is what a
 * controller answering many workers at once needs.
 */
export function commandConnection(address: QueueAddress, name: string): CommandRedis {
  const redis = connect(address, name, { enableAutoPipelining: true });
  redis.defineCommand('addIfExists', { numberOfKeys: 1, lua: ADD_IF_EXISTS });
  return redis as CommandRedis;
}

export interface RedisCheck {
  /** maxmemory-policy, or null when the user may not read the config (ACL). */
  maxmemoryPolicy: string | null;
  version: string | null;
}

/**
 * Connects once, failing fast with one clear line (host and port shown, never
 * the password): unreachable, refused credentials, TLS trouble. Run before a
 * sweep writes anything to its journal, and when a worker starts.
 */
export async function checkRedis(address: QueueAddress, timeoutMs = 5000): Promise<RedisCheck> {
  const probe = new Redis({
    ...address.options,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    // disconnect() on a socket that already failed would keep a 2 s timer alive (and the process, after its error line).
    disconnectTimeout: 0,
  });
  // connect() rejects with a bare "Connection is closed." once ioredis gives up: the cause
  // (refused, wrong password, certificate) is the error event before it.
  let cause: unknown = null;
  probe.on('error', (err: unknown) => (cause ??= err));
  try {
    await probe.connect();
    await probe.ping();
    let maxmemoryPolicy: string | null = null;
    try {
      const reply = (await probe.call('CONFIG', 'GET', 'maxmemory-policy')) as string[];
      maxmemoryPolicy = reply[1] ?? null;
    } catch {
      // CONFIG may be forbidden to this ACL user, or renamed: say we could not check.
    }
    const info = await probe.info('server').catch(() => '');
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? null;
    return { maxmemoryPolicy, version };
  } catch (err) {
    throw Errors.queueUnreachable(address.shown, explain(cause ?? err));
  } finally {
    probe.disconnect();
  }
}

function explain(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: string } | null)?.code;
  if (/WRONGPASS|invalid username-password/i.test(message)) return 'the user name or password was refused';
  if (/NOAUTH/i.test(message)) return 'Redis requires a password: put it in the URL, redis://:PASSWORD@host:port';
  if (/NOPERM/i.test(message)) return `the Redis user lacks a permission (${message.split('\n')[0]})`;
  if (code === 'ECONNREFUSED') return 'connection refused (is redis-server running there?)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'unknown host';
  if (code === 'ETIMEDOUT' || /timed? ?out/i.test(message)) return 'no answer (timed out)';
  if (code && TLS_TRUST.has(code)) {
    return `TLS: ${message.split('\n')[0]} (a private CA is trusted with NODE_EXTRA_CA_CERTS=/path/to/ca.pem)`;
  }
  // Never echo a message that might quote the URL: ioredis's do not, but keep it to one line.
  return message.split('\n')[0]!.replace(/\/\/[^/@\s]*@/g, '//***@');
}

/** Certificate errors of Node's TLS that a CA the client does not know causes. */
const TLS_TRUST = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);
