// Runs one study on the worker pool in a temporary results folder and returns
// its trials with timings, for bench/sweep.ts and bench/pruning.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

import { runStudy } from '../../src/dispatch/run-study.js';
import type { PrunerSpec, StudySpec } from '../../src/space/spec.js';
import type { TrialRecord } from '../../src/study/state.js';
import { Study } from '../../src/study/study.js';

export interface SweepRun {
  trials: TrialRecord[];
  /** Seconds from the first trial's start to the last one's end (pool start-up and data loading excluded). */
  spanS: number;
  /** Each finished trial with its end time, seconds after the first start, in the order they ended. */
  finished: Array<{ trial: TrialRecord; atS: number }>;
  stopped: string;
}

export interface SweepRunOptions {
  seed: number;
  budget: number;
  timeSeconds?: number | null;
  workers: number;
  threadsPerTrial: number;
  pruner?: PrunerSpec | null;
}

export async function runBenchSweep(spec: StudySpec, o: SweepRunOptions): Promise<SweepRun> {
  const results = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-bench-'));
  const study = Study.create(results, 'bench', spec, o.seed, 'bench');
  let first: number | null = null;
  let last = 0;
  const finished: SweepRun['finished'] = [];
  try {
    const stopped = await runStudy(study, {
      budget: o.budget,
      timeSeconds: o.timeSeconds ?? null,
      workers: o.workers,
      threadsPerTrial: o.threadsPerTrial,
      device: 'cpu',
      ...(o.pruner !== undefined ? { pruner: o.pruner } : {}),
      listener: {
        trialStarted: () => {
          first ??= performance.now();
        },
        trialFinished: (trial) => {
          last = performance.now();
          finished.push({ trial, atS: (last - (first ?? last)) / 1000 });
        },
      },
    });
    return { trials: study.state.trials, spanS: (last - (first ?? last)) / 1000, finished, stopped };
  } finally {
    study.close();
    fs.rmSync(results, { recursive: true, force: true });
  }
}

/** A spec with its training settings changed (epochs, subset) and a given sampler. */
export function withSettings(
  spec: StudySpec,
  settings: { epochs?: number; trainSubset?: number; sampler?: StudySpec['sampler'] },
): StudySpec {
  return {
    ...spec,
    fixed: settings.epochs === undefined ? spec.fixed : { ...spec.fixed, epochs: settings.epochs },
    dataset:
      settings.trainSubset === undefined || spec.dataset === null
        ? spec.dataset
        : { ...spec.dataset, trainSubset: settings.trainSubset },
    sampler: settings.sampler ?? spec.sampler,
    budget: { ...spec.budget, timeSeconds: null },
  };
}

/** The repository root: the first folder above this file holding search-spaces/ (works from a bundle too). */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'search-spaces'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the repository root (search-spaces/)');
    dir = up;
  }
  return dir;
}

export function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
