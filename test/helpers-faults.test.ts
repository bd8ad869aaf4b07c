// Tests of the fault-injection helpers: a private redis-server and a network
// namespace "host" that can be cut off from it.
import { execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetHost, netnsAvailable, netnsUnavailableReason, type NetHost } from './helpers/netns.js';
import { startRedisServer, type RedisServer } from './helpers/redis-server.js';

interface Run {
  code: number | null;
  out: string;
}

function run(cmd: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, out: (stdout + stderr).trim() });
    });
  });
}

const cli = (server: RedisServer, ...args: string[]): Promise<Run> =>
  run('redis-cli', ['-h', server.host, '-p', String(server.port), ...args]);

function collect(child: ChildProcess): Promise<Run> {
  return new Promise((resolve) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr?.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.on('close', (code) => resolve({ code, out: out.trim() }));
  });
}

describe('startRedisServer', () => {
  const servers: RedisServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('starts on a free port with no persistence and the asked eviction policy', async () => {
    const server = await startRedisServer({ maxmemoryPolicy: 'allkeys-lru' });
    servers.push(server);
    expect(server.port).not.toBe(6379);
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    expect((await cli(server, 'PING')).out).toBe('PONG');
    expect((await cli(server, 'CONFIG', 'GET', 'maxmemory-policy')).out).toBe('maxmemory-policy\nallkeys-lru');
    expect((await cli(server, 'CONFIG', 'GET', 'save')).out).toBe('save');
    expect((await cli(server, 'CONFIG', 'GET', 'appendonly')).out).toBe('appendonly\nno');
  });

  it('restart() keeps the port and loses the data; works after kill() too', async () => {
    const server = await startRedisServer();
    servers.push(server);
    // An open client connection leaves the server side in TIME_WAIT on restart.
    expect((await cli(server, 'SET', 'k', 'v')).out).toBe('OK');
    await server.restart();
    expect((await cli(server, 'PING')).out).toBe('PONG');
    expect((await cli(server, 'EXISTS', 'k')).out).toBe('0');
    await cli(server, 'SET', 'k', 'v');
    server.kill();
    expect((await cli(server, 'PING')).code).not.toBe(0);
    await server.restart();
    expect((await cli(server, 'DBSIZE')).out).toBe('0');
  });

  it('requires the password when set, and knows the ACL user', async () => {
    const server = await startRedisServer({ password: 's3cret', user: { name: 'alice', password: 'wonder' } });
    servers.push(server);
    expect(server.url).toBe(`redis://alice:wonder@127.0.0.1:${server.port}`);
    expect((await cli(server, 'PING')).out).toMatch(/NOAUTH/);
    expect((await cli(server, '--no-auth-warning', '-a', 's3cret', 'PING')).out).toBe('PONG');
    expect((await cli(server, '--no-auth-warning', '-a', 'wrong', 'PING')).out).toMatch(/WRONGPASS|invalid/i);
    expect((await cli(server, '--no-auth-warning', '--user', 'alice', '--pass', 'wonder', 'SET', 'a', '1')).out).toBe('OK');
  });
});

// A client inside the namespace that keeps one TCP connection: each stdin line
// sends PING; replies, errors and the close are echoed on stdout.
const CLIENT = `
const s = require('node:net').connect(Number(process.argv[2]), process.argv[1]);
s.on('connect', () => console.log('CONNECTED'));
s.on('data', (d) => console.log('DATA ' + d.toString().trim()));
s.on('error', (e) => console.log('ERROR ' + e.code));
s.on('close', () => { console.log('CLOSE'); process.exit(0); });
process.stdin.on('data', () => s.write('PING\\r\\n'));
`;

const reason = netnsUnavailableReason();
describe.skipIf(!netnsAvailable())(`createNetHost${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let host: NetHost;
  let server: RedisServer;
  beforeAll(async () => {
    host = await createNetHost('faults-test');
    server = await startRedisServer({ host: host.hostIp });
  });
  afterAll(async () => {
    await server?.stop();
    await host?.destroy();
  });

  const insideCli = (...args: string[]): Promise<Run> =>
    collect(host.spawn('timeout', ['2', 'redis-cli', '-h', host.hostIp, '-p', String(server.port), ...args]));

  it('reaches a Redis bound to the host-side address from inside', async () => {
    expect(host.hostIp).toMatch(/^10\.231\.\d+\.1$/);
    expect(host.nsIp).toBe(host.hostIp.replace(/\.1$/, '.2'));
    expect(await insideCli('PING')).toEqual({ code: 0, out: 'PONG' });
  });

  it('cut() makes new commands hang and leaves open connections alone; restore() heals', async () => {
    const client = host.spawn(process.execPath, ['-e', CLIENT, host.hostIp, String(server.port)]);
    let lines: string[] = [];
    client.stdout?.on('data', (c: Buffer) => lines.push(...c.toString('utf8').trim().split('\n')));
    const waitFor = async (line: string, ms: number): Promise<boolean> => {
      for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
        if (lines.includes(line)) return true;
      }
      return false;
    };
    try {
      client.stdin?.write('\n');
      expect(await waitFor('DATA +PONG', 3000)).toBe(true);
      lines = [];

      await host.cut();
      client.stdin?.write('\n'); // sent into the partition: retransmitted, never answered
      const started = Date.now();
      const hung = await insideCli('PING');
      expect(hung.code).toBe(124); // killed by `timeout 2`: neither refused nor unreachable
      expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
      expect(lines).toEqual([]); // no reply, no ECONNRESET, no close

      await host.restore();
      // The PING written during the cut arrives with TCP's next retransmission.
      expect(await waitFor('DATA +PONG', 8000)).toBe(true);
      expect(lines.filter((l) => l.startsWith('ERROR') || l === 'CLOSE')).toEqual([]);
      expect(await insideCli('PING')).toEqual({ code: 0, out: 'PONG' });
    } finally {
      client.kill('SIGKILL');
    }
  });

  it('destroy() removes the namespace and the veth pair', async () => {
    const other = await createNetHost('faults-destroy');
    expect(other.hostIp).not.toBe(host.hostIp);
    const sleeper = other.spawn('sleep', ['30']);
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).toContain(other.nsName);
    await other.destroy();
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(other.nsName);
    expect(execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' })).not.toContain(`${other.hostIf}@`);
    expect(execFileSync('ip', ['-o', '-4', 'addr'], { encoding: 'utf8' })).not.toContain(other.hostIp);
    await new Promise((r) => setTimeout(r, 50));
    expect(sleeper.signalCode ?? sleeper.exitCode).not.toBeNull();
  });
});
