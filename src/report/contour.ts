// Contour lines (iso-lines) for two-param views: scattered trials put on a
// regular grid (mean per cell, empty cells filled by inverse-distance
// weighting from the filled ones), then marching squares per level. Pure
// geometry in the unit square (x right, y up), with an SVG path per level: the
// chart maps it to its plot area. Shared by the report and the dashboard (it
// is served to the page as compiled).

/** Values at the grid's nodes: grid[j][i] at x = i / (n - 1), y = j / (m - 1); NaN where unknown. */
export type Grid = number[][];

export type Segment = [[number, number], [number, number]];

/**
 * Points (x, y in [0, 1], a value each) on an n × n grid of nodes: each node
 * the mean of the points nearest to it, nodes without points by inverse
 * squared distance from the nodes with some. Cost O(points + n⁴), whatever
 * the number of points.
 */
export function gridFromPoints(points: ReadonlyArray<{ x: number; y: number; v: number }>, n = 24): Grid {
  const sum: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const count: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (const p of points) {
    if (!Number.isFinite(p.v) || !Number.isFinite(p.x) || !Number.isFinite(p.y)) continue;
    const i = Math.min(n - 1, Math.max(0, Math.round(p.x * (n - 1))));
    const j = Math.min(n - 1, Math.max(0, Math.round(p.y * (n - 1))));
    sum[j]![i]! += p.v;
    count[j]![i]!++;
  }
  const known: Array<[number, number, number]> = [];
  for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) if (count[j]![i]! > 0) known.push([i, j, sum[j]![i]! / count[j]![i]!]);
  return Array.from({ length: n }, (_, j) =>
    Array.from({ length: n }, (_, i) => {
      if (count[j]![i]! > 0) return sum[j]![i]! / count[j]![i]!;
      let w = 0;
      let v = 0;
      for (const [ki, kj, kv] of known) {
        const d2 = (ki - i) ** 2 + (kj - j) ** 2;
        w += 1 / d2;
        v += kv / d2;
      }
      return w > 0 ? v / w : NaN;
    }),
  );
}

/** `count` levels evenly inside (lo, hi), ends excluded (a line at the extreme is a point). */
export function contourLevels(grid: Grid, count = 8): number[] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const row of grid) {
    for (const v of row) {
      if (!Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!(hi > lo)) return [];
  return Array.from({ length: count }, (_, k) => lo + ((k + 1) * (hi - lo)) / (count + 1));
}

/**
 * Marching squares: the segments where the grid's bilinear surface crosses
 * `level`, in the unit square. A cell with an unknown corner draws nothing;
 * a saddle cell is resolved by the mean of its corners.
 */
export function isoSegments(grid: Grid, level: number): Segment[] {
  const m = grid.length;
  const n = grid[0]?.length ?? 0;
  if (m < 2 || n < 2) return [];
  const X = (i: number) => i / (n - 1);
  const Y = (j: number) => j / (m - 1);
  const out: Segment[] = [];
  for (let j = 0; j + 1 < m; j++) {
    for (let i = 0; i + 1 < n; i++) {
      // Corners counter-clockwise from the bottom left: a (i, j), b (i+1, j), c (i+1, j+1), d (i, j+1).
      const a = grid[j]![i]!;
      const b = grid[j]![i + 1]!;
      const c = grid[j + 1]![i + 1]!;
      const d = grid[j + 1]![i]!;
      if (![a, b, c, d].every(Number.isFinite)) continue;
      const code = (a >= level ? 1 : 0) | (b >= level ? 2 : 0) | (c >= level ? 4 : 0) | (d >= level ? 8 : 0);
      if (code === 0 || code === 15) continue;
      const t = (u: number, v: number) => (level - u) / (v - u);
      // Where the level crosses each edge (only asked of edges it crosses).
      const bottom = (): [number, number] => [X(i) + t(a, b) * (X(i + 1) - X(i)), Y(j)];
      const right = (): [number, number] => [X(i + 1), Y(j) + t(b, c) * (Y(j + 1) - Y(j))];
      const top = (): [number, number] => [X(i) + t(d, c) * (X(i + 1) - X(i)), Y(j + 1)];
      const left = (): [number, number] => [X(i), Y(j) + t(a, d) * (Y(j + 1) - Y(j))];
      switch (code) {
        case 1:
        case 14:
          out.push([left(), bottom()]);
          break;
        case 2:
        case 13:
          out.push([bottom(), right()]);
          break;
        case 3:
        case 12:
          out.push([left(), right()]);
          break;
        case 4:
        case 11:
          out.push([right(), top()]);
          break;
        case 6:
        case 9:
          out.push([bottom(), top()]);
          break;
        case 7:
        case 8:
          out.push([left(), top()]);
          break;
        case 5:
        case 10: {
          // A saddle: a and c on one side, b and d on the other; the centre says which pair joins.
          const centreHigh = (a + b + c + d) / 4 >= level;
          const aHigh = code === 5;
          if (centreHigh === aHigh) out.push([left(), top()], [bottom(), right()]);
          else out.push([left(), bottom()], [right(), top()]);
          break;
        }
      }
    }
  }
  return out;
}

/** The segments as one SVG path, mapped from the unit square by `map` (the chart's plot area; y up). */
export function segmentsPath(segments: readonly Segment[], map: (x: number, y: number) => [number, number]): string {
  return segments
    .map(([p, q]) => {
      const [x1, y1] = map(p[0], p[1]);
      const [x2, y2] = map(q[0], q[1]);
      return `M${x1.toFixed(1)} ${y1.toFixed(1)}L${x2.toFixed(1)} ${y2.toFixed(1)}`;
    })
    .join('');
}
