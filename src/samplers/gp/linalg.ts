// Dense linear algebra for the Gaussian process: a Cholesky factorisation with
// jitter, triangular solves and the inverse from the factor. Matrices are
// row-major Float64Arrays of n×n; n is the number of observations (hundreds at
// most), so plain loops are fast enough and give the same bits in every process.

/** The lower Cholesky factor L (K = L·Lᵀ) and the jitter that was added to K's diagonal. */
export interface Cholesky {
  readonly n: number;
  readonly L: Float64Array;
  readonly jitter: number;
}

/** L with K = L·Lᵀ in place of a copy, or false when K is not positive definite. */
function factor(K: Float64Array, n: number, jitter: number, L: Float64Array): boolean {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j <= i; j++) {
      const rj = j * n;
      let s = K[ri + j]!;
      if (i === j) s += jitter;
      for (let k = 0; k < j; k++) s -= L[ri + k]! * L[rj + k]!;
      if (i === j) {
        if (!(s > 0)) return false;
        L[ri + i] = Math.sqrt(s);
      } else {
        L[ri + j] = s / L[rj + j]!;
      }
    }
    for (let j = i + 1; j < n; j++) L[ri + j] = 0;
  }
  return true;
}

/**
 * Cholesky factor of a symmetric positive (semi-)definite K. When rounding makes
 * K indefinite, jitter (1e-10, growing tenfold up to 1e-2 of the mean diagonal)
 * is added to the diagonal, as GPyTorch's psd_safe_cholesky does. Throws when
 * even the largest jitter fails (a NaN in K).
 */
export function cholesky(K: Float64Array, n: number): Cholesky {
  const L = new Float64Array(n * n);
  if (factor(K, n, 0, L)) return { n, L, jitter: 0 };
  let meanDiag = 0;
  for (let i = 0; i < n; i++) meanDiag += K[i * n + i]! / n;
  for (let jitter = 1e-10 * Math.max(meanDiag, 1e-300); jitter <= 1e-2 * meanDiag; jitter *= 10) {
    if (factor(K, n, jitter, L)) return { n, L, jitter };
  }
  throw new Error('cholesky: matrix is not positive definite even with jitter');
}

/** Solves L·x = b (forward substitution); returns x. */
export function solveLower(c: Cholesky, b: ArrayLike<number>, out = new Float64Array(c.n)): Float64Array {
  const { n, L } = c;
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    const ri = i * n;
    for (let k = 0; k < i; k++) s -= L[ri + k]! * out[k]!;
    out[i] = s / L[ri + i]!;
  }
  return out;
}

/** Solves Lᵀ·x = b (back substitution); returns x. */
export function solveUpper(c: Cholesky, b: ArrayLike<number>, out = new Float64Array(c.n)): Float64Array {
  const { n, L } = c;
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * out[k]!;
    out[i] = s / L[i * n + i]!;
  }
  return out;
}

/** K⁻¹·b from the factor of K. */
export function cholSolve(c: Cholesky, b: ArrayLike<number>): Float64Array {
  return solveUpper(c, solveLower(c, b));
}

/** log det K = 2·Σ log Lᵢᵢ. */
export function logDet(c: Cholesky): number {
  let s = 0;
  for (let i = 0; i < c.n; i++) s += Math.log(c.L[i * c.n + i]!);
  return 2 * s;
}

/** K⁻¹ (symmetric, full n×n) from the factor: inverts L, then forms L⁻ᵀ·L⁻¹. */
export function cholInverse(c: Cholesky): Float64Array {
  const { n, L } = c;
  // M = L⁻¹ (lower triangular), column by column of the identity.
  const M = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    M[j * n + j] = 1 / L[j * n + j]!;
    for (let i = j + 1; i < n; i++) {
      let s = 0;
      const ri = i * n;
      for (let k = j; k < i; k++) s -= L[ri + k]! * M[k * n + j]!;
      M[ri + j] = s / L[ri + i]!;
    }
  }
  // K⁻¹ = Mᵀ·M: (i, j) = Σ_{k >= max(i,j)} M[k,i]·M[k,j].
  const inv = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const rk = k * n;
    for (let i = 0; i <= k; i++) {
      const mki = M[rk + i]!;
      if (mki === 0) continue;
      const ri = i * n;
      for (let j = 0; j <= i; j++) inv[ri + j] = inv[ri + j]! + mki * M[rk + j]!;
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) inv[j * n + i] = inv[i * n + j]!;
  return inv;
}
