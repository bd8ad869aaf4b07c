/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Notes are Markdown; the page shows a small safe subset (headings, lists,
// paragraphs, **bold**, *italic*, `code`, links to http(s) only), built as DOM
// nodes from text: nothing in a note is ever parsed as HTML.
import { h } from './dom.js';

function inline(text: string): Array<Node | string> {
  const out: Array<Node | string> = [];
  const re = /(\*\*[^*]+\*\*|\*[^*]+\*|`[^`]+`|\[[^\]]+\]\(https?:\/\/[^)\s]+\))/g;
  let last = 0;
  for (const m of text.matchAll(re)) {
    out.push(text.slice(last, m.index));
    const t = m[0];
    if (t.startsWith('**')) out.push(h('strong', {}, t.slice(2, -2)));
    else if (t.startsWith('`')) out.push(h('code', {}, t.slice(1, -1)));
    else if (t.startsWith('[')) {
      const [, label, href] = /^\[([^\]]+)\]\(([^)]+)\)$/.exec(t)!;
      out.push(h('a', { href: href!, rel: 'noreferrer noopener', target: '_blank' }, label!));
    } else out.push(h('em', {}, t.slice(1, -1)));
    last = m.index! + t.length;
  }
  out.push(text.slice(last));
  return out;
}

export function renderMarkdown(md: string): HTMLElement {
  const root = h('div', { class: 'rendered' });
  let list: HTMLElement | null = null;
  let para: string[] = [];
  const flush = () => {
    if (para.length) root.append(h('p', {}, ...inline(para.join(' '))));
    para = [];
  };
  for (const line of md.split('\n')) {
    const heading = /^(#{1,4})\s+(.*)$/.exec(line);
    const item = /^\s*[-*]\s+(.*)$/.exec(line);
    if (heading) {
      flush();
      list = null;
      root.append(h(`h${Math.min(6, heading[1]!.length + 2)}` as 'h3', {}, ...inline(heading[2]!)));
    } else if (item) {
      flush();
      list ??= root.appendChild(h('ul'));
      list.append(h('li', {}, ...inline(item[1]!)));
    } else if (line.trim() === '') {
      flush();
      list = null;
    } else {
      list = null;
      para.push(line.trim());
    }
  }
  flush();
  if (!root.hasChildNodes()) root.append(h('p', { class: 'muted' }, 'No notes yet.'));
  return root;
}

/** A notes box: shows the note, and edits and saves it (PUT, beside the journal). */
export function notesBox(url: string, title: string): HTMLElement {
  const view = h('div');
  const area = h('textarea', { 'aria-label': title, hidden: true });
  const msg = h('span', { class: 'msg' });
  const edit = h('button', {}, 'edit');
  const save = h('button', { hidden: true }, 'save');
  let text = '';
  const show = () => view.replaceChildren(renderMarkdown(text));
  fetch(url)
    .then((r) => r.json() as Promise<{ text?: string }>)
    .then((b) => {
      text = b.text ?? '';
      show();
    })
    .catch((err: Error) => (msg.textContent = err.message));
  edit.addEventListener('click', () => {
    area.value = text;
    area.hidden = false;
    save.hidden = false;
    edit.hidden = true;
  });
  save.addEventListener('click', async () => {
    const r = await fetch(url, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text: area.value }) });
    const body = (await r.json()) as { error?: string; saved?: string };
    if (!r.ok) {
      msg.textContent = body.error ?? 'not saved';
      msg.className = 'msg err';
      return;
    }
    text = area.value;
    msg.textContent = `saved to ${body.saved}`;
    msg.className = 'msg';
    area.hidden = true;
    save.hidden = true;
    edit.hidden = false;
    show();
  });
  return h('div', { class: 'notes' }, h('h3', {}, title, ' ', edit, save, msg), view, area);
}
