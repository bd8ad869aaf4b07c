// ASHA decisions on hand-made learning curves (Optuna's SuccessiveHalvingPruner
// semantics; pruners-optuna.test.ts checks against Optuna itself).
import { describe, expect, it } from 'vitest';

import { AshaPruner, isPromotable, type AshaPrunerOptions } from '../src/pruners/index.js';

/** Feeds reports to a pruner one at a time, as the controller does, and returns its answers. */
class Curves {
  private readonly reports = new Map<number, Array<[number, number]>>();
  constructor(readonly pruner: AshaPruner) {}

  report(trial: number, step: number, value: number): boolean {
    const mine = this.reports.get(trial) ?? [];
    this.reports.set(trial, mine);
    mine.push([step, value]);
    return this.pruner.shouldPrune({ number: trial, state: 'running', intermediate: mine });
  }
}

const asha = (options: AshaPrunerOptions, direction: 'minimize' | 'maximize' = 'minimize') =>
  new Curves(new AshaPruner(direction, options));

describe('ASHA pruner', () => {
  it('places rungs at min_resource · η^(s + k)', () => {
    const a = new AshaPruner('minimize', { minResource: 2, reductionFactor: 3, minEarlyStoppingRate: 0 });
    expect([0, 1, 2].map((k) => a.rungStep(k))).toEqual([2, 6, 18]);
    const s1 = new AshaPruner('minimize', { minResource: 1, reductionFactor: 4, minEarlyStoppingRate: 1 });
    expect([0, 1].map((k) => s1.rungStep(k))).toEqual([4, 16]);
  });

  it('promotes the first trial at a rung and, while the rung holds fewer than η values, only the best', () => {
    const c = asha({ minResource: 1, reductionFactor: 4, minEarlyStoppingRate: 0 });
    expect(c.report(0, 1, 0.5)).toBe(false);
    expect(c.report(1, 1, 0.6)).toBe(true);
    expect(c.report(2, 1, 0.4)).toBe(false);
    expect(c.report(3, 1, 0.45)).toBe(true); // 4 values: the top 4/4 = 1 goes on
  });

  it('keeps the top 1/η of every value recorded at the rung', () => {
    const c = asha({ minResource: 1, reductionFactor: 4, minEarlyStoppingRate: 0 });
    // Seven trials reach rung 0 (step 1), worst first (so each is the best so far and goes on).
    for (let t = 0; t < 7; t++) c.report(t, 1, (7 - t) / 10 + 0.05);
    // Values at the rung now 0.75 … 0.15; with the 8th value the top 8/4 = 2 go on.
    expect(c.report(7, 1, 0.2)).toBe(false); // second best of 8
    expect(c.report(8, 1, 0.3)).toBe(true); // 9 values, top 2: 0.15 and 0.2
    expect(isPromotable(0.15, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.15], 4, 'minimize')).toBe(true);
    expect(isPromotable(0.25, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.25], 4, 'minimize')).toBe(false);
  });

  it('judges only at rung steps, each rung against the trials that reached it', () => {
    const c = asha({ minResource: 1, reductionFactor: 2, minEarlyStoppingRate: 0 }, 'maximize'); // rungs 1, 2, 4
    for (const [step, value] of [[1, 0.9], [2, 0.95], [3, 0.96], [4, 0.97]] as const) c.report(0, step, value);
    expect(c.report(1, 1, 0.95)).toBe(false); // rung 0: 0.95 ≥ 0.9
    expect(c.report(1, 2, 0.96)).toBe(false); // rung 1: 0.96 ≥ 0.95
    expect(c.report(1, 3, 0.5)).toBe(false); // step 3 is no rung
    expect(c.report(1, 4, 0.9)).toBe(true); // rung 2: 0.9 < 0.97 with 2 values (top 1)
  });

  it('judges every rung a report passes, with its value, and records rungs only up to the one it fails', () => {
    const c = asha({ minResource: 1, reductionFactor: 2, minEarlyStoppingRate: 0 }); // rungs 1, 2, 4
    c.report(0, 1, 0.5);
    c.report(1, 1, 0.4);
    c.report(1, 2, 0.3);
    // Trial 2 reports step 2 first: rung 0 (0.45 vs 0.5, 0.4: third of 3, top 1 → pruned there).
    expect(c.report(2, 2, 0.45)).toBe(true);
    expect(c.pruner.rungValues(2)).toEqual([0.45]); // not recorded at rung 1
    // Trial 3 jumps to step 4: best at rung 0 (0.35 of 4 values, top 2), then rung 1 (0.35 > 0.3 with 2 values): pruned at rung 1.
    expect(c.report(3, 4, 0.35)).toBe(true);
    expect(c.pruner.rungValues(3)).toEqual([0.35, 0.35]);
    expect(c.report(4, 5, 0.1)).toBe(false); // best at rungs 0, 1 and 2
    expect(c.pruner.rungValues(4)).toEqual([0.1, 0.1, 0.1]);
  });

  it('replays past reports into the same rungs, so a resumed study decides alike', () => {
    const options = { minResource: 1, reductionFactor: 2, minEarlyStoppingRate: 0 };
    const live = asha(options);
    const reports: Array<{ trial: number; step: number; value: number }> = [];
    const feed = (trial: number, step: number, value: number) => {
      reports.push({ trial, step, value });
      return live.report(trial, step, value);
    };
    feed(0, 1, 0.5);
    feed(1, 2, 0.6);
    feed(2, 1, 0.3);
    feed(2, 4, 0.2);
    const resumed = new AshaPruner('minimize', options);
    resumed.replay(reports);
    for (const t of [0, 1, 2]) expect(resumed.rungValues(t)).toEqual(live.pruner.rungValues(t));
    const next = { number: 3, state: 'running' as const, intermediate: [[2, 0.4]] as Array<[number, number]> };
    expect(resumed.shouldPrune(next)).toBe(live.pruner.shouldPrune(next));
  });

  it('prunes on NaN at a rung', () => {
    const c = asha({ minResource: 1, reductionFactor: 4, minEarlyStoppingRate: 0 });
    expect(c.report(0, 1, Number.NaN)).toBe(true);
  });
});
