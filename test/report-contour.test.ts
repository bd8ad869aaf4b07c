// Contour lines (src/report/contour.ts) checked on known functions: the
// iso-lines of x² + y² are circles (every point on one at the level's radius,
// their length 2πr), of a plane straight lines, and a saddle is resolved by its
// centre; the grid made from scattered points reproduces the function.
import { describe, expect, it } from 'vitest';

import { contourLevels, gridFromPoints, isoSegments, segmentsPath, type Grid } from '../src/report/contour.js';

/** f on an n × n grid of nodes over [lo, hi]², as grid[j][i] (x = column, y = row). */
function sample(f: (x: number, y: number) => number, n: number, lo = -1, hi = 1): Grid {
  const at = (k: number) => lo + (k * (hi - lo)) / (n - 1);
  return Array.from({ length: n }, (_, j) => Array.from({ length: n }, (_, i) => f(at(i), at(j))));
}
const toDomain = (u: number) => -1 + 2 * u;

describe('isoSegments (marching squares)', () => {
  it('draws circles for x² + y²: every point at the radius, total length 2πr, closed', () => {
    const grid = sample((x, y) => x * x + y * y, 81);
    for (const r of [0.3, 0.55, 0.8]) {
      const segs = isoSegments(grid, r * r);
      expect(segs.length).toBeGreaterThan(20);
      let length = 0;
      const ends = new Map<string, number>();
      for (const [p, q] of segs) {
        for (const [u, v] of [p, q]) {
          // Linear interpolation along an edge of a curved surface: off by at most a fraction of a cell (2/80).
          expect(Math.abs(Math.hypot(toDomain(u), toDomain(v)) - r)).toBeLessThan(0.01);
          const key = `${u.toFixed(9)},${v.toFixed(9)}`;
          ends.set(key, (ends.get(key) ?? 0) + 1);
        }
        length += Math.hypot(toDomain(q[0]) - toDomain(p[0]), toDomain(q[1]) - toDomain(p[1]));
      }
      expect(length / (2 * Math.PI * r)).toBeGreaterThan(0.99);
      expect(length / (2 * Math.PI * r)).toBeLessThan(1.001);
      // A closed curve: each end point shared by exactly two segments.
      expect([...ends.values()].every((c) => c === 2)).toBe(true);
      // All around: points in each quadrant.
      const quadrants = new Set(segs.map(([p]) => `${Math.sign(toDomain(p[0]))},${Math.sign(toDomain(p[1]))}`));
      expect(quadrants.size).toBeGreaterThanOrEqual(4);
    }
  });

  it('draws a straight line for a plane, exactly', () => {
    const grid = sample((x, y) => 2 * x + y, 11);
    const segs = isoSegments(grid, 0.5);
    expect(segs.length).toBeGreaterThan(0);
    for (const [p, q] of segs) for (const [u, v] of [p, q]) expect(2 * toDomain(u) + toDomain(v)).toBeCloseTo(0.5, 12);
  });

  it('nothing for a flat grid, a level outside the values, or cells with an unknown corner', () => {
    expect(isoSegments(sample(() => 1, 5), 1)).toEqual([]);
    expect(isoSegments(sample((x, y) => x + y, 5), 5)).toEqual([]);
    expect(contourLevels(sample(() => 1, 5))).toEqual([]);
    const holes = sample((x) => x, 3);
    holes[1]![1] = NaN;
    expect(isoSegments(holes, 0.1)).toEqual([]); // every cell touches the centre node
  });

  it('resolves a saddle by its centre', () => {
    // a and c (bottom left, top right) high.
    const high = isoSegments([[1, 0], [0.4, 1]], 0.5); // centre 0.6: the high corners join
    expect(high).toHaveLength(2);
    const low = isoSegments([[1, 0], [0, 1]].map((r) => r.map((v) => v * 0.9)), 0.5); // centre 0.45: they do not
    expect(low).toHaveLength(2);
    const joins = (segs: ReturnType<typeof isoSegments>) => segs.map(([p, q]) => [p, q].map(([x, y]) => (x === 0 ? 'L' : x === 1 ? 'R' : y === 0 ? 'B' : 'T')).sort().join(''));
    expect(joins(high).sort()).toEqual(['BR', 'LT']); // b and d cut off
    expect(joins(low).sort()).toEqual(['BL', 'RT']); // a and c cut off
  });
});

describe('gridFromPoints', () => {
  it('puts scattered samples of x² + y² on a grid close to the function, and its levels between the extremes', () => {
    let seed = 5;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const points = Array.from({ length: 4000 }, () => {
      const x = rand();
      const y = rand();
      return { x, y, v: toDomain(x) ** 2 + toDomain(y) ** 2 };
    });
    const n = 16;
    const grid = gridFromPoints(points, n);
    let worst = 0;
    for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(grid[j]![i]! - (toDomain(i / (n - 1)) ** 2 + toDomain(j / (n - 1)) ** 2)));
    expect(worst).toBeLessThan(0.15); // a node is the mean over ± half a cell
    const levels = contourLevels(grid, 4);
    expect(levels).toHaveLength(4);
    expect(levels[0]!).toBeGreaterThan(0);
    expect(levels[3]!).toBeLessThan(2);
    // One point only: every node gets its value.
    for (const v of gridFromPoints([{ x: 0.2, y: 0.9, v: 3 }], 4).flat()) expect(v).toBeCloseTo(3, 12);
  });

  it('maps segments into a chart as one SVG path', () => {
    expect(segmentsPath([[[0, 0], [1, 0.5]]], (x, y) => [10 + 100 * x, 110 - 100 * y])).toBe('M10.0 110.0L110.0 60.0');
  });
});
