// A study's CNN objective (objective.model: cnn-light | cnn | catsdogs): the
// trial's parameters resolved exactly as `hypersweep repro` rebuilds them,
// validation accuracy (or the study's metric) reported to the pruner after
// every epoch, the best epoch's weights saved under results/<study>/trials/<n>/.
import { presentParams } from '../../space/conditions.js';
import type { StudySpec } from '../../space/spec.js';
import type { Params } from '../../study/events.js';
import type { Objective, ObjectiveRuntime } from '../objective.js';
import { linkedStopper, TrialFailure, TrialStopped } from '../objective.js';
import { provenance } from '../record.js';
import { addonSha256 } from '../repro.js';
import { cnnCheckpointPaths, saveCnnCheckpoint } from './checkpoint.js';
import type { CnnData } from './data.js';
import { resolveCnnParams, type CnnModelName, type CnnParams } from './params.js';
import { runCnnTrial, type CnnTrialResult } from './run.js';
import type { CnnEpochMetrics } from './train.js';

/** The parameters a trial of `spec` trains with: its seed, then the fixed settings, then the sampled params. */
export function cnnTrialParams(spec: StudySpec, model: CnnModelName, trial: { number: number; params: Params; seed: number }): CnnParams {
  // An inactive optimizer setting (absent, or null in older journals) takes its default.
  return resolveCnnParams(model, { seed: trial.seed, ...spec.fixed, ...presentParams(trial.params) }, `trial ${trial.number} of ${spec.name}`);
}

/** What a CNN trial records in metrics.repro. */
export interface CnnReproInfo {
  objective: 'cnn';
  model: CnnModelName;
  hypersweep: string;
  node: string;
  native: ReturnType<typeof provenance>['native'];
  /** SHA-256 of the addon file whose kernels trained it (native engine). */
  addon_sha256: string | null;
  engine: string;
  backend: string;
  /** The GPU it trained on (cuda engine); absent on the others and in older records. */
  gpu?: string;
  threads: number;
  dataset: string;
  train_subset: number | null;
  train_rows: number;
  val_rows: number;
  params: CnnParams;
}

export function cnnReproInfo(spec: StudySpec, result: CnnTrialResult): CnnReproInfo {
  const p = provenance();
  return {
    objective: 'cnn',
    model: result.model,
    hypersweep: p.hypersweep,
    node: p.node,
    native: p.native,
    addon_sha256: result.engine === 'native' ? addonSha256() : null,
    engine: result.engine,
    backend: result.backend,
    ...(result.gpu ? { gpu: result.gpu } : {}),
    threads: result.threads,
    dataset: result.dataset,
    train_subset: spec.dataset?.trainSubset ?? null,
    train_rows: result.train_rows,
    val_rows: result.val_rows,
    params: result.params,
  };
}

const EPOCH_METRICS = new Set(['train_loss', 'train_accuracy', 'val_loss', 'val_accuracy']);

export function cnnObjective(spec: StudySpec, model: CnnModelName, runtime: ObjectiveRuntime, data: CnnData): Objective {
  const metric = spec.metric;
  const keepBest = EPOCH_METRICS.has(metric)
    ? { metric: metric as keyof CnnEpochMetrics, direction: spec.direction }
    : { metric: 'val_accuracy' as const, direction: 'maximize' as const };
  return async (params, ctx) => {
    const resolved = cnnTrialParams(spec, model, { number: ctx.trial, params, seed: ctx.seed });
    const { stopper, release } = linkedStopper(ctx.signal);
    let pruned = false;
    try {
      const { result, trained } = await runCnnTrial(model, resolved, {
        data,
        engine: runtime.engine ?? 'auto',
        threads: runtime.threads,
        keepBest,
        signal: stopper.signal,
        onEpoch: (m) => {
          const value = m[metric as keyof CnnEpochMetrics];
          if (typeof value === 'number') ctx.report(m.epoch, value);
          if (ctx.shouldPrune()) {
            pruned = true;
            stopper.abort();
          }
        },
      });
      const metrics = {
        epochs: result.epochs,
        test_accuracy: result.test_accuracy,
        best_epoch: result.best_epoch,
        steps: result.steps,
        engine: result.engine,
        ...(result.gpu ? { gpu: result.gpu } : {}),
        threads: result.threads,
        train_rows: result.train_rows,
        repro: cnnReproInfo(spec, result),
      };
      const last = result.epochs.at(-1);
      const lastValue =
        metric === 'test_accuracy' ? result.test_accuracy : last ? (last[metric as keyof CnnEpochMetrics] as number | undefined) ?? null : null;
      try {
        if (result.state === 'failed') throw new TrialFailure(result.reason ?? 'training failed', metrics);
        if (result.state === 'stopped') throw new TrialStopped(pruned ? 'pruned' : 'interrupted', lastValue, metrics);
        if (lastValue === null) throw new TrialFailure(`metric "${metric}" was not measured`, metrics);
        if (runtime.weights) {
          const best = result.best_epoch === null ? null : result.epochs[result.best_epoch - 1];
          await saveCnnCheckpoint(trained, cnnCheckpointPaths(runtime.weights.resultsDir, runtime.weights.study, ctx.trial), {
            model,
            params: resolved,
            epoch: result.best_epoch,
            metric: keepBest.metric,
            value: best ? (best[keepBest.metric] as number) : null,
            engine: result.engine,
            input: result.input,
            ...(data.classNames ? { classes: data.classNames } : {}),
          });
        }
        return { value: lastValue, metrics };
      } finally {
        trained.dispose();
      }
    } finally {
      release();
    }
  };
}
