// The MLP objective of a study: trains one trial in the native addon, reports
// the metric after each epoch to the pruner, and saves the weights of a
// complete trial. Loaded by buildObjective only for MLP studies.
import type { DatasetSplits } from '../../data/index.js';
import type { StudySpec } from '../../space/spec.js';
import { linkedStopper, TrialFailure, TrialStopped, type Objective, type ObjectiveRuntime } from '../objective.js';
import { mlpReproInfo, mlpTrialParams } from '../repro.js';
import { saveTrialWeights } from '../weights.js';
import { trainMlp, type EpochMetrics } from './run.js';

export function mlpObjective(spec: StudySpec, runtime: ObjectiveRuntime, dataset: DatasetSplits): Objective {
  const metric = spec.metric;
  const splitRows = { val: dataset.val.rows, test: dataset.test.rows };
  return async (params, ctx) => {
    // Exactly as `hypersweep repro` rebuilds them: seed, then fixed settings, then the sampled params.
    const { params: resolved, dtype } = mlpTrialParams(spec, { number: ctx.trial, params, seed: ctx.seed });
    const { stopper, release } = linkedStopper(ctx.signal);
    let pruned = false;
    try {
      const { result, model } = await trainMlp(resolved, {
        dataset,
        device: runtime.device,
        threads: runtime.threads,
        dtype,
        signal: stopper.signal,
        onEpoch: (m) => {
          const value = metricValue(metric, m, null);
          if (value !== null) ctx.report(m.epoch, value);
          if (ctx.shouldPrune()) {
            pruned = true;
            stopper.abort();
          }
        },
      });
      const last = result.epochs.at(-1);
      const metrics = {
        epochs: result.epochs,
        test_accuracy: result.test_accuracy,
        steps: result.steps,
        device: result.device,
        threads: result.threads,
        train_rows: result.train_rows,
        repro: mlpReproInfo(spec, result, splitRows),
      };
      const lastValue = metricValue(metric, last, result.test_accuracy);
      if (result.state === 'failed') throw new TrialFailure(result.reason ?? 'training failed', metrics);
      if (result.state === 'stopped') throw new TrialStopped(pruned ? 'pruned' : 'interrupted', lastValue, metrics);
      if (lastValue === null) throw new TrialFailure(`metric "${metric}" was not measured`, metrics);
      if (runtime.weights) {
        saveTrialWeights(runtime.weights.resultsDir, runtime.weights.study, ctx.trial, model.getParams(), {
          value: lastValue,
          params: resolved,
        });
      }
      return { value: lastValue, metrics };
    } finally {
      release();
    }
  };
}

function metricValue(metric: string, last: EpochMetrics | undefined, testAccuracy: number | null): number | null {
  if (metric === 'test_accuracy') return testAccuracy;
  const v = last ? (last as unknown as Record<string, unknown>)[metric] : undefined;
  return typeof v === 'number' ? v : null;
}
