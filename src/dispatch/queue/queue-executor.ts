// The controller's side of a distributed sweep: a TrialExecutor whose trials
// run on `hypersweep worker` processes, reached through BullMQ on Redis.
//
// runTrial() adds one job per trial; the promise settles when the worker's
// result message arrives (or the worker is presumed lost: TrialRequeued).
// Reports come in on the study's inbox stream and are answered on the
// worker's own stream within one Redis round trip. Capacity follows the
// heartbeats: the slots of the live workers that serve this study (at least
// one, so that a first worker finds a job waiting).
//
// Redis is not the truth, the journal is: after a reconnect (a Redis restart
// loses every key here) the study's description is written again at the next
// heartbeat, and the jobs of trials no worker has taken are added again.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { Queue, Worker as BullWorker } from 'bullmq';
import type { Redis } from 'ioredis';

import { writeFileAtomic } from '../../study/leaderboard.js';
import { INTERRUPTED, type Study } from '../../study/study.js';
import { trialDir } from '../../trials/weights.js';
import { TrialRequeued, type TrialControl, type TrialExecutor, type TrialTicket } from '../pool.js';
import { PrefetchPolicy } from './prefetch.js';
import { commandConnection, connect, type CommandRedis, type QueueAddress } from './redis.js';
import {
  BULL_PREFIX,
  encode,
  ENSURE_STREAM,
  entryPayload,
  heartbeatSchema,
  inboxMessageSchema,
  jobId,
  JOB_LOCK_MS,
  keys,
  queueName,
  STALLED_INTERVAL_MS,
  studyKey,
  type Heartbeat,
  type InboxMessage,
  type QueueTimings,
  type ResultMessage,
  type StudyInfo,
  type TrialResult,
  type WorkerMessage,
  type WorkerRef,
} from './protocol.js';

/** A trial dispatched through the queue and not settled yet. */
interface Remote {
  ticket: TrialTicket;
  control: TrialControl;
  resolve(result: TrialResult): void;
  reject(error: Error): void;
  /** The worker that took it, once it said so (or a heartbeat claims it). */
  worker: WorkerRef | null;
  /** When the job was (re)added or adopted. */
  since: number;
  adopted: boolean;
  /** Set once the trial is asked to stop before a worker took it: the job is being removed. */
  stopping: boolean;
}

/** A worker as the controller last saw its heartbeat. */
interface SeenWorker {
  beat: Heartbeat;
  /** When (our clock) its beat counter last moved. */
  lastMoved: number;
  /** Whether it serves this study (no --studies filter, or one naming it). */
  serves: boolean;
  journalled: boolean;
}

export interface QueueExecutorOptions {
  address: QueueAddress;
  study: Study;
  resultsDir: string;
  info: Omit<StudyInfo, 'key' | 'name' | 'queue' | 'controller'>;
  timings: QueueTimings;
  onNotice?: (line: string) => void;
}

export class QueueExecutor implements TrialExecutor {
  readonly key: string;
  private readonly remotes = new Map<number, Remote>();
  private readonly workers = new Map<string, SeenWorker>();
  private readonly cmd: CommandRedis;
  private readonly reader: Redis;
  private readonly queue: Queue;
  private readonly stalledChecker: BullWorker;
  private readonly info: StudyInfo;
  private closed = false;
  private lastId = '0';
  private slots = 0;
  private capacityWaiters: Array<() => void> = [];
  private readonly prefetch = new PrefetchPolicy();
  private readonly timers: NodeJS.Timeout[] = [];
  /** Acks not sent yet, by worker id (see ack()). */
  private readonly pendingAcks = new Map<string, number[]>();
  private ackTimer: NodeJS.Timeout | null = null;
  private readerLoop: Promise<void> = Promise.resolve();
  private lastJobCheck = 0;
  /** Whether the inbox is being read (from the first trial on: after a resume's adoptions). */
  private reading = false;
  /** Trials of a resume that Redis still has a job for, or messages about (see prepareAdoption). */
  private readonly knownJobs = new Set<number>();
  private readonly inboxTrials = new Set<number>();
  /** When our own connection to Redis came back: workers are judged on their heartbeats from then on. */
  private reconnectedAt = 0;
  private polling = false;

  private constructor(private readonly options: QueueExecutorOptions) {
    const { study, address } = options;
    this.key = studyKey(study.name, study.state.created.time);
    this.cmd = commandConnection(address, `hs-controller-${process.pid}`);
    this.reader = connect(address, `hs-controller-reader-${process.pid}`);
    for (const c of [this.cmd, this.reader]) c.on('error', () => {}); // reconnects on its own; reported as notices below
    const connection = { ...address.options, maxRetriesPerRequest: null, retryStrategy: (n: number) => Math.min(250 * n, 2000) };
    this.queue = new Queue(queueName(this.key), { connection, prefix: BULL_PREFIX });
    this.queue.on('error', () => {});
    // BullMQ finds stalled jobs only while some Worker runs its checker: the controller runs one
    // too (it processes nothing), so a job taken by a worker that died before saying so is failed.
    this.stalledChecker = new BullWorker(queueName(this.key), null, {
      connection,
      prefix: BULL_PREFIX,
      autorun: false,
      lockDuration: JOB_LOCK_MS,
      stalledInterval: STALLED_INTERVAL_MS,
      maxStalledCount: 0,
    });
    this.stalledChecker.on('error', () => {});
    this.info = {
      ...options.info,
      key: this.key,
      name: study.name,
      queue: queueName(this.key),
      controller: { host: os.hostname(), pid: process.pid, since: new Date().toISOString() },
    };
    let down = false;
    this.cmd.on('close', () => {
      if (!down && !this.closed) options.onNotice?.(`lost the connection to Redis at ${address.shown}; reconnecting`);
      down = true;
    });
    this.cmd.on('ready', () => {
      if (!down) return;
      down = false;
      // While we could not see Redis we saw no heartbeat either, and after a Redis restart the
      // workers' keys come back only with their next beat: that silence is ours, not theirs.
      this.reconnectedAt = Date.now();
      options.onNotice?.(`reconnected to Redis at ${address.shown}`);
      void this.afterReconnect();
    });
  }

  /** Connects, claims the study in Redis (one controller per study) and starts following the workers. */
  static async open(options: QueueExecutorOptions): Promise<QueueExecutor> {
    const executor = new QueueExecutor(options);
    await executor.claim();
    void executor.stalledChecker.startStalledCheckTimer().catch(() => {});
    await executor.pollWorkers();
    executor.timers.push(
      setInterval(() => {
        // One poll at a time: while Redis is away they would pile up and run back to back on its return.
        if (executor.polling) return;
        executor.polling = true;
        void executor
          .pollWorkers()
          .catch(() => {})
          .finally(() => (executor.polling = false));
      }, options.timings.heartbeatMs),
    );
    return executor;
  }

  /**
   * Publishes the study. One controller per study is the study lock's job (a
   * journal has one writer); the key includes the study's creation, so two
   * studies of the same name never share a queue.
   */
  private async claim(): Promise<void> {
    await this.publishInfo();
  }

  /** The study's description, refreshed every heartbeat (expires if the controller dies). */
  private async publishInfo(): Promise<void> {
    if (this.closed) return;
    await this.cmd
      .multi()
      .set(keys.studyInfo(this.key), JSON.stringify(this.info), 'PX', this.options.timings.lostAfterMs)
      .sadd(keys.studies, this.key)
      // The workers post only into an inbox that exists (see ENSURE_STREAM): made here, again after a Redis restart.
      .eval(ENSURE_STREAM, 1, keys.studyInbox(this.key))
      .exec();
  }

  /**
   * Trials in flight: one per live slot, and as many again waiting in the
   * queue while trials are short (see PrefetchPolicy).
   */
  capacity(): number {
    return Math.max(1, this.slots) + (this.prefetch.active ? this.slots : 0);
  }

  private wakeCapacityWaiters(): void {
    const waiters = this.capacityWaiters;
    this.capacityWaiters = [];
    for (const wake of waiters) wake();
  }

  capacityChanged(): Promise<void> {
    return new Promise((resolve) => this.capacityWaiters.push(resolve));
  }

  label(): string {
    return 'queue';
  }

  runTrial(ticket: TrialTicket, control: TrialControl, hardStop: AbortSignal): Promise<TrialResult> {
    const settled = this.track(ticket, control, hardStop, false);
    this.startReading();
    void this.addJob(ticket).catch((err: unknown) => this.options.onNotice?.(`could not queue trial ${ticket.number}: ${(err as Error).message}`));
    return settled;
  }

  /**
   * Resume: follow a trial an earlier controller dispatched, if Redis still
   * knows of it (its job waits or runs, a worker claims it, or messages about
   * it wait in the inbox). Null: nothing knows it; it is run again.
   */
  adopt(ticket: TrialTicket, control: TrialControl, hardStop: AbortSignal): Promise<TrialResult> | null {
    const n = ticket.number;
    const claimed = [...this.workers.values()].some((w) => w.beat.running.some((r) => r.study === this.key && r.trial === n));
    if (!claimed && !this.knownJobs.has(n) && !this.inboxTrials.has(n)) return null;
    const settled = this.track(ticket, control, hardStop, true);
    this.startReading();
    return settled;
  }

  /** Late results already recorded ignored (trial/worker id). */
  private readonly ignored = new Set<string>();

  /**
   * Before a resume adopts the trials its journal shows running: which of
   * them Redis still knows. The inbox is only looked at here; its messages
   * are handled once the trials are adopted.
   */
  async prepareAdoption(trials: readonly number[]): Promise<void> {
    for (const n of trials) {
      const state = await this.queue.getJobState(jobId(n));
      if (state !== 'unknown' && state !== 'failed' && state !== 'completed') this.knownJobs.add(n);
    }
    const entries = (await this.cmd.xrange(keys.studyInbox(this.key), '-', '+')) as Array<[string, string[]]>;
    for (const [, fields] of entries) {
      const parsed = inboxMessageSchema.safeParse(entryPayload(fields));
      if (parsed.success) this.inboxTrials.add(parsed.data.trial);
    }
  }

  /** Starts handling the inbox: after the resume's adoptions, which happen in the same tick. */
  private startReading(): void {
    if (this.reading) return;
    this.reading = true;
    setImmediate(() => {
      if (!this.closed) this.readerLoop = this.readInbox();
    });
  }

  private track(ticket: TrialTicket, control: TrialControl, hardStop: AbortSignal, adopted: boolean): Promise<TrialResult> {
    return new Promise<TrialResult>((resolve, reject) => {
      const remote: Remote = {
        ticket,
        control,
        resolve: (r) => {
          cleanup();
          resolve(r);
        },
        reject: (e) => {
          cleanup();
          reject(e);
        },
        worker: null,
        since: Date.now(),
        adopted,
        stopping: false,
      };
      const onStop = () => void this.stopTrial(remote, false);
      const onKill = () => {
        void this.stopTrial(remote, true);
        remote.reject(new Error('terminated'));
      };
      const cleanup = () => {
        this.remotes.delete(ticket.number);
        control.stopSignal.removeEventListener('abort', onStop);
        hardStop.removeEventListener('abort', onKill);
      };
      this.remotes.set(ticket.number, remote);
      control.stopSignal.addEventListener('abort', onStop);
      hardStop.addEventListener('abort', onKill);
      if (control.stopSignal.aborted) onStop();
    });
  }

  private async addJob(ticket: TrialTicket): Promise<void> {
    await this.queue.add(
      'trial',
      { study: this.key, trial: ticket.number, seed: ticket.seed, params: ticket.params },
      { jobId: jobId(ticket.number), attempts: 1, removeOnComplete: true, removeOnFail: false },
    );
  }

  /** Asks a trial to stop: through its worker once one has it, else by taking its job back. */
  private async stopTrial(remote: Remote, kill: boolean): Promise<void> {
    if (remote.worker) {
      await this.send(remote.worker.id, { t: 'stop', study: this.key, trial: remote.ticket.number, kill });
      return;
    }
    remote.stopping = true;
    const removed = await this.queue.remove(jobId(remote.ticket.number)).catch(() => 0);
    // Removed while waiting: it never ran. Otherwise a worker has just taken it: 'started' sends the stop.
    if (removed === 1 && this.remotes.get(remote.ticket.number) === remote) {
      remote.resolve({ outcome: { kind: 'stopped', lastValue: null, metrics: {} }, sawStop: true, threadId: 0 });
    }
  }

  private async send(workerId: string, message: WorkerMessage): Promise<void> {
    // Dropped if the worker's inbox is gone (it left, or its key expired): never re-created here.
    await this.cmd.addIfExists(keys.workerInbox(workerId), encode(message), '10000');
  }

  // ---------------------------------------------------------------------------
  // The inbox: worker -> controller
  // ---------------------------------------------------------------------------

  private async readInbox(): Promise<void> {
    while (!this.closed) {
      let reply: Array<[string, Array<[string, string[]]>]> | null;
      try {
        reply = (await this.reader.xread('COUNT', 1000, 'BLOCK', 1000, 'STREAMS', keys.studyInbox(this.key), this.lastId)) as typeof reply;
      } catch {
        if (this.closed) return;
        await sleep(200);
        continue;
      }
      if (reply) await this.handleEntries(reply[0]?.[1] ?? []);
    }
  }

  private async handleEntries(entries: Array<[string, string[]]>): Promise<void> {
    if (entries.length === 0) return;
    const ids: string[] = [];
    const replies: Array<Promise<unknown>> = [];
    for (const [id, fields] of entries) {
      this.lastId = id;
      ids.push(id);
      const parsed = inboxMessageSchema.safeParse(entryPayload(fields));
      if (!parsed.success) {
        this.options.onNotice?.(`ignored a malformed message from a worker: ${parsed.error.issues[0]?.message ?? 'unreadable'}`);
        continue;
      }
      // Handled in order (each journals before its first await); their answers and acks go out
      // together, pipelined, instead of one round trip after another.
      const message = parsed.data;
      replies.push(
        this.onMessage(message).catch((err: unknown) =>
          this.options.onNotice?.(`could not handle a ${message.t} message for trial ${message.trial}: ${(err as Error).message}`),
        ),
      );
    }
    await Promise.all(replies);
    // Handled (journalled): delete them, so that a resumed controller does not see them again.
    await this.cmd.xdel(keys.studyInbox(this.key), ...ids).catch(() => 0);
  }

  private async onMessage(message: InboxMessage): Promise<void> {
    const remote = this.remotes.get(message.trial);
    switch (message.t) {
      case 'started': {
        if (!remote) {
          // Nobody waits for it (stopped before it was taken, or finished otherwise): stop it there.
          await this.send(message.worker.id, { t: 'stop', study: this.key, trial: message.trial, kill: true });
          return;
        }
        this.assign(remote, message.worker);
        if (remote.stopping || remote.control.stopSignal.aborted) {
          await this.send(message.worker.id, { t: 'stop', study: this.key, trial: message.trial, kill: false });
        }
        return;
      }
      case 'report': {
        let prune = true; // a trial nobody follows should stop
        if (remote) {
          const record = this.options.study.trial(message.trial);
          const seen = remote.adopted && record?.intermediate.some(([s, v]) => s === message.step && v === message.value);
          prune = seen ? false : remote.control.report(message.step, message.value);
        }
        await this.send(message.worker, { t: 'answer', study: this.key, trial: message.trial, seq: message.seq, prune });
        return;
      }
      case 'result':
        await this.onResult(message);
        return;
      case 'requeue': {
        if (remote) {
          if (!remote.worker) this.assign(remote, message.worker);
          remote.reject(new TrialRequeued(message.reason));
          this.options.onNotice?.(`trial ${message.trial}: ${message.reason}; it will run again`);
        }
        this.ack(message.worker.id, message.trial);
        return;
      }
    }
  }

  private assign(remote: Remote, worker: WorkerRef): void {
    if (remote.worker?.id === worker.id) return;
    remote.worker = worker;
    remote.control.assigned({ name: worker.name, host: worker.host, pid: worker.pid });
  }

  private async onResult(message: ResultMessage): Promise<void> {
    const remote = this.remotes.get(message.trial);
    if (remote) {
      if (!remote.worker) this.assign(remote, message.worker);
      if (message.ranMs !== undefined && this.prefetch.note(message.ranMs)) this.wakeCapacityWaiters();
      // Files first: the trial is journalled finished only once its weights are where repro looks.
      this.writeFiles(message);
      remote.resolve(message.result);
    } else {
      const record = this.options.study.trial(message.trial);
      const finishedOtherwise = record && (record.requeued || record.error === INTERRUPTED || (record.error ?? '').startsWith('exceeded --trial-timeout'));
      // Once per trial and worker: a worker sends a result again until its ack arrives (after a reconnect, twice).
      const once = `${message.trial}/${message.worker.id}`;
      if (record && finishedOtherwise && !this.ignored.has(once)) {
        this.ignored.add(once);
        const outcome = message.result.outcome;
        const value = outcome.kind === 'returned' && typeof outcome.value === 'number' ? outcome.value : null;
        this.options.study.ignoreResult(
          message.trial,
          message.worker.name,
          outcome.kind === 'returned' ? 'complete' : outcome.kind,
          value,
          `the trial was already recorded ${record.state}${record.error ? ` (${record.error})` : ''}`,
        );
        this.options.onNotice?.(`ignored a late result of trial ${message.trial} from ${message.worker.name}: already recorded ${record.state}`);
      }
      // Else: a result delivered twice (sent again before its ack arrived); the first was applied.
    }
    this.ack(message.worker.id, message.trial);
  }

  /**
   * Acks go out in batches, ACK_DELAY_MS after the first of a batch: a worker
   * needs them only to forget a result it keeps for re-sending (it re-sends
   * after 10 s without one, or after a reconnect), so there is no hurry, and
   * one message per trial cost every worker a wake-up and a Redis round trip
   * per trial, where dispatch is the bottleneck.
   */
  private ack(workerId: string, trial: number): void {
    const trials = this.pendingAcks.get(workerId);
    if (trials) trials.push(trial);
    else this.pendingAcks.set(workerId, [trial]);
    this.ackTimer ??= setTimeout(() => void this.flushAcks(), ACK_DELAY_MS);
  }

  private async flushAcks(): Promise<void> {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = null;
    const batches = [...this.pendingAcks];
    this.pendingAcks.clear();
    await Promise.all(batches.map(([id, trials]) => this.send(id, { t: 'ack', study: this.key, trials }).catch(() => {})));
  }

  private writeFiles(message: ResultMessage): void {
    if (message.files.length === 0) return;
    const dir = trialDir(this.options.resultsDir, this.options.study.name, message.trial);
    fs.mkdirSync(dir, { recursive: true });
    for (const file of message.files) writeFileAtomic(path.join(dir, file.name), Buffer.from(file.base64, 'base64'));
  }

  // ---------------------------------------------------------------------------
  // Heartbeats, lost workers, jobs Redis lost
  // ---------------------------------------------------------------------------

  private async pollWorkers(): Promise<void> {
    if (this.closed) return;
    await this.publishInfo();
    const ids = await this.cmd.smembers(keys.workers);
    const raw = ids.length ? await this.cmd.mget(ids.map((id) => keys.worker(id))) : [];
    const now = Date.now();
    const expired: string[] = [];
    ids.forEach((id, i) => {
      const text = raw[i];
      if (!text) {
        if (!this.workers.has(id)) expired.push(id); // a worker long gone: its key expired
        return;
      }
      const parsed = heartbeatSchema.safeParse(safeJson(text));
      if (!parsed.success) return;
      const beat = parsed.data;
      const seen = this.workers.get(id);
      const serves = beat.studies === null || beat.studies.includes(this.options.study.name) || beat.studies.includes(this.key);
      if (!seen) {
        this.workers.set(id, { beat, lastMoved: now, serves, journalled: false });
      } else {
        if (beat.beat !== seen.beat.beat) seen.lastMoved = now;
        seen.beat = beat;
        seen.serves = serves;
      }
    });
    if (expired.length) await this.cmd.srem(keys.workers, ...expired);
    for (const [id, seen] of this.workers) {
      seen.lastMoved = Math.max(seen.lastMoved, this.reconnectedAt);
      const worker = { name: seen.beat.name, host: seen.beat.host, pid: seen.beat.pid, slots: seen.beat.slots };
      if (seen.serves && seen.beat.state === 'serving' && !seen.journalled && now - seen.lastMoved < this.options.timings.lostAfterMs) {
        seen.journalled = true;
        this.options.study.workerEvent('worker_joined', worker);
        this.options.onNotice?.(`worker ${seen.beat.name} (${seen.beat.host}, pid ${seen.beat.pid}) joined: ${seen.beat.slots} slot(s)`);
      }
      if (seen.beat.state === 'gone') {
        this.workers.delete(id);
        await this.cmd.srem(keys.workers, id);
        if (seen.journalled) this.options.study.workerEvent('worker_left', worker, 'stopped');
        continue;
      }
      if (now - seen.lastMoved >= this.options.timings.lostAfterMs) {
        this.workers.delete(id);
        await this.cmd.srem(keys.workers, id);
        const held = [...this.remotes.values()].filter((r) => r.worker?.id === id);
        if (seen.journalled || held.length) {
          const seconds = Math.round((now - seen.lastMoved) / 1000);
          this.options.study.workerEvent(held.length ? 'worker_lost' : 'worker_left', worker, `no heartbeat for ${seconds}s`);
        }
        for (const remote of held) {
          const why = `worker lost: ${seen.beat.name} on ${seen.beat.host} (no heartbeat for ${Math.round((now - seen.lastMoved) / 1000)}s)`;
          // If it is only cut off, it stops the trial when it is back.
          await this.send(id, { t: 'stop', study: this.key, trial: remote.ticket.number, kill: true });
          await this.queue.remove(jobId(remote.ticket.number)).catch(() => 0);
          remote.reject(new TrialRequeued(why));
        }
      }
    }
    // Adopted trials: the heartbeats say who runs them.
    for (const remote of this.remotes.values()) {
      if (remote.worker) continue;
      for (const seen of this.workers.values()) {
        if (seen.beat.running.some((r) => r.study === this.key && r.trial === remote.ticket.number)) {
          this.assign(remote, { id: seen.beat.id, name: seen.beat.name, host: seen.beat.host, pid: seen.beat.pid });
        }
      }
    }
    const slots = [...this.workers.values()]
      .filter((w) => w.serves && w.beat.state === 'serving' && now - w.lastMoved < this.options.timings.lostAfterMs)
      .reduce((sum, w) => sum + w.beat.slots, 0);
    if (slots !== this.slots) {
      this.slots = slots;
      this.wakeCapacityWaiters();
    }
    if (now - this.lastJobCheck >= Math.max(2000, 2 * this.options.timings.heartbeatMs)) {
      this.lastJobCheck = now;
      await this.checkJobs();
    }
  }

  /**
   * Trials no worker has announced: a job that failed (BullMQ's stalled check:
   * its worker died before saying so) is run again; a job Redis lost (a
   * restart keeps nothing here) is added again.
   */
  private async checkJobs(): Promise<void> {
    for (const remote of [...this.remotes.values()]) {
      if (remote.worker || remote.stopping) continue;
      const state = await this.queue.getJobState(jobId(remote.ticket.number));
      if (state === 'failed') {
        const job = await this.queue.getJob(jobId(remote.ticket.number));
        await job?.remove().catch(() => {});
        remote.reject(new TrialRequeued(`job failed in the queue: ${job?.failedReason ?? 'unknown reason'}`));
      } else if (state === 'unknown' && Date.now() - remote.since > this.options.timings.heartbeatMs * 2) {
        remote.since = Date.now();
        await this.addJob(remote.ticket);
      }
    }
  }

  private async afterReconnect(): Promise<void> {
    try {
      await this.publishInfo();
      this.lastJobCheck = 0;
    } catch {
      // the next heartbeat tries again
    }
  }

  /**
   * Stops following the workers. When the study is over (not a crash), every
   * key of the study is removed from Redis: jobs, streams, description.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    for (const wake of this.capacityWaiters) wake();
    const cleanup = async (): Promise<void> => {
      await this.flushAcks();
      await this.stalledChecker.close(true).catch(() => {});
      // Unlisted first, so that workers stop taking the study's jobs; then its queue and inbox.
      await this.cmd.multi().srem(keys.studies, this.key).del(keys.studyInfo(this.key)).exec();
      await this.queue.obliterate({ force: true });
      await this.cmd.del(keys.studyInbox(this.key));
      await this.queue.close();
    };
    // Redis away at the very end must not hold the controller: its journal is complete already.
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), CLOSE_TIMEOUT_MS)));
    const cleaned = await Promise.race([cleanup().then(() => true, () => false), timedOut]);
    clearTimeout(timer); // a pending timer would keep the process alive for the full timeout
    if (!cleaned) {
      this.options.onNotice?.(
        `could not remove the study's queue from Redis at ${this.options.address.shown} in time; ` +
          'its keys (hypersweep:*' + this.key + '*) are left there and can be deleted by hand',
      );
      void this.queue.disconnect().catch(() => {});
      void this.stalledChecker.disconnect().catch(() => {});
    }
    this.reader.disconnect();
    await this.readerLoop.catch(() => {});
    this.cmd.disconnect();
  }
}

/** How long an ack may wait to go out with others (see ack()). */
const ACK_DELAY_MS = 100;

/** How long close() tries to remove the study's keys from Redis. */
const CLOSE_TIMEOUT_MS = 10_000;

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
