// The executor of study.optimize(fn): the objective runs in this process, one
// trial at a time, under the same controller as pool trials (runSweep), which
// journals its reports, asks the pruner and records how it ended. It returns
// what a pool thread returns (src/dispatch/worker.ts), so the controller
// cannot tell the two apart.
import { threadId } from 'node:worker_threads';

import type { TrialControl, TrialExecutor, TrialTicket } from '../dispatch/pool.js';
import { errorInfo, jsonMetrics, type TrialOutcome, type TrialResult } from '../dispatch/protocol.js';
import type { Sampler } from '../samplers/sampler.js';
import type { Study } from '../study/study.js';
import { checkReport, trialSuggester } from './host.js';
import { TrialPruned } from './pruned.js';
import { TrialHandle } from './trial.js';
import type { ObjectiveFunction } from './types.js';

export class InProcessExecutor implements TrialExecutor {
  constructor(
    private readonly study: Study,
    private readonly sampler: Sampler,
    private readonly objective: ObjectiveFunction,
  ) {}

  capacity(): number {
    return 1;
  }

  async runTrial(ticket: TrialTicket, control: TrialControl, hardStop: AbortSignal): Promise<TrialResult> {
    const study = this.study;
    // One trial at a time: no other trial runs (no liars).
    const suggest = trialSuggester(study, this.sampler, ticket.number, () => []);
    const trial = new TrialHandle(
      ticket.number,
      ticket.seed,
      {
        suggest,
        report: (step, value) => {
          checkReport(step, value);
          return control.report(step, value);
        },
        get params() {
          return study.trial(ticket.number)!.params;
        },
      },
      control.stopSignal,
    );
    let outcome: TrialOutcome;
    try {
      const returned = await untilHardStop(Promise.resolve().then(() => this.objective(trial)), hardStop);
      outcome =
        typeof returned === 'object' && returned !== null
          ? { kind: 'returned', value: returned.value, metrics: jsonMetrics(returned.metrics) }
          : { kind: 'returned', value: returned, metrics: {} };
    } catch (err) {
      if (err instanceof TrialPruned && trial.sawStop) outcome = { kind: 'stopped', lastValue: null, metrics: {} };
      else if (err instanceof TrialPruned) {
        outcome = { kind: 'threw', error: { message: 'the objective threw TrialPruned, but the study did not ask to prune it (check trial.shouldPrune() first)' }, metrics: {} };
      } else outcome = { kind: 'threw', error: errorInfo(err), metrics: {} };
    }
    return { outcome, sawStop: trial.sawStop, threadId };
  }
}

/**
 * Code in this process cannot be terminated as a pool thread is: after a
 * timeout's grace period the trial is given up (its promise left to settle on
 * its own) so that the study goes on.
 */
function untilHardStop<T>(work: Promise<T>, hardStop: AbortSignal): Promise<T> {
  if (hardStop.aborted) return Promise.reject(new Error('stopped'));
  return new Promise<T>((resolve, reject) => {
    const onStop = () => reject(new Error('did not stop after the timeout; left running in the background'));
    hardStop.addEventListener('abort', onStop, { once: true });
    work.then(resolve, reject).finally(() => hardStop.removeEventListener('abort', onStop));
  });
}
