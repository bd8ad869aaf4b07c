// Parameter importance (Kelley's ε², the bias-corrected correlation ratio).
import { describe, expect, it } from 'vitest';

import { correlationRatio, groupValues, MAX_GROUPS, parameterImportance } from '../src/report/importance.js';
import { mulberry32 } from './helpers/synthetic-journal.js';

describe('correlationRatio', () => {
  it('matches a hand computation', () => {
    // Group means 2 and 5, grand mean 3.5: SST = 17.5, SSW = 4, n = 6, k = 2.
    const r = correlationRatio([1, 2, 3, 4, 5, 6], [0, 0, 0, 1, 1, 1]);
    expect(r.k).toBe(2);
    expect(r.eta2).toBeCloseTo(1 - 4 / 17.5, 14);
    expect(r.eps2).toBeCloseTo(1 - 4 / 4 / (17.5 / 5), 14);
  });

  it('is null when it cannot be estimated: one group, constant objective, no residual degrees of freedom', () => {
    expect(correlationRatio([1, 2, 3], [0, 0, 0]).eps2).toBeNull();
    expect(correlationRatio([2, 2, 2, 2], [0, 1, 0, 1]).eps2).toBeNull();
    expect(correlationRatio([1, 2], [0, 1]).eps2).toBeNull();
  });

  it('clips at 0 when grouping explains less than chance', () => {
    // Identical group means: η² = 0 and the correction makes ε² negative → 0.
    expect(correlationRatio([1, 3, 1, 3], [0, 0, 1, 1]).eps2).toBe(0);
  });
});

describe('groupValues', () => {
  it('one group per category, and per distinct value when there are few', () => {
    expect(groupValues(['a', 'b', 'a', 'c'], 'categorical')).toEqual([0, 1, 0, 2]);
    expect(groupValues([16, 64, 16, 32, 64, 16, 32, 64, 16], 'numeric')).toEqual([0, 2, 0, 1, 2, 0, 1, 2, 0]);
  });

  it('equal-count bins for many values, never splitting equal values', () => {
    const rand = mulberry32(3);
    const values = Array.from({ length: 1000 }, () => Math.round(rand() * 300) / 10);
    const groups = groupValues(values, 'numeric');
    expect(new Set(groups).size).toBe(MAX_GROUPS);
    const groupOf = new Map<number, number>();
    values.forEach((v, i) => {
      if (groupOf.has(v)) expect(groups[i]).toBe(groupOf.get(v));
      groupOf.set(v, groups[i]!);
    });
    // Bins are ordered by value.
    const order = values.map((v, i) => [v, groups[i]!] as const).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < order.length; i++) expect(order[i]![1]).toBeGreaterThanOrEqual(order[i - 1]![1]);
  });
});

describe('parameterImportance', () => {
  it('finds the parameter that matters and gives ~0 to one that does not', () => {
    const rand = mulberry32(11);
    const rows = Array.from({ length: 400 }, () => {
      const a = rand();
      const b = rand();
      const c = ['x', 'y', 'z'][Math.floor(rand() * 3)]!;
      return { params: { a, b, c }, value: Math.sin(6 * a) + (c === 'z' ? 0.5 : 0) + 0.05 * (rand() - 0.5) };
    });
    const imp = parameterImportance(rows, { a: 'numeric', b: 'numeric', c: 'categorical' });
    expect(imp.map((i) => i.param)).toEqual(['a', 'c', 'b']);
    expect(imp[0]!.value!).toBeGreaterThan(0.7);
    expect(imp[1]!.value!).toBeGreaterThan(0.05);
    expect(imp[2]!.value!).toBeLessThan(0.03);
    expect(imp[2]!.eta2!).toBeGreaterThan(imp[2]!.value!); // the correction lowers the chance level
  });

  it('ignores trials without the parameter and non-finite values', () => {
    const imp = parameterImportance(
      [
        { params: { a: 1 }, value: 1 },
        { params: { a: 2 }, value: Number.NaN },
        { params: {}, value: 3 },
      ],
      { a: 'numeric' },
    );
    expect(imp[0]).toMatchObject({ param: 'a', n: 1, value: null });
  });
});
