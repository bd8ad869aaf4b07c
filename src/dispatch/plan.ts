// How many trials run at once and how many native threads each gets.
//
// CPU budget: for trials of a model on the cpu, workers × threads-per-trial
// never exceeds the cores (oversubscribed native threads only slow every
// trial down). Defaults:
// - a model on the cpu: min(cores, 2) workers. Small-batch SGD scales better
//   across trials than across threads of one trial, and two trials in flight
//   keep TPE close to sequential (each ask sees all but one running trial).
// - a model on cuda: 1 worker (one GPU).
// - a module or test function: 1 worker. We cannot know whether a user's
//   module already uses every core, and one worker keeps a seeded study
//   reproducible (which trials are running when TPE asks is timing-dependent
//   otherwise). Pass --workers to run several.
// Threads per trial default to floor(cores / workers), at least 1; given
// threads per trial and no workers, workers shrink to fit the cores.
import { availableParallelism } from 'node:os';

import type { DeviceName } from '../engine/addon-types.js';
import { Errors } from '../errors.js';
import type { ObjectiveSpec } from '../space/spec.js';

export interface WorkerPlan {
  workers: number;
  threadsPerTrial: number;
  cores: number;
}

export function planWorkers(
  objective: ObjectiveSpec,
  device: DeviceName,
  requested: { workers?: number; threadsPerTrial?: number },
  cores: number = availableParallelism(),
): WorkerPlan {
  const cpuModel = objective.kind === 'model' && device === 'cpu';
  let workers = requested.workers ?? (cpuModel ? Math.min(cores, 2) : 1);
  // Threads asked for but not workers: as many workers as then fit in the cores.
  if (requested.workers === undefined && requested.threadsPerTrial !== undefined && cpuModel) {
    workers = Math.max(1, Math.min(workers, Math.floor(cores / requested.threadsPerTrial)));
  }
  const threadsPerTrial = requested.threadsPerTrial ?? Math.max(1, Math.floor(cores / Math.max(1, workers)));
  if (cpuModel && workers * threadsPerTrial > cores) throw Errors.cpuOverbooked(workers, threadsPerTrial, cores);
  return { workers, threadsPerTrial, cores };
}
