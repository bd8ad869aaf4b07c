// Scales of the report's charts: a value → a position in [0, 1] along an axis,
// with ticks. Linear (nice 1-2-5 ticks), log10 (decade ticks, with an optional
// slot for 0 below the lowest decade: log floats with include_zero), and band
// (categories evenly spaced).
import { formatNumber } from './svg-plot.js';

export type ScaleKind = 'linear' | 'log' | 'band';

export interface Tick {
  at: number;
  label: string;
}

export interface Scale {
  kind: ScaleKind;
  /** Position in [0, 1] of a value, or null when the scale cannot show it. */
  map(value: number | string): number | null;
  ticks: Tick[];
  /** Band scales: the width of one category as a fraction of the axis. */
  band: number;
}

/** 1, 2 or 5 times a power of ten, so that about `count` steps cover `span`. */
export function niceStep(span: number, count: number): number {
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const m = raw / power;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power;
}

export function linearScale(
  values: readonly number[],
  options: { count?: number; includeZero?: boolean; integer?: boolean } = {},
): Scale {
  const finite = values.filter(Number.isFinite);
  let lo = finite.length ? Math.min(...finite) : 0;
  let hi = finite.length ? Math.max(...finite) : 1;
  if (options.includeZero) {
    lo = Math.min(lo, 0);
    hi = Math.max(hi, 0);
  }
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  // Integer axes (trial numbers, epochs) never get ticks between integers.
  const step = Math.max(options.integer ? 1 : 0, niceStep(hi - lo, options.count ?? 5));
  lo = Math.floor(lo / step) * step;
  hi = Math.ceil(hi / step) * step;
  const ticks: Tick[] = [];
  for (let i = 0; lo + i * step <= hi + step * 1e-9; i++) {
    const v = Number((lo + i * step).toPrecision(12));
    ticks.push({ at: (v - lo) / (hi - lo), label: formatNumber(v) });
  }
  return {
    kind: 'linear',
    map: (v) => (typeof v === 'number' && Number.isFinite(v) ? (v - lo) / (hi - lo) : null),
    ticks,
    band: 0,
  };
}

/** Fraction of a log axis given to the value 0 when it is shown (include_zero parameters). */
const ZERO_SLOT = 0.1;

export function logScale(values: readonly number[], options: { zero?: boolean } = {}): Scale {
  const positive = values.filter((v) => Number.isFinite(v) && v > 0);
  const showZero = options.zero === true || values.some((v) => v === 0);
  let lo = positive.length ? Math.floor(Math.log10(Math.min(...positive))) : 0;
  let hi = positive.length ? Math.ceil(Math.log10(Math.max(...positive))) : 1;
  if (hi === lo) hi = lo + 1;
  const start = showZero ? ZERO_SLOT : 0;
  const pos = (v: number) => start + ((Math.log10(v) - lo) / (hi - lo)) * (1 - start);
  const ticks: Tick[] = [];
  if (showZero) ticks.push({ at: 0, label: '0' });
  const every = Math.max(1, Math.ceil((hi - lo) / 8));
  for (let k = lo; k <= hi; k += every) ticks.push({ at: pos(10 ** k), label: formatNumber(10 ** k) });
  if (hi - lo === 1) {
    // One decade only: 2 and 5 times it as well.
    for (const m of [2, 5]) ticks.push({ at: pos(m * 10 ** lo), label: formatNumber(m * 10 ** lo) });
  }
  return {
    kind: 'log',
    map: (v) => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return null;
      if (v === 0) return showZero ? 0 : null;
      return pos(v);
    },
    ticks,
    band: 0,
  };
}

export function bandScale(categories: readonly string[]): Scale {
  const n = Math.max(1, categories.length);
  const index = new Map(categories.map((c, i) => [c, i]));
  const at = (i: number) => (i + 0.5) / n;
  return {
    kind: 'band',
    map: (v) => {
      const i = index.get(String(v));
      return i === undefined ? null : at(i);
    },
    ticks: categories.map((c, i) => ({ at: at(i), label: c })),
    band: 1 / n,
  };
}

export function makeScale(
  kind: ScaleKind,
  values: ReadonlyArray<number | string>,
  options: { categories?: readonly string[]; includeZero?: boolean; integer?: boolean } = {},
): Scale {
  if (kind === 'band') {
    const categories = options.categories ?? [...new Set(values.map(String))];
    return bandScale(categories);
  }
  const numbers = values.filter((v): v is number => typeof v === 'number');
  return kind === 'log'
    ? logScale(numbers)
    : linearScale(numbers, { includeZero: options.includeZero ?? false, integer: options.integer ?? false });
}
