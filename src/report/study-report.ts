// `hypersweep report`: one self-contained HTML page about a study, built from
// its journal alone (a running study too: it shows what the journal holds).
// Charts are inline SVG (see svg-chart.ts); there is no script and nothing
// is fetched, so the file opens offline in any browser.
import type { Distribution, SearchSpace } from '../space/distributions.js';
import type { Params } from '../study/events.js';
import { rankStudies } from '../study/leaderboard.js';
import { bestTrial, countByState, type StudyState, type TrialRecord } from '../study/state.js';
import { IMPORTANCE_METHOD, parameterImportance, type Importance, type ParamKind } from './importance.js';
import { formatDuration, formatParamValue, formatValue, tableCells } from './leaderboard-format.js';
import type { ScaleKind } from './scales.js';
import { escapeXml } from './svg-plot.js';
import { barChart, PALETTE, parallelCoordinates, valueColor, xyChart, type XYSeries } from './svg-chart.js';

export interface ReportOptions {
  /** When the report was made (shown in the page). */
  generated?: Date;
  /** Whether a controller holds the study now (null: unknown). */
  controllerActive?: boolean | null;
  /** Trials in the learning-curve charts. */
  topCurves?: number;
  /** Rows of the leaderboard table. */
  tableRows?: number;
  /** Most lines in the parallel-coordinates plot (the best ones are kept). */
  maxParallelLines?: number;
  /** The hypersweep making the report (shown in the footer). */
  version?: string;
}

const INITS = ['zero', 'normal', 'glorot'] as const;
const INIT_COLORS: Record<(typeof INITS)[number], string> = { zero: '#d62728', normal: '#ff7f0e', glorot: '#1f77b4' };

interface Section {
  id: string;
  title: string;
  html: string;
}

interface EpochRecord {
  epoch: number;
  [metric: string]: number;
}

function epochsOf(t: TrialRecord): EpochRecord[] {
  const e = t.metrics['epochs'];
  return Array.isArray(e) ? (e as EpochRecord[]).filter((r) => r && typeof r.epoch === 'number') : [];
}

const searched = (space: SearchSpace) =>
  Object.entries(space).filter((entry): entry is [string, Exclude<Distribution, { type: 'fixed' }>] => entry[1].type !== 'fixed');

function axisKind(d: Distribution): ScaleKind {
  if (d.type === 'categorical') return 'band';
  if ((d.type === 'float' || d.type === 'int') && d.log) return 'log';
  return 'linear';
}

function paramsText(params: Params): string {
  // Inactive (conditional) parameters are left out.
  return Object.entries(params)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}=${formatParamValue(v)}`)
    .join(' ');
}

function figure(chart: string, svg: string, caption?: string): string {
  return `<figure class="chart" data-chart="${escapeXml(chart)}">${svg}${caption ? `<figcaption>${caption}</figcaption>` : ''}</figure>`;
}

const note = (text: string) => `<p class="note">${text}</p>`;

/** Complete trials with a finite value, best first (ties: lower trial number). */
function rankedComplete(state: StudyState): TrialRecord[] {
  const dir = state.created.direction;
  return state.trials
    .filter((t) => t.state === 'complete' && t.value !== null && Number.isFinite(t.value))
    .sort((a, b) => (a.value !== b.value ? (dir === 'maximize' ? b.value! - a.value! : a.value! - b.value!) : a.number - b.number));
}

// ---------------------------------------------------------------------------

function historySection(state: StudyState): Section {
  const { metric, direction } = state.created;
  const complete: TrialRecord[] = [];
  const pruned: TrialRecord[] = [];
  for (const t of state.trials) {
    if (t.value === null || !Number.isFinite(t.value)) continue;
    if (t.state === 'complete') complete.push(t);
    else if (t.state === 'pruned') pruned.push(t);
  }
  complete.sort((a, b) => a.number - b.number);
  const best: Array<{ x: number; y: number }> = [];
  let current: number | null = null;
  for (const t of complete) {
    if (current === null || (direction === 'maximize' ? t.value! > current : t.value! < current)) current = t.value!;
    best.push({ x: t.number, y: current });
  }
  const lastTrial = state.trials.reduce((m, t) => Math.max(m, t.number), 0);
  if (best.length > 0 && best[best.length - 1]!.x < lastTrial) best.push({ x: lastTrial, y: current! });
  const point = (t: TrialRecord) => ({ x: t.number, y: t.value!, title: `trial ${t.number} (${t.state}${madeBy(t)}): ${metric}=${formatValue(t.value)}\n${paramsText(t.params)}` });
  const series: XYSeries[] = [
    { name: 'complete trial', kind: 'scatter', points: complete.map(point), color: '#1f77b4' },
    { name: 'pruned (last value)', kind: 'scatter', points: pruned.map(point), color: '#999999', hollow: true },
    { name: 'best so far', kind: 'step', points: best, color: '#d62728' },
  ];
  const svg = xyChart({ title: `Optimization history (${direction} ${metric})`, x: { label: 'trial', integer: true }, y: { label: metric }, series });
  return {
    id: 'history',
    title: 'Optimization history',
    html: figure('history', svg, `${metric} of every finished trial by trial number; the red line is the best complete trial so far.`),
  };
}

function curvesSection(state: StudyState, top: number): Section {
  const { metric } = state.created;
  const ranked = rankedComplete(state).slice(0, top);
  const withEpochs = ranked.filter((t) => epochsOf(t).length > 0);
  const parts: string[] = [];
  if (withEpochs.length > 0) {
    const first = epochsOf(withEpochs[0]!)[0]!;
    const valMetric = metric.startsWith('val_') && metric in first ? metric : 'val_accuracy' in first ? 'val_accuracy' : metric;
    const line = (t: TrialRecord, key: string, i: number): XYSeries => ({
      name: `trial ${t.number} (${formatValue(t.value)})`,
      kind: 'line',
      color: PALETTE[i % PALETTE.length]!,
      points: epochsOf(t)
        .filter((e) => typeof e[key] === 'number' && Number.isFinite(e[key]))
        .map((e) => ({ x: e.epoch, y: e[key]!, title: `trial ${t.number}, epoch ${e.epoch}: ${key}=${formatValue(e[key]!)}` })),
    });
    parts.push(
      figure('curves-validation', xyChart({ title: `${valMetric} per epoch, top ${withEpochs.length}`, x: { label: 'epoch', integer: true }, y: { label: valMetric }, series: withEpochs.map((t, i) => line(t, valMetric, i)) })),
      figure('curves-train-loss', xyChart({ title: `train_loss per epoch, top ${withEpochs.length}`, x: { label: 'epoch', integer: true }, y: { label: 'train_loss', scale: lossScale(withEpochs.flatMap((t) => epochsOf(t).map((e) => e['train_loss']!))) }, series: withEpochs.map((t, i) => line(t, 'train_loss', i)) })),
    );
  } else {
    const withSteps = ranked.filter((t) => t.intermediate.length > 0);
    parts.push(
      figure(
        'curves-intermediate',
        xyChart({
          title: `Intermediate values, top ${withSteps.length}`,
          x: { label: 'step', integer: true },
          y: { label: metric },
          series: withSteps.map((t, i) => ({
            name: `trial ${t.number} (${formatValue(t.value)})`,
            kind: 'line',
            color: PALETTE[i % PALETTE.length]!,
            points: t.intermediate.map(([step, value]) => ({ x: step, y: value, title: `trial ${t.number}, step ${step}: ${formatValue(value)}` })),
          })),
        }),
      ),
      note('These trials recorded no per-epoch metrics, so there is no training-loss curve: the chart shows the intermediate values they reported.'),
    );
  }
  return { id: 'curves', title: 'Learning curves of the top trials', html: `<div class="row">${parts.join('')}</div>` };
}

/** Log scale for losses that span more than a decade (diverging runs next to good ones), else linear. */
function lossScale(values: readonly number[]): ScaleKind {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length === 0 || v.some((x) => x <= 0)) return 'linear';
  return Math.max(...v) / Math.min(...v) > 20 ? 'log' : 'linear';
}

/** The homework's init study: zero vs normal vs glorot, loss and accuracy per epoch. */
function initSection(state: StudyState): Section | null {
  const space = (state.created.spec as { params?: SearchSpace } | null)?.params ?? {};
  const d = space['init'];
  if (!d || d.type !== 'categorical' || !INITS.every((i) => d.choices.includes(i))) return null;
  const dir = state.created.direction;
  const chosen: Array<{ init: (typeof INITS)[number]; trial: TrialRecord }> = [];
  const missing: string[] = [];
  for (const init of INITS) {
    const mine = state.trials.filter((t) => t.params['init'] === init && epochsOf(t).length > 0);
    const complete = mine.filter((t) => t.state === 'complete' && t.value !== null);
    const pick = complete.length > 0 ? bestTrial(complete, dir) : mine.sort((a, b) => epochsOf(b).length - epochsOf(a).length)[0];
    if (pick) chosen.push({ init, trial: pick });
    else missing.push(init);
  }
  const series = (keys: [string, string]) =>
    chosen.flatMap(({ init, trial }) =>
      keys.map((key, k): XYSeries => ({
        name: `${init} ${key}`,
        kind: 'line',
        color: INIT_COLORS[init],
        dashed: k === 1,
        points: epochsOf(trial)
          .filter((e) => Number.isFinite(e[key]))
          .map((e) => ({ x: e.epoch, y: e[key]!, title: `${init} (trial ${trial.number}), epoch ${e.epoch}: ${key}=${formatValue(e[key]!)}` })),
      })),
    );
  const lossSeries = series(['train_loss', 'val_loss']);
  const accSeries = series(['train_accuracy', 'val_accuracy']);
  const lossValues = lossSeries.flatMap((s) => s.points.map((p) => p.y));
  const which = chosen.map(({ init, trial }) => `${init}: trial ${trial.number} (${trial.state}${trial.value === null ? '' : `, ${state.created.metric}=${formatValue(trial.value)}`})`);
  const html =
    figure(
      'init-comparison',
      `<div class="pair">` +
        xyChart({ title: 'Loss per epoch by initialisation', x: { label: 'epoch', integer: true }, y: { label: 'cross-entropy loss', scale: lossScale(lossValues) }, series: lossSeries, width: 560 }) +
        xyChart({ title: 'Accuracy per epoch by initialisation', x: { label: 'epoch', integer: true }, y: { label: 'accuracy' }, series: accSeries, width: 560 }) +
        `</div>`,
      `Solid: training split; dashed: validation split. One trial per initialisation (the best complete one): ${escapeXml(which.join('; '))}.` +
        (missing.length ? ` No finished trial yet with init ${missing.join(', ')}.` : ''),
    );
  return { id: 'init', title: 'Initialisations: zero vs normal vs glorot', html };
}

function parallelSection(state: StudyState, maxLines: number): Section {
  const { metric } = state.created;
  const space = (state.created.spec as { params?: SearchSpace } | null)?.params ?? {};
  const dims = searched(space);
  const ranked = rankedComplete(state);
  const shown = ranked.slice(0, maxLines).reverse(); // worst first: the best are drawn on top
  const n = ranked.length;
  const axes = [
    ...dims.map(([name, d]) => ({
      name,
      scale: axisKind(d),
      ...(d.type === 'categorical' ? { categories: d.choices.map(String) } : {}),
      values: shown.map((t) => {
        const v = t.params[name];
        return typeof v === 'number' || typeof v === 'string' ? v : v === undefined || v === null ? null : String(v);
      }),
    })),
    { name: metric, scale: 'linear' as const, values: shown.map((t) => t.value) },
  ];
  const lines = shown.map((t, i) => {
    const rank = shown.length - 1 - i; // 0 = best
    return { color: valueColor(n <= 1 ? 1 : 1 - rank / (n - 1)), title: `trial ${t.number}: ${metric}=${formatValue(t.value)}\n${paramsText(t.params)}` };
  });
  const svg = parallelCoordinates({ title: `Parameters vs ${metric}`, axes, lines });
  const caption =
    `One line per complete trial, darker is better.` + (n > maxLines ? ` Only the best ${maxLines} of ${n} complete trials are drawn.` : '');
  return { id: 'parallel', title: 'Parallel coordinates', html: figure('parallel', svg, caption) };
}

function whyNoImportance(i: Importance): string {
  if (i.groups < 2) return i.n === 0 ? 'no complete trial' : 'a single value so far';
  if (i.n <= i.groups) return `needs more trials than groups: n=${i.n}, ${i.groups} groups`;
  return 'the objective is constant';
}

function importanceSection(state: StudyState): Section {
  const { metric } = state.created;
  const space = (state.created.spec as { params?: SearchSpace } | null)?.params ?? {};
  const kinds: Record<string, ParamKind> = {};
  for (const [name, d] of searched(space)) kinds[name] = d.type === 'categorical' ? 'categorical' : 'numeric';
  const rows = rankedComplete(state).map((t) => ({ params: t.params, value: t.value! }));
  const imp = parameterImportance(rows, kinds);
  const svg = barChart({
    title: `Importance for ${metric}`,
    xLabel: 'ε² (share of variance explained by the parameter alone)',
    max: 1,
    bars: imp.map((i) => ({
      label: i.param,
      value: i.value,
      note: i.value === null ? whyNoImportance(i) : `${i.groups} groups, n=${i.n}, η²=${i.eta2!.toFixed(3)}`,
    })),
  });
  return {
    id: 'importance',
    title: 'Parameter importance',
    html: figure(
      'importance',
      svg,
      `Method: ${escapeXml(IMPORTANCE_METHOD)}. Trials are grouped by each parameter (its choices, or up to 10 equal-count bins of its values); ` +
        `first-order effects only, so the values need not sum to 1. Computed from ${rows.length} complete trial(s).`,
    ),
  };
}

function sliceSection(state: StudyState): Section {
  const { metric } = state.created;
  const space = (state.created.spec as { params?: SearchSpace } | null)?.params ?? {};
  const complete = rankedComplete(state).sort((a, b) => a.number - b.number);
  const last = Math.max(1, ...complete.map((t) => t.number));
  const figures = searched(space).map(([name, d]) => {
    const kind = axisKind(d);
    const svg = xyChart({
      title: `${metric} vs ${name}`,
      x: { label: name, scale: kind, ...(d.type === 'categorical' ? { categories: d.choices.map(String) } : {}) },
      y: { label: metric },
      jitter: true,
      width: 420,
      height: 300,
      series: [
        {
          name: 'trial',
          kind: 'scatter',
          hideInLegend: true,
          points: complete
            .filter((t) => t.params[name] !== undefined && t.params[name] !== null)
            .map((t) => ({
              x: typeof t.params[name] === 'number' ? (t.params[name] as number) : String(t.params[name]),
              y: t.value!,
              color: valueColor(0.15 + 0.85 * (t.number / last)),
              title: `trial ${t.number}: ${name}=${formatParamValue(t.params[name]!)}, ${metric}=${formatValue(t.value)}`,
            })),
        },
      ],
    });
    return figure(`slice-${name}`, svg);
  });
  return {
    id: 'slices',
    title: 'Slice plots',
    html: `<div class="row">${figures.join('')}</div>` + note('One point per complete trial; darker points are later trials. Categorical values are spread sideways to show overlapping points.'),
  };
}

/** ', sampler: gp' for a tooltip; nothing for a trial whose journal predates the record. */
function madeBy(t: TrialRecord): string {
  return t.sampler === null ? '' : `, sampler: ${t.sampler}`;
}

function leaderboardSection(name: string, state: StudyState, rowsShown: number): Section {
  const board = rankStudies([{ name, state }], { state: 'complete' });
  const total = board.rows.length;
  const shown = { ...board, rows: board.rows.slice(0, rowsShown) };
  const { header, numeric, rows } = tableCells(shown);
  const th = header.map((h, i) => `<th${numeric[i] ? ' class="num"' : ''}>${escapeXml(h)}</th>`).join('');
  const body = rows
    .map((r) => `<tr>${r.map((c, i) => `<td${numeric[i] ? ' class="num"' : ''}>${escapeXml(c)}</td>`).join('')}</tr>`)
    .join('\n');
  return {
    id: 'leaderboard',
    title: 'Leaderboard',
    html:
      `<table class="leaderboard"><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>` +
      note(total > rowsShown ? `The best ${rowsShown} of ${total} complete trials; all of them: <code>hypersweep leaderboard ${escapeXml(name)}</code>.` : `${total} complete trial(s).`),
  };
}

function summary(name: string, state: StudyState, options: ReportOptions): string {
  const c = state.created;
  const counts = countByState(state.trials);
  const best = bestTrial(state.trials, c.direction);
  const times = state.trials.flatMap((t) => [t.startedAt, t.finishedAt]).filter((x): x is string => x !== null);
  const last = times.reduce((m, t) => (t > m ? t : m), c.time);
  const elapsed = (Date.parse(last) - Date.parse(c.time)) / 1000;
  const spec = c.spec as { description?: string | null; objective?: { kind?: string; model?: string; module?: string; function?: string }; dataset?: { name?: string; trainSubset?: number | null } | null; budget?: { trials?: number } };
  const objective = spec.objective?.model ?? spec.objective?.module ?? spec.objective?.function ?? spec.objective?.kind ?? '?';
  const dataset = spec.dataset ? `${spec.dataset.name}${spec.dataset.trainSubset ? ` (first ${spec.dataset.trainSubset} training images)` : ''}` : '-';
  const live =
    options.controllerActive || counts.running > 0
      ? `<p class="live">This study is ${options.controllerActive ? 'running now' : 'not finished'}: the page shows the journal as it was at ${escapeXml((options.generated ?? new Date()).toISOString())} (${counts.running} trial(s) running).</p>`
      : '';
  const rows: Array<[string, string]> = [
    ['objective', `${c.direction} <b>${escapeXml(c.metric)}</b> of ${escapeXml(objective)}`],
    ['dataset', escapeXml(dataset)],
    ['sampler', `${escapeXml(c.sampler)} (seed ${c.seed})`],
    ['trials', `${counts.complete} complete, ${counts.pruned} pruned, ${counts.failed} failed, ${counts.running} running (budget ${spec.budget?.trials ?? '?'})`],
    ['best', best ? `trial ${best.number}: <b>${escapeXml(formatValue(best.value))}</b> — ${escapeXml(paramsText(best.params))}` : 'no complete trial yet'],
    ['elapsed', `${escapeXml(formatDuration(elapsed))} (${escapeXml(c.time)} → ${escapeXml(last)})`],
    ['hypersweep', escapeXml(c.hypersweep_version)],
  ];
  return (
    `<h1>Study ${escapeXml(name)}</h1>` +
    (spec.description ? `<p>${escapeXml(spec.description)}</p>` : '') +
    live +
    `<table class="summary">${rows.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('')}</table>`
  );
}

const CSS = `
body{font-family:system-ui,sans-serif;margin:24px auto;max-width:1400px;padding:0 16px;color:#222;background:#fafafa}
h1{margin:0 0 8px}h2{margin:32px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
nav a{margin-right:12px}
figure.chart{display:inline-block;margin:8px 12px 8px 0;vertical-align:top;background:white;border:1px solid #e3e3e3;padding:4px}
figure.chart svg{display:block;max-width:100%;height:auto}
figcaption{font-size:13px;color:#555;max-width:1120px;padding:4px}
.row{display:flex;flex-wrap:wrap}.pair{display:flex;flex-wrap:wrap;gap:8px}
table{border-collapse:collapse;font-size:13px;background:white}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
table.summary th{background:#f0f0f0}
.note{color:#555;font-size:13px}.live{background:#fff4d6;border:1px solid #e6c460;padding:6px 10px}
footer{margin-top:40px;color:#888;font-size:12px}
`;

/** The report page for a study (pure: everything comes from `state`). */
export function buildStudyReport(name: string, state: StudyState, options: ReportOptions = {}): string {
  const sections: Section[] = [historySection(state), curvesSection(state, options.topCurves ?? 5)];
  const init = initSection(state);
  if (init) sections.push(init);
  sections.push(
    parallelSection(state, options.maxParallelLines ?? 1000),
    importanceSection(state),
    sliceSection(state),
    leaderboardSection(name, state, options.tableRows ?? 100),
  );
  const generated = (options.generated ?? new Date()).toISOString();
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>hypersweep report: ${escapeXml(name)}</title>`,
    `<style>${CSS}</style></head><body>`,
    summary(name, state, options),
    `<nav>${sections.map((s) => `<a href="#${s.id}">${escapeXml(s.title)}</a>`).join('')}</nav>`,
    ...sections.map((s) => `<section id="${s.id}"><h2>${escapeXml(s.title)}</h2>${s.html}</section>`),
    `<footer>Generated by hypersweep ${escapeXml(options.version ?? '')} at ${escapeXml(generated)} from the study's journal.</footer>`,
    '</body></html>',
    '',
  ].join('\n');
}
