// The covariance function: Matérn-5/2 with one lengthscale per input (ARD) and
// a signal variance, as Optuna's GPSampler and BoTorch use by default:
//
//   k(x, y) = s · m(r²),   r² = Σ_d η_d · δ_d(x, y)²,   m(r²) = (1 + √5 r + 5/3 r²) · e^(−√5 r)
//
// η_d = 1/ℓ_d² is the inverse squared lengthscale. δ_d is x_d − y_d on a
// continuous input and, on a categorical one (stored as the choice's index),
// 0 when the choices are equal and 1 otherwise (a Hamming distance, as in
// Optuna's GPSampler). The noise variance is added to the diagonal of K(X, X)
// only. m is smooth in r²: dm/d(r²) = −(5/6)(1 + √5 r) e^(−√5 r), with no
// singularity at r = 0, which is why everything here works in r².

const SQRT5 = Math.sqrt(5);

export interface KernelParams {
  /** η_d = 1/ℓ_d², one per input dimension. */
  readonly invSqLengthscales: Float64Array;
  /** Signal variance s. */
  readonly scale: number;
  /** Observation noise variance (added to the diagonal of K(X, X)). */
  readonly noise: number;
}

/** m(r²). */
export function matern52(r2: number): number {
  const r = Math.sqrt(r2);
  return (1 + SQRT5 * r + (5 / 3) * r2) * Math.exp(-SQRT5 * r);
}

/** dm/d(r²). */
export function matern52Grad(r2: number): number {
  const r = Math.sqrt(r2);
  return (-5 / 6) * (1 + SQRT5 * r) * Math.exp(-SQRT5 * r);
}

/** Inputs: n points of d coordinates, row-major; `categorical[j]` marks Hamming dimensions. */
export interface Inputs {
  readonly n: number;
  readonly d: number;
  readonly X: Float64Array;
  readonly categorical: readonly boolean[];
}

/** δ_j(a, b)² of one dimension. */
function delta2(a: number, b: number, categorical: boolean): number {
  if (categorical) return a === b ? 0 : 1;
  const t = a - b;
  return t * t;
}

/**
 * The squared per-dimension distances of every pair, D[j][i·n + k] = δ_j(x_i, x_k)².
 * They do not depend on the kernel parameters, so a fit computes them once.
 */
export function pairDistances(inputs: Inputs): Float64Array[] {
  const { n, d, X, categorical } = inputs;
  const D = Array.from({ length: d }, () => new Float64Array(n * n));
  for (let j = 0; j < d; j++) {
    const Dj = D[j]!;
    const cat = categorical[j]!;
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < i; k++) {
        const v = delta2(X[i * d + j]!, X[k * d + j]!, cat);
        Dj[i * n + k] = v;
        Dj[k * n + i] = v;
      }
    }
  }
  return D;
}

/**
 * K(X, X) + noise·I from the pair distances, and the matrix G of s·dm/d(r²)
 * (for the gradients of the marginal likelihood: dK/dη_j = G ∘ D_j).
 */
export function kernelMatrix(D: readonly Float64Array[], n: number, p: KernelParams): { K: Float64Array; G: Float64Array } {
  const K = new Float64Array(n * n);
  const G = new Float64Array(n * n);
  const eta = p.invSqLengthscales;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < i; k++) {
      const at = i * n + k;
      let r2 = 0;
      for (let j = 0; j < D.length; j++) r2 += eta[j]! * D[j]![at]!;
      // m and dm/d(r²) share e^(−√5 r): one exp per pair.
      const r = Math.sqrt(r2);
      const e = p.scale * Math.exp(-SQRT5 * r);
      const v = (1 + SQRT5 * r + (5 / 3) * r2) * e;
      const g = (-5 / 6) * (1 + SQRT5 * r) * e;
      K[at] = v;
      K[k * n + i] = v;
      G[at] = g;
      G[k * n + i] = g;
    }
    K[i * n + i] = p.scale + p.noise;
    G[i * n + i] = p.scale * matern52Grad(0);
  }
  return { K, G };
}

/**
 * k(x, X): the covariances of one point with the n inputs, into `k`. With
 * `dk` (n×d), also ∂k_i/∂x_j on the continuous dimensions (0 on categorical
 * ones, which the acquisition optimiser changes by enumeration, not gradients).
 */
export function crossKernel(x: ArrayLike<number>, inputs: Inputs, p: KernelParams, k: Float64Array, dk?: Float64Array): void {
  const { n, d, X, categorical } = inputs;
  const eta = p.invSqLengthscales;
  for (let i = 0; i < n; i++) {
    const row = i * d;
    let r2 = 0;
    for (let j = 0; j < d; j++) r2 += eta[j]! * delta2(x[j]!, X[row + j]!, categorical[j]!);
    const r = Math.sqrt(r2);
    const e = p.scale * Math.exp(-SQRT5 * r);
    k[i] = (1 + SQRT5 * r + (5 / 3) * r2) * e;
    if (dk) {
      const g = 2 * (-5 / 6) * (1 + SQRT5 * r) * e;
      for (let j = 0; j < d; j++) dk[row + j] = categorical[j] ? 0 : g * eta[j]! * (x[j]! - X[row + j]!);
    }
  }
}
