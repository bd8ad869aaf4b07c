// `hypersweep worker`: serves the trials of any study dispatched through a
// Redis (or of those it is limited to), in its own Piscina pool, with the same
// CPU budget as a local sweep. It needs no filesystem shared with the
// controller: the study's space and a module objective's code come from Redis,
// the dataset is loaded here, and a trial's saved weights go back with its
// result.
//
// Trials never run on this event loop (a blocked loop would lose BullMQ's job
// lock and have the job run twice): they run in pool threads, and this loop
// only relays reports, answers and stops.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { UnrecoverableError, Worker as BullWorker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';

import type { DeviceName } from '../../engine/addon-types.js';
import type { EngineRequest } from '../../engine/engine-request.js';
import { sameArithmetic } from '../../engine/native.js';
import { isHypersweepError } from '../../errors.js';
import type { StudySpec } from '../../space/spec.js';
import { loadStudyDataset } from '../../trials/objective.js';
import { hypersweepVersion } from '../../trials/record.js';
import { trialDir } from '../../trials/weights.js';
import { TrialPool } from '../pool.js';
import type { TrialResult } from '../protocol.js';
import { commandConnection, connect, type CommandRedis, type QueueAddress } from './redis.js';
import {
  BULL_PREFIX,
  DEFAULT_TIMINGS,
  encode,
  ENSURE_STREAM,
  entryPayload,
  JOB_LOCK_MS,
  jobDataSchema,
  keys,
  STALLED_INTERVAL_MS,
  studyInfoSchema,
  workerMessageSchema,
  type Heartbeat,
  type Identity,
  type InboxMessage,
  type ShippedFile,
  type StudyInfo,
  type WorkerMessage,
  type WorkerRef,
} from './protocol.js';

export interface WorkerServiceOptions {
  address: QueueAddress;
  name: string;
  /** Trials at once. */
  slots: number;
  threadsPerTrial: number;
  device: DeviceName;
  engine: EngineRequest;
  /** Serve only these studies (names or keys); null: any. */
  studies: readonly string[] | null;
  /** Image folders are looked for here (by their base name) when the controller's path does not exist. */
  dataRoot: string | null;
  /** A module objective is looked for under this folder (by its path relative to the controller's working folder). */
  codeRoot: string | null;
  heartbeatMs?: number;
  /** What this worker computes with (version, addon build, GEMM kernels): compared with the controller's. */
  identity: () => Identity;
  log: (line: string) => void;
  /** A line per trial that ends well through `log` (default true); failures and the rest are logged either way. */
  logTrials?: boolean;
}

/** Heartbeats unanswered this long (and at least 5 heartbeats) mean a silent connection: reconnect. */
const WATCHDOG_MS = 4_000;

/** How long a trial waits for the answer to a report before it goes on (an answer normally takes a millisecond). */
const ANSWER_WAIT_MS = 5_000;

/** A trial that ends sooner than this is announced by its result alone (see process()). */
const STARTED_AFTER_MS = 50;

/** A trial running here. */
interface Running {
  study: string;
  trial: number;
  stopper: AbortController;
  hardStop: AbortController;
  seq: number;
  answers: Map<number, (prune: boolean) => void>;
  handBack: boolean;
  killed: boolean;
}

/** What this worker holds for one study. */
interface StudyServer {
  info: StudyInfo;
  /** Why jobs of this study are refused here (different version, build or arithmetic), or null. */
  refusal: string | null;
  bull: BullWorker | null;
  pool: Promise<TrialPool> | null;
  /** When the study was last seen in Redis's list (it disappears for a moment when Redis restarts). */
  lastSeen: number;
  /** Whether its pool has been built (or failed to): only then are its jobs taken. */
  ready: boolean;
}

/** A result not yet acknowledged by the controller: sent again after a reconnect. */
interface Outgoing {
  study: string;
  message: InboxMessage;
  sentAt: number;
}

export class WorkerService {
  readonly ref: WorkerRef;
  private readonly cmd: CommandRedis;
  private readonly reader: Redis;
  private readonly servers = new Map<string, StudyServer>();
  private readonly running = new Map<string, Running>();
  private readonly outbox = new Map<string, Outgoing>();
  /** Studies whose controller left a report unanswered for ANSWER_WAIT_MS (down, or Redis away). */
  private readonly silent = new Set<string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly scratch: string;
  private readonly heartbeatMs: number;
  private beat = 0;
  private state: Heartbeat['state'] = 'serving';
  private lastId = '0';
  private closed = false;
  private readerLoop: Promise<void> = Promise.resolve();
  private free: number;
  private slotWaiters: Array<() => void> = [];
  private disconnectedSince: number | null = null;
  /** When a heartbeat last got Redis's answer (the watchdog's clock). */
  private lastAnswered = Date.now();
  /** Set while the watchdog has dropped a silent connection and waits for it to come back. */
  private silentSince: number | null = null;
  private readonly done: Promise<void>;
  private finish!: () => void;

  constructor(private readonly options: WorkerServiceOptions) {
    const id = `${options.name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`.replace(/[^A-Za-z0-9._-]/g, '_');
    this.ref = { id, name: options.name, host: os.hostname(), pid: process.pid };
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_TIMINGS.heartbeatMs;
    this.free = options.slots;
    this.cmd = commandConnection(options.address, `hs-worker-${id}`);
    this.reader = connect(options.address, `hs-worker-reader-${id}`);
    for (const c of [this.cmd, this.reader]) c.on('error', () => {});
    this.scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'hypersweep-worker-'));
    this.done = new Promise((resolve) => (this.finish = resolve));
    this.cmd.on('close', () => {
      if (this.disconnectedSince === null && !this.closed) {
        this.disconnectedSince = this.silentSince ?? Date.now();
        options.log(`lost the connection to Redis at ${options.address.shown}; reconnecting`);
      }
    });
    this.cmd.on('ready', () => {
      if (this.disconnectedSince === null) return;
      const away = Date.now() - this.disconnectedSince;
      this.disconnectedSince = null;
      this.silentSince = null;
      this.lastAnswered = Date.now();
      options.log(`reconnected to Redis at ${options.address.shown} after ${(away / 1000).toFixed(1)}s`);
      void this.afterReconnect(away);
    });
  }

  async start(): Promise<void> {
    await this.heartbeat();
    this.readerLoop = this.readInbox();
    await this.discover();
    this.timers.push(
      setInterval(() => {
        this.watchdog();
        void this.heartbeat().catch(() => {});
        void this.discover().catch(() => {});
        void this.resendStale().catch(() => {});
      }, this.heartbeatMs),
    );
  }

  /** Resolves once the worker has stopped (stop() or abort()). */
  stopped(): Promise<void> {
    return this.done;
  }

  // ---------------------------------------------------------------------------
  // Heartbeats and studies
  // ---------------------------------------------------------------------------

  private async heartbeat(): Promise<void> {
    const beat: Heartbeat = {
      ...this.ref,
      beat: ++this.beat,
      slots: this.options.slots,
      studies: this.options.studies ? [...this.options.studies] : null,
      running: [...this.running.values()].map((r) => ({ study: r.study, trial: r.trial })),
      state: this.state,
      version: hypersweepVersion(),
    };
    // The key outlives a crash by a minute (for `status`); controllers judge by the beat counter, not the key.
    const inbox = keys.workerInbox(this.ref.id);
    await this.cmd
      .multi()
      .set(keys.worker(this.ref.id), JSON.stringify(beat), 'PX', 60_000)
      .sadd(keys.workers, this.ref.id)
      // Our inbox (controllers post only into one that exists) expires with our key if we die.
      .eval(ENSURE_STREAM, 1, inbox)
      .pexpire(inbox, 60_000)
      .exec();
    this.lastAnswered = Date.now();
  }

  /**
   * A network partition drops packets without a reset: the TCP connection
   * stays "up", ioredis never reconnects, and it recovers only when TCP's
   * backed-off retransmissions get through (minutes after a long cut). When
   * heartbeats go unanswered this long, drop both connections and reconnect;
   * the reconnection then also makes the BullMQ workers anew.
   */
  private watchdog(): void {
    if (this.closed || this.silentSince !== null || this.cmd.status !== 'ready') return;
    const silent = Date.now() - this.lastAnswered;
    if (silent < Math.max(WATCHDOG_MS, 5 * this.heartbeatMs)) return;
    this.silentSince = this.lastAnswered;
    this.options.log(`no answer from Redis at ${this.options.address.shown} for ${(silent / 1000).toFixed(1)}s; reconnecting`);
    this.cmd.disconnect(true);
    this.reader.disconnect(true);
  }

  private serves(info: { key: string; name: string }): boolean {
    const only = this.options.studies;
    return only === null || only.includes(info.name) || only.includes(info.key);
  }

  /** Starts serving studies that appeared in Redis; drops those gone for good. */
  private async discover(): Promise<void> {
    if (this.state !== 'serving') return;
    const studyKeys = await this.cmd.smembers(keys.studies);
    const now = Date.now();
    for (const key of studyKeys) {
      const server = this.servers.get(key);
      if (server) {
        server.lastSeen = now;
        // Back after a moment away (a Redis restart): take its jobs again.
        if (!server.bull && !server.refusal && server.ready) server.bull = this.createBullWorker(server);
        continue;
      }
      await this.ensureStudy(key).catch((err: unknown) => this.options.log(`cannot serve study ${key}: ${(err as Error).message}`));
    }
    for (const [key, server] of this.servers) {
      const busy = [...this.running.values()].some((r) => r.study === key);
      // Gone from Redis's list: stop taking (and touching) its queue at once, which its
      // controller has just removed; keep the pool a while in case it only blinked.
      if (server.bull && !busy && now - server.lastSeen > Math.max(3_000, 3 * this.heartbeatMs)) {
        const bull = server.bull;
        server.bull = null;
        await bull.close(true).catch(() => {});
      }
      if (!busy && now - server.lastSeen > 30_000) {
        this.servers.delete(key);
        // Results nobody will ack (the study ended while we were cut off): stop sending them.
        for (const [k, item] of this.outbox) if (item.study === key) this.outbox.delete(k);
        await this.closeServer(server);
        this.options.log(`study ${server.info.name} is over; no longer serving it`);
      }
    }
  }

  private async ensureStudy(key: string): Promise<StudyServer | null> {
    const existing = this.servers.get(key);
    if (existing) return existing;
    const text = await this.cmd.get(keys.studyInfo(key));
    if (!text) return null;
    const parsed = studyInfoSchema.safeParse(JSON.parse(text));
    if (!parsed.success) {
      this.options.log(`study ${key}: its description in Redis does not validate (${parsed.error.issues[0]?.message}); is this worker's hypersweep the controller's version?`);
      return null;
    }
    const info = parsed.data;
    if (!this.serves(info)) return null;
    if (this.servers.has(key)) return this.servers.get(key)!;
    const server: StudyServer = { info, refusal: this.refusalFor(info), bull: null, pool: null, lastSeen: Date.now(), ready: false };
    this.servers.set(key, server);
    if (server.refusal) {
      server.ready = true;
      server.bull = this.createBullWorker(server);
    } else {
      // Dataset and pool threads first, then take jobs: a job waits for a worker that can run it
      // now rather than for this one's start-up. A pool that fails to build fails its first trial,
      // which tells the controller why (as a local sweep's would).
      const takeJobs = () => {
        server.ready = true;
        if (this.servers.get(key) === server && this.state === 'serving') server.bull ??= this.createBullWorker(server);
      };
      void this.pool(server).then(takeJobs, takeJobs);
    }
    this.options.log(
      server.refusal
        ? `study ${info.name}: refusing its trials: ${server.refusal}`
        : `serving study ${info.name} (controller pid ${info.controller.pid} on ${info.controller.host})`,
    );
    return server;
  }

  /** Why this worker must not run the study's trials (its numbers would differ), or null. */
  private refusalFor(info: StudyInfo): string | null {
    const mine = this.options.identity();
    const theirs = info.identity;
    if (mine.version !== theirs.version) return `hypersweep ${mine.version} here, ${theirs.version} on the controller`;
    if (theirs.build !== null && mine.build !== theirs.build) {
      return `native addon build ${mine.build ?? 'missing'} here, ${theirs.build} on the controller (rebuild one of them from the same sources)`;
    }
    if (theirs.simd !== null && mine.simd !== null && this.options.device === 'cpu' && !sameArithmetic(mine.simd, theirs.simd)) {
      return `GEMM kernels ${mine.simd} here, ${theirs.simd} on the controller: results would not repeat bit for bit`;
    }
    return null;
  }

  private createBullWorker(server: StudyServer): BullWorker {
    const connection = { ...this.options.address.options, maxRetriesPerRequest: null, retryStrategy: (n: number) => Math.min(250 * n, 2000) };
    const bull = new BullWorker(server.info.queue, (job: Job) => this.process(server.info.key, job), {
      connection,
      prefix: BULL_PREFIX,
      concurrency: this.options.slots,
      lockDuration: JOB_LOCK_MS,
      stalledInterval: STALLED_INTERVAL_MS,
      maxStalledCount: 0,
      // The controller runs the queue's stalled-job check (and only it: a check here after the
      // study ended would re-create keys of the queue the controller has just removed).
      skipStalledCheck: true,
      // Nothing waits on BullMQ's removal of finished jobs: the controller removes them.
      removeOnComplete: { count: 0 },
    });
    bull.on('error', () => {});
    return bull;
  }

  private async closeServer(server: StudyServer): Promise<void> {
    await server.bull?.close(true).catch(() => {});
    server.bull = null;
    const pool = await server.pool?.catch(() => null);
    await pool?.close();
  }

  /** The study's pool, built on its first trial: dataset loaded here, objective built in each thread. */
  private pool(server: StudyServer): Promise<TrialPool> {
    server.pool ??= (async () => {
      const spec = this.localSpec(server.info);
      const dataset =
        spec.objective.kind === 'model' ? await loadStudyDataset(spec, this.scratch, (line) => this.options.log(line)) : null;
      const pool = new TrialPool(this.options.slots, {
        spec,
        runtime: {
          device: this.options.device,
          threads: this.options.threadsPerTrial,
          engine: this.options.engine,
          weights: server.info.runtime.saveWeights ? { resultsDir: this.scratch, study: server.info.name } : null,
        },
        dataset,
      });
      await pool.prepare();
      return pool;
    })();
    return server.pool;
  }

  /** The controller's spec with paths mapped onto this machine (module code, image folders). */
  private localSpec(info: StudyInfo): StudySpec {
    let spec = info.spec as unknown as StudySpec;
    if (spec.objective.kind === 'module' && info.code) {
      spec = { ...spec, objective: { ...spec.objective, path: this.moduleFile(info.code) } };
    }
    const folder = spec.dataset?.folder;
    if (spec.dataset && folder && !fs.existsSync(folder) && this.options.dataRoot) {
      spec = { ...spec, dataset: { ...spec.dataset, folder: path.join(this.options.dataRoot, path.basename(folder)) } };
    }
    return spec;
  }

  /**
   * Where to import a module objective from: the same file here (under
   * --code-root, or at the controller's path), so that its own imports of
   * local files resolve, if its hash matches; else, when no such file exists,
   * the code sent by the controller, written to a scratch folder. A file that
   * exists but differs is refused: it would not be the study's objective.
   */
  private moduleFile(code: NonNullable<StudyInfo['code']>): string {
    const candidate = this.options.codeRoot ? path.resolve(this.options.codeRoot, code.module) : code.path;
    if (fs.existsSync(candidate)) {
      const sha = createHash('sha256').update(fs.readFileSync(candidate)).digest('hex');
      if (sha !== code.sha256) {
        throw new CodeMismatch(`${candidate} differs from the controller's objective module (sha256 ${sha.slice(0, 12)}… here, ${code.sha256.slice(0, 12)}… there)`);
      }
      return candidate;
    }
    const dir = path.join(this.scratch, 'code', code.sha256.slice(0, 16));
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, path.basename(code.path));
    fs.writeFileSync(file, code.source);
    return file;
  }

  // ---------------------------------------------------------------------------
  // Running a job
  // ---------------------------------------------------------------------------

  private async process(study: string, job: Job): Promise<{ trial: number } | { refused: string }> {
    const parsed = jobDataSchema.safeParse(job.data);
    if (!parsed.success) {
      const why = `invalid job payload for ${job.id ?? '?'}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`;
      this.options.log(why);
      throw new UnrecoverableError(why);
    }
    const data = parsed.data;
    const server = this.servers.get(study);
    if (!server) throw new UnrecoverableError(`study ${study} is not served here`);
    if (server.refusal) {
      await this.refuse(server, data.trial);
      return { refused: server.refusal };
    }
    await this.acquireSlot();
    const run: Running = {
      study,
      trial: data.trial,
      stopper: new AbortController(),
      hardStop: new AbortController(),
      seq: 0,
      answers: new Map(),
      handBack: false,
      killed: false,
    };
    const runKey = `${study}/${data.trial}`;
    this.running.set(runKey, run);
    // 'started' goes out only once the trial has run for STARTED_AFTER_MS: a trial that ends
    // sooner is announced by its result (the controller takes the worker from it), which spares
    // a message, a wake-up and a journal event per trial where dispatch is the bottleneck.
    // Meanwhile the heartbeat (its `running` list) and BullMQ's job lock cover a lost worker.
    const announce = setTimeout(() => void this.post(study, { t: 'started', trial: data.trial, worker: this.ref }).catch(() => {}), STARTED_AFTER_MS);
    try {
      if (this.state !== 'serving') run.handBack = true;
      let result: TrialResult;
      const t0 = Date.now();
      try {
        if (run.handBack) throw new Error('handed back');
        const pool = await this.pool(server);
        result = await pool.runWithLink({ number: data.trial, seed: data.seed, params: data.params }, (step, value) => this.report(run, step, value), run.stopper.signal, run.hardStop.signal);
      } catch (err) {
        if (err instanceof CodeMismatch) {
          server.refusal = err.message;
          run.handBack = false;
          await this.refuse(server, data.trial);
          return { refused: err.message };
        }
        result = failure(err, run.hardStop.signal.aborted);
      }
      clearTimeout(announce); // ended: its result says where it ran
      if (run.killed) return { trial: data.trial };
      if (run.handBack) {
        await this.deliver(study, { t: 'requeue', trial: data.trial, worker: this.ref, reason: `handed back by worker ${this.ref.name} (stopping)` });
        return { trial: data.trial };
      }
      const files = this.collectFiles(server.info.name, data.trial);
      pointReproAtControllerCode(result, server.info);
      await this.deliver(study, { t: 'result', trial: data.trial, worker: this.ref, result, files, ranMs: Date.now() - t0 });
      const outcome = result.outcome;
      if (this.options.logTrials !== false || outcome.kind === 'threw') {
        const shown = outcome.kind === 'returned' ? `value ${String(outcome.value)}` : outcome.kind === 'stopped' ? 'stopped' : `failed: ${outcome.error.message}`;
        this.options.log(`trial ${data.trial} of ${server.info.name}: ${shown} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
      }
      return { trial: data.trial };
    } finally {
      clearTimeout(announce);
      this.running.delete(runKey);
      for (const answer of run.answers.values()) answer(false);
      this.releaseSlot();
    }
  }

  /** Hands the trial back with the reason, and stops taking this study's jobs so that other workers get them. */
  private async refuse(server: StudyServer, trial: number): Promise<void> {
    const reason = `refused by worker ${this.ref.name}: ${server.refusal}`;
    this.options.log(`trial ${trial} of ${server.info.name}: ${reason}`);
    await this.deliver(server.info.key, { t: 'requeue', trial, worker: this.ref, reason });
    void server.bull?.close().catch(() => {});
  }

  /**
   * Sends a report and resolves with the controller's prune decision, or with
   * "go on" when none comes in time (the controller is down or Redis is
   * away): a trial never waits on a controller that is not there. The report
   * stays in the inbox and is journalled when a controller reads it.
   */
  private report(run: Running, step: number, value: number): Promise<boolean> {
    const seq = ++run.seq;
    const post = () => this.post(run.study, { t: 'report', trial: run.trial, seq, step, value, worker: this.ref.id }).catch(() => {});
    if (this.silent.has(run.study)) {
      // Its controller did not answer lately: go on at once, until it answers again.
      void post();
      return Promise.resolve(false);
    }
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        run.answers.delete(seq);
        this.silent.add(run.study);
        resolve(false);
      }, ANSWER_WAIT_MS);
      run.answers.set(seq, (prune) => {
        clearTimeout(timer);
        resolve(prune);
      });
      void post();
    });
  }

  /** Weights a complete trial saved here: shipped with its result, then removed. */
  private collectFiles(study: string, trial: number): ShippedFile[] {
    const dir = trialDir(this.scratch, study, trial);
    if (!fs.existsSync(dir)) return [];
    const files = fs
      .readdirSync(dir)
      .filter((name) => !name.includes('.tmp-'))
      .map((name) => ({ name, base64: fs.readFileSync(path.join(dir, name)).toString('base64') }));
    fs.rmSync(dir, { recursive: true, force: true });
    return files;
  }

  /**
   * Posts into the study's inbox if it exists; false when dropped: the study
   * is over (its controller deleted the inbox), or Redis restarted and the
   * controller has not made it again yet. Never re-creates an inbox.
   */
  private async post(study: string, message: InboxMessage): Promise<boolean> {
    return (await this.cmd.addIfExists(keys.studyInbox(study), encode(message))) !== null;
  }

  /** A terminal message: kept until the controller acks it, sent again after a reconnect. */
  private async deliver(study: string, message: InboxMessage): Promise<void> {
    const item: Outgoing = { study, message, sentAt: Date.now() };
    this.outbox.set(`${study}/${message.trial}`, item);
    await this.send(item);
  }

  /** Sends an outbox item; one that was dropped is tried again at the next heartbeat. */
  private async send(item: Outgoing): Promise<void> {
    item.sentAt = Date.now();
    if (!(await this.post(item.study, item.message))) item.sentAt = 0;
  }

  private async resendStale(): Promise<void> {
    const now = Date.now();
    for (const item of this.outbox.values()) {
      if (now - item.sentAt < 10_000) continue;
      await this.send(item);
    }
  }

  private async afterReconnect(awayMs: number): Promise<void> {
    await this.heartbeat().catch(() => {});
    for (const item of this.outbox.values()) await this.send(item).catch(() => {});
    // Trials still running here: say so again (a Redis restart lost the first 'started').
    for (const run of this.running.values()) {
      await this.post(run.study, { t: 'started', trial: run.trial, worker: this.ref }).catch(() => {});
    }
    // BullMQ workers are known to stay stuck after long outages: make them anew.
    if (awayMs > 5_000 && this.state === 'serving') {
      const listed = new Set(await this.cmd.smembers(keys.studies).catch(() => [] as string[]));
      for (const server of this.servers.values()) {
        if (server.refusal || !server.bull || !listed.has(server.info.key)) continue;
        const old = server.bull;
        server.bull = this.createBullWorker(server);
        void old.close(true).catch(() => {});
      }
    }
  }

  // ---------------------------------------------------------------------------
  // The inbox: controller -> worker
  // ---------------------------------------------------------------------------

  private async readInbox(): Promise<void> {
    const inbox = keys.workerInbox(this.ref.id);
    while (!this.closed) {
      let reply: Array<[string, Array<[string, string[]]>]> | null;
      try {
        reply = (await this.reader.xread('COUNT', 1000, 'BLOCK', 1000, 'STREAMS', inbox, this.lastId)) as typeof reply;
      } catch {
        if (this.closed) return;
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      const entries = reply?.[0]?.[1] ?? [];
      if (entries.length === 0) continue;
      // Read past by id, never deleted one by one: controllers cap the stream's length (MAXLEN ~),
      // and it expires with this worker.
      for (const [id, fields] of entries) {
        this.lastId = id;
        const parsed = workerMessageSchema.safeParse(entryPayload(fields));
        if (parsed.success) this.onMessage(parsed.data);
      }
    }
  }

  private onMessage(message: WorkerMessage): void {
    switch (message.t) {
      case 'answer': {
        this.silent.delete(message.study);
        const run = this.running.get(`${message.study}/${message.trial}`);
        const answer = run?.answers.get(message.seq);
        if (run && answer) {
          run.answers.delete(message.seq);
          answer(message.prune);
        }
        return;
      }
      case 'stop': {
        const run = this.running.get(`${message.study}/${message.trial}`);
        if (!run) return;
        if (message.kill) {
          run.killed = true;
          run.hardStop.abort();
        } else run.stopper.abort();
        return;
      }
      case 'ack':
        for (const trial of message.trials) this.outbox.delete(`${message.study}/${trial}`);
        return;
    }
  }

  // ---------------------------------------------------------------------------
  // Slots and stopping
  // ---------------------------------------------------------------------------

  private async acquireSlot(): Promise<void> {
    while (this.free <= 0) await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
    this.free--;
  }

  private releaseSlot(): void {
    this.free++;
    this.slotWaiters.shift()?.();
  }

  /**
   * Ctrl-C: take no more jobs, stop the running trials and hand them back to
   * the controller (run again elsewhere, not lost), wait for the controller's
   * acks (a few seconds at most), then leave.
   */
  async stop(): Promise<void> {
    if (this.state !== 'serving') return;
    this.state = 'stopping';
    await this.heartbeat().catch(() => {});
    for (const server of this.servers.values()) void server.bull?.pause(true).catch(() => {});
    for (const run of this.running.values()) {
      run.handBack = true;
      run.stopper.abort();
    }
    const deadline = Date.now() + 30_000;
    while (this.running.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const ackDeadline = Date.now() + 5_000;
    while (this.outbox.size > 0 && Date.now() < ackDeadline) await new Promise((r) => setTimeout(r, 50));
    await this.shutdown();
  }

  /** Second Ctrl-C: hand back what runs, without waiting for anything, and leave. */
  async abort(): Promise<void> {
    const sends = [...this.running.values()].map((run) =>
      this.post(run.study, { t: 'requeue', trial: run.trial, worker: this.ref, reason: `handed back by worker ${this.ref.name} (aborted)` }),
    );
    await Promise.race([Promise.allSettled(sends), new Promise((r) => setTimeout(r, 1000))]);
    this.state = 'gone';
    await Promise.race([this.heartbeat().catch(() => {}), new Promise((r) => setTimeout(r, 500))]);
    this.closed = true;
    this.finish();
  }

  private async shutdown(): Promise<void> {
    this.state = 'gone';
    await this.cmd
      .multi()
      // Left in the set with state 'gone' so that controllers see it leave; they remove it from the set.
      .set(keys.worker(this.ref.id), JSON.stringify({ ...this.ref, beat: ++this.beat, slots: 0, studies: null, running: [], state: 'gone', version: hypersweepVersion() }), 'PX', 10_000)
      .del(keys.workerInbox(this.ref.id))
      .exec()
      .catch(() => {});
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    for (const server of this.servers.values()) await this.closeServer(server);
    this.reader.disconnect();
    await this.readerLoop.catch(() => {});
    this.cmd.disconnect();
    fs.rmSync(this.scratch, { recursive: true, force: true });
    this.finish();
  }
}

/** The objective module here is not the controller's: the study's jobs are refused. */
class CodeMismatch extends Error {}

/** A trial whose thread died, whose objective could not be built, or that was terminated. */
function failure(err: unknown, terminated: boolean): TrialResult {
  if (isHypersweepError(err)) {
    return {
      outcome: { kind: 'threw', error: { message: err.message, code: err.code, exitCode: err.exitCode, ...(err.hint ? { hint: err.hint } : {}) }, metrics: {} },
      sawStop: false,
      threadId: -1,
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  const text = terminated ? "terminated on the controller's request" : `worker thread died: ${message}`;
  return { outcome: { kind: 'threw', error: { message: text }, metrics: {} }, sawStop: false, threadId: -1 };
}

/**
 * A module objective may have run from a copy in this worker's scratch folder:
 * its repro record names the controller's file (same sha256), where `repro`
 * runs it again.
 */
function pointReproAtControllerCode(result: TrialResult, info: StudyInfo): void {
  const repro = result.outcome.metrics['repro'] as { module?: { path?: string; sha256?: string } } | undefined;
  if (info.code && repro?.module && repro.module.sha256 === info.code.sha256) repro.module.path = info.code.path;
}
