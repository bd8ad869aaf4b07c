// Small statistics shared by the sampler benchmarks (bench/samplers.ts,
// bench/samplers-conditional.ts): quantiles as numpy's default, and the
// bootstrap CI of a difference of medians.

import { Stream, rngFor } from '../../src/samplers/rng.js';

/** Linear interpolation between order statistics (numpy's default). */
export function quantile(xs: readonly number[], q: number): number {
  const s = xs.slice().sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

export const median = (xs: readonly number[]): number => quantile(xs, 0.5);

/**
 * Bootstrap (a fixed generator; paired: the same seeds resampled on both
 * sides) of median(a) − median(b): its 5th and 95th percentiles. "a no
 * worse than b beyond noise" when the 5th percentile is <= 0.
 */
export function bootstrapDiff(a: readonly number[], b: readonly number[], paired = true): { lo: number; hi: number } {
  const rng = rngFor(12345, 0, Stream.sampler);
  const diffs: number[] = [];
  for (let r = 0; r < 2000; r++) {
    const ia = Array.from({ length: a.length }, () => rng.nextInt(a.length));
    const ib = paired ? ia : Array.from({ length: b.length }, () => rng.nextInt(b.length));
    diffs.push(median(ia.map((i) => a[i]!)) - median(ib.map((i) => b[i]!)));
  }
  return { lo: quantile(diffs, 0.05), hi: quantile(diffs, 0.95) };
}

/** The two-sample Kolmogorov–Smirnov statistic D (largest gap between the empirical CDFs). */
export function ks(a: readonly number[], b: readonly number[]): number {
  const x = [...a].sort((p, q) => p - q);
  const y = [...b].sort((p, q) => p - q);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i]!, y[j]!);
    while (i < x.length && x[i]! <= v) i++;
    while (j < y.length && y[j]! <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

/** The KS statistic's 1% critical value for samples of sizes n and m. */
export const ksCritical = (n: number, m: number): number => 1.628 * Math.sqrt((n + m) / (n * m));
