/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Compare studies: best-so-far histories and EDFs overlaid (from snapshots; not live).
import { StudyFold } from '../shared/fold.js';
import type { WireSnapshot } from '../shared/wire.js';
import { compareHistoryData, edfData, edfOptions, LiveUPlot, PALETTE, wantsLog } from './charts.js';
import { getJson, h } from './dom.js';
import type { View } from './main.js';

export function comparePage(app: HTMLElement, names: readonly string[]): View {
  app.append(h('p', {}, h('a', { href: '#/' }, '← studies')), h('h1', {}, `Compare: ${names.join(', ') || '(none)'}`));
  if (names.length < 2) {
    app.append(h('p', { class: 'muted' }, 'Tick two studies or more on the studies page, then "compare selected".'));
    return { close: () => {} };
  }
  const histHost = h('div', { 'data-chart': 'compare-history' });
  const edfHost = h('div', { 'data-chart': 'compare-edf' });
  const hist = new LiveUPlot(histHost);
  const edf = new LiveUPlot(edfHost);
  app.append(h('div', { class: 'cards' }, h('section', { class: 'card wide' }, h('h3', {}, 'Best so far by trial'), histHost), h('section', { class: 'card wide' }, h('h3', {}, 'EDF of complete values'), edfHost)));
  Promise.all(names.map((n) => getJson<WireSnapshot>(`/api/study/${encodeURIComponent(n)}`)))
    .then((snaps) => {
      const folds = snaps.map((s) => StudyFold.from(s));
      const metrics = [...new Set(folds.map((f) => f.created?.metric ?? 'value'))];
      if (metrics.length > 1) app.append(h('p', { class: 'msg err' }, `these studies optimise different metrics (${metrics.join(', ')}): compared as they are`));
      const studies = folds.map((f) => ({ name: f.name, trials: f.trials, direction: f.created?.direction ?? ('minimize' as const) }));
      const log = wantsLog(folds.flatMap((f) => f.trials.filter((t) => t.state === 'complete' && t.value !== null).map((t) => t.value!)));
      hist.update('h', (width) => ({
        width,
        height: 300,
        scales: { x: { time: false }, y: { distr: log ? 3 : 1 } },
        axes: [{ label: 'trial' }, { label: metrics.join(' / '), size: 60 }],
        cursor: { drag: { x: true, y: true, uni: 30 } },
        series: [{ label: 'trial' }, ...names.map((n, i) => ({ label: n, stroke: PALETTE[i % PALETTE.length]!, width: 2, spanGaps: true, points: { show: false } }))],
      }), compareHistoryData(studies));
      edf.update('e', edfOptions(metrics.join(' / '), names, log), edfData(studies));
    })
    .catch((err: Error) => app.append(h('p', { class: 'msg err' }, err.message)));
  return { close: () => (hist.destroy(), edf.destroy()) };
}
