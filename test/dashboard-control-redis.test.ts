// The control channel through Redis (src/study/control-redis.ts), against the
// machine's Redis (127.0.0.1:6379; keys under a prefix or study of this test's
// own, deleted after): the transport alone (requests sent before the follow
// are not applied, malformed entries reported, the stream deleted when the
// follower stops), and end to end: a distributed sweep (`sweep --queue`, a
// `hypersweep worker`) stopped from a dashboard started with the queue's
// address, through the stream, not the control file, journalled as
// control_action, nothing of the study left in Redis after.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';

import { startDashboard } from '../src/dashboard/server.js';
import { parseQueueUrl } from '../src/dispatch/queue/address.js';
import { CONTROL_FILE, type ControlRequest } from '../src/study/control.js';
import { controlStreamKey, redisControl } from '../src/study/control-redis.js';
import { journalEvents, moduleSpace, queueScratch, startCli, startWorker, studyKeys, TEST_REDIS, uniqueStudy, until } from './helpers/queue.js';

const address = parseQueueUrl(TEST_REDIS);
const prefix = `hs-test-ctl-${process.pid}-${Math.random().toString(36).slice(2, 7)}`;
const scratch = queueScratch('hs-dash-redis-');
const redis = new Redis(TEST_REDIS, { maxRetriesPerRequest: 1 });

afterAll(async () => {
  const left = await redis.keys(`${prefix}:*`);
  if (left.length) await redis.del(...left);
  redis.disconnect();
});

function post(port: number, route: string, body: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const own = `http://127.0.0.1:${port}`;
    const req = http.request({ host: '127.0.0.1', port, path: route, method: 'POST', headers: { Host: `127.0.0.1:${port}`, Origin: own, 'Content-Type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('the Redis control transport', () => {
  it('delivers what is sent after the follow starts, reports malformed entries, and deletes its stream when it stops', async () => {
    const key = 'study-a1b2c3d4';
    const stream = controlStreamKey(key, prefix);
    const sender = redisControl(address, key, { prefix });
    await sender.send({ action: 'stop_study' }, 'test'); // before the follow: for an earlier controller, not applied
    const seen: ControlRequest[] = [];
    const problems: string[] = [];
    const follower = redisControl(address, key, { prefix, blockMs: 200 }).follow((r) => seen.push(r), (p) => problems.push(p));
    await new Promise((r) => setTimeout(r, 300)); // the follower has read where the stream ends
    const a = await sender.send({ action: 'set_budget', budget: 7 }, 'test');
    await redis.xadd(stream, '*', 'r', 'not json');
    await redis.xadd(stream, '*', 'r', JSON.stringify({ action: 'nuke', id: 'x' }));
    const b = await sender.send({ action: 'enqueue_trial', params: { x: 0.5, kind: 'a', on: true } }, 'test');
    await until(() => seen.length === 2 && problems.length === 2, 10_000, 'two requests and two problems');
    expect(seen).toEqual([a, b]);
    expect(seen[0]).toMatchObject({ action: 'set_budget', budget: 7, source: 'test' });
    expect(problems[0]).toMatch(/not valid JSON; ignored/);
    expect(problems[1]).toMatch(/unknown action "nuke" .*; ignored/);
    expect(await redis.ttl(stream)).toBeGreaterThan(0); // a stream left by a dead controller expires
    await follower.close();
    expect(await redis.exists(stream)).toBe(0);
    await sender.close();
  });
});

describe('a distributed sweep', () => {
  it('is stopped from a dashboard started with --queue: through the stream, journalled, nothing left in Redis', async () => {
    const study = uniqueStudy('qctl');
    const space = moduleSpace(
      scratch.dir(),
      study,
      'dispatch-objective.mjs',
      'metric: value\ndirection: minimize\nparams:\n  x: {type: float, low: 0, high: 1}\n  steps: 4\nsampler: {type: random, seed: 3}\nbudget: {trials: 400}\n',
    );
    const results = path.join(scratch.dir(), 'results');
    const env = { HS_STEP_MS: '40' };
    const worker = scratch.track(startWorker(TEST_REDIS, [study], ['--workers', '1', '--name', 'solo'], env));
    await worker.waitFor(/serving studies/);
    const controller = scratch.track(startCli(['sweep', space, '--queue', TEST_REDIS, '--results', results, '--json']));
    await until(() => journalEvents(results, study).some((e) => e.event === 'trial_finished'), 60_000, 'a first trial');
    const dash = await startDashboard({ results, port: 0, queue: address, rescanMs: 200 });
    try {
      await until(() => dash.live.get(study)?.fold.lastController?.queue === 'redis://127.0.0.1:6379', 10_000, 'the dashboard to see the queue');
      const reply = await post(dash.port, `/api/study/${study}/actions`, { action: 'stop_study' });
      expect(reply.status, reply.body).toBe(202);
      const sent = JSON.parse(reply.body) as { id: string; via: string };
      expect(sent.via).toMatch(new RegExp(`redis://127\\.0\\.0\\.1:6379 stream hypersweep:study:${study}-[0-9a-f]{8}:control`));
      expect(await controller.exited, controller.output()).toBe(130); // as after Ctrl-C: resumable
      const action = journalEvents(results, study).find((e) => e.event === 'control_action');
      expect(action).toMatchObject({ action: 'stop_study', id: sent.id, source: 'dashboard' });
      expect(action).not.toHaveProperty('refused');
      const finished = journalEvents(results, study).filter((e) => e.event === 'trial_finished').length;
      expect(finished).toBeLessThan(400);
      // Not through the file: the stream was the only way.
      expect(fs.existsSync(path.join(results, study, CONTROL_FILE))).toBe(false);
      expect(await studyKeys(TEST_REDIS, study)).toEqual([]);
    } finally {
      await dash.close();
    }
  });
});
