/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The dashboard page's entry: a hash router over four views, and the tab's one
// live stream (an EventSource: the browser reconnects by itself and sends the
// last event id, so the server resumes from that journal offset).
import { clear, h } from './dom.js';

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

/** Route changes so far: a view whose code arrives after the next change is not shown. */
let routes = 0;

// Each view's code is loaded when it is opened (boot.ts preloads the study page's): a page loads only what it shows.
async function route(): Promise<void> {
  const seq = ++routes;
  current?.close();
  current = null;
  closeStream();
  showProblems([]);
  const app = document.getElementById('app')!;
  clear(app);
  const hash = decodeURIComponent(location.hash.replace(/^#/, '')) || '/';
  const [pathPart, query = ''] = hash.split('?');
  const parts = pathPart!.split('/').filter(Boolean);
  const params = new URLSearchParams(query);
  try {
    let open: () => View;
    if (parts[0] === 'study' && parts[1] && parts[2] === 'trial' && parts[3]) {
      const { trialPage } = await import('./trial-page.js');
      open = () => trialPage(app, parts[1]!, Number(parts[3]));
    } else if (parts[0] === 'study' && parts[1]) {
      const { studyPage } = await import('./study-page.js');
      open = () => studyPage(app, parts[1]!);
    } else if (parts[0] === 'compare') {
      const { comparePage } = await import('./compare-page.js');
      open = () => comparePage(app, (params.get('studies') ?? '').split(',').filter(Boolean));
    } else {
      const { studiesPage } = await import('./studies-page.js');
      open = () => studiesPage(app);
    }
    if (seq !== routes) return;
    current = open();
  } catch (err) {
    if (seq === routes) app.append(h('p', { class: 'msg err' }, String((err as Error).message)));
  }
}

window.addEventListener('hashchange', () => void route());
void route();
