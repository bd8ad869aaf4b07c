// The standard normal distribution truncated to [a, b], in log space where it
// matters: log Φ, the log of the mass Φ(b) − Φ(a), and the quantile function
// used to sample the Parzen kernels. Same case analysis as scipy's truncnorm
// (which Optuna's TPE uses): work in the left tail and mirror the right one,
// so that masses far in a tail stay accurate.

import * as erfcxModule from './erfcx.js';

// A module-local copy: transpiled to CommonJS (tsx), each use of an import is a getter call.
const { erfcx } = erfcxModule;

export const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const LOG_HALF = Math.log(0.5);

/** log(exp(p) + exp(q)), exact for -Infinity arguments. */
export function logAddExp(p: number, q: number): number {
  if (p === -Infinity) return q;
  if (q === -Infinity) return p;
  return p > q ? p + Math.log1p(Math.exp(q - p)) : q + Math.log1p(Math.exp(p - q));
}

/** Φ(z), the standard normal CDF. */
export function ndtr(z: number): number {
  const tail = 0.5 * erfcx(Math.abs(z) * Math.SQRT1_2) * Math.exp(-0.5 * z * z);
  return z < 0 ? tail : 1 - tail;
}

/** log Φ(z), accurate in both tails. */
export function logNdtr(z: number): number {
  if (z === -Infinity) return -Infinity;
  if (z < 0) return Math.log(0.5 * erfcx(-z * Math.SQRT1_2)) - 0.5 * z * z;
  return Math.log1p(-0.5 * erfcx(z * Math.SQRT1_2) * Math.exp(-0.5 * z * z));
}

/**
 * log(Φ(b) − Φ(a)) for a <= b (−Infinity when a == b). Both ends on one side
 * of 0: mirrored into the left tail, where with s = −b/√2 <= t = −a/√2
 *   Φ(b) − Φ(a) = ½·e^(−s²)·(erfcx(s) − erfcx(t)·e^(s² − t²))
 * which stays accurate however far out the interval lies.
 */
export function logGaussMass(a: number, b: number): number {
  if (a > 0) {
    // Mirror into the left tail (no recursion: keeps this inlinable).
    const t = a;
    a = -b;
    b = -t;
  }
  if (b <= 0) {
    if (a === -Infinity) return logNdtr(b);
    // s² − t² = (b − a)(b + a)/2, written so that narrow intervals keep their width exact.
    return LOG_HALF - 0.5 * b * b + Math.log(erfcx(-b * Math.SQRT1_2) - erfcx(-a * Math.SQRT1_2) * Math.exp(0.5 * (b - a) * (b + a)));
  }
  // Central case: log(1 − Φ(a) − Φ(−b)) without cancellation. A tail beyond
  // 8.5σ holds less than 1e-17 and is left out (its erfc not evaluated): the
  // result moves by less than 2e-17.
  const left = a < -8.5 ? 0 : ndtr(a);
  const right = b > 8.5 ? 0 : ndtr(-b);
  return Math.log1p(-left - right);
}

/**
 * The midpoint expansion of the normal mass of [m − h, m + h]:
 *   ∫ φ = 2h·φ(m)·(1 + S),  S = Σ_{k>=1} He_2k(m)·h^2k/(2k+1)!
 * (He: probabilists' Hermite polynomials, He_{n+1} = x·He_n − n·He_{n−1}).
 * Returns S summed up to He_16 where h·(|m| + 4.25) <= 1, which puts the
 * first term left out below 1e-17 (|He_n(m)| <= (|m| + √n)^n, and
 * 1/19! < 1e-17); NaN elsewhere. There every term is below 1/(2k+1)! in size,
 * so the sum has no cancellation, and 1 + S lies within [0.4, 1.2].
 */
/** 1/((n+1)(n+2)) for n = 1, 3, …, 15: the step from h^2k/(2k+1)! to the next. */
const SERIES_STEP = Float64Array.from({ length: 8 }, (_, i) => 1 / ((2 * i + 2) * (2 * i + 3)));

export function midpointSeries(m: number, h: number): number {
  const x = h * (Math.abs(m) + 4.25);
  // NaN from arithmetic, not the constant: with a constant NaN here V8 gave
  // the function's result a tagged representation, and every result where
  // the function is inlined into a loop became a heap allocation.
  if (!(x <= 1)) return x * NaN;
  const h2 = h * h;
  const x2 = x * x;
  let prev = 1; // He_0
  let he = m; // He_1
  let power = 1; // h^2k / (2k+1)!
  let bound = 1; // x^2k / (2k+1)!, which bounds the size of term k
  let sum = 0;
  for (let n = 1; n < 16; n += 2) {
    // From (He_{n−1}, He_n) to the even He_{n+1}, which enters the sum, then to He_{n+2}.
    const even = m * he - n * prev;
    const scale = SERIES_STEP[(n - 1) >> 1]!;
    power *= h2 * scale;
    bound *= x2 * scale;
    sum += even * power;
    // Stop once the next term is sure to be below 1e-17.
    if (bound * x2 < 1e-17 * (n + 3) * (n + 4)) break;
    he = m * even - (n + 1) * he;
    prev = even;
  }
  return sum;
}

/**
 * log(Φ(β) − Φ(α)), by the midpoint expansion for intervals narrow against
 * their distance to 0 (cheaper: no erfc), else logGaussMass. Discrete kernels
 * evaluate thousands of such intervals per suggestion.
 */
export function logIntervalMass(alpha: number, beta: number): number {
  const h = 0.5 * (beta - alpha);
  const m = 0.5 * (alpha + beta);
  const series = midpointSeries(m, h);
  if (Number.isNaN(series)) return logGaussMass(alpha, beta);
  return Math.log(2 * h) - 0.5 * m * m - LOG_SQRT_2PI + Math.log1p(series);
}

/**
 * Solves log Φ(x) = y for x <= 0 (y <= log 1/2): a rational first guess
 * (Abramowitz & Stegun 26.2.23, error < 4.5e-4) polished by Newton steps on
 * log Φ, which is concave and increasing, so the steps converge monotonically.
 */
function ndtriExpLeft(y: number): number {
  const t = Math.sqrt(-2 * y);
  let x = -(t - (2.515517 + t * (0.802853 + t * 0.010328)) / (1 + t * (1.432788 + t * (0.189269 + t * 0.001308))));
  for (let i = 0; i < 100; i++) {
    const lp = logNdtr(x);
    // d/dx log Φ(x) = φ(x)/Φ(x)
    const slope = Math.exp(-0.5 * x * x - LOG_SQRT_2PI - lp);
    const dx = (lp - y) / slope;
    x -= dx;
    // Newton squares the error: once a step is below 1e-8 (relative), the
    // next would be below ~1e-16 — not worth another evaluation.
    if (!(Math.abs(dx) > 1e-8 * Math.max(1, Math.abs(x)))) break;
  }
  return x;
}

/** Φ⁻¹(exp(y)) for y <= 0. */
export function ndtriExp(y: number): number {
  if (y >= 0) return y === 0 ? Infinity : NaN;
  if (y === -Infinity) return -Infinity;
  // Above the median, solve for the mirrored left-tail point: Φ(−x) = 1 − e^y.
  if (y > LOG_HALF) return -ndtriExpLeft(Math.log(-Math.expm1(y)));
  return ndtriExpLeft(y);
}

/**
 * Quantile q ∈ [0, 1) of the standard normal truncated to [a, b] (a < b);
 * `logMass` is logGaussMass(a, b), passed in because callers have it cached.
 */
export function truncnormPpf(q: number, a: number, b: number, logMass: number): number {
  let x: number;
  if (a < 0) {
    x = ndtriExp(logAddExp(logNdtr(a), Math.log(q) + logMass));
  } else {
    x = -ndtriExp(logAddExp(logNdtr(-b), Math.log1p(-q) + logMass));
  }
  return Math.min(b, Math.max(a, x));
}
