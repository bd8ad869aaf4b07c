/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// One trial: params, per-epoch metrics (or its intermediate values), state and
// reason, duration, worker and host, seed, retry history, saved files, the
// repro command, a CNN's feature maps and misclassified images when saved.
import uPlot from 'uplot';

import type { DashTrial } from '../shared/fold.js';
import { h, duration, getJson, num } from './dom.js';
import { LiveUPlot, PALETTE } from './charts.js';
import type { View } from './main.js';
import { notesBox } from './markdown.js';

interface TrialDetail {
  trial: DashTrial;
  metrics: Record<string, unknown>;
  retries: number[];
  retriedBy: number[];
  files: string[];
  images: string[];
  repro: string;
}

export function trialPage(app: HTMLElement, study: string, n: number): View {
  const base = `/api/study/${encodeURIComponent(study)}/trial/${n}`;
  const link = (k: number) => h('a', { href: `#/study/${encodeURIComponent(study)}/trial/${k}` }, `trial ${k}`);
  const chart = h('div', { class: 'uplot-host', 'data-chart': 'trial-metrics' });
  const plot = new LiveUPlot(chart);
  app.append(h('p', {}, h('a', { href: `#/study/${encodeURIComponent(study)}` }, `← ${study}`)), h('h1', {}, `${study} · trial ${n}`));
  getJson<TrialDetail>(base)
    .then((d) => {
      const t = d.trial;
      const copy = h('button', {}, 'copy');
      copy.addEventListener('click', () => void navigator.clipboard?.writeText(d.repro));
      app.append(
        h(
          'div',
          { class: 'cards' },
          h(
            'section',
            { class: 'card' },
            h('h3', {}, 'Trial'),
            h(
              'dl',
              { class: 'kv' },
              ...([
                ['state', h('span', { class: `state-${t.state}` }, t.state)],
                ['value', num(t.value)],
                ['reason', t.reason ?? '–'],
                ['duration', duration(t.durationS)],
                ['worker', `${t.worker}${t.host ? ` on ${t.host}` : ''}`],
                ['seed', String(t.seed)],
                ['sampler', t.sampler ?? 'unknown (an older journal)'],
                ['given by a user', t.userGiven ? 'yes (enqueued)' : 'no'],
                ['started', t.startedAt === null ? '–' : new Date(t.startedAt).toISOString()],
                ['finished', t.finishedAt === null ? '–' : new Date(t.finishedAt).toISOString()],
                ['retry of', t.retryOf === null ? '–' : h('span', {}, ...d.retries.flatMap((r, i) => [i ? ' ← ' : '', link(r)]))],
                ['run again as', d.retriedBy.length ? h('span', {}, ...d.retriedBy.flatMap((r, i) => [i ? ', ' : '', link(r)])) : '–'],
              ] as Array<[string, Node | string]>).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
            ),
            h('p', {}, h('code', { class: 'cmd' }, d.repro), ' ', copy),
          ),
          h('section', { class: 'card' }, h('h3', {}, 'Params'), h('dl', { class: 'kv' }, ...Object.entries(t.params).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, typeof v === 'number' ? num(v) : String(v))]))),
          h('section', { class: 'card wide' }, h('h3', {}, 'Metrics per epoch'), chart),
          h(
            'section',
            { class: 'card' },
            h('h3', {}, 'Saved files'),
            d.files.length ? h('ul', {}, ...d.files.map((f) => h('li', {}, f))) : h('p', { class: 'muted' }, 'none (weights are kept for the best trial, or as --save-weights says)'),
          ),
          ...d.images.map((img) => h('section', { class: 'card' }, h('h3', {}, img), h('img', { class: 'inside', alt: img, src: `${base}/file/${encodeURIComponent(img)}` }))),
          h('section', { class: 'card wide' }, notesBox(`${base}/notes`, 'Trial notes (Markdown)')),
        ),
      );
      const epochs = Array.isArray(d.metrics.epochs) ? (d.metrics.epochs as Array<Record<string, number>>) : [];
      if (epochs.length) {
        const keys = Object.keys(epochs[0]!).filter((k) => k !== 'epoch' && typeof epochs[0]![k] === 'number' && !/seconds|_s$/.test(k));
        plot.update('e', (width) => ({ width, height: 280, scales: { x: { time: false } }, axes: [{ label: 'epoch' }, { size: 60 }], series: [{ label: 'epoch' }, ...keys.map((k, i) => ({ label: k, stroke: PALETTE[i % PALETTE.length]!, width: 2 }))] }), [epochs.map((e) => e.epoch!), ...keys.map((k) => epochs.map((e) => e[k] ?? null))] as uPlot.AlignedData);
      } else if (t.curve.length) {
        plot.update('c', (width) => ({ width, height: 280, scales: { x: { time: false } }, axes: [{ label: 'step' }, { size: 60 }], series: [{ label: 'step' }, { label: 'intermediate value', stroke: PALETTE[0]!, width: 2 }] }), [t.curve.map((c) => c[0]), t.curve.map((c) => c[1])]);
      } else chart.append(h('p', { class: 'muted' }, 'no per-epoch metrics or intermediate values'));
    })
    .catch((err: Error) => app.append(h('p', { class: 'msg err' }, err.message)));
  return { close: () => plot.destroy() };
}
