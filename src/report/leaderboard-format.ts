// A leaderboard as text: an aligned table for people, JSON / JSON lines / CSV
// for programs. The machine formats carry full-precision numbers; the table
// rounds them for reading.
import type { Params, ParamValue } from '../study/events.js';
import type { Leaderboard, LeaderboardRow } from '../study/leaderboard.js';
import { formatNumber } from './svg-plot.js';

export const LEADERBOARD_FORMATS = ['table', 'json', 'jsonl', 'csv'] as const;
export type LeaderboardFormat = (typeof LEADERBOARD_FORMATS)[number];

/** Parameter names in order of first appearance over the rows. */
export function paramColumns(rows: readonly { params: Params }[]): string[] {
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r.params)) seen.add(k);
  return [...seen];
}

/** A parameter's cell: empty when the trial does not have it (an inactive conditional parameter: absent, or null in older journals). */
export function formatParamValue(v: ParamValue | undefined): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number') return formatNumber(v);
  return String(v);
}

export function formatValue(v: number | null): string {
  return v === null ? '-' : String(Number(v.toPrecision(6)));
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)}s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** The table's cells, header first (shared by the terminal table and the HTML report). */
export function tableCells(board: Leaderboard): { header: string[]; numeric: boolean[]; rows: string[][] } {
  const params = paramColumns(board.rows);
  const header = ['rank', 'study', 'trial', board.metric, ...params, 'epochs', 'duration', 'state', 'sampler'];
  const numeric = header.map((_, i) => i !== 1 && i < header.length - 2);
  const rows = board.rows.map((r) => [
    String(r.rank),
    r.study,
    String(r.trial),
    formatValue(r.value),
    ...params.map((p) => formatParamValue(r.params[p])),
    String(r.epochs),
    formatDuration(r.duration_s),
    r.state,
    r.sampler ?? '',
  ]);
  // Parameter columns are right-aligned only when every value in them is a number.
  params.forEach((p, i) => {
    numeric[4 + i] = board.rows.every((r) => r.params[p] === undefined || typeof r.params[p] === 'number');
  });
  return { header, numeric, rows };
}

export function formatTable(board: Leaderboard): string {
  if (board.rows.length === 0) return `no finished trials match (metric ${board.metric}, ${board.direction})\n`;
  const { header, numeric, rows } = tableCells(board);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export function formatJson(board: Leaderboard): string {
  return JSON.stringify(board.rows) + '\n';
}

export function formatJsonl(board: Leaderboard): string {
  return board.rows.map((r) => JSON.stringify(r) + '\n').join('');
}

/** RFC 4180 quoting: fields with a comma, quote or line break are quoted, quotes doubled. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** CSV with one column per parameter; numbers in full precision (as JSON writes them). */
export function formatCsv(board: Leaderboard): string {
  const params = paramColumns(board.rows);
  const header = ['rank', 'study', 'trial', 'state', 'metric', 'value', ...params, 'epochs', 'duration_s', 'sampler'];
  const cell = (v: unknown) => (v === null || v === undefined ? '' : String(v));
  const lines = [header.map(csvField).join(',')];
  for (const r of board.rows as LeaderboardRow[]) {
    const cells = [r.rank, r.study, r.trial, r.state, r.metric, r.value, ...params.map((p) => r.params[p]), r.epochs, r.duration_s, r.sampler];
    lines.push(cells.map((c) => csvField(cell(c))).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

export function formatLeaderboard(board: Leaderboard, format: LeaderboardFormat): string {
  switch (format) {
    case 'table':
      return formatTable(board);
    case 'json':
      return formatJson(board);
    case 'jsonl':
      return formatJsonl(board);
    case 'csv':
      return formatCsv(board);
  }
}
