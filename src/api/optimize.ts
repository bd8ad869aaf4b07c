// study.optimize(): the study's controller run to its budget, as
// `hypersweep resume` runs it (src/api/run.ts), with the trials run by an
// objective function in this process or by a module in the worker pool.
import fs from 'node:fs';
import path from 'node:path';

import { Errors } from '../errors.js';
import type { ObjectiveSpec } from '../space/spec.js';
import { parseDuration } from '../space/validate.js';
import type { Study } from '../study/study.js';
import { interruptedNotRetried, type StudyWriter } from './create.js';
import { InProcessExecutor } from './in-process.js';
import type { Learners } from './learners.js';
import { runController, type StudyRunOptions } from './run.js';
import type { ObjectiveFunction, OptimizeOptions, StopReason } from './types.js';
import { trialInfo } from './views.js';

export async function optimizeStudy(
  w: StudyWriter & Learners,
  objective: ObjectiveFunction | string | undefined,
  options: OptimizeOptions,
): Promise<StopReason> {
  const study = w.study;
  const budget = options.trials ?? study.spec.budget.trials;
  if (!Number.isInteger(budget) || budget < 1) throw Errors.invalidOption('optimize({ trials })', options.trials, 'an integer >= 1');
  const timeSeconds = seconds(options.time) ?? study.spec.budget.timeSeconds;
  const workers = options.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1 || workers > 256) throw Errors.invalidOption('optimize({ workers })', options.workers, 'an integer in [1, 256]');
  const run: StudyRunOptions = {
    budget,
    timeSeconds,
    workers,
    threadsPerTrial: 1,
    device: 'cpu',
    learners: w,
    retries: interruptedNotRetried(study.state.trials),
    trialTimeoutSeconds: options.trialTimeout ?? null,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onTrial ? { listener: { trialFinished: (t) => options.onTrial!(trialInfo(t)) } } : {}),
  };
  if (typeof objective === 'function') {
    if (workers !== 1) {
      throw Errors.invalidOption('optimize({ workers })', workers, '1 for an objective function (it runs in this process); pass a module path to run trials in worker threads');
    }
    return runController(study, { ...run, executor: new InProcessExecutor(study, w.sampler, objective) });
  }
  const spec = objective === undefined ? study.spec.objective : moduleObjective(objective);
  if (spec.kind === 'api') throw Errors.apiObjective(study.name);
  return runController(study, { ...run, ...(await poolRuntime(spec, workers, options)), ...(objective === undefined ? {} : { objective: spec }) });
}

/** A module objective given by path (resolved against the current folder). */
function moduleObjective(file: string): ObjectiveSpec {
  const resolved = path.resolve(file);
  if (!fs.existsSync(resolved)) throw Errors.objectiveModule(resolved, 'does not exist');
  return { kind: 'module', module: file, path: resolved };
}

/** Device and threads of pool trials, planned as the CLI plans them (loads the addon's build info for model objectives). */
async function poolRuntime(
  objective: ObjectiveSpec,
  workers: number,
  options: OptimizeOptions,
): Promise<Pick<StudyRunOptions, 'device' | 'threadsPerTrial' | 'workers'>> {
  const [{ parseDeviceRequest, resolveDevice }, { planWorkers }, { reserveLibuvThreads }] = await Promise.all([
    import('../engine/device.js'),
    import('../dispatch/plan.js'),
    import('../dispatch/run-study.js'),
  ]);
  const device = objective.kind === 'model' ? resolveDevice(parseDeviceRequest(options.device ?? 'auto')) : 'cpu';
  const plan = planWorkers(objective, device, { workers, ...(options.threadsPerTrial !== undefined ? { threadsPerTrial: options.threadsPerTrial } : {}) });
  reserveLibuvThreads(plan.workers);
  return { device, threadsPerTrial: plan.threadsPerTrial, workers: plan.workers };
}

function seconds(time: number | string | undefined): number | null {
  if (time === undefined) return null;
  const s = typeof time === 'number' ? time : parseDuration(time);
  if (s === null || !(s > 0)) throw Errors.invalidOption('optimize({ time })', time, 'seconds > 0, or a duration like 90s, 30m, 2h');
  return s;
}
