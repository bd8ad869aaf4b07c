// The entry of a pool worker thread (Piscina calls the default export once per
// task). A worker builds the study's objective once, on its first task (the
// native addon is loaded then, and a model's shared dataset wrapped), and
// reuses it for every later trial. Whatever a trial does, the worker returns
// a TrialResult; only a dead thread (process.exit, a native crash) does not.
import { threadId, workerData } from 'node:worker_threads';

import { suggestMethods } from '../api/suggest.js';
import { buildObjective, objectiveParams, TrialFailure, TrialStopped, type Objective } from '../trials/objective.js';
import { WorkerLink } from './link.js';
import { errorInfo, jsonMetrics, type PoolData, type PrepareResult, type TrialOutcome, type TrialResult, type TrialTask, type WorkerTask } from './protocol.js';

const data = workerData as PoolData;
let objective: Promise<Objective> | undefined;

function getObjective(): Promise<Objective> {
  objective ??= buildObjective(data.spec, data.runtime, data.dataset);
  return objective;
}

export default async function runTask(task: WorkerTask): Promise<TrialResult | PrepareResult> {
  if (task.kind === 'prepare') {
    try {
      await getObjective();
      return { ok: true };
    } catch (err) {
      return { ok: false, error: errorInfo(err) };
    }
  }
  return runTrial(task);
}

async function runTrial(task: TrialTask): Promise<TrialResult> {
  const stopper = new AbortController();
  const link = new WorkerLink(task.port, task.shared, () => stopper.abort());
  let outcome: TrialOutcome;
  try {
    const fn = await getObjective();
    const returned = await fn(objectiveParams(data.spec.params, task.params), {
      trial: task.trial,
      seed: task.seed,
      report: (step, value) => link.report(step, value),
      shouldPrune: () => link.shouldPrune(),
      signal: stopper.signal,
      // Define-by-run: the controller draws and journals each value (link.ts).
      ...suggestMethods((name, distribution) => link.suggest(name, distribution)),
    });
    outcome =
      typeof returned === 'object' && returned !== null
        ? { kind: 'returned', value: returned.value, metrics: jsonMetrics(returned.metrics) }
        : { kind: 'returned', value: returned, metrics: {} };
  } catch (err) {
    if (err instanceof TrialStopped) {
      outcome = { kind: 'stopped', lastValue: err.lastValue, metrics: jsonMetrics(err.metrics) };
    } else {
      const metrics = err instanceof TrialFailure ? jsonMetrics(err.metrics) : {};
      outcome = { kind: 'threw', error: errorInfo(err), metrics };
    }
  } finally {
    // Every report must be journalled before the controller sees the trial end.
    link.awaitAnswers();
    link.close();
  }
  return { outcome, sawStop: link.sawStop, threadId };
}
