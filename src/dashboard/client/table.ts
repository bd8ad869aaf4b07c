/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The trials table: sortable (click a header), filtered (state, `where`
// conditions written as for `hypersweep leaderboard --where`, the page's
// brush and hide filters), and virtualised: only the rows in view exist in the
// DOM, so 50,000 trials scroll as smoothly as 50.
import type { DashTrial } from '../shared/fold.js';
import { clear, duration, h, num } from './dom.js';

const ROW = 26;
const OVERSCAN = 8;

type Op = '=' | '!=' | '<' | '<=' | '>' | '>=';
interface Condition {
  key: string;
  op: Op;
  text: string;
  number: number | null;
}

// The grammar of the CLI's --where (src/study/leaderboard.ts parseWhere), here for the browser, which cannot load that module (it reads files).
const CONDITION = /^\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*(!=|<=|>=|=|<|>)\s*(.*?)\s*$/;

/** Parses "a=1,b<2"; throws a message saying which part is wrong. */
export function parseWhere(raw: string): Condition[] {
  if (raw.trim() === '') return [];
  return raw.split(',').map((part) => {
    const m = CONDITION.exec(part);
    if (!m || m[3] === '') throw new Error(`"${part.trim()}" is not <name><op><value> (e.g. lr<0.01,kind=a)`);
    const n = Number(m[3]);
    const number = m[3] !== '' && Number.isFinite(n) ? n : null;
    if (m[2] !== '=' && m[2] !== '!=' && number === null) throw new Error(`"${part.trim()}": ${m[2]} compares numbers`);
    return { key: m[1]!, op: m[2] as Op, text: m[3]!, number };
  });
}

function field(t: DashTrial, key: string): unknown {
  if (key in t.params) return t.params[key];
  switch (key) {
    case 'trial':
      return t.n;
    case 'value':
      return t.value;
    case 'state':
      return t.state;
    case 'duration_s':
      return t.durationS;
    case 'worker':
      return t.worker;
    case 'sampler':
      return t.sampler;
    default:
      return undefined;
  }
}

export function holds(c: Condition, t: DashTrial): boolean {
  const v = field(t, c.key);
  if (v === undefined || v === null) return c.op === '!=';
  if (typeof v === 'number' && c.number !== null) {
    return { '=': v === c.number, '!=': v !== c.number, '<': v < c.number, '<=': v <= c.number, '>': v > c.number, '>=': v >= c.number }[c.op];
  }
  if (c.op === '=') return String(v) === c.text;
  if (c.op === '!=') return String(v) !== c.text;
  return false;
}

interface Column {
  key: string;
  label: string;
  width: number;
  num?: boolean;
  value: (t: DashTrial) => number | string | null;
  cell?: (t: DashTrial) => Node | string;
}

export class TrialsTable {
  readonly root: HTMLElement;
  private readonly scroller: HTMLDivElement;
  private readonly spacer: HTMLDivElement;
  private readonly header: HTMLDivElement;
  private readonly count: HTMLSpanElement;
  private readonly whereMsg: HTMLSpanElement;
  private rows: DashTrial[] = [];
  private all: readonly DashTrial[] = [];
  /** Trials of the study, before any filter. */
  private total = 0;
  private columns: Column[] = [];
  private sortKey = 'trial';
  private sortDesc = true;
  private stateFilter = '';
  private where: Condition[] = [];
  private drawnKey = '';
  private rendered = new Map<number, { sig: string; el: HTMLElement }>();

  constructor(
    private readonly study: string,
    private readonly onStop: ((t: DashTrial) => void) | null,
    private readonly onChange: () => void,
  ) {
    const state = h('select', { 'aria-label': 'state filter', class: 'state-filter' }, ...['', 'running', 'complete', 'pruned', 'failed'].map((s) => h('option', { value: s }, s || 'any state')));
    state.addEventListener('change', () => {
      this.stateFilter = state.value;
      this.onChange();
    });
    const where = h('input', { type: 'text', placeholder: 'where, e.g. lr<0.01,kind=a', size: 28, class: 'where', 'aria-label': 'where' });
    where.addEventListener('change', () => {
      try {
        this.where = parseWhere(where.value);
        this.whereMsg.textContent = '';
      } catch (err) {
        this.whereMsg.textContent = (err as Error).message;
      }
      this.onChange();
    });
    const jump = h('input', { type: 'number', min: 0, placeholder: 'trial #', class: 'jump', 'aria-label': 'jump to trial', size: 6 });
    jump.addEventListener('change', () => this.jumpTo(Number(jump.value)));
    this.count = h('span', { class: 'muted table-count' });
    this.whereMsg = h('span', { class: 'msg err' });
    this.header = h('div', { class: 'trow thead' });
    this.spacer = h('div', { class: 'spacer' });
    this.scroller = h('div', { class: 'table-wrap', tabindex: 0 }, this.spacer);
    this.scroller.addEventListener('scroll', () => this.draw());
    this.root = h('div', { class: 'trials-table' }, h('div', { class: 'toolbar' }, state, where, jump, this.count, this.whereMsg), this.header, this.scroller);
  }

  /** Sets the trials (already filtered by the page's brush and hide filters) and the param columns. */
  setTrials(trials: readonly DashTrial[], params: readonly string[], total = trials.length): void {
    this.all = trials;
    this.total = total;
    const cols: Column[] = [
      { key: 'trial', label: 'trial', width: 64, num: true, value: (t) => t.n, cell: (t) => h('a', { href: `#/study/${encodeURIComponent(this.study)}/trial/${t.n}` }, String(t.n)) },
      { key: 'state', label: 'state', width: 92, value: (t) => t.state, cell: (t) => h('span', { class: `state-${t.state}` }, t.state + (t.userGiven ? ' ★' : '')) },
      { key: 'value', label: 'value', width: 96, num: true, value: (t) => t.value, cell: (t) => num(t.value) },
      ...params.map((p) => ({ key: p, label: p, width: 100, num: true, value: (t: DashTrial) => (t.params[p] as number | string | null) ?? null, cell: (t: DashTrial) => {
        const v = t.params[p];
        return typeof v === 'number' ? num(v) : String(v ?? '–');
      } })),
      { key: 'duration_s', label: 'duration', width: 84, num: true, value: (t) => t.durationS, cell: (t) => duration(t.durationS) },
      { key: 'worker', label: 'worker', width: 80, value: (t) => t.worker },
      { key: 'sampler', label: 'sampler', width: 150, value: (t) => t.sampler, cell: (t) => t.sampler ?? 'unknown' },
      { key: 'reason', label: 'reason', width: 200, value: (t) => t.reason, cell: (t) => t.reason ?? '' },
    ];
    if (this.onStop) {
      cols.push({ key: 'act', label: '', width: 70, value: () => null, cell: (t) => (t.state === 'running' ? h('button', { class: 'danger stop-trial', 'data-trial': t.n, onclick: () => this.onStop!(t) }, 'stop') : '') });
    }
    const template = cols.map((c) => `${c.width}px`).join(' ');
    if (cols.map((c) => c.key).join() !== this.columns.map((c) => c.key).join()) {
      this.columns = cols;
      this.root.style.setProperty('--cols', template);
      clear(this.header, ...cols.map((c) => {
        const cell = h('div', { class: `th${c.num ? ' num' : ''}`, 'data-key': c.key }, c.label);
        cell.addEventListener('click', () => {
          if (c.key === 'act') return;
          this.sortDesc = this.sortKey === c.key ? !this.sortDesc : c.key !== 'trial' ? false : true;
          this.sortKey = c.key;
          this.onChange();
        });
        return cell;
      }));
    } else this.columns = cols;
    for (const el of this.header.children) el.classList.toggle('sorted', (el as HTMLElement).dataset.key === this.sortKey);
    let rows = this.all.filter((t) => (!this.stateFilter || t.state === this.stateFilter) && this.where.every((c) => holds(c, t)));
    const col = this.columns.find((c) => c.key === this.sortKey) ?? this.columns[0]!;
    const dir = this.sortDesc ? -1 : 1;
    const order = (a: DashTrial, b: DashTrial) => {
      const x = col.value(a);
      const y = col.value(b);
      if (x === y) return a.n - b.n;
      if (x === null) return 1;
      if (y === null) return -1;
      return (x < y ? -1 : 1) * dir;
    };
    // By trial number (the default), the trials usually come in order already: one pass, no sort.
    if (col.key === 'trial' && rows.every((t, i) => i === 0 || rows[i - 1]!.n < t.n)) {
      if (this.sortDesc) rows.reverse();
    } else rows.sort(order);
    this.rows = rows;
    this.count.textContent = `${rows.length} of ${this.total} trials`;
    this.spacer.style.height = `${rows.length * ROW}px`;
    this.drawnKey = '';
    this.draw();
  }

  /** The trial numbers the table shows (after all its filters), in order. */
  shown(): number[] {
    return this.rows.map((t) => t.n);
  }

  jumpTo(n: number): void {
    const i = this.rows.findIndex((t) => t.n === n);
    if (i < 0) {
      this.whereMsg.textContent = `trial ${n} is not in the table (filtered out, or no such trial)`;
      return;
    }
    this.whereMsg.textContent = '';
    this.scroller.scrollTop = Math.max(0, i * ROW - this.scroller.clientHeight / 2);
    this.draw();
    this.scroller.querySelector(`[data-trial="${n}"]`)?.classList.add('hit');
  }

  private draw(): void {
    const first = Math.max(0, Math.floor(this.scroller.scrollTop / ROW) - OVERSCAN);
    const last = Math.min(this.rows.length, Math.ceil((this.scroller.scrollTop + (this.scroller.clientHeight || 420)) / ROW) + OVERSCAN);
    const key = `${first}:${last}`;
    if (key === this.drawnKey) return;
    this.drawnKey = key;
    // Rows are kept while what they show is unchanged (most events only add an intermediate value),
    // so that the one under the pointer is not replaced mid-click.
    const cols = this.columns.map((c) => c.key).join();
    const next = new Map<number, { sig: string; el: HTMLElement }>();
    const out: HTMLElement[] = [];
    for (let i = first; i < last; i++) {
      const t = this.rows[i]!;
      const sig = `${cols}|${t.state}|${t.value}|${t.durationS}|${t.worker}|${t.reason}|${t.userGiven}`;
      let kept = this.rendered.get(t.n);
      if (!kept || kept.sig !== sig) {
        const el = h('div', { class: 'trow', 'data-trial': t.n, role: 'row' }, ...this.columns.map((c) => h('div', { class: `td${c.num ? ' num' : ''}` }, c.cell ? c.cell(t) : String(c.value(t) ?? ''))));
        kept = { sig, el };
      }
      kept.el.style.top = `${i * ROW}px`;
      next.set(t.n, kept);
      out.push(kept.el);
    }
    this.rendered = next;
    const current = [...this.spacer.children];
    if (current.length !== out.length || current.some((el, i) => el !== out[i])) clear(this.spacer, ...out);
  }
}
