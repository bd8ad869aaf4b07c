/// <reference lib="dom" />
// The page's entry, without static imports so that it runs at once: on a
// study's page it starts fetching the study's snapshot (the biggest thing the
// page loads) first, then asks for every module of the first view at once
// (modulepreload: without it the browser learns of each module only when the
// one importing it has arrived, a chain six deep), then runs the page. The SVG
// charts' code (svg-views.js) and the notes' (markdown.js) come after the first
// paint; the other pages' code when they are opened (main.ts).
declare global {
  interface Window {
    /** The snapshot fetch started here: the study's name and the response's JSON. */
    __hsPrefetch?: { name: string; body: Promise<unknown> };
  }
}

const m = /^#\/study\/([^/?]+)\/?$/.exec(location.hash);
if (m) {
  const name = decodeURIComponent(m[1]!);
  window.__hsPrefetch = {
    name,
    body: fetch(`/api/study/${encodeURIComponent(name)}`, { headers: { Accept: 'application/json' } }).then(async (r) => {
      const body = (await r.json()) as { error?: string };
      if (!r.ok) throw new Error(body.error ?? `${r.status} ${r.statusText}`);
      return body;
    }),
  };
  window.__hsPrefetch.body.catch(() => {}); // the page reports it, if it uses it
}
const FIRST_VIEW_MODULES = [
  '/assets/vendor/uPlot.esm.js',
  ...['main', 'dom', 'study-page', 'charts', 'table'].map((m) => `/assets/js/dashboard/client/${m}.js`),
  '/assets/js/dashboard/shared/fold.js',
  '/assets/js/dashboard/shared/wire.js',
  ...['svg-chart', 'scales', 'svg-plot'].map((m) => `/assets/js/report/${m}.js`),
];
for (const href of m ? FIRST_VIEW_MODULES : []) {
  const link = document.createElement('link');
  link.rel = 'modulepreload';
  link.href = href;
  document.head.append(link);
}
await import('./main.js');
export {};
