/// <reference lib="dom" />
// The page's entry, without static imports so that it runs at once: on a
// study's page it starts fetching the study's snapshot (the biggest thing the
// page loads) while the browser fetches the rest of the code.
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
await import('./main.js');
export {};
