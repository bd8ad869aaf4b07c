/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// A study's page: its summary, the actions on a running study, the charts
// (history, learning curves, parallel coordinates with brushing, importance,
// EDF, slices, contour), the actions taken, notes, and the trials table. It
// starts from a snapshot (the study folded up to an offset) and applies the
// journal lines of its stream as they come; charts redraw at most a few times
// a second, the heavier SVG ones every two seconds.
import type { Distribution } from '../../space/distributions.js';
import { StudyFold, summarize, type DashTrial } from '../shared/fold.js';
import type { WireSnapshot } from '../shared/wire.js';
import { curvesData, curvesOptions, edfData, edfOptions, historyData, historyOptions, LiveUPlot, wantsLog } from './charts.js';
import { clear, getJson, h, num, sendJson } from './dom.js';
import { openStream, showProblems, type View } from './main.js';
import type { Brushes, SearchedParam } from './svg-views.js';
import { TrialsTable } from './table.js';

/** The SVG charts' module, loaded after the first paint (the first view draws none of them). */
type SvgViews = typeof import('./svg-views.js');

declare global {
  interface Window {
    /** For tests and the benchmark: when each trial count was first on screen (Date.now()). */
    __hsPaints?: Array<{ trials: number; lastTrial: number; at: number }>;
  }
}

export function searchedParams(fold: StudyFold): SearchedParam[] {
  const space = ((fold.created?.spec as { params?: Record<string, Distribution> } | undefined)?.params ?? {}) as Record<string, Distribution>;
  const out: SearchedParam[] = [];
  for (const [name, d] of Object.entries(space)) {
    if (d.type === 'fixed') continue;
    if (d.type === 'categorical') out.push({ name, kind: 'band', categories: d.choices.map(String) });
    else out.push({ name, kind: d.log ? 'log' : 'linear' });
  }
  if (out.length === 0) {
    // A space we cannot read: every param seen, linear.
    const names = new Set(fold.trials.flatMap((t) => Object.keys(t.params)));
    for (const name of names) out.push({ name, kind: fold.trials.some((t) => typeof t.params[name] === 'string') ? 'band' : 'linear' });
  }
  return out;
}

function card(title: string, body: Node, wide = false, id?: string): HTMLElement {
  return h('section', { class: `card${wide ? ' wide' : ''}`, ...(id ? { 'data-card': id } : {}) }, h('h3', {}, title), body);
}

export function studyPage(app: HTMLElement, name: string): View {
  const base = `/api/study/${encodeURIComponent(name)}`;
  let fold: StudyFold | null = null;
  let closed = false;
  const timers: number[] = [];
  const head = h('div');
  const actionsBox = h('div');
  const filterBar = h('div', { class: 'toolbar' });
  const historyHost = h('div', { class: 'uplot-host', 'data-chart': 'history' });
  const curvesHost = h('div', { class: 'uplot-host', 'data-chart': 'curves' });
  const edfHost = h('div', { class: 'uplot-host', 'data-chart': 'edf' });
  const parallelHost = h('div', { class: 'pc-host chart-host', 'data-chart': 'parallel' });
  const importanceHost = h('div', { class: 'chart-host', 'data-chart': 'importance' });
  const slicesHost = h('div', { class: 'cards slices', 'data-chart': 'slices' });
  const contourHost = h('div', { class: 'chart-host', 'data-chart': 'contour' });
  const contourBar = h('div', { class: 'toolbar' });
  const log = h('ul', { class: 'actions-log' });
  const notesHost = h('div');
  const history = new LiveUPlot(historyHost);
  const curves = new LiveUPlot(curvesHost);
  const edf = new LiveUPlot(edfHost);
  const brushes: Brushes = new Map();
  let brushPass: (t: DashTrial) => boolean = () => true;
  let hideBad = false;
  let lastHeavy = 0;
  let heavyCost = 0;
  let scheduled = false;

  const postAction = async (body: unknown, msg: HTMLElement) => {
    msg.className = 'msg';
    msg.textContent = 'sent…';
    try {
      await sendJson('POST', `${base}/actions`, body);
      msg.textContent = 'sent to the controller; see the actions below';
    } catch (err) {
      msg.className = 'msg err';
      msg.textContent = (err as Error).message;
    }
  };
  const table = new TrialsTable(
    name,
    (t) => {
      if (confirm(`Stop trial ${t.n}? It is recorded pruned.`)) void postAction({ action: 'stop_trial', trial: t.n }, tableMsg);
    },
    () => schedule(false),
  );
  const tableMsg = h('span', { class: 'msg' });

  app.append(
    h('p', {}, h('a', { href: '#/' }, '← studies')),
    head,
    actionsBox,
    filterBar,
    h(
      'div',
      { class: 'cards' },
      card('Optimisation history', historyHost, false, 'history'),
      card('Learning curves (pruned dashed orange, running green)', curvesHost, false, 'curves'),
      card('Parallel coordinates', parallelHost, true, 'parallel'),
      card('Parameter importance', importanceHost, false, 'importance'),
      card('Empirical distribution (EDF)', edfHost, false, 'edf'),
      card('Slices', slicesHost, true, 'slices'),
      card('Contour', h('div', {}, contourBar, contourHost), false, 'contour'),
      card('Actions from the dashboard', log, false, 'actions'),
      card('Notes', notesHost, true, 'notes'),
      card('Trials', h('div', {}, tableMsg, table.root), true, 'trials'),
    ),
  );

  const hide = h('input', { type: 'checkbox', class: 'hide-bad' });
  hide.addEventListener('change', () => {
    hideBad = hide.checked;
    schedule(true);
  });
  const brushInfo = h('span', { class: 'muted brush-info' });
  const clearBrush = h('button', { class: 'clear-brush' }, 'clear brushes');
  clearBrush.addEventListener('click', () => {
    brushes.clear();
    schedule(true);
  });
  filterBar.append(h('label', {}, hide, ' hide pruned / failed'), clearBrush, brushInfo);

  function visible(f: StudyFold): DashTrial[] {
    return f.trials.filter((t) => (!hideBad || (t.state !== 'pruned' && t.state !== 'failed')) && brushPass(t));
  }

  function renderHead(f: StudyFold): void {
    const s = summarize(f, controllerActive);
    clear(
      head,
      h('h1', {}, name, ' ', h('span', { class: `pill state-${s.state === 'finished' ? 'complete' : s.state === 'running' ? 'running' : 'failed'}` }, s.state)),
      h(
        'p',
        { class: 'summary' },
        `${f.created?.direction ?? ''} ${s.metric ?? ''} · ${f.created?.sampler ?? ''} sampler · `,
        `${s.done}/${s.budget ?? '?'} trials · ${s.counts.running} running, ${s.counts.complete} complete, ${s.counts.pruned} pruned, ${s.counts.failed} failed · `,
        s.best ? h('a', { href: `#/study/${encodeURIComponent(name)}/trial/${s.best.trial}` }, `best ${num(s.best.value)} (trial ${s.best.trial})`) : 'no complete trial yet',
        s.trialsPerHour ? ` · ${num(s.trialsPerHour)} trials/h` : '',
      ),
    );
    showProblems(f.problems.map((p) => `journal byte ${p.offset}: ${p.message}`));
    clear(
      log,
      ...(f.actions.length ? f.actions.slice(-30).reverse() : []).map((a) =>
        h(
          'li',
          { class: a.refused ? 'state-failed' : '' },
          `${a.time.slice(11, 19)} ${a.action}`,
          a.trial !== null ? ` trial ${a.trial}` : '',
          a.budget !== null ? ` budget ${a.budget}` : '',
          a.params ? ` ${JSON.stringify(a.params)}` : '',
          a.refused ? ` — refused: ${a.refused}` : '',
        ),
      ),
    );
    if (!f.actions.length) log.append(h('li', { class: 'muted' }, 'none yet'));
  }

  function renderActions(f: StudyFold, params: SearchedParam[]): void {
    const msg = h('span', { class: 'msg action-msg' });
    const stop = h('button', { class: 'danger stop-study' }, 'stop study');
    stop.addEventListener('click', () => {
      if (confirm('Stop the study? No new trial starts; running trials finish.')) void postAction({ action: 'stop_study' }, msg);
    });
    const budget = h('input', { type: 'number', min: 1, value: f.budget ?? '', class: 'budget', 'aria-label': 'budget', size: 6 });
    const setBudget = h('button', { class: 'set-budget' }, 'set budget');
    setBudget.addEventListener('click', () => void postAction({ action: 'set_budget', budget: Number(budget.value) }, msg));
    const inputs = params.map((p) =>
      p.kind === 'band'
        ? h('select', { 'data-param': p.name, 'aria-label': p.name }, h('option', { value: '' }, `${p.name}: sampler's`), ...(p.categories ?? []).map((c) => h('option', { value: c }, c)))
        : h('input', { type: 'text', 'data-param': p.name, placeholder: p.name, size: 8, 'aria-label': p.name }),
    );
    const enqueue = h('button', { class: 'enqueue' }, 'enqueue trial');
    enqueue.addEventListener('click', () => {
      const given: Record<string, number | string | boolean> = {};
      for (const el of inputs) {
        const v = el.value.trim();
        if (v === '') continue;
        const key = el.dataset.param!;
        const original = f.trials.find((t) => t.params[key] !== undefined)?.params[key];
        given[key] = typeof original === 'boolean' ? v === 'true' : typeof original === 'number' || el.tagName === 'INPUT' ? (Number.isFinite(Number(v)) ? Number(v) : v) : v;
      }
      void postAction({ action: 'enqueue_trial', params: given }, msg);
    });
    clear(
      actionsBox,
      h('div', { class: 'toolbar act' }, h('strong', {}, 'Act on the running study:'), stop, budget, setBudget, msg),
      h('div', { class: 'toolbar act' }, h('span', {}, 'Enqueue a trial (blank: the sampler picks):'), ...inputs, enqueue),
    );
  }

  // Redraws are paced by what they cost: at most one per frame, and never more than a third of the time
  // (a study of 50,000 trials takes tens of ms to redraw; events may come a thousand a second).
  let renderCost = 0;
  let lastRenderEnd = 0;
  function schedule(heavyNow: boolean): void {
    if (heavyNow) lastHeavy = 0;
    if (scheduled || closed) return;
    scheduled = true;
    const wait = Math.max(0, lastRenderEnd + 2 * renderCost - performance.now());
    const go = () =>
      requestAnimationFrame(() => {
        scheduled = false;
        if (!fold || closed) return;
        const t0 = performance.now();
        const heavy = render(fold);
        lastRenderEnd = performance.now();
        if (!heavy) renderCost = lastRenderEnd - t0; // the SVG charts' pass comes every 2 s whatever it costs
      });
    if (wait > 0) window.setTimeout(go, wait);
    else go();
  }

  let params: SearchedParam[] = [];
  /** The SVG charts' code, once loaded (after the first paint). */
  let svg: SvgViews | null = null;
  /** Whether a controller holds the study: the server's word at the start, then the controller events of the stream. */
  let controllerActive = false;
  /** Redraws; returns whether the SVG charts were redrawn too. */
  function render(f: StudyFold): boolean {
    const metric = f.created?.metric ?? 'value';
    const direction = f.created?.direction ?? 'minimize';
    renderHead(f);
    // The SVG charts: every 2 s, or less often when they take long (at most a fifth of the time).
    const heavy = svg !== null && performance.now() - lastHeavy > Math.max(2000, 5 * heavyCost) && !svg.brushState.dragging;
    const heavyStart = performance.now();
    if (heavy) {
      lastHeavy = performance.now();
      const pool = f.trials.filter((t) => !hideBad || (t.state !== 'pruned' && t.state !== 'failed'));
      brushPass = svg!.parallelChart(parallelHost, pool, params, metric, direction, brushes, () => schedule(false));
      const complete = f.trials.filter((t) => t.state === 'complete' && t.value !== null && Number.isFinite(t.value));
      clear(importanceHost, svg!.importanceChart(complete, params, metric));
    }
    const shown = visible(f);
    brushInfo.textContent = brushes.size ? `brushed: ${shown.length} of ${f.trials.length} trials pass` : '';
    const hist = historyData(shown, direction);
    history.update(`h${hist.log}`, historyOptions(metric, hist.log), hist.data);
    const cur = curvesData(shown, direction);
    curves.update(cur.key + cur.log, curvesOptions(metric, cur.series, cur.log), cur.data);
    if (heavy) {
      const yLog = wantsLog(shown.filter((t) => t.state === 'complete' && t.value !== null).map((t) => t.value!));
      edf.update(`e${yLog}`, edfOptions(metric, [name], yLog), edfData([{ name, trials: shown }]));
      clear(slicesHost, ...params.map((p) => h('div', { class: 'chart-host', 'data-slice': p.name }, svg!.sliceChart(shown, p, metric, yLog))));
      renderContour(svg!, shown, metric, direction);
    }
    if (heavy) heavyCost = performance.now() - heavyStart;
    table.setTrials(shown, params.map((p) => p.name), f.trials.length);
    const lastTrial = f.trials.reduce((m, t) => Math.max(m, t.n), -1);
    document.body.dataset.trials = String(f.trials.length);
    document.body.dataset.lastTrial = String(lastTrial);
    // Pixels: the frame after this one has painted what was just drawn.
    requestAnimationFrame(() => (window.__hsPaints ??= []).push({ trials: f.trials.length, lastTrial, at: Date.now() }));
    return heavy;
  }

  let cx = '';
  let cy = '';
  function renderContour(svg: SvgViews, shown: DashTrial[], metric: string, direction: 'maximize' | 'minimize'): void {
    if (params.length < 2) {
      clear(contourHost, h('p', { class: 'muted' }, 'needs two searched params'));
      return;
    }
    cx ||= params[0]!.name;
    cy ||= params[1]!.name;
    const pick = (value: string, set: (v: string) => void, label: string) => {
      const s = h('select', { 'aria-label': label }, ...params.map((p) => h('option', { value: p.name, selected: p.name === value }, p.name)));
      s.addEventListener('change', () => {
        set(s.value);
        schedule(true);
      });
      return s;
    };
    if (!contourBar.hasChildNodes() || contourBar.dataset.params !== params.map((p) => p.name).join()) {
      contourBar.dataset.params = params.map((p) => p.name).join();
      clear(contourBar, 'x ', pick(cx, (v) => (cx = v), 'contour x'), ' y ', pick(cy, (v) => (cy = v), 'contour y'));
    }
    const px = params.find((p) => p.name === cx)!;
    const py = params.find((p) => p.name === cy)!;
    clear(contourHost, svg.contourChart(shown, px, py, metric, direction));
  }

  // The snapshot boot.ts started fetching with the page, once; else fetched now.
  const pre = window.__hsPrefetch;
  window.__hsPrefetch = undefined;
  (pre?.name === name ? (pre.body as Promise<WireSnapshot>) : getJson<WireSnapshot>(base))
    .then((snapshot) => {
      if (closed) return;
      performance.mark('hs-snapshot');
      controllerActive = snapshot.controllerActive === true;
      fold = StudyFold.from(snapshot);
      params = searchedParams(fold);
      renderActions(fold, params);
      performance.mark('hs-folded');
      // The first frame: summary, history, curves and the table; the SVG charts' code is fetched after it, then they are drawn.
      render(fold);
      performance.mark('hs-rendered');
      requestAnimationFrame(() =>
        window.setTimeout(() => {
          import('./svg-views.js')
            .then((m) => {
              svg = m;
              schedule(true);
            })
            .catch((err: Error) => app.append(h('p', { class: 'msg err' }, `Could not load the charts: ${err.message}`)));
          import('./markdown.js')
            .then((m) => !closed && notesHost.replaceChildren(m.notesBox(`${base}/notes`, 'Study notes (Markdown, saved beside the journal)')))
            .catch((err: Error) => notesHost.replaceChildren(h('p', { class: 'msg err' }, `Could not load the notes: ${err.message}`)));
        }, 0),
      );
      let at = snapshot.offset;
      openStream(`${base}/stream?from=${snapshot.offset}`, {
        message: (e) => {
          const end = Number(e.lastEventId);
          fold!.applyText(e.data, at, end);
          if (e.data.includes('"event":"controller_')) controllerActive = fold!.lastController?.event === 'controller_started';
          at = end;
          schedule(false);
        },
      });
      // The heavy charts catch up even when nothing else asks for a redraw.
      timers.push(window.setInterval(() => performance.now() - lastHeavy > Math.max(2000, 5 * heavyCost) && schedule(false), 1000));
    })
    .catch((err: Error) => app.append(h('p', { class: 'msg err' }, `Could not load study ${name}: ${err.message}`)));

  return {
    close: () => {
      closed = true;
      for (const t of timers) clearInterval(t);
      history.destroy();
      curves.destroy();
      edf.destroy();
    },
  };
}
