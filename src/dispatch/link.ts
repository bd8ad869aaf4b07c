// The link between the controller and the worker running one trial: a
// MessageChannel for the worker's reports and suggestions and the controller's
// stop request and answers, and a few Int32 slots in a SharedArrayBuffer
// through which the controller answers each report (prune or not), signals
// each suggestion answered, and raises a stop flag.
//
// Why shared slots: ctx.shouldPrune() is synchronous (as Optuna's
// trial.should_prune()), and an objective calls it right after ctx.report().
// The worker posts the report, then waits on the slot (Atomics.wait) until the
// controller has journalled the value and written the pruner's answer: a
// round trip of well under a millisecond, once per epoch. The controller never
// waits on a worker, so this cannot deadlock.
//
// ctx.suggestFloat/Int/Categorical (define-by-run) are synchronous too, as a
// library trial's are (src/api/trial.ts): the worker posts the name and
// distribution and waits on the SUGGESTED slot; the controller draws from the
// study's sampler, journals param_suggested, posts the value (any ParamValue:
// a string does not fit a slot) and then bumps the slot; the worker takes the
// value off its port with receiveMessageOnPort (its event loop is blocked, so
// the message is still queued).
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';

import type { ParamValue } from '../api/types.js';
import type { Distribution } from '../space/distributions.js';
import { errorInfo, rebuildError, type ErrorInfo } from './protocol.js';

/** Index of the last report sequence number answered. */
const ANSWERED = 0;
/** 1 once the pruner said stop. */
const PRUNE = 1;
/** 1 once the controller asked the trial to stop (Ctrl-C, timeout). */
const STOP = 2;
/** Sequence number of the last suggestion answered (its value is on the port). */
const SUGGESTED = 3;
const SLOTS = 4;

/** How long a worker waits for an answer before it carries on as if told "go on". */
const ANSWER_WAIT_MS = 60_000;

export interface ReportMessage {
  type: 'report';
  seq: number;
  step: number;
  value: number;
}
export interface StopMessage {
  type: 'stop';
}
export interface SuggestMessage {
  type: 'suggest';
  seq: number;
  name: string;
  distribution: Distribution;
}
export type SuggestedMessage = { type: 'suggested'; seq: number } & ({ value: ParamValue } | { error: ErrorInfo });

/** Answers a trial's suggestion: its value of `name`, drawn and journalled (or throws: the trial's suggest* throws it). */
export type SuggestAnswerer = (name: string, distribution: Distribution) => ParamValue;

/**
 * The controller's end. `onReport` journals the value and returns the
 * pruner's decision: at once in a local sweep, or later (a promise) on a
 * `hypersweep worker`, where the decision comes back from the controller
 * through Redis. Answers are written in the order the reports were sent.
 */
export class ControllerLink {
  readonly workerPort: MessagePort;
  readonly shared = new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT);
  private readonly slots = new Int32Array(this.shared);
  private readonly port: MessagePort;
  private pending: Promise<void> = Promise.resolve();

  constructor(
    onReport: (step: number, value: number) => boolean | Promise<boolean>,
    private readonly onSuggest: SuggestAnswerer,
  ) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.workerPort = port2;
    port1.on('message', (message: ReportMessage | SuggestMessage) => {
      if (message.type === 'suggest') {
        this.answerSuggestion(message);
        return;
      }
      if (message.type !== 'report') return;
      const answer = onReport(message.step, message.value);
      if (typeof answer === 'boolean') {
        this.answer(message.seq, answer);
        return;
      }
      // A failed answer is "go on": the trial must not hang on a lost message.
      const settled = answer.catch(() => false);
      this.pending = this.pending.then(() => settled).then((prune) => this.answer(message.seq, prune));
    });
  }

  private answer(seq: number, prune: boolean): void {
    if (prune) Atomics.store(this.slots, PRUNE, 1);
    Atomics.store(this.slots, ANSWERED, seq);
    Atomics.notify(this.slots, ANSWERED);
  }

  private answerSuggestion(message: SuggestMessage): void {
    let answer: SuggestedMessage;
    try {
      answer = { type: 'suggested', seq: message.seq, value: this.onSuggest(message.name, message.distribution) };
    } catch (err) {
      answer = { type: 'suggested', seq: message.seq, error: errorInfo(err) };
    }
    // The value first, then the slot: once the worker sees the slot, the message is in its port's queue.
    this.port.postMessage(answer);
    Atomics.store(this.slots, SUGGESTED, message.seq);
    Atomics.notify(this.slots, SUGGESTED);
  }

  /** Asks the trial to stop: its next ctx.shouldPrune() says true, and ctx.signal aborts. */
  requestStop(): void {
    Atomics.store(this.slots, STOP, 1);
    this.port.postMessage({ type: 'stop' } satisfies StopMessage);
  }

  close(): void {
    this.port.close();
  }
}

/** The worker's end. */
export class WorkerLink {
  private readonly slots: Int32Array;
  private seq = 0;
  private suggestSeq = 0;
  /** Whether shouldPrune() ever answered true. */
  sawStop = false;

  constructor(
    private readonly port: MessagePort,
    shared: SharedArrayBuffer,
    private readonly onStop: () => void,
  ) {
    this.slots = new Int32Array(shared);
    port.on('message', (message: StopMessage | SuggestedMessage) => {
      // (An answer to a suggestion is taken synchronously by suggest(); one that comes here was given up on.)
      if (message.type === 'stop') onStop();
    });
  }

  /**
   * Define-by-run: asks the controller for the trial's value of `name` and
   * blocks until it answers (a draw from the sampler: well under a
   * millisecond for random, a TPE fit for TPE). Throws what the controller
   * threw (a conflicting re-suggest, a grid sampler, a remote worker).
   */
  suggest(name: string, distribution: Distribution): ParamValue {
    const seq = ++this.suggestSeq;
    this.port.postMessage({ type: 'suggest', seq, name, distribution } satisfies SuggestMessage);
    const deadline = Date.now() + ANSWER_WAIT_MS;
    for (;;) {
      const answered = Atomics.load(this.slots, SUGGESTED);
      if (answered >= seq) break;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`suggesting "${name}": the controller did not answer within ${ANSWER_WAIT_MS / 1000} s`);
      Atomics.wait(this.slots, SUGGESTED, answered, Math.min(left, 1_000));
    }
    for (;;) {
      const received = receiveMessageOnPort(this.port);
      if (received === undefined) throw new Error(`suggesting "${name}": the controller's answer was lost`);
      const message = received.message as StopMessage | SuggestedMessage;
      if (message.type === 'stop') this.onStop();
      else if (message.seq === seq) {
        if ('error' in message) throw rebuildError(message.error);
        return message.value;
      }
    }
  }

  report(step: number, value: number): void {
    if (!Number.isSafeInteger(step) || step < 0) {
      throw new TypeError(`ctx.report(step, value): step must be an integer >= 0, got ${String(step)}`);
    }
    if (typeof value !== 'number') {
      throw new TypeError(`ctx.report(step, value): value must be a number, got ${typeof value}`);
    }
    this.seq++;
    this.port.postMessage({ type: 'report', seq: this.seq, step, value } satisfies ReportMessage);
  }

  shouldPrune(): boolean {
    if (Atomics.load(this.slots, STOP) === 0) this.awaitAnswers();
    const stop = Atomics.load(this.slots, PRUNE) === 1 || Atomics.load(this.slots, STOP) === 1;
    if (stop) this.sawStop = true;
    return stop;
  }

  /**
   * Blocks until the controller has answered every report sent so far: called by
   * shouldPrune(), and before a trial's result is returned, so that the
   * controller journals every intermediate value before the trial's end.
   */
  awaitAnswers(): void {
    const deadline = Date.now() + ANSWER_WAIT_MS;
    for (;;) {
      const answered = Atomics.load(this.slots, ANSWERED);
      if (answered >= this.seq) return;
      const left = deadline - Date.now();
      if (left <= 0) return;
      Atomics.wait(this.slots, ANSWERED, answered, Math.min(left, 1_000));
    }
  }

  close(): void {
    this.port.close();
  }
}
