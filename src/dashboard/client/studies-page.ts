/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The studies page: one row per study of the results folder, live.
import type { StudySummary } from '../shared/fold.js';
import { clear, h, num } from './dom.js';
import { openStream, type View } from './main.js';

export function studiesPage(app: HTMLElement): View {
  const body = h('tbody');
  const selected = new Set<string>();
  const compare = h('a', { href: '#/compare', class: 'compare-link' }, 'compare selected');
  app.append(
    h('h1', {}, 'Studies'),
    h('div', { class: 'toolbar' }, compare, h('span', { class: 'muted' }, '(tick two studies or more)')),
    h(
      'table',
      { class: 'grid studies' },
      h(
        'thead',
        {},
        h('tr', {}, ...['', 'study', 'state', 'running', 'complete', 'pruned', 'failed', 'best', 'progress', 'trials/h', 'controller / workers'].map((c) => h('th', {}, c))),
      ),
      body,
    ),
  );
  const updateCompare = () => compare.setAttribute('href', `#/compare?studies=${[...selected].map(encodeURIComponent).join(',')}`);

  const render = (studies: StudySummary[]) => {
    clear(body);
    if (studies.length === 0) body.append(h('tr', {}, h('td', { colspan: 11, class: 'muted' }, 'No study under this results folder yet.')));
    for (const s of studies) {
      const box = h('input', { type: 'checkbox', 'aria-label': `select ${s.name}` });
      box.checked = selected.has(s.name);
      box.addEventListener('change', () => {
        if (box.checked) selected.add(s.name);
        else selected.delete(s.name);
        updateCompare();
      });
      const progress = s.budget ? Math.min(1, s.done / s.budget) : 0;
      const bar = h('span', { class: 'bar', title: `${s.done} of ${s.budget ?? '?'} trials` }, h('i'));
      (bar.firstChild as HTMLElement).style.width = `${(100 * progress).toFixed(1)}%`;
      body.append(
        h(
          'tr',
          { 'data-study': s.name },
          h('td', {}, box),
          h('td', {}, h('a', { href: `#/study/${encodeURIComponent(s.name)}` }, s.name), s.problems ? h('span', { class: 'state-failed', title: 'lines it could not read' }, ` ⚠ ${s.problems}`) : null),
          h('td', {}, h('span', { class: `pill state-${s.state === 'finished' ? 'complete' : s.state === 'interrupted' ? 'failed' : 'running'}` }, s.state)),
          h('td', { class: 'num' }, s.counts.running),
          h('td', { class: 'num' }, s.counts.complete),
          h('td', { class: 'num' }, s.counts.pruned),
          h('td', { class: 'num' }, s.counts.failed),
          h('td', { class: 'num' }, s.best ? `${num(s.best.value)} (#${s.best.trial})` : '–'),
          h('td', {}, bar, ` ${s.done}/${s.budget ?? '?'}`),
          h('td', { class: 'num' }, s.trialsPerHour === null ? '–' : num(s.trialsPerHour)),
          h(
            'td',
            {},
            s.controller ? `pid ${s.controller.pid} on ${s.controller.host}` : '–',
            s.workers.length ? `; workers: ${s.workers.map((w) => `${w.name}@${w.host}×${w.slots}`).join(', ')}` : '',
          ),
        ),
      );
    }
  };
  openStream('/api/studies/stream', {
    studies: (e) => render(JSON.parse(e.data) as StudySummary[]),
  });
  return { close: () => {} };
}
