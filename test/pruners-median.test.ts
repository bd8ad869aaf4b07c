// MedianPruner decisions on hand-made learning curves (Optuna's semantics).
import { describe, expect, it } from 'vitest';

import { MedianPruner, nanPercentile, type PrunerTrial } from '../src/pruners/index.js';
import { isFirstInInterval } from '../src/pruners/median.js';

let next = 0;
/** A trial with values reported at steps 1, 2, … (or at the steps given). */
function trial(state: PrunerTrial['state'], values: number[], steps?: number[]): PrunerTrial {
  return { number: next++, state, intermediate: values.map((v, i) => [steps?.[i] ?? i + 1, v] as [number, number]) };
}
const complete = (...values: number[]) => trial('complete', values);

describe('median pruner', () => {
  it('does not prune before n_startup_trials trials are complete, then prunes a trial worse than the median', () => {
    const pruner = new MedianPruner('minimize', { nStartupTrials: 5, nWarmupSteps: 0, intervalSteps: 1, nMinTrials: 1 });
    const done = [complete(1), complete(2), complete(3), complete(4)];
    const bad = trial('running', [3.5]);
    expect(pruner.shouldPrune(bad, [...done, bad])).toBe(false); // 4 < 5 complete
    const five = [...done, complete(5)];
    expect(pruner.shouldPrune(bad, [...five, bad])).toBe(true); // median 3 < 3.5
    const good = trial('running', [2.5]);
    expect(pruner.shouldPrune(good, [...five, good])).toBe(false);
  });

  it('interpolates the median of an even count and compares strictly', () => {
    const pruner = new MedianPruner('minimize', { nStartupTrials: 0, nWarmupSteps: 0, intervalSteps: 1, nMinTrials: 1 });
    const done = [complete(1), complete(2), complete(3), complete(10)]; // median 2.5
    for (const [value, prune] of [
      [2.4, false],
      [2.5, false],
      [2.6, true],
    ] as const) {
      const t = trial('running', [value]);
      expect(pruner.shouldPrune(t, [...done, t]), `value ${value}`).toBe(prune);
    }
    expect(nanPercentile([10, 1, 3, 2], 50)).toBe(2.5);
    expect(nanPercentile([Number.NaN, 1, 3], 50)).toBe(2);
  });

  it('maximizes: prunes a trial below the median', () => {
    const pruner = new MedianPruner('maximize', { nStartupTrials: 0, nWarmupSteps: 0, intervalSteps: 1, nMinTrials: 1 });
    const done = [complete(0.9), complete(0.8), complete(0.7)];
    const low = trial('running', [0.75]);
    const high = trial('running', [0.85]);
    expect(pruner.shouldPrune(low, [...done, low])).toBe(true);
    expect(pruner.shouldPrune(high, [...done, high])).toBe(false);
  });

  it('compares only against complete trials that reached the same step', () => {
    const pruner = new MedianPruner('minimize', { nStartupTrials: 0, nWarmupSteps: 0, intervalSteps: 1, nMinTrials: 1 });
    // Short complete trials (2 steps) and one long one (4 steps) with a high value at step 4.
    const done = [complete(5, 4), complete(5, 4), complete(5, 4, 3.9, 3.8)];
    // At step 4 only the long trial counts: 3.7 < 3.8 keeps going, though 3.7 is far above the short trials' values.
    const long = trial('running', [5, 4.5, 4, 3.7]);
    expect(pruner.shouldPrune(long, [...done, long])).toBe(false);
    // At a step no complete trial reached, nothing to compare with: no pruning.
    const longer = trial('running', [5, 4.5, 4, 3.7, 100]);
    expect(pruner.shouldPrune(longer, [...done, longer])).toBe(false);
    // Pruned, failed and running trials are not compared against.
    const others = [trial('pruned', [0.1]), trial('failed', [0.1]), trial('running', [0.1])];
    const t = trial('running', [4.9]);
    expect(pruner.shouldPrune(t, [...done, ...others, t])).toBe(false); // median at step 1 is 5
  });

  it("judges a trial by its best value so far, not its latest", () => {
    const pruner = new MedianPruner('minimize', { nStartupTrials: 0, nWarmupSteps: 0, intervalSteps: 1, nMinTrials: 1 });
    const done = [complete(3, 2), complete(3, 2), complete(3, 2)];
    const wobbly = trial('running', [1, 2.5]); // best 1 < median 2 at step 2
    expect(pruner.shouldPrune(wobbly, [...done, wobbly])).toBe(false);
    const worse = trial('running', [3.5, 2.5]);
    expect(pruner.shouldPrune(worse, [...done, worse])).toBe(true);
  });

  it('waits n_warmup_steps, judges once per interval_steps, and needs n_min_trials at the step', () => {
    const done = [complete(1, 1, 1, 1, 1, 1), complete(1, 1, 1, 1, 1, 1)];
    const bad = (n: number) => trial('running', Array(n).fill(9));
    const warm = new MedianPruner('minimize', { nStartupTrials: 0, nWarmupSteps: 3, intervalSteps: 1, nMinTrials: 1 });
    expect(warm.shouldPrune(bad(2), done)).toBe(false); // step 2 < 3
    expect(warm.shouldPrune(bad(3), done)).toBe(true);
    const every2 = new MedianPruner('minimize', { nStartupTrials: 0, nWarmupSteps: 0, intervalSteps: 2, nMinTrials: 1 });
    // Windows [0,2), [2,4), [4,6): judged at the first step reported in each window only.
    expect(every2.shouldPrune(bad(1), done)).toBe(true); // step 1, nothing earlier in [0,2)
    expect(every2.shouldPrune(bad(2), done)).toBe(true); // step 2 opens [2,4)
    expect(every2.shouldPrune(bad(3), done)).toBe(false); // step 3: step 2 was already in [2,4)
    expect(isFirstInInterval(4, [1, 2, 3, 4], 0, 2)).toBe(true);
    expect(isFirstInInterval(5, [1, 2, 3, 4, 5], 0, 2)).toBe(false);
    const min3 = new MedianPruner('minimize', { nStartupTrials: 0, nWarmupSteps: 0, intervalSteps: 1, nMinTrials: 3 });
    expect(min3.shouldPrune(bad(1), done)).toBe(false); // only 2 trials reported step 1
  });

  it('prunes a trial whose values are all NaN', () => {
    const pruner = new MedianPruner('minimize', { nStartupTrials: 0, nWarmupSteps: 0, intervalSteps: 1, nMinTrials: 1 });
    const t = trial('running', [Number.NaN]);
    expect(pruner.shouldPrune(t, [complete(1), t])).toBe(true);
  });
});
