// The scaled complementary error function erfcx(x) = exp(x²)·erfc(x), the one
// special function the truncated normals need. Working with erfcx instead of
// erfc keeps log Φ(z) accurate far into the tails (no underflow before
// z ≈ -1e154), which the Parzen estimators need when a kernel is narrow.
//
// Method (no coefficient tables copied from anywhere): for x >= 0 we map
// [0, ∞) onto [-1, 1) with u = (x - K)/(x + K), cut that into four equal
// pieces, and expand g(u) = (x + K)·erfcx(x), a smooth function of u, in a
// short Chebyshev series on each piece (four short series evaluate about
// twice as fast as one long one: Clenshaw's recurrence is a serial chain).
// The coefficients are computed once, at module load, by interpolating g at
// Chebyshev nodes, where erfcx is evaluated slowly but accurately:
//   x < 1:  erfcx(x) = exp(x²) − (2/√π)·Σ x(2x²)^n / (1·3·…·(2n+1))
//           (the series of exp(x²)·erf(x); all terms positive)
//   x >= 1: the continued fraction (Abramowitz & Stegun 7.1.14)
//           erfcx(x) = (1/√π) / (x + (1/2)/(x + (2/2)/(x + (3/2)/(x + …))))
//           evaluated backwards from a fixed depth.
// With K = 2, four pieces and 12 terms each the series is accurate to about
// 5e-15 (relative) on [0, ∞); the test suite checks it against reference values. Everything here
// is plain IEEE arithmetic plus Math.exp/Math.cos, so it gives the same bits in
// every process.

const SQRT_PI = Math.sqrt(Math.PI);
const K = 2;
const PIECES = 4;
const TERMS = 12;

/** Slow, accurate erfcx for x >= 0 (used to build the series, and by tests). */
export function erfcxReference(x: number): number {
  if (x < 1) {
    let term = x;
    let sum = x;
    const t2 = 2 * x * x;
    for (let n = 1; n < 200; n++) {
      term *= t2 / (2 * n + 1);
      sum += term;
      if (term < 1e-17 * sum) break;
    }
    return Math.exp(x * x) - (2 / SQRT_PI) * sum;
  }
  let f = x;
  for (let k = 2000; k >= 1; k--) f = x + k / 2 / f;
  return 1 / (SQRT_PI * f);
}

/** Chebyshev coefficients of g on each piece, piece p at [p·TERMS, (p+1)·TERMS). */
function chebyshevCoefficients(): Float64Array {
  const c = new Float64Array(PIECES * TERMS);
  const values = new Float64Array(TERMS);
  for (let p = 0; p < PIECES; p++) {
    const uLo = -1 + (2 * p) / PIECES;
    const uHi = -1 + (2 * (p + 1)) / PIECES;
    for (let j = 0; j < TERMS; j++) {
      const v = Math.cos((Math.PI * (j + 0.5)) / TERMS);
      const u = 0.5 * (uLo + uHi) + 0.5 * (uHi - uLo) * v;
      const x = (K * (1 + u)) / (1 - u);
      values[j] = (x + K) * erfcxReference(x);
    }
    for (let k = 0; k < TERMS; k++) {
      let s = 0;
      for (let j = 0; j < TERMS; j++) s += values[j]! * Math.cos((Math.PI * k * (j + 0.5)) / TERMS);
      c[p * TERMS + k] = (2 * s) / TERMS;
    }
  }
  return c;
}

const C = chebyshevCoefficients();

/** exp(x²)·erfc(x) for any real x (Infinity below about -26.6, where it overflows). */
export function erfcx(x: number): number {
  return x < 0 ? 2 * Math.exp(x * x) - erfcxPositive(-x) : erfcxPositive(x);
}

/** erfcx for x >= 0 (not recursive, so that the JIT can inline it). */
function erfcxPositive(x: number): number {
  if (x > 1e8) return 1 / (SQRT_PI * x); // asymptotic; relative error < 1/(2x²)
  if (!(x >= 0)) return NaN;
  const u = (x - K) / (x + K);
  const p = Math.min(PIECES - 1, Math.floor((u + 1) * (PIECES / 2)));
  // The piece's own variable in [-1, 1]: v = (2u − (uLo + uHi)) / (uHi − uLo).
  const v = PIECES * 0.5 * (2 * u - (2 * (-1 + (2 * p) / PIECES) + 2 / PIECES));
  const base = p * TERMS;
  // Clenshaw recurrence for Σ' c_k T_k(v).
  const v2 = 2 * v;
  let b1 = 0;
  let b2 = 0;
  for (let k = TERMS - 1; k >= 1; k--) {
    const t = v2 * b1 - b2 + C[base + k]!;
    b2 = b1;
    b1 = t;
  }
  return (v * b1 - b2 + 0.5 * C[base]!) / (x + K);
}

/** erfc(x), from erfcx. */
export function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x);
  return erfcx(x) * Math.exp(-x * x);
}
