/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The report's own SVG charts (src/report/svg-chart.ts, the same code the
// static report runs) on the study page, with the dashboard's hover tooltips
// and, for parallel coordinates, brushing. Loaded after the page's first paint
// (study-page.ts imports it dynamically): the first view does not draw them.
import { contourLevels, gridFromPoints, isoSegments, segmentsPath } from '../../report/contour.js';
import { parameterImportance, type ParamKind } from '../../report/importance.js';
import { makeScale, type Scale, type ScaleKind } from '../../report/scales.js';
import { barChart, parallelCoordinates, valueColor, xyChart } from '../../report/svg-chart.js';
import { escapeXml, formatNumber } from '../../report/svg-plot.js';
import type { DashTrial } from '../shared/fold.js';
import { wantsLog } from './charts.js';
import { clear, h, hideTip, showTip, svgElement } from './dom.js';


/** The report's <title> tooltips, shown at once by the dashboard (the browser's own wait a second). */
export function withTooltips(svg: SVGSVGElement): SVGSVGElement {
  svg.addEventListener('mousemove', (e) => {
    const t = (e.target as Element).closest('.mark, circle');
    const title = t?.querySelector('title')?.textContent;
    if (title) showTip(e.clientX, e.clientY, title);
    else hideTip();
  });
  svg.addEventListener('mouseleave', hideTip);
  return svg;
}

export interface SearchedParam {
  name: string;
  kind: ScaleKind;
  categories?: string[];
}

export function paramScale(p: SearchedParam, trials: readonly DashTrial[]): Scale {
  const values = trials.map((t) => t.params[p.name]).filter((v): v is number | string => typeof v === 'number' || typeof v === 'string');
  return makeScale(p.kind, p.kind === 'band' ? values.map(String) : values, p.categories ? { categories: p.categories } : {});
}

const label = (t: DashTrial, metric: string) =>
  `trial ${t.n}: ${metric}=${formatNumber(t.value ?? NaN)}\n${Object.entries(t.params)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? formatNumber(v) : String(v)}`)
    .join(' ')}`;

/** A brush is being dragged: the chart must not be redrawn under the pointer. */
export const brushState = { dragging: false };

/** Brushes of parallel coordinates: per axis name, the kept interval of positions in [0, 1]. */
export type Brushes = Map<string, [number, number]>;

/**
 * Parallel coordinates (the report's chart), one axis per searched param and
 * the metric last; drag along an axis to brush it (click to clear it). Calls
 * `onBrush` with a predicate over all the trials (not only the ones drawn).
 */
export function parallelChart(
  host: HTMLElement,
  trials: readonly DashTrial[],
  params: readonly SearchedParam[],
  metric: string,
  direction: 'maximize' | 'minimize',
  brushes: Brushes,
  onBrush: () => void,
  maxLines = 500,
): (t: DashTrial) => boolean {
  const sign = direction === 'maximize' ? -1 : 1;
  const complete = trials.filter((t) => t.state === 'complete' && t.value !== null && Number.isFinite(t.value));
  // The best ones when there are too many to draw (as the report does); drawn worst first, best on top.
  const drawn = [...complete].sort((a, b) => sign * (a.value! - b.value!)).slice(0, maxLines).reverse();
  const valueAxis: SearchedParam = { name: metric, kind: wantsLog(complete.map((t) => t.value!)) ? 'log' : 'linear' };
  const axes = [...params, valueAxis];
  const at = (t: DashTrial, p: SearchedParam) => (p === valueAxis ? t.value : (t.params[p.name] ?? null));
  const vals = drawn.map((t) => t.value!);
  const lo = Math.min(...vals);
  const hi = Math.max(...vals);
  const svgText = parallelCoordinates({
    title: `Parameters vs ${metric} (${drawn.length} of ${complete.length} complete trials drawn; drag on an axis to filter)`,
    axes: axes.map((p) => ({
      name: p.name,
      scale: p.kind,
      ...(p.categories ? { categories: p.categories } : {}),
      values: drawn.map((t) => {
        const v = at(t, p);
        return typeof v === 'boolean' ? String(v) : (v as number | string | null);
      }),
    })),
    lines: drawn.map((t) => ({ color: valueColor(hi > lo ? (direction === 'maximize' ? (t.value! - lo) / (hi - lo) : (hi - t.value!) / (hi - lo)) : 1), title: label(t, metric) })),
    width: Math.max(900, 150 * axes.length),
  });
  const svg = withTooltips(svgElement(svgText));
  clear(host, svg);
  if (drawn.length === 0 || axes.length < 2) return () => true;

  // The chart's layout (svg-chart.ts parallelCoordinates): axes evenly spaced between x = 60 and width - 60, y from 48 to height - 40.
  const width = Number(svg.getAttribute('width'));
  const height = Number(svg.getAttribute('height'));
  const top = 48;
  const bottom = height - 40;
  const step = (width - 120) / (axes.length - 1);
  const scales = axes.map((p) =>
    makeScale(p.kind, drawn.map((t) => at(t, p)).filter((v): v is number | string => typeof v === 'number' || typeof v === 'string').map((v) => (p.kind === 'band' ? String(v) : v)), p.categories ? { categories: p.categories } : {}),
  );
  const NS = 'http://www.w3.org/2000/svg';
  const pass = (t: DashTrial): boolean => {
    for (let k = 0; k < axes.length; k++) {
      const range = brushes.get(axes[k]!.name);
      if (!range) continue;
      const v = at(t, axes[k]!);
      const pos = v === null || v === undefined ? null : scales[k]!.map(typeof v === 'boolean' ? String(v) : v);
      if (pos === null || pos < range[0] - 1e-9 || pos > range[1] + 1e-9) return false;
    }
    return true;
  };
  const lines = [...svg.querySelectorAll('polyline.mark')];
  const dim = () => {
    // Drawn in the order of `drawn` (each has at least two axes' values: every line has a metric and a param).
    lines.forEach((line, i) => line.classList.toggle('dim', !pass(drawn[i]!)));
  };
  axes.forEach((p, k) => {
    const x = 60 + k * step;
    const hit = document.createElementNS(NS, 'rect');
    Object.entries({ x: x - 12, y: top, width: 24, height: bottom - top, class: 'pc-axis-hit', 'data-axis': p.name }).forEach(([a, v]) => hit.setAttribute(a, String(v)));
    const brush = document.createElementNS(NS, 'rect');
    Object.entries({ x: x - 8, width: 16, class: 'brush', 'data-brush': p.name }).forEach(([a, v]) => brush.setAttribute(a, String(v)));
    const draw = () => {
      const r = brushes.get(p.name);
      brush.setAttribute('visibility', r ? 'visible' : 'hidden');
      if (r) {
        brush.setAttribute('y', String(bottom - r[1] * (bottom - top)));
        brush.setAttribute('height', String(Math.max(1, (r[1] - r[0]) * (bottom - top))));
      }
    };
    draw();
    const toPos = (clientY: number) => {
      const box = svg.getBoundingClientRect();
      const y = ((clientY - box.top) / box.height) * height;
      return Math.min(1, Math.max(0, (bottom - y) / (bottom - top)));
    };
    hit.addEventListener('pointerdown', (e) => {
      e.preventDefault();
      const start = toPos(e.clientY);
      let moved = false;
      brushState.dragging = true;
      hit.setPointerCapture(e.pointerId);
      const move = (m: PointerEvent) => {
        const now = toPos(m.clientY);
        if (Math.abs(now - start) < 0.01) return;
        moved = true;
        brushes.set(p.name, [Math.min(start, now), Math.max(start, now)]);
        draw();
        dim();
      };
      const up = () => {
        brushState.dragging = false;
        hit.removeEventListener('pointermove', move);
        hit.removeEventListener('pointerup', up);
        if (!moved) brushes.delete(p.name); // a click clears the axis' brush
        draw();
        dim();
        onBrush();
      };
      hit.addEventListener('pointermove', move);
      hit.addEventListener('pointerup', up);
    });
    svg.append(brush, hit);
  });
  dim();
  return pass;
}

/** One slice per param: the metric against the param's values (log axis for a log-distributed param). */
export function sliceChart(trials: readonly DashTrial[], p: SearchedParam, metric: string, yLog: boolean, maxPoints = 1500): SVGSVGElement {
  const complete = trials.filter((t) => t.state === 'complete' && t.value !== null && t.params[p.name] !== undefined && t.params[p.name] !== null);
  const shown = complete.slice(-maxPoints);
  const svg = xyChart({
    title: `${metric} vs ${p.name}${shown.length < complete.length ? ` (latest ${shown.length})` : ''}`,
    x: { label: p.name, scale: p.kind, ...(p.categories ? { categories: p.categories } : {}) },
    y: { label: metric, scale: yLog ? 'log' : 'linear' },
    jitter: p.kind === 'band',
    width: 460,
    height: 300,
    series: [
      {
        name: 'complete',
        kind: 'scatter',
        hideInLegend: true,
        radius: shown.length > 1000 ? 2 : 3,
        points: shown.map((t) => ({ x: p.kind === 'band' ? String(t.params[p.name]) : (t.params[p.name] as number), y: t.value!, title: label(t, metric) })),
      },
    ],
  });
  return withTooltips(svgElement(svg));
}

/**
 * Two params against each other: each cell colored by the best value of the
 * trials in it, contour lines of the metric (the trials' mean put on a grid,
 * src/report/contour.ts) when both params are numeric, the trials on top.
 */
export function contourChart(trials: readonly DashTrial[], px: SearchedParam, py: SearchedParam, metric: string, direction: 'maximize' | 'minimize'): SVGSVGElement {
  const complete = trials.filter((t) => t.state === 'complete' && t.value !== null && t.params[px.name] != null && t.params[py.name] != null);
  const W = 520;
  const H = 420;
  const L = 70;
  const T = 34;
  const R = 20;
  const B = 48;
  const pw = W - L - R;
  const ph = H - T - B;
  const sx = paramScale(px, complete);
  const sy = paramScale(py, complete);
  const val = (t: DashTrial, p: SearchedParam, s: Scale) => s.map(p.kind === 'band' ? String(t.params[p.name]) : (t.params[p.name] as number));
  const N = 20;
  const cells = new Map<string, number>();
  const values = complete.map((t) => t.value!);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  for (const t of complete) {
    const a = val(t, px, sx);
    const b = val(t, py, sy);
    if (a === null || b === null) continue;
    const key = `${Math.min(N - 1, Math.floor(a * N))},${Math.min(N - 1, Math.floor(b * N))}`;
    const old = cells.get(key);
    cells.set(key, old === undefined ? t.value! : direction === 'maximize' ? Math.max(old, t.value!) : Math.min(old, t.value!));
  }
  const good = (v: number) => (hi > lo ? (direction === 'maximize' ? (v - lo) / (hi - lo) : (hi - v) / (hi - lo)) : 1);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" data-kind="contour" data-marks="${complete.length}" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="600">${escapeXml(`${py.name} vs ${px.name}: best ${metric} per cell, contours`)}</text>`,
  ];
  for (const [key, v] of cells) {
    const [i, j] = key.split(',').map(Number) as [number, number];
    out.push(`<rect x="${(L + (i * pw) / N).toFixed(1)}" y="${(T + ph - ((j + 1) * ph) / N).toFixed(1)}" width="${(pw / N + 0.5).toFixed(1)}" height="${(ph / N + 0.5).toFixed(1)}" fill="${valueColor(good(v))}"><title>${escapeXml(`best ${metric} here: ${formatNumber(v)}`)}</title></rect>`);
  }
  if (px.kind !== 'band' && py.kind !== 'band' && complete.length >= 4) {
    const points: Array<{ x: number; y: number; v: number }> = [];
    for (const t of complete) {
      const a = val(t, px, sx);
      const b = val(t, py, sy);
      if (a !== null && b !== null && Number.isFinite(t.value)) points.push({ x: a, y: b, v: t.value! });
    }
    const grid = gridFromPoints(points, 24);
    const map = (u: number, v: number): [number, number] => [L + u * pw, T + ph - v * ph];
    for (const level of contourLevels(grid, 8)) {
      const d = segmentsPath(isoSegments(grid, level), map);
      if (d) out.push(`<path class="iso" data-level="${level}" d="${d}" fill="none" stroke="#1d2330" stroke-opacity="0.55" stroke-width="1"><title>${escapeXml(`${metric} = ${formatNumber(level)} (interpolated)`)}</title></path>`);
    }
  }
  for (const t of complete.slice(-1500)) {
    const a = val(t, px, sx);
    const b = val(t, py, sy);
    if (a === null || b === null) continue;
    out.push(`<circle class="mark" cx="${(L + a * pw).toFixed(1)}" cy="${(T + ph - b * ph).toFixed(1)}" r="2" fill="#111" fill-opacity="0.6"><title>${escapeXml(label(t, metric))}</title></circle>`);
  }
  for (const t of sx.ticks) out.push(`<text x="${(L + t.at * pw).toFixed(1)}" y="${T + ph + 15}" text-anchor="middle">${escapeXml(t.label)}</text>`);
  for (const t of sy.ticks) out.push(`<text x="${L - 6}" y="${(T + ph - t.at * ph).toFixed(1)}" text-anchor="end" dominant-baseline="middle">${escapeXml(t.label)}</text>`);
  out.push(
    `<rect x="${L}" y="${T}" width="${pw}" height="${ph}" fill="none" stroke="#444"/>`,
    `<text x="${L + pw / 2}" y="${H - 10}" text-anchor="middle">${escapeXml(px.name)}</text>`,
    `<text x="14" y="${T + ph / 2}" text-anchor="middle" transform="rotate(-90 14 ${T + ph / 2})">${escapeXml(py.name)}</text>`,
    '</svg>',
  );
  return withTooltips(svgElement(out.join('')));
}

export function legendRow(items: ReadonlyArray<[string, string]>): HTMLElement {
  return h('div', { class: 'muted' }, ...items.flatMap(([color, text]) => {
    const sw = h('span', { class: 'legend-swatch' });
    sw.style.background = color;
    return [sw, text, '  '];
  }));
}

/** Parameter importance (the report's ε² bars) over the complete trials. */
export function importanceChart(complete: readonly DashTrial[], params: readonly SearchedParam[], metric: string): SVGSVGElement {
  const kinds: Record<string, ParamKind> = Object.fromEntries(params.map((p) => [p.name, p.kind === 'band' ? 'categorical' : 'numeric']));
  const imp = parameterImportance(complete.map((t) => ({ params: t.params, value: t.value! })), kinds);
  return withTooltips(
    svgElement(barChart({ title: `Importance for ${metric} (ε², ${complete.length} trials)`, xLabel: 'ε² (share of variance explained)', bars: imp.map((i) => ({ label: i.param, value: i.value, note: `${i.groups} groups` })), max: 1 })),
  );
}
