// The report's charts as inline SVG strings, generated here with no charting
// library and no script: they render the same in any browser, offline, and a
// test can check them in node as well as in a headless browser.
//
// Every drawn data mark (point, line, bar) carries class="mark", and each
// <svg> says how many it drew in data-marks, so that a browser test can check
// that the chart really rendered what it was given. Hovering a mark shows its
// <title> (trial number, value, params) as the browser's tooltip.
import { escapeXml, formatNumber } from './svg-plot.js';
import { makeScale, type Scale, type ScaleKind } from './scales.js';

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

/** A sequential blue scale, t = 0 (worst, light) to 1 (best, dark). */
export function valueColor(t: number): string {
  const stops: Array<[number, number, number]> = [
    [198, 219, 239],
    [107, 174, 214],
    [33, 113, 181],
    [8, 48, 107],
  ];
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [stops[i]!, stops[i + 1]!];
  const c = a.map((v, k) => Math.round(v + (b[k]! - v) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

export interface AxisSpec {
  label: string;
  scale?: ScaleKind;
  /** Band axes: the categories in order (default: as they appear). */
  categories?: readonly string[];
  /** Linear axes: include 0 in the range. */
  includeZero?: boolean;
  /** Linear axes: the values are integers (no ticks between them). */
  integer?: boolean;
}

export interface XYPoint {
  x: number | string;
  y: number;
  title?: string;
  color?: string;
}

export interface XYSeries {
  name: string;
  kind: 'line' | 'scatter' | 'step';
  points: readonly XYPoint[];
  color?: string;
  dashed?: boolean;
  hollow?: boolean;
  radius?: number;
  /** Leave out of the legend. */
  hideInLegend?: boolean;
}

export interface XYChartOptions {
  title: string;
  x: AxisSpec;
  y: AxisSpec;
  series: readonly XYSeries[];
  width?: number;
  height?: number;
  /** Spread points of a band axis sideways (deterministically) so that they do not overlap. */
  jitter?: boolean;
}

const MARGIN = { left: 70, right: 20, top: 34, bottom: 48 };
const f2 = (v: number) => v.toFixed(2);

function svgOpen(width: number, height: number, kind: string, marks: number, title: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" data-kind="${kind}" data-marks="${marks}" ` +
    `width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(title)}" ` +
    `font-family="system-ui, sans-serif" font-size="11">` +
    `<rect width="${width}" height="${height}" fill="white"/>` +
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="600">${escapeXml(title)}</text>`
  );
}

function noData(width: number, height: number, kind: string, title: string, why: string): string {
  return (
    svgOpen(width, height, kind, 0, title) +
    `<text x="${width / 2}" y="${height / 2}" text-anchor="middle" fill="#777">${escapeXml(why)}</text></svg>`
  );
}

const LEGEND_ROW = 16;

/** The legend under the plot, items flowing left to right in rows: its SVG and its height. */
function legend(series: readonly XYSeries[], left: number, top: number, width: number): { svg: string; height: number } {
  const shown = series.filter((s) => !s.hideInLegend);
  if (shown.length === 0) return { svg: '', height: 0 };
  const out: string[] = [];
  let x = left;
  let row = 0;
  for (const s of shown) {
    const w = 34 + 6.2 * s.name.length;
    if (x > left && x + w > left + width) {
      x = left;
      row++;
    }
    const cy = top + row * LEGEND_ROW + LEGEND_ROW / 2;
    const dash = s.dashed ? ' stroke-dasharray="5 3"' : '';
    out.push(
      s.kind === 'scatter'
        ? `<circle cx="${f2(x + 10)}" cy="${cy}" r="4" fill="${s.hollow ? 'white' : s.color}" stroke="${s.color}"/>`
        : `<line x1="${f2(x)}" y1="${cy}" x2="${f2(x + 20)}" y2="${cy}" stroke="${s.color}" stroke-width="2"${dash}/>`,
      `<text x="${f2(x + 26)}" y="${cy}" dominant-baseline="middle">${escapeXml(s.name)}</text>`,
    );
    x += w + 12;
  }
  return { svg: out.join(''), height: (row + 1) * LEGEND_ROW + 6 };
}

/** Line, step and scatter series on one pair of axes. */
export function xyChart(options: XYChartOptions): string {
  const width = options.width ?? 640;
  const height = options.height ?? 360;
  const series = options.series.map((s, i) => ({ ...s, color: s.color ?? PALETTE[i % PALETTE.length]! }));
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return noData(width, height, 'xy', options.title, 'no data yet');
  const xs = makeScale(options.x.scale ?? 'linear', all.map((p) => p.x), {
    ...(options.x.categories ? { categories: options.x.categories } : {}),
    ...(options.x.includeZero ? { includeZero: true } : {}),
    ...(options.x.integer ? { integer: true } : {}),
  });
  const ys = makeScale(options.y.scale ?? 'linear', all.map((p) => p.y), options.y.includeZero ? { includeZero: true } : {});
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const px = (t: number) => MARGIN.left + t * plotW;
  const py = (t: number) => MARGIN.top + plotH - t * plotH;
  const out: string[] = [];
  out.push(axes(xs, ys, options.x.label, options.y.label, height, plotW, plotH));

  let marks = 0;
  for (const s of series) {
    const placed: Array<{ x: number; y: number; p: XYPoint }> = [];
    s.points.forEach((p, i) => {
      let tx = xs.map(p.x);
      const ty = ys.map(p.y);
      if (tx === null || ty === null) return;
      if (options.jitter && xs.kind === 'band') tx += (((i * 0.6180339887) % 1) - 0.5) * xs.band * 0.6;
      placed.push({ x: px(tx), y: py(ty), p });
    });
    if (placed.length === 0) continue;
    if (s.kind === 'line' || s.kind === 'step') {
      const pts: string[] = [];
      placed.forEach((q, i) => {
        if (s.kind === 'step' && i > 0) pts.push(`${f2(q.x)},${f2(placed[i - 1]!.y)}`);
        pts.push(`${f2(q.x)},${f2(q.y)}`);
      });
      const dash = s.dashed ? ' stroke-dasharray="5 3"' : '';
      out.push(
        `<polyline class="mark" points="${pts.join(' ')}" fill="none" stroke="${s.color}" stroke-width="2"${dash}><title>${escapeXml(s.name)}</title></polyline>`,
      );
      marks++;
      if (s.kind === 'line' && placed.length <= 60) {
        for (const q of placed) {
          out.push(`<circle cx="${f2(q.x)}" cy="${f2(q.y)}" r="2.5" fill="${s.color}">${q.p.title ? `<title>${escapeXml(q.p.title)}</title>` : ''}</circle>`);
        }
      }
    } else {
      const r = s.radius ?? (placed.length > 2000 ? 2 : 3.5);
      for (const q of placed) {
        const c = q.p.color ?? s.color;
        out.push(
          `<circle class="mark" cx="${f2(q.x)}" cy="${f2(q.y)}" r="${r}" fill="${s.hollow ? 'white' : c}" stroke="${c}" fill-opacity="${s.hollow ? 1 : 0.85}">` +
            (q.p.title ? `<title>${escapeXml(q.p.title)}</title>` : '') +
            '</circle>',
        );
        marks++;
      }
    }
  }
  const key = legend(series, MARGIN.left, height, plotW);
  out.push(key.svg);
  return svgOpen(width, height + key.height, 'xy', marks, options.title) + out.join('') + '</svg>';
}

function axes(xs: Scale, ys: Scale, xLabel: string, yLabel: string, height: number, plotW: number, plotH: number): string {
  const out: string[] = [];
  const bottom = MARGIN.top + plotH;
  for (const t of xs.ticks) {
    const x = f2(MARGIN.left + t.at * plotW);
    out.push(
      `<line x1="${x}" y1="${MARGIN.top}" x2="${x}" y2="${bottom}" stroke="#ececec"/>`,
      `<text x="${x}" y="${bottom + 15}" text-anchor="middle">${escapeXml(t.label)}</text>`,
    );
  }
  for (const t of ys.ticks) {
    const y = f2(MARGIN.top + plotH - t.at * plotH);
    out.push(
      `<line x1="${MARGIN.left}" y1="${y}" x2="${MARGIN.left + plotW}" y2="${y}" stroke="#ececec"/>`,
      `<text x="${MARGIN.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeXml(t.label)}</text>`,
    );
  }
  out.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#444"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${height - 10}" text-anchor="middle">${escapeXml(xLabel)}</text>`,
    `<text x="14" y="${MARGIN.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 14 ${MARGIN.top + plotH / 2})">${escapeXml(yLabel)}</text>`,
  );
  return out.join('');
}

// ---------------------------------------------------------------------------

export interface ParallelAxis {
  name: string;
  scale: ScaleKind;
  categories?: readonly string[];
  /** One value per line (null: the line has none on this axis and is drawn to the others only). */
  values: ReadonlyArray<number | string | null>;
}

export interface ParallelOptions {
  title: string;
  axes: readonly ParallelAxis[];
  /** Per line: its color and tooltip; drawn in this order (the last on top). */
  lines: ReadonlyArray<{ color: string; title: string }>;
  width?: number;
  height?: number;
}

/** Parallel coordinates: one vertical axis per dimension, one polyline per trial. */
export function parallelCoordinates(options: ParallelOptions): string {
  const width = options.width ?? Math.max(900, 150 * options.axes.length);
  const height = options.height ?? 380;
  if (options.lines.length === 0 || options.axes.length < 2) {
    return noData(width, height, 'parallel', options.title, options.lines.length === 0 ? 'no complete trial yet' : 'needs two axes or more');
  }
  const top = 48;
  const bottom = height - 40;
  const left = 60;
  const right = width - 60;
  const step = (right - left) / (options.axes.length - 1);
  const scales = options.axes.map((a) =>
    makeScale(a.scale, a.values.filter((v): v is number | string => v !== null), a.categories ? { categories: a.categories } : {}),
  );
  const out: string[] = [];
  let marks = 0;
  options.lines.forEach((line, i) => {
    const pts: string[] = [];
    options.axes.forEach((a, k) => {
      const v = a.values[i];
      const t = v === null || v === undefined ? null : scales[k]!.map(v);
      if (t !== null) pts.push(`${f2(left + k * step)},${f2(bottom - t * (bottom - top))}`);
    });
    if (pts.length < 2) return;
    out.push(
      `<polyline class="mark" points="${pts.join(' ')}" fill="none" stroke="${line.color}" stroke-width="1.3" stroke-opacity="0.8"><title>${escapeXml(line.title)}</title></polyline>`,
    );
    marks++;
  });
  options.axes.forEach((a, k) => {
    const x = f2(left + k * step);
    out.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${bottom}" stroke="#222" stroke-width="1.2"/>`);
    out.push(`<text x="${x}" y="${top - 10}" text-anchor="middle" font-weight="600">${escapeXml(a.name)}</text>`);
    for (const t of scales[k]!.ticks) {
      const y = f2(bottom - t.at * (bottom - top));
      out.push(
        `<line x1="${x}" y1="${y}" x2="${f2(left + k * step - 4)}" y2="${y}" stroke="#222"/>`,
        `<text x="${f2(left + k * step - 6)}" y="${y}" text-anchor="end" dominant-baseline="middle" paint-order="stroke" stroke="white" stroke-width="3">${escapeXml(t.label)}</text>`,
      );
    }
  });
  return svgOpen(width, height, 'parallel', marks, options.title) + out.join('') + '</svg>';
}

// ---------------------------------------------------------------------------

export interface BarOptions {
  title: string;
  bars: ReadonlyArray<{ label: string; value: number | null; note?: string }>;
  xLabel: string;
  width?: number;
  /** The end of the value axis (default: the largest value). */
  max?: number;
}

/** Horizontal bars, longest first as given; a null value is drawn as "n/a". */
export function barChart(options: BarOptions): string {
  const width = options.width ?? 640;
  const rowH = 26;
  const height = 60 + rowH * Math.max(1, options.bars.length) + 30;
  if (options.bars.length === 0) return noData(width, height, 'bar', options.title, 'no parameter to rank');
  const labelW = Math.min(200, 20 + 7 * Math.max(...options.bars.map((b) => b.label.length)));
  const left = labelW + 10;
  const right = width - 70;
  const max = options.max ?? Math.max(1e-12, ...options.bars.map((b) => b.value ?? 0));
  const scale = makeScale('linear', [0, max]);
  const out: string[] = [];
  const top = 40;
  const bottom = top + rowH * options.bars.length;
  for (const t of scale.ticks) {
    const x = f2(left + t.at * (right - left));
    out.push(
      `<line x1="${x}" y1="${top}" x2="${x}" y2="${bottom}" stroke="#ececec"/>`,
      `<text x="${x}" y="${bottom + 14}" text-anchor="middle">${escapeXml(t.label)}</text>`,
    );
  }
  let marks = 0;
  options.bars.forEach((b, i) => {
    const y = top + i * rowH;
    out.push(`<text x="${left - 8}" y="${y + rowH / 2}" text-anchor="end" dominant-baseline="middle">${escapeXml(b.label)}</text>`);
    if (b.value === null) {
      out.push(`<text x="${left + 4}" y="${y + rowH / 2}" dominant-baseline="middle" fill="#777">n/a${b.note ? ` (${escapeXml(b.note)})` : ''}</text>`);
      return;
    }
    const t = scale.map(b.value) ?? 0;
    const w = Math.max(1, t * (right - left));
    out.push(
      `<rect class="mark" x="${left}" y="${y + 4}" width="${f2(w)}" height="${rowH - 8}" fill="#2171b5"><title>${escapeXml(`${b.label}: ${formatNumber(b.value)}${b.note ? ` (${b.note})` : ''}`)}</title></rect>`,
      `<text x="${f2(left + w + 5)}" y="${y + rowH / 2}" dominant-baseline="middle">${escapeXml(b.value.toFixed(3))}</text>`,
    );
    marks++;
  });
  out.push(
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="#444"/>`,
    `<text x="${(left + right) / 2}" y="${height - 8}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`,
  );
  return svgOpen(width, height, 'bar', marks, options.title) + out.join('') + '</svg>';
}
