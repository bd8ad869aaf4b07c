// Plain-text tables for benchmark output: right-aligned numbers, left-aligned text.

export type Cell = string | number | null;

function format(cell: Cell, digits: number): string {
  if (cell === null) return '—';
  if (typeof cell === 'number') return Number.isFinite(cell) ? cell.toFixed(digits) : String(cell);
  return cell;
}

/**
 * Renders rows under headers. Numbers get `digits` decimals (per column when an
 * array) and are right-aligned; null shows as an em dash (not measured).
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly Cell[])[], digits: number | readonly number[] = 2): string {
  const digitsOf = (c: number): number => (typeof digits === 'number' ? digits : (digits[c] ?? 2));
  const text = rows.map((row) => row.map((cell, c) => format(cell, digitsOf(c))));
  const numeric = headers.map((_, c) => rows.some((row) => typeof row[c] === 'number'));
  const widths = headers.map((h, c) => Math.max(h.length, ...text.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, c) => (numeric[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...text.map(line)].join('\n');
}

/** PASS / MISS against a target, or an em dash when either side is missing. */
export function verdict(ok: boolean | null): string {
  return ok === null ? '—' : ok ? 'PASS' : 'MISS';
}
