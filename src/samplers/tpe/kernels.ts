// The numeric kernels of a Parzen estimator (see parzen-estimator.ts): their
// arrays, bandwidths, constants and the bounds of the univariate block index.
// Each pass over the kernels is a function of its own: V8 optimises those
// independently of the estimator around them (see groups.ts: why that matters).

import type { NumDim } from './dims.js';
import * as truncnorm from './truncnorm.js';

// A module-local copy (transpiled to CommonJS, each use of an import is a getter call).
const { LOG_SQRT_2PI, logGaussMass } = truncnorm;

/** Kernels per block of the univariate index (see SortedKernels in parzen-estimator.ts). */
export const BLOCK = 16;

/** Numeric kernels, one entry per kernel, in the order their owner says. */
export interface KernelArrays {
  readonly mu: Float64Array;
  readonly sigma: Float64Array;
  readonly inv: Float64Array;
  /** log of each truncated kernel's mass on [low, high]. */
  readonly logMass: Float64Array;
  /** Continuous only: log √(2π) + log mass (+ log σ when kernels are normalised), the normaliser of a point density. */
  readonly logNorm: Float64Array;
  /** Discrete only (their mass bound needs it): log σ. */
  readonly logSigma: Float64Array;
}

/** x clipped to [lo, hi] (the magic clip of a bandwidth). */
export function clip(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

/** Kernel i's constants from its μ and σ: 1/σ, the log of its mass on [low, high], log σ or the log normaliser. */
export function kernelConstants(k: KernelArrays, i: number, dim: NumDim, normalizeKernels: boolean): void {
  const sigma = k.sigma[i]!;
  const mu = k.mu[i]!;
  const inv = 1 / sigma;
  k.inv[i] = inv;
  const logMass = logGaussMass((dim.low - mu) * inv, (dim.high - mu) * inv);
  k.logMass[i] = logMass;
  if (dim.discrete !== 'none') k.logSigma[i] = Math.log(sigma);
  else k.logNorm[i] = (normalizeKernels ? Math.log(sigma) : 0) + LOG_SQRT_2PI + logMass;
}

/**
 * values[order[0..n)] (increasing) into out, with `prior` (NaN: none) merged
 * in before the first value above it; returns the prior's position (or the
 * length, n, when there is none).
 */
export function mergeSorted(values: Float64Array, order: Int32Array, n: number, prior: number, out: Float64Array): number {
  let at = Number.isNaN(prior) ? n : -1;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const v = values[order[i]!]!;
    if (at < 0 && v > prior) {
      at = k;
      out[k++] = prior;
    }
    out[k++] = v;
  }
  if (at < 0) {
    at = k;
    out[k] = prior;
  }
  return at;
}

/**
 * σ of each kernel in mus[0..m) (sorted): the larger gap to its neighbours,
 * low/high standing for the missing ones — with endpointGaps the outermost
 * take their inner gap instead — clipped to [minSigma, maxSigma].
 */
export function neighbourBandwidths(
  mus: Float64Array,
  m: number,
  low: number,
  high: number,
  endpointGaps: boolean,
  minSigma: number,
  maxSigma: number,
  sigma: Float64Array,
): void {
  if (m === 0) return;
  const clipped = (gap: number): number => Math.min(maxSigma, Math.max(minSigma, gap));
  if (m === 1) {
    sigma[0] = clipped(Math.max(mus[0]! - low, high - mus[0]!));
    return;
  }
  const outer = endpointGaps;
  sigma[0] = clipped(outer ? mus[1]! - mus[0]! : Math.max(mus[0]! - low, mus[1]! - mus[0]!));
  for (let s = 1; s < m - 1; s++) {
    const here = mus[s]!;
    sigma[s] = clipped(Math.max(here - mus[s - 1]!, mus[s + 1]! - here));
  }
  const last = mus[m - 1]!;
  sigma[m - 1] = clipped(outer ? last - mus[m - 2]! : Math.max(last - mus[m - 2]!, high - last));
}

/** from[0..m) without its element at skip (m: none) into out. */
export function withoutOne(from: Float64Array, m: number, skip: number, out: Float64Array): void {
  out.set(from.subarray(0, Math.min(skip, m)));
  if (skip < m) out.set(from.subarray(skip + 1, m), skip);
}

/** out[i] = from[order[i]] for i < n. */
export function gather(from: Float64Array, order: Int32Array, n: number, out: Float64Array): void {
  for (let i = 0; i < n; i++) out[i] = from[order[i]!]!;
}

/** Per block of BLOCK kernels (sorted by μ): the span of μ, the largest σ, the smallest log σ (discrete) and the largest −constant. */
export function blockBounds(
  k: KernelArrays,
  n: number,
  discrete: boolean,
  out: { muLo: Float64Array; muHi: Float64Array; sigmaHi: Float64Array; logSigmaLo: Float64Array; constHi: Float64Array },
): void {
  const constant = discrete ? k.logMass : k.logNorm;
  for (let b = 0, start = 0; start < n; b++, start += BLOCK) {
    const end = Math.min(n, start + BLOCK);
    let sHi = 0;
    let lsLo = Infinity;
    let cHi = -Infinity;
    for (let i = start; i < end; i++) {
      sHi = Math.max(sHi, k.sigma[i]!);
      if (discrete) lsLo = Math.min(lsLo, k.logSigma[i]!);
      cHi = Math.max(cHi, -constant[i]!);
    }
    out.muLo[b] = k.mu[start]!;
    out.muHi[b] = k.mu[end - 1]!;
    out.sigmaHi[b] = sHi;
    out.logSigmaLo[b] = lsLo;
    out.constHi[b] = cHi;
  }
}
