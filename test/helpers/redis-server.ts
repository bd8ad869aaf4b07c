// A private, throw-away redis-server for tests that need to break Redis
// (restart it empty, kill it, require a password, ...). It never touches the
// shared Redis on 127.0.0.1:6379: every instance gets its own free port and
// temp dir, keeps nothing on disk, and is killed when the test process exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { processIsAlive } from '../../src/study/lock.js';

export interface RedisServerOptions {
  /** Address to bind; default 127.0.0.1 (may be a netns host-side IP, see netns.ts). */
  host?: string;
  /** Fixed port; default: a free one. */
  port?: number;
  /** Sets `requirepass` (the default user's password). */
  password?: string;
  /** An extra ACL user with all permissions. */
  user?: { name: string; password: string };
  /** Default `noeviction`. */
  maxmemoryPolicy?: string;
  /** e.g. '64mb'; default unlimited. */
  maxmemory?: string;
}

export interface RedisServer {
  host: string;
  port: number;
  /** redis://[user:pass@]host:port, with the ACL user if given, else the requirepass. */
  url: string;
  /** SIGTERM, wait for exit. Idempotent. */
  stop(): Promise<void>;
  /** Stop and start again on the same port, with empty data (nothing is ever persisted). */
  restart(): Promise<void>;
  /** SIGKILL, without waiting: a crash. */
  kill(): void;
}

const live = new Set<ChildProcess>();
const dirs = new Set<string>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

// Dirs are named hypersweep-redis-<owner pid>-XXXXXX and hold the server's pid,
// so servers orphaned by a test process that died without its 'exit' handler
// (SIGKILL, SIGINT, SIGTERM) are killed by the next startRedisServer().
const DIR_PREFIX = 'hypersweep-redis-';

function reapStale(): void {
  for (const entry of readdirSync(tmpdir())) {
    const owner = new RegExp(`^${DIR_PREFIX}(\\d+)-`).exec(entry)?.[1];
    if (!owner || processIsAlive(Number(owner))) continue;
    const dir = join(tmpdir(), entry);
    try {
      const pid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('redis-server')) process.kill(pid, 'SIGKILL');
    } catch {
      // no pid file, or the server is gone already
    }
    rmSync(dir, { recursive: true, force: true });
  }
}


/** A port the kernel considered free a moment ago (racy by nature; callers retry on EADDRINUSE). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port from listen(0)'))));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Sends one inline command on a fresh connection and returns the first reply line. */
function rawCommand(host: string, port: number, command: string, timeoutMs = 500): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let data = '';
    const done = (error: Error | null, line?: string): void => {
      socket.destroy();
      if (error) reject(error);
      else resolve(line ?? '');
    };
    socket.setTimeout(timeoutMs, () => done(new Error('timeout')));
    socket.once('error', (e) => done(e));
    socket.on('data', (chunk) => {
      data += chunk.toString('utf8');
      const end = data.indexOf('\r\n');
      if (end >= 0) done(null, data.slice(0, end));
    });
    socket.connect(port, host, () => socket.write(`${command}\r\n`));
  });
}

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startRedisServer(opts: RedisServerOptions = {}): Promise<RedisServer> {
  const host = opts.host ?? '127.0.0.1';
  reapStale();
  const dir = mkdtempSync(join(tmpdir(), `${DIR_PREFIX}${process.pid}-`));
  dirs.add(dir);
  let port = opts.port ?? 0;
  // The running server, and the last one started (to await its exit after kill()).
  let child: ChildProcess | null = null;
  let last: ChildProcess | null = null;

  const args = (p: number): string[] => {
    const a = [
      '--port', String(p), '--bind', host, '--daemonize', 'no', '--dir', dir,
      '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--logfile', '',
      '--maxmemory-policy', opts.maxmemoryPolicy ?? 'noeviction',
    ];
    if (opts.maxmemory) a.push('--maxmemory', opts.maxmemory);
    if (opts.password !== undefined) a.push('--requirepass', opts.password);
    // Command-line arguments are config lines, so `user` works as in redis.conf.
    if (opts.user) a.push('--user', opts.user.name, 'on', `>${opts.user.password}`, '~*', '&*', '+@all');
    return a;
  };

  // One try: spawn on port p and wait until it answers (an auth error also
  // means it is up). Rejects with the server's output if it exits first.
  const launch = async (p: number): Promise<void> => {
    const proc = spawn('redis-server', args(p), { stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(proc);
    last = proc;
    if (proc.pid) writeFileSync(join(dir, 'pid'), String(proc.pid));
    let output = '';
    proc.stdout?.on('data', (c: Buffer) => (output += c.toString('utf8')));
    proc.stderr?.on('data', (c: Buffer) => (output += c.toString('utf8')));
    proc.once('exit', () => live.delete(proc));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`redis-server on ${host}:${p} exited (${proc.exitCode ?? proc.signalCode}):\n${output.slice(-2000)}`);
      }
      const reply = await rawCommand(host, p, 'PING').catch(() => '');
      if (reply === '+PONG' || reply.startsWith('-NOAUTH')) break;
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`redis-server on ${host}:${p} did not answer PING in 10 s:\n${output.slice(-2000)}`);
      }
      await sleep(20);
    }
    child = proc;
  };

  const inUse = (error: unknown): boolean => error instanceof Error && /Address already in use/i.test(error.message);

  if (port === 0) {
    // The port is free when freePort() closes it but anyone may grab it before redis binds.
    for (let attempt = 0; ; attempt++) {
      port = await freePort(host);
      try {
        await launch(port);
        break;
      } catch (error) {
        if (!inUse(error) || attempt >= 5) throw error;
      }
    }
  } else {
    await launch(port);
  }

  const stop = async (): Promise<void> => {
    const proc = child;
    child = null;
    if (!proc) return;
    proc.kill('SIGTERM');
    await waitExit(proc);
  };

  const restart = async (): Promise<void> => {
    await stop();
    if (last) await waitExit(last);
    mkdirSync(dir, { recursive: true });
    // Redis sets SO_REUSEADDR, so TIME_WAIT connections should not block the
    // bind; retry briefly anyway in case the kernel has not released it yet.
    for (let attempt = 0; ; attempt++) {
      try {
        await launch(port);
        return;
      } catch (error) {
        if (!inUse(error) || attempt >= 20) throw error;
        await sleep(100);
      }
    }
  };

  const kill = (): void => {
    child?.kill('SIGKILL');
    child = null;
  };

  const auth = opts.user
    ? `${encodeURIComponent(opts.user.name)}:${encodeURIComponent(opts.user.password)}@`
    : opts.password !== undefined
      ? `:${encodeURIComponent(opts.password)}@`
      : '';
  return {
    host,
    port,
    url: `redis://${auth}${host}:${port}`,
    stop: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
      dirs.delete(dir);
    },
    restart,
    kill,
  };
}
