// Workers and threads per trial: defaults from the cores, and the CPU budget.
import { describe, expect, it } from 'vitest';

import { planWorkers } from '../src/dispatch/plan.js';
import { HypersweepError } from '../src/errors.js';
import type { ObjectiveSpec } from '../src/space/spec.js';

const mlp: ObjectiveSpec = { kind: 'model', model: 'mlp' };
const mod: ObjectiveSpec = { kind: 'module', module: './m.mjs', path: '/x/m.mjs' };

describe('planWorkers', () => {
  it('runs min(cores, 2) model trials on the cpu, sharing the cores between them', () => {
    expect(planWorkers(mlp, 'cpu', {}, 2)).toEqual({ workers: 2, threadsPerTrial: 1, cores: 2 });
    expect(planWorkers(mlp, 'cpu', {}, 16)).toEqual({ workers: 2, threadsPerTrial: 8, cores: 16 });
    expect(planWorkers(mlp, 'cpu', {}, 1)).toEqual({ workers: 1, threadsPerTrial: 1, cores: 1 });
    expect(planWorkers(mlp, 'cpu', { workers: 3 }, 12)).toEqual({ workers: 3, threadsPerTrial: 4, cores: 12 });
  });

  it('runs one trial at a time on cuda and for modules unless told otherwise', () => {
    expect(planWorkers(mlp, 'cuda', {}, 8).workers).toBe(1);
    expect(planWorkers(mod, 'cpu', {}, 8)).toEqual({ workers: 1, threadsPerTrial: 8, cores: 8 });
    // A module's trials may outnumber the cores (they may wait on I/O): no CPU budget applies.
    expect(planWorkers(mod, 'cpu', { workers: 6 }, 2).workers).toBe(6);
  });

  it('refuses more native threads than cores for models on the cpu', () => {
    // Threads alone: the workers shrink to fit.
    expect(planWorkers(mlp, 'cpu', { threadsPerTrial: 2 }, 2)).toEqual({ workers: 1, threadsPerTrial: 2, cores: 2 });
    for (const requested of [{ workers: 3 }, { workers: 2, threadsPerTrial: 2 }, { threadsPerTrial: 3 }]) {
      let error: unknown;
      try {
        planWorkers(mlp, 'cpu', requested, 2);
      } catch (err) {
        error = err;
      }
      expect(error, JSON.stringify(requested)).toBeInstanceOf(HypersweepError);
      expect((error as HypersweepError).code).toBe('E_CPU_OVERBOOKED');
      expect((error as HypersweepError).oneLine()).toMatch(/more than the 2 cores here/);
    }
  });
});
