/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The dashboard page's entry: a hash router over four views, and the tab's one
// live stream (an EventSource: the browser reconnects by itself and sends the
// last event id, so the server resumes from that journal offset).
import { comparePage } from './compare-page.js';
import { clear, h } from './dom.js';
import { studiesPage } from './studies-page.js';
import { studyPage } from './study-page.js';
import { trialPage } from './trial-page.js';

export interface View {
  /** Ends the view: its stream closed, its timers stopped. */
  close(): void;
}

let current: View | null = null;
let stream: EventSource | null = null;

/** Opens the tab's stream (closing the one before): at most one per tab. */
export function openStream(url: string, handlers: Record<string, (e: MessageEvent<string>) => void>): EventSource {
  stream?.close();
  const live = document.getElementById('live')!;
  const es = new EventSource(url);
  stream = es;
  es.onopen = () => {
    live.textContent = 'live';
    live.className = 'live on';
  };
  es.onerror = () => {
    live.textContent = es.readyState === EventSource.CLOSED ? 'disconnected' : 'reconnecting…';
    live.className = 'live off';
  };
  for (const [event, handler] of Object.entries(handlers)) es.addEventListener(event, handler as EventListener);
  return es;
}

export function closeStream(): void {
  stream?.close();
  stream = null;
}

/** What the page could not read: shown above the view, never instead of it. */
export function showProblems(lines: readonly string[]): void {
  const box = document.getElementById('problems')!;
  if (lines.length === 0) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  clear(box, h('strong', {}, `The dashboard could not read ${lines.length} line(s); everything else is shown:`), h('ul', {}, ...lines.slice(0, 8).map((l) => h('li', {}, l))));
}

function route(): void {
  current?.close();
  closeStream();
  showProblems([]);
  const app = document.getElementById('app')!;
  clear(app);
  const hash = decodeURIComponent(location.hash.replace(/^#/, '')) || '/';
  const [pathPart, query = ''] = hash.split('?');
  const parts = pathPart!.split('/').filter(Boolean);
  const params = new URLSearchParams(query);
  try {
    if (parts[0] === 'study' && parts[1] && parts[2] === 'trial' && parts[3]) current = trialPage(app, parts[1], Number(parts[3]));
    else if (parts[0] === 'study' && parts[1]) current = studyPage(app, parts[1]);
    else if (parts[0] === 'compare') current = comparePage(app, (params.get('studies') ?? '').split(',').filter(Boolean));
    else current = studiesPage(app);
  } catch (err) {
    app.append(h('p', { class: 'msg err' }, String((err as Error).message)));
  }
}

window.addEventListener('hashchange', route);
route();
