// A distributed sweep when Redis or the network misbehave: Redis restarted
// empty mid-sweep (and away for a few seconds), one worker cut off from Redis
// by a network partition, connection errors (unreachable, wrong password,
// ACL user, malformed URL), a job whose payload does not validate, and TLS.
// Every test runs its own redis-server (test/helpers/redis-server.ts): the
// machine's shared Redis is never touched here.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { BULL_PREFIX, keys, queueName, studyKey, type Heartbeat } from '../src/dispatch/queue/protocol.js';
import type { JournalLine } from '../src/study/events.js';
import { countsTowardBudget } from '../src/study/study.js';
import { hypersweepVersion } from '../src/trials/record.js';
import { lastJsonLine, runCli } from './helpers/cli.js';
import { createNetHost, netnsAvailable, netnsUnavailableReason, type NetHost } from './helpers/netns.js';
import { journalEvents, killAll, startCli, startWorker, studyKeys, studyState, until, type Proc } from './helpers/queue.js';
import { freePort, startRedisServer, type RedisServer, type RedisServerOptions } from './helpers/redis-server.js';

let dir: string;
let results: string;
let procs: Proc[] = [];
let servers: RedisServer[] = [];
let nets: NetHost[] = [];
let others: ChildProcess[] = [];
let cleanups: Array<() => void> = [];
const unique = (name: string) => `${name}-${process.pid}-${Math.random().toString(36).slice(2, 7)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-qnet-'));
  results = path.join(dir, 'results');
  procs = [];
  servers = [];
  nets = [];
  others = [];
  cleanups = [];
});
afterEach(async () => {
  for (const cleanup of cleanups) cleanup();
  killAll(procs);
  for (const child of others) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(servers.map((s) => s.stop()));
  for (const net of nets) await net.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function privateRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const server = await startRedisServer(options);
  servers.push(server);
  return server;
}

// An objective of two reported steps (HS_STEP_MS each) and then a silent tail
// (HS_TAIL_MS) before it returns: a trial in its tail needs nothing from Redis
// until its result, so it can finish while Redis is away.
const OBJECTIVE = `
const stepMs = Number(process.env.HS_STEP_MS ?? '0');
const tailMs = Number(process.env.HS_TAIL_MS ?? '0');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export async function objective(params, ctx) {
  let value = Number.NaN;
  for (let step = 1; step <= 2; step++) {
    await sleep(stepMs);
    value = (params.x - 0.3) ** 2 + 1 / step;
    ctx.report(step, value);
    if (ctx.shouldPrune()) return { value, metrics: { stopped_at: step } };
  }
  await sleep(tailMs);
  return { value, metrics: {} };
}
`;

function space(study: string, trials: number): string {
  const module = path.join(dir, 'net-objective.mjs');
  if (!fs.existsSync(module)) fs.writeFileSync(module, OBJECTIVE);
  const file = path.join(dir, `${study}.yaml`);
  fs.writeFileSync(
    file,
    `name: ${study}\nobjective: {module: ${module}}\nmetric: value\ndirection: minimize\n` +
      `params:\n  x: {type: float, low: 0, high: 1}\nsampler: {type: random, seed: 7}\nbudget: {trials: ${trials}}\n`,
  );
  return file;
}

function worker(url: string, studies: string[], name: string, env: Record<string, string>, wrapper: string[] = []): Proc {
  const w = startWorker(url, studies, ['--workers', '1', '--name', name], env, wrapper);
  procs.push(w);
  return w;
}

function controller(args: string[], env: Record<string, string> = {}): Proc {
  const c = startCli(args, env);
  procs.push(c);
  return c;
}

function finishes(study: string): number[] {
  return journalEvents(results, study)
    .filter((e) => e.event === 'trial_finished')
    .map((e) => (e as { trial: number }).trial);
}

/** Every trial number finishes exactly once in the journal. */
function expectSingleFinishes(study: string): void {
  const list = finishes(study);
  expect(new Set(list).size).toBe(list.length);
}

function eventTime(study: string, match: (e: JournalLine) => boolean): number {
  const event = journalEvents(results, study).find(match);
  return event ? Date.parse(event.time) : Number.NaN;
}

const finishedEvent = (n: number) => (e: JournalLine) => e.event === 'trial_finished' && (e as { trial: number }).trial === n;

/** Keys left in a private Redis besides those of the workers still running (their heartbeat and inbox). */
async function leftInRedis(url: string): Promise<string[]> {
  const redis = new Redis(url);
  try {
    return (await redis.keys('*')).filter((k) => k !== keys.workers && !k.startsWith('hypersweep:worker:')).sort();
  } finally {
    redis.disconnect();
  }
}

/** Names of the clients connected to a Redis (CLIENT LIST), or null while it cannot be reached. */
async function clientNames(url: string): Promise<string[] | null> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 500 });
  redis.on('error', () => {});
  try {
    await redis.connect();
    const list = (await redis.call('CLIENT', 'LIST')) as string;
    return list
      .split('\n')
      .map((line) => /(?:^| )name=(\S*)/.exec(line)?.[1] ?? '')
      .filter(Boolean);
  } catch {
    return null;
  } finally {
    redis.disconnect();
  }
}

/**
 * A make-believe worker that only beats: it serves the study with one slot
 * and never takes a job, so that the controller keeps one job waiting in the
 * queue (capacity counts its slot).
 */
function ghostWorker(url: string, study: string): () => void {
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  redis.on('error', () => {});
  const id = `ghost-${process.pid}`;
  let beat = 0;
  const timer = setInterval(() => {
    const heartbeat: Heartbeat = {
      id,
      name: 'ghost',
      host: os.hostname(),
      pid: process.pid,
      beat: ++beat,
      slots: 1,
      studies: [study],
      running: [],
      state: 'serving',
      version: hypersweepVersion(),
    };
    void redis.multi().set(keys.worker(id), JSON.stringify(heartbeat), 'PX', 60_000).sadd(keys.workers, id).exec().catch(() => {});
  }, 200);
  const stop = () => {
    clearInterval(timer);
    redis.disconnect();
  };
  cleanups.push(stop);
  return stop;
}

describe('Redis restarted under a distributed sweep', () => {
  it('Redis killed mid-sweep and back empty 2.5 s later: everyone reconnects, lost jobs are added again, a result finished meanwhile is delivered, budget exact, Redis left clean', async () => {
    const redis = await privateRedis();
    const study = unique('qrestart');
    const env = { HS_STEP_MS: '200', HS_TAIL_MS: '1500' };
    const alpha = worker(redis.url, [study], 'alpha', env);
    const beta = worker(redis.url, [study], 'beta', env);
    await Promise.all([alpha.waitFor(/serving studies/), beta.waitFor(/serving studies/)]);
    ghostWorker(redis.url, study);
    const c = controller(['sweep', space(study, 8), '--queue', redis.url, '--results', results, '--lost-after', '3s', '--json']);
    // A trial in its tail on a worker (it finishes about 1.5 s later, while Redis is away), and a
    // job waiting in the queue (the ghost's slot: no worker has taken it; Redis will lose it).
    const ready = (trials: ReturnType<typeof studyState>['trials']) =>
      trials.some((t) => t.state === 'running' && t.pid !== null && t.intermediate.length === 2) &&
      trials.some((t) => t.state === 'running' && t.pid === null);
    await until(() => ready(studyState(results, study).trials), 30_000, 'a trial in its tail on a worker and a job waiting');
    const before = studyState(results, study).trials;
    const inTail = before.find((t) => t.state === 'running' && t.pid !== null && t.intermediate.length === 2)!;
    const running = before.filter((t) => t.state === 'running').map((t) => t.number);
    const waiting = before.filter((t) => t.state === 'running' && t.pid === null).map((t) => t.number);
    const downAt = Date.now();
    redis.kill();
    await sleep(2500);
    await redis.restart();
    const upAt = Date.now();
    // Who reconnects when: the controller's and each worker's command connection.
    const back = new Map<string, number>();
    const wanted = [/^hs-controller-\d+$/, /^hs-worker-alpha-/, /^hs-worker-beta-/];
    while (back.size < wanted.length && Date.now() - upAt < 15_000) {
      const names = (await clientNames(redis.url)) ?? [];
      for (const w of wanted) if (!back.has(w.source) && names.some((n) => w.test(n) && !n.includes('reader'))) back.set(w.source, Date.now() - upAt);
      await sleep(25);
    }
    expect(await c.exited, c.output()).toBe(0);

    const summary = lastJsonLine(c.output()) as { stopped: string };
    expect(summary.stopped).toBe('budget');
    const state = studyState(results, study);
    // Nobody was presumed lost and nothing ran twice: a Redis restart is not a worker fault.
    expect(state.trials.filter((t) => t.state === 'failed'), c.output()).toEqual([]);
    expect(state.trials.filter(countsTowardBudget)).toHaveLength(8);
    expect(state.trials.filter((t) => t.state === 'running')).toHaveLength(0);
    expect(state.trials.every((t) => t.retryOf === null)).toBe(true);
    expectSingleFinishes(study);
    // The trial that finished while Redis was away: delivered once Redis was back, on the worker that ran it.
    expect(state.trials.find((t) => t.number === inTail.number)).toMatchObject({ state: 'complete', worker: inTail.worker });
    expect(eventTime(study, finishedEvent(inTail.number))).toBeGreaterThanOrEqual(upAt - 50);
    // Every trial that was running when Redis went away finished on the worker that had it.
    for (const n of running) expect(state.trials.find((x) => x.number === n)!.state).toBe('complete');
    // The jobs Redis lost before any worker took them were added again from the journal, and ran.
    for (const n of waiting) {
      const t = state.trials.find((x) => x.number === n)!;
      expect(['alpha', 'beta']).toContain(t.worker);
      expect(eventTime(study, (e) => e.event === 'trial_assigned' && (e as { trial: number }).trial === n)).toBeGreaterThan(upAt);
    }
    expect(journalEvents(results, study).some((e) => e.event === 'worker_lost')).toBe(false);
    expect(await studyKeys(redis.url, study)).toEqual([]);
    expect(await leftInRedis(redis.url)).toEqual([]);
    // Workers still serve (they survived the restart).
    expect(alpha.child.exitCode).toBeNull();
    expect(beta.child.exitCode).toBeNull();
    console.log(
      `[redis restart] down ${upAt - downAt} ms; back after the restart: ` +
        [...back].map(([k, ms]) => `${k} ${ms} ms`).join(', ') +
        `; jobs added again: ${waiting.join(', ')}; trial ${inTail.number} finished in the journal ${eventTime(study, finishedEvent(inTail.number)) - upAt} ms after Redis was back`,
    );
  });
});

const noNetns = netnsUnavailableReason();

describe('a network partition', () => {
  (netnsAvailable() ? it : it.skip)(
    `one worker cut off from Redis longer than --lost-after: recorded "worker lost", run again on the other; back after the cut heals, it serves again${noNetns ? ` (skipped: ${noNetns})` : ''}`,
    async () => {
      const net = await createNetHost('qpart');
      nets.push(net);
      const redis = await privateRedis({ host: net.hostIp });
      const study = unique('qpart');
      const study2 = unique('qpart2');
      const env = { HS_STEP_MS: '300', HS_TAIL_MS: '300' };
      const alpha = worker(redis.url, [study, study2], 'alpha', env, ['ip', 'netns', 'exec', net.nsName]);
      const beta = worker(redis.url, [study, study2], 'beta', env);
      await Promise.all([alpha.waitFor(/serving studies/), beta.waitFor(/serving studies/)]);
      const c = controller(['sweep', space(study, 6), '--queue', redis.url, '--results', results, '--lost-after', '3s', '--json']);
      await until(() => studyState(results, study).trials.some((t) => t.state === 'running' && t.worker === 'alpha' && t.intermediate.length >= 1), 30_000, 'a trial running on alpha');
      const victim = studyState(results, study).trials.find((t) => t.state === 'running' && t.worker === 'alpha')!;
      const cutAt = Date.now();
      await net.cut();
      // Cut until the controller has given the trial up and its retry runs on beta.
      await until(() => studyState(results, study).trials.some((t) => t.retryOf === victim.number && t.pid !== null), 20_000, 'the retry placed').catch((err: unknown) => {
        throw new Error(`${(err as Error).message}\ncontroller:\n${c.output()}\nalpha:\n${alpha.output()}\nbeta:\n${beta.output()}\njournal:\n${journalEvents(results, study).map((e) => JSON.stringify(e)).join('\n')}`);
      });
      // HS_EXTRA_CUT_MS (by hand) holds the cut longer, to watch the worker's watchdog bound the recovery.
      await sleep(Number(process.env['HS_EXTRA_CUT_MS'] ?? '0'));
      const detectMs = eventTime(study, finishedEvent(victim.number)) - cutAt;
      const probe = new Redis(redis.url);
      const alphaKey = async () => (await probe.keys('hypersweep:worker:alpha-*')).find((k) => !k.endsWith(':inbox'))!;
      const beatOf = async () => (JSON.parse((await probe.get(await alphaKey())) ?? '{"beat":0}') as { beat: number }).beat;
      const beatAtRestore = await beatOf();
      const restoreAt = Date.now();
      const cutMs = restoreAt - cutAt;
      await net.restore();
      let backMs = Number.NaN;
      for (const end = Date.now() + 30_000; Date.now() < end; await sleep(25)) {
        if ((await beatOf()) > beatAtRestore) {
          backMs = Date.now() - restoreAt;
          break;
        }
      }
      probe.disconnect();
      expect(backMs, alpha.output()).not.toBeNaN();
      expect(await c.exited, c.output()).toBe(0);

      const state = studyState(results, study);
      const lost = state.trials.find((t) => t.number === victim.number)!;
      expect(lost).toMatchObject({ state: 'failed', requeued: true });
      expect(lost.error).toMatch(/^worker lost: alpha on .* \(no heartbeat for \d+s\)$/);
      expect(detectMs).toBeGreaterThanOrEqual(3000);
      expect(detectMs).toBeLessThan(3000 + 2500);
      const retry = state.trials.find((t) => t.retryOf === victim.number)!;
      expect(retry).toMatchObject({ params: victim.params, seed: victim.seed, worker: 'beta', state: 'complete' });
      expect(state.trials.filter(countsTowardBudget)).toHaveLength(6);
      expect(state.trials.filter((t) => t.state === 'running')).toHaveLength(0);
      expectSingleFinishes(study);
      const events = journalEvents(results, study);
      expect(events.some((e) => e.event === 'worker_lost' && (e as { worker: string }).worker === 'alpha')).toBe(true);
      // A late result of the lost trial, if alpha sent one, is recorded ignored (never a second finish).
      for (const e of events.filter((x) => x.event === 'result_ignored')) expect(e).toMatchObject({ trial: victim.number, worker: 'alpha' });
      expect(await studyKeys(redis.url, study)).toEqual([]);
      expect(await leftInRedis(redis.url)).toEqual([]);

      // Alpha serves again: a second study gets trials done on it.
      const c2 = controller(['sweep', space(study2, 6), '--queue', redis.url, '--results', results, '--lost-after', '3s', '--json']);
      expect(await c2.exited, c2.output()).toBe(0);
      const state2 = studyState(results, study2);
      expect(state2.trials.filter(countsTowardBudget)).toHaveLength(6);
      expect(state2.trials.some((t) => t.worker === 'alpha' && t.state === 'complete'), alpha.output()).toBe(true);
      expect(alpha.child.exitCode).toBeNull();
      console.log(
        `[partition] cut ${cutMs} ms; lost trial ${victim.number} recorded ${detectMs} ms after the cut; ` +
          `alpha's heartbeat reached Redis ${backMs} ms after the restore; late result ${events.some((e) => e.event === 'result_ignored') ? 'ignored' : 'not sent (killed)'}`,
      );
    },
    90_000,
  );
});

/** Stdout and stderr of a CLI run, the journal and every file of the results folder: none may hold a secret. */
function expectNowhere(secret: string, texts: string[]): void {
  for (const text of texts) expect(text).not.toContain(secret);
  if (!fs.existsSync(results)) return;
  const walk = (d: string): string[] =>
    fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
  for (const file of walk(results)) expect(fs.readFileSync(file, 'utf8'), file).not.toContain(secret);
}

describe('connection errors', () => {
  it('Redis unreachable: sweep and worker say so in one line with host and port (exit 1); the sweep leaves no study folder', async () => {
    const port = await freePort();
    const url = `redis://:hunter2-unreach@127.0.0.1:${port}`;
    const study = unique('qunreach');
    const s = runCli(['sweep', space(study, 2), '--queue', url, '--results', results]);
    expect(s.code, s.stderr).toBe(1);
    expect(s.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(new RegExp(`^hypersweep: error: cannot use Redis at redis://127\\.0\\.0\\.1:${port}: connection refused`))]);
    expect(fs.existsSync(path.join(results, study))).toBe(false);
    const w = runCli(['worker', '--queue', url, '--name', 'nowhere']);
    expect(w.code, w.stderr).toBe(1);
    expect(w.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(new RegExp(`^hypersweep: error: cannot use Redis at redis://127\\.0\\.0\\.1:${port}: connection refused`))]);
    expectNowhere('hunter2-unreach', [s.stdout, s.stderr, w.stdout, w.stderr]);
  });

  it('a malformed URL is a usage error (exit 2) that never echoes the password', () => {
    const study = unique('qbadurl');
    for (const url of ['redis://:hunter2-badurl@127.0.0.1:99999', 'http://:hunter2-badurl@127.0.0.1:6379', 'redis://:hunter2-badurl@127.0.0.1:6379/abc']) {
      for (const args of [['sweep', space(study, 2), '--results', results], ['worker']]) {
        const r = runCli([...args, '--queue', url]);
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^hypersweep: error: --queue .*127\.0\.0\.1/)]);
        expectNowhere('hunter2-badurl', [r.stdout, r.stderr]);
      }
    }
    expect(fs.existsSync(path.join(results, study))).toBe(false);
  });

  it('a wrong or missing password is refused in one line (exit 1), the password never shown', async () => {
    const redis = await privateRedis({ password: 'right-pw-7f3a' });
    const study = unique('qwrongpw');
    const wrong = `redis://:wrong-pw-9c1e@127.0.0.1:${redis.port}`;
    const s = runCli(['sweep', space(study, 2), '--queue', wrong, '--results', results]);
    expect(s.code, s.stderr).toBe(1);
    expect(s.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^hypersweep: error: cannot use Redis at redis://127\\.0\\.0\\.1:${redis.port}: the user name or password was refused`)),
    ]);
    expect(fs.existsSync(path.join(results, study))).toBe(false);
    const w = runCli(['worker', '--queue', wrong]);
    expect(w.code, w.stderr).toBe(1);
    expect(w.stderr).toMatch(/the user name or password was refused/);
    const none = runCli(['worker', '--queue', `redis://127.0.0.1:${redis.port}`]);
    expect(none.code, none.stderr).toBe(1);
    expect(none.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/Redis requires a password/)]);
    expectNowhere('wrong-pw-9c1e', [s.stdout, s.stderr, w.stdout, w.stderr]);
    expectNowhere('right-pw-7f3a', [s.stdout, s.stderr, w.stdout, w.stderr, none.stdout, none.stderr]);
  });

  it('the right password (controller) and an ACL user (worker) work; neither secret is printed or stored', async () => {
    const redis = await privateRedis({ password: 'default-pw-51be', user: { name: 'hsworker', password: 'acl-pw-2d8c' } });
    const study = unique('qauth');
    const w = worker(`redis://hsworker:acl-pw-2d8c@127.0.0.1:${redis.port}`, [study], 'alpha', { HS_STEP_MS: '50' });
    await w.waitFor(/serving studies/);
    const c = controller(['sweep', space(study, 2), '--queue', `redis://:default-pw-51be@127.0.0.1:${redis.port}`, '--results', results, '--json']);
    expect(await c.exited, c.output()).toBe(0);
    const state = studyState(results, study);
    expect(state.trials.filter((t) => t.state === 'complete' && t.worker === 'alpha')).toHaveLength(2);
    w.child.kill('SIGINT');
    await w.exited;
    for (const secret of ['default-pw-51be', 'acl-pw-2d8c']) expectNowhere(secret, [c.output(), w.output()]);
    expect(w.output()).toMatch(new RegExp(`through redis://127\\.0\\.0\\.1:${redis.port}`));
  });

  it('a Redis that may evict keys is named in a warning by the controller and the worker (the sweep still runs)', async () => {
    const redis = await privateRedis({ maxmemoryPolicy: 'allkeys-lru' });
    const study = unique('qevict');
    const w = worker(redis.url, [study], 'alpha', {});
    await w.waitFor(/serving studies/);
    expect(w.output()).toMatch(/warning: Redis at redis:\/\/127\.0\.0\.1:\d+ has maxmemory-policy allkeys-lru: it may evict queued trials; set it to noeviction/);
    const c = controller(['sweep', space(study, 2), '--queue', redis.url, '--results', results]);
    expect(await c.exited, c.output()).toBe(0);
    expect(c.output()).toMatch(/warning: Redis at redis:\/\/127\.0\.0\.1:\d+ has maxmemory-policy allkeys-lru: under memory pressure it may evict queued trials; set it to noeviction/);
  });
});

describe('a job payload that fails validation', () => {
  it('the worker says what is wrong in one line, keeps serving, and the sweep finishes normally', async () => {
    const redis = await privateRedis();
    const study = unique('qbadjob');
    const alpha = worker(redis.url, [study], 'alpha', { HS_STEP_MS: '150', HS_TAIL_MS: '0' });
    await alpha.waitFor(/serving studies/);
    const c = controller(['sweep', space(study, 5), '--queue', redis.url, '--results', results, '--json']);
    await until(() => studyState(results, study).trials.some((t) => t.worker === 'alpha'), 30_000, 'a trial on alpha');
    const key = studyKey(study, journalEvents(results, study)[0]!.time);
    const queue = new Queue(queueName(key), { connection: { host: redis.host, port: redis.port }, prefix: BULL_PREFIX });
    await queue.add('trial', { study: key, trial: 'seven', params: 5 }, { jobId: 'bogus-1' });
    await queue.close();
    expect(await c.exited, c.output()).toBe(0);
    const lines = alpha.output().split('\n').filter((l) => /bogus-1/.test(l));
    expect(lines, alpha.output()).toEqual([expect.stringMatching(/invalid job payload for bogus-1: trial: .*; seed: .*; params: /)]);
    const state = studyState(results, study);
    expect(state.trials.filter(countsTowardBudget)).toHaveLength(5);
    expect(state.trials.every((t) => t.state === 'complete' && t.worker === 'alpha')).toBe(true);
    // It went on serving after the bad job.
    const badAt = alpha.output().indexOf('bogus-1');
    expect(alpha.output().slice(badAt)).toMatch(/trial \d+ of .*: value/);
    expect(alpha.child.exitCode).toBeNull();
    expect(await studyKeys(redis.url, study)).toEqual([]);
    expect(await leftInRedis(redis.url)).toEqual([]);
  });
});

/** A TLS-only redis-server (self-signed certificate for 127.0.0.1), or why there is none here. */
async function tlsRedis(): Promise<{ url: string; ca: string; port: number } | { unavailable: string }> {
  const certDir = path.join(dir, 'tls');
  fs.mkdirSync(certDir);
  const key = path.join(certDir, 'key.pem');
  const cert = path.join(certDir, 'cert.pem');
  const gen = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
  if (gen.status !== 0) return { unavailable: `openssl: ${gen.stderr.trim().split('\n')[0] ?? gen.error?.message}` };
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--tls-cert-file', cert, '--tls-key-file', key, '--tls-ca-cert-file', cert, '--tls-auth-clients', 'no', '--save', '', '--appendonly', 'no', '--dir', certDir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  others.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 10_000);
    const check = () => {
      if (/Ready to accept connections/.test(out)) {
        clearTimeout(timer);
        resolve(true);
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  if (!ready) return { unavailable: `redis-server with --tls-port did not start: ${out.trim().split('\n').slice(-2).join(' ')}` };
  return { url: `rediss://127.0.0.1:${port}`, ca: cert, port };
}

describe('TLS', () => {
  it('rediss:// with a self-signed CA trusted through NODE_EXTRA_CA_CERTS: a sweep works; without it, one clear line', async () => {
    const tls = await tlsRedis();
    if ('unavailable' in tls) {
      console.log(`[tls] not tested: ${tls.unavailable}`);
      return;
    }
    const study = unique('qtls');
    const untrusted = runCli(['sweep', space(study, 2), '--queue', tls.url, '--results', results]);
    expect(untrusted.code, untrusted.stderr).toBe(1);
    expect(untrusted.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(new RegExp(`^hypersweep: error: cannot use Redis at rediss://127\\.0\\.0\\.1:${tls.port}: .*self-signed certificate.*NODE_EXTRA_CA_CERTS`))]);
    const env = { NODE_EXTRA_CA_CERTS: tls.ca };
    const w = worker(tls.url, [study], 'alpha', { ...env, HS_STEP_MS: '50' });
    await w.waitFor(/serving studies/);
    const c = controller(['sweep', space(study, 2), '--queue', tls.url, '--results', results, '--json'], env);
    expect(await c.exited, c.output()).toBe(0);
    expect(studyState(results, study).trials.filter((t) => t.state === 'complete' && t.worker === 'alpha')).toHaveLength(2);
    // No warning of any kind (e.g. Node's about a TLS server name that is an IP address).
    expect(c.output()).not.toMatch(/warning/i);
    expect(w.output()).not.toMatch(/warning/i);
  });
});
