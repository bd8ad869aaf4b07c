// A small, dependency-free SVG line plot: several series, each axis linear or
// logarithmic, ticks, grid, axis labels and a legend. Enough for gradcheck's
// log-log plot and later learning curves; not a charting library.

export type AxisScale = 'linear' | 'log';

export interface PlotSeries {
  name: string;
  points: ReadonlyArray<readonly [number, number]>;
  /** Draw dashed and without markers (reference lines). */
  dashed?: boolean;
  color?: string;
}

export interface PlotOptions {
  series: readonly PlotSeries[];
  title?: string;
  xLabel?: string;
  yLabel?: string;
  xScale?: AxisScale;
  yScale?: AxisScale;
  width?: number;
  height?: number;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
const MARGIN = { left: 72, right: 24, top: 40, bottom: 52 };

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot', "'": 'apos' }[c]};`);
}

/** Compact number: at most 4 significant digits, exponent form for tiny or huge values. */
export function formatNumber(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e5 || abs < 1e-3) {
    const [mantissa, exponent] = value.toExponential(3).split('e') as [string, string];
    return `${mantissa.replace(/\.?0+$/, '')}e${Number(exponent)}`;
  }
  return String(Number(value.toPrecision(4)));
}

interface Axis {
  scale: AxisScale;
  /** Domain in transformed units (log10 for log axes). */
  lo: number;
  hi: number;
  /** Tick positions in transformed units, with their labels (log axes: the power of ten). */
  ticks: Array<{ at: number; label: string; power?: number }>;
}

function transform(scale: AxisScale, v: number): number {
  return scale === 'log' ? Math.log10(v) : v;
}

/** 1, 2 or 5 times a power of ten, so that about `count` steps cover `span`. */
function niceStep(span: number, count: number): number {
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const m = raw / power;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power;
}

function buildAxis(scale: AxisScale, values: number[]): Axis {
  let lo = Math.min(...values.map((v) => transform(scale, v)));
  let hi = Math.max(...values.map((v) => transform(scale, v)));
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = scale === 'log' ? [0, 1] : [0, 1];
  if (scale === 'log') {
    // Whole decades, at least one.
    lo = Math.floor(lo);
    hi = Math.max(Math.ceil(hi), lo + 1);
    const every = Math.max(1, Math.ceil((hi - lo) / 10));
    const ticks: Axis['ticks'] = [];
    for (let k = lo; k <= hi; k += every) ticks.push({ at: k, label: formatNumber(10 ** k), power: k });
    return { scale, lo, hi, ticks };
  }
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const step = niceStep(hi - lo, 6);
  lo = Math.floor(lo / step) * step;
  hi = Math.ceil(hi / step) * step;
  const ticks: Axis['ticks'] = [];
  for (let i = 0; lo + i * step <= hi + step * 1e-9; i++) {
    const at = lo + i * step;
    ticks.push({ at, label: formatNumber(Number(at.toPrecision(12))) });
  }
  return { scale, lo, hi, ticks };
}

/** Renders the plot as a standalone SVG document. Points that a log axis cannot show (<= 0) and non-finite points are dropped. */
export function renderLinePlot(options: PlotOptions): string {
  const width = options.width ?? 640;
  const height = options.height ?? 420;
  const xScale = options.xScale ?? 'linear';
  const yScale = options.yScale ?? 'linear';
  const usable = (scale: AxisScale, v: number) => Number.isFinite(v) && (scale === 'linear' || v > 0);
  const series = options.series.map((s, i) => ({
    ...s,
    color: s.color ?? PALETTE[i % PALETTE.length]!,
    points: s.points.filter(([x, y]) => usable(xScale, x) && usable(yScale, y)),
  }));
  const all = series.flatMap((s) => s.points);
  const xAxis = buildAxis(xScale, all.map(([x]) => x));
  const yAxis = buildAxis(yScale, all.map(([, y]) => y));

  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const px = (v: number) => MARGIN.left + ((v - xAxis.lo) / (xAxis.hi - xAxis.lo)) * plotW;
  const py = (v: number) => MARGIN.top + plotH - ((v - yAxis.lo) / (yAxis.hi - yAxis.lo)) * plotH;
  const fx = (x: number) => px(transform(xScale, x)).toFixed(2);
  const fy = (y: number) => py(transform(yScale, y)).toFixed(2);

  // Decades print as 10 with a superscript exponent.
  const tickText = (t: Axis['ticks'][number]) =>
    t.power === undefined ? escapeXml(t.label) : `10<tspan dy="-6" font-size="9">${t.power}</tspan>`;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  );
  if (options.title) {
    out.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(options.title)}</text>`);
  }
  // Grid and ticks.
  for (const t of xAxis.ticks) {
    const x = px(t.at).toFixed(2);
    out.push(
      `<line x1="${x}" y1="${MARGIN.top}" x2="${x}" y2="${MARGIN.top + plotH}" stroke="#e5e5e5"/>`,
      `<text x="${x}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${tickText(t)}</text>`,
    );
  }
  for (const t of yAxis.ticks) {
    const y = py(t.at).toFixed(2);
    out.push(
      `<line x1="${MARGIN.left}" y1="${y}" x2="${MARGIN.left + plotW}" y2="${y}" stroke="#e5e5e5"/>`,
      `<text x="${MARGIN.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${tickText(t)}</text>`,
    );
  }
  out.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  if (options.xLabel) {
    out.push(
      `<text x="${MARGIN.left + plotW / 2}" y="${height - 12}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`,
    );
  }
  if (options.yLabel) {
    const cy = MARGIN.top + plotH / 2;
    out.push(
      `<text x="16" y="${cy}" text-anchor="middle" transform="rotate(-90 16 ${cy})">${escapeXml(options.yLabel)}</text>`,
    );
  }
  // Series.
  for (const s of series) {
    if (s.points.length === 0) continue;
    const path = s.points.map(([x, y]) => `${fx(x)},${fy(y)}`).join(' ');
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(`<polyline points="${path}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
    if (!s.dashed) {
      for (const [x, y] of s.points) out.push(`<circle cx="${fx(x)}" cy="${fy(y)}" r="3.5" fill="${s.color}"/>`);
    }
  }
  // Legend, top right inside the frame, on a white box so that it stays readable over the data.
  const legendW = 36 + 7 * Math.max(0, ...series.map((s) => s.name.length));
  const legendX = MARGIN.left + plotW - legendW - 8;
  if (series.length > 0) {
    out.push(
      `<rect x="${legendX - 6}" y="${MARGIN.top + 6}" width="${legendW + 6}" height="${series.length * 18 + 8}" fill="white" fill-opacity="0.9" stroke="#ccc"/>`,
    );
  }
  series.forEach((s, i) => {
    const y = MARGIN.top + 18 + i * 18;
    const x = legendX;
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(
      `<line x1="${x}" y1="${y}" x2="${x + 24}" y2="${y}" stroke="${s.color}" stroke-width="2"${dash}/>`,
      `<text x="${x + 30}" y="${y}" dominant-baseline="middle">${escapeXml(s.name)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
