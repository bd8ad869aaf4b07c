/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The study page's dense curves (history, learning curves, EDF): uPlot
// canvases; hover shows the values, drag zooms (x and y), a double click
// resets. The report's SVG charts, with the dashboard's interactions, are in
// svg-views.ts, which the study page loads after its first paint.
import uPlot from 'uplot';

import { PALETTE } from '../../report/svg-chart.js';
import type { DashTrial } from '../shared/fold.js';

export { PALETTE };

/** A uPlot chart that keeps the user's zoom while its data grows. */
export class LiveUPlot {
  private plot: uPlot | null = null;
  private zoomed = false;
  private key = '';

  constructor(private readonly host: HTMLElement) {
    host.addEventListener('dblclick', () => {
      this.zoomed = false;
    });
  }

  /** Draws `data` with these series; the chart is rebuilt only when the series change (`key`). */
  update(key: string, make: (width: number) => uPlot.Options, data: uPlot.AlignedData): void {
    if (this.plot && key === this.key) {
      this.plot.setData(data, !this.zoomed);
      return;
    }
    this.plot?.destroy();
    this.key = key;
    this.zoomed = false;
    const opts = make(Math.max(320, this.host.clientWidth - 4));
    opts.hooks = { ...opts.hooks, setSelect: [(u: uPlot) => void (this.zoomed = u.select.width > 0)] };
    this.plot = new uPlot(opts, data, this.host);
  }

  destroy(): void {
    this.plot?.destroy();
    this.plot = null;
  }
}

/**
 * Points as small squares, filled in one path: tens of thousands of them draw
 * several times faster than uPlot's default circles (an arc each, filled and
 * stroked), which made most of a big study's first frame.
 */
const squares =
  (size: number): uPlot.Series.Points.PathBuilder =>
  (u, seriesIdx, idx0, idx1) => {
    const fill = new Path2D();
    const xs = u.data[0];
    const ys = u.data[seriesIdx]!;
    const side = size * devicePixelRatio * 0.8;
    const half = side / 2;
    const { left, top, width, height } = u.bbox;
    for (let i = idx0; i <= idx1; i++) {
      const y = ys[i];
      if (y === null || y === undefined) continue;
      const px = u.valToPos(xs[i]!, 'x', true);
      const py = u.valToPos(y, 'y', true);
      if (px < left - half || px > left + width + half || py < top - half || py > top + height + half) continue;
      fill.rect(px - half, py - half, side, side);
    }
    return { fill };
  };

const dots = (fill: string, size = 5): Partial<uPlot.Series> => ({
  stroke: fill,
  fill,
  paths: () => null,
  points: { show: true, size, fill, stroke: fill, width: 0, paths: squares(size) },
});

/** y on a log axis when every value is positive and they span more than two decades. */
export function wantsLog(values: readonly number[]): boolean {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length < 2 || finite.some((v) => v <= 0)) return false;
  return Math.max(...finite) / Math.min(...finite) > 100;
}

export function historyData(trials: readonly DashTrial[], direction: 'maximize' | 'minimize'): { data: uPlot.AlignedData; log: boolean } {
  const done = trials.filter((t) => (t.state === 'complete' || t.state === 'pruned') && t.value !== null);
  if (!done.every((t, i) => i === 0 || done[i - 1]!.n < t.n)) done.sort((a, b) => a.n - b.n); // usually in order already
  const xs: number[] = [];
  const complete: Array<number | null> = [];
  const pruned: Array<number | null> = [];
  const best: Array<number | null> = [];
  let b: number | null = null;
  for (const t of done) {
    xs.push(t.n);
    complete.push(t.state === 'complete' ? t.value : null);
    pruned.push(t.state === 'pruned' ? t.value : null);
    if (t.state === 'complete') b = b === null ? t.value : direction === 'maximize' ? Math.max(b, t.value!) : Math.min(b, t.value!);
    best.push(b);
  }
  return { data: [xs, complete, pruned, best], log: wantsLog(done.map((t) => t.value!)) };
}

export function historyOptions(metric: string, log: boolean): (width: number) => uPlot.Options {
  return (width) => ({
    width,
    height: 280,
    scales: { x: { time: false }, y: { distr: log ? 3 : 1 } },
    axes: [{ label: 'trial' }, { label: metric, size: 60 }],
    cursor: { drag: { x: true, y: true, uni: 30 } },
    series: [
      { label: 'trial' },
      { label: 'complete', ...dots('#1f77b4') },
      { label: 'pruned (last value)', ...dots('#ff7f0e', 4) },
      { label: 'best so far', stroke: '#d62728', width: 2, spanGaps: true, paths: uPlot.paths.stepped!({ align: 1 }), points: { show: false } },
    ],
  });
}

/** The k smallest by `cmp`, in order, in one pass (a full sort of 50,000 trials on every redraw is the cost this avoids). */
function bestK<T>(items: readonly T[], k: number, cmp: (a: T, b: T) => number): T[] {
  const out: T[] = [];
  for (const x of items) {
    if (out.length === k && cmp(x, out[k - 1]!) >= 0) continue;
    let i = out.length;
    while (i > 0 && cmp(x, out[i - 1]!) < 0) i--;
    out.splice(i, 0, x);
    if (out.length > k) out.pop();
  }
  return out;
}

/** Learning curves: the best complete trials, the pruned ones (highlighted), the running ones. */
export function curvesData(
  trials: readonly DashTrial[],
  direction: 'maximize' | 'minimize',
  limit = 40,
): { key: string; series: Array<{ n: number; state: string }>; data: uPlot.AlignedData; log: boolean } {
  const withCurves = trials.filter((t) => t.curve.length > 0);
  const sign = direction === 'maximize' ? -1 : 1;
  const complete = bestK(withCurves.filter((t) => t.state === 'complete'), limit, (a, b) => sign * ((a.value ?? 0) - (b.value ?? 0)));
  const pruned = withCurves.filter((t) => t.state === 'pruned').slice(-limit);
  const running = withCurves.filter((t) => t.state === 'running');
  const chosen = [...complete.slice(0, limit), ...pruned, ...running].slice(0, 3 * limit);
  const steps = [...new Set(chosen.flatMap((t) => t.curve.map((c) => c[0])))].sort((a, b) => a - b);
  const index = new Map(steps.map((s, i) => [s, i]));
  const columns = chosen.map((t) => {
    const col: Array<number | null> = new Array(steps.length).fill(null);
    for (const [s, v] of t.curve) col[index.get(s)!] = v;
    return col;
  });
  return {
    key: chosen.map((t) => `${t.n}${t.state[0]}`).join(','),
    series: chosen.map((t) => ({ n: t.n, state: t.state })),
    data: [steps, ...columns],
    log: wantsLog(chosen.flatMap((t) => t.curve.map((c) => c[1]))),
  };
}

export function curvesOptions(metric: string, series: Array<{ n: number; state: string }>, log: boolean): (width: number) => uPlot.Options {
  return (width) => ({
    width,
    height: 280,
    scales: { x: { time: false }, y: { distr: log ? 3 : 1 } },
    axes: [{ label: 'step' }, { label: metric, size: 60 }],
    cursor: { drag: { x: true, y: true, uni: 30 } },
    legend: { show: false },
    series: [
      { label: 'step' },
      ...series.map((s, i) => ({
        label: `trial ${s.n} (${s.state})`,
        stroke: s.state === 'pruned' ? '#ff7f0e' : s.state === 'running' ? '#2ca02c' : PALETTE[i % 4 === 0 ? 0 : 8]!,
        width: s.state === 'pruned' ? 1 : 1.5,
        dash: s.state === 'pruned' ? [4, 3] : [],
        spanGaps: true,
        points: { show: false },
      })),
    ],
  });
}

/** The empirical distribution function of complete values, one series per study. */
export function edfData(studies: ReadonlyArray<{ name: string; trials: readonly DashTrial[] }>): uPlot.AlignedData {
  const values = studies.map((s) => s.trials.filter((t) => t.state === 'complete' && t.value !== null && Number.isFinite(t.value)).map((t) => t.value!).sort((a, b) => a - b));
  const xs = [...new Set(values.flat())].sort((a, b) => a - b);
  const columns = values.map((vs) => {
    let i = 0;
    return xs.map((x) => {
      while (i < vs.length && vs[i]! <= x) i++;
      return vs.length ? i / vs.length : null;
    });
  });
  return [xs, ...columns];
}

export function edfOptions(metric: string, names: readonly string[], log: boolean): (width: number) => uPlot.Options {
  return (width) => ({
    width,
    height: 260,
    scales: { x: { time: false, distr: log ? 3 : 1 }, y: { range: [0, 1] } },
    axes: [{ label: metric }, { label: 'fraction of complete trials ≤ x', size: 60 }],
    cursor: { drag: { x: true, y: false } },
    series: [{ label: metric }, ...names.map((n, i) => ({ label: n, stroke: PALETTE[i % PALETTE.length]!, width: 2, paths: uPlot.paths.stepped!({ align: 1 }), points: { show: false } }))],
  });
}

/** Overlaid optimisation histories (best so far) of several studies. */
export function compareHistoryData(studies: ReadonlyArray<{ trials: readonly DashTrial[]; direction: 'maximize' | 'minimize' }>): uPlot.AlignedData {
  const bests = studies.map((s) => {
    const m = new Map<number, number>();
    let b: number | null = null;
    for (const t of [...s.trials].sort((x, y) => x.n - y.n)) {
      if (t.state !== 'complete' || t.value === null) continue;
      b = b === null ? t.value : s.direction === 'maximize' ? Math.max(b, t.value) : Math.min(b, t.value);
      m.set(t.n, b);
    }
    return m;
  });
  const xs = [...new Set(bests.flatMap((m) => [...m.keys()]))].sort((a, b) => a - b);
  return [xs, ...bests.map((m) => xs.map((x) => m.get(x) ?? null))];
}

