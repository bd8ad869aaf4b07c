// The link between the controller and the worker running one trial: a
// MessageChannel for the worker's reports and the controller's stop request,
// and a few Int32 slots in a SharedArrayBuffer through which the controller
// answers each report (prune or not) and raises a stop flag.
//
// Why shared slots: ctx.shouldPrune() is synchronous (as Optuna's
// trial.should_prune()), and an objective calls it right after ctx.report().
// The worker posts the report, then waits on the slot (Atomics.wait) until the
// controller has journalled the value and written the pruner's answer: a
// round trip of well under a millisecond, once per epoch. The controller never
// waits on a worker, so this cannot deadlock.
import { MessageChannel, type MessagePort } from 'node:worker_threads';

/** Index of the last report sequence number answered. */
const ANSWERED = 0;
/** 1 once the pruner said stop. */
const PRUNE = 1;
/** 1 once the controller asked the trial to stop (Ctrl-C, timeout). */
const STOP = 2;
const SLOTS = 3;

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

  constructor(onReport: (step: number, value: number) => boolean | Promise<boolean>) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.workerPort = port2;
    port1.on('message', (message: ReportMessage) => {
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
  /** Whether shouldPrune() ever answered true. */
  sawStop = false;

  constructor(
    private readonly port: MessagePort,
    shared: SharedArrayBuffer,
    onStop: () => void,
  ) {
    this.slots = new Int32Array(shared);
    port.on('message', (message: StopMessage) => {
      if (message.type === 'stop') onStop();
    });
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
