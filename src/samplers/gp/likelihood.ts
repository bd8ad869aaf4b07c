// The GP's fit: the log marginal likelihood of the (standardised) observations
// and its gradient with respect to the log kernel parameters, weak priors on
// those parameters (Optuna's GPSampler's), and the maximum a posteriori fit
// from a few starts by the bounded quasi-Newton minimiser.
//
//   log p(y | θ) = −½ yᵀK⁻¹y − ½ log det K − (n/2) log 2π
//   ∂/∂θ         = ½ tr((ααᵀ − K⁻¹) ∂K/∂θ),   α = K⁻¹y
//
// θ is (log η_1..d, log s, log noise); with G = s·m'(r²) (see kernel.ts):
//   ∂K/∂log η_j = η_j · G ∘ D_j,   ∂K/∂log s = K − noise·I,   ∂K/∂log noise = noise·I.

import { cholesky, cholInverse, cholSolve, logDet, type Cholesky } from './linalg.js';
import { kernelMatrix, pairDistances, type Inputs, type KernelParams } from './kernel.js';
import { minimizeBox } from './lbfgsb.js';

const LOG_2PI = Math.log(2 * Math.PI);

/** The noise variance never goes below this (as Optuna's DEFAULT_MINIMUM_NOISE_VAR). */
export const MIN_NOISE = 1e-6;

// Box of the fit, in log space: lengthscales from ~0.01 to ~30 on the unit cube.
const LOG_ETA = [Math.log(1e-3), Math.log(1e4)] as const;
const LOG_SCALE = [Math.log(1e-2), Math.log(1e2)] as const;
const LOG_NOISE = [Math.log(MIN_NOISE), Math.log(1)] as const;

export interface LmlResult {
  readonly value: number;
  /** ∂/∂(log η_1..d, log s, log noise). */
  readonly grad: Float64Array;
}

/** log p(y | X, θ) and its gradient, from the pair distances of X (kernel.ts pairDistances). */
export function logMarginalLikelihood(D: readonly Float64Array[], y: ArrayLike<number>, p: KernelParams): LmlResult {
  const n = y.length;
  const d = D.length;
  const { K, G } = kernelMatrix(D, n, p);
  const chol = cholesky(K, n);
  const alpha = cholSolve(chol, y);
  let fit = 0;
  for (let i = 0; i < n; i++) fit += y[i]! * alpha[i]!;
  const value = -0.5 * fit - 0.5 * logDet(chol) - 0.5 * n * LOG_2PI;

  const inv = cholInverse(chol);
  const grad = new Float64Array(d + 2);
  let gScale = 0;
  let trW = 0;
  const gEta = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const ai = alpha[i]!;
    const ri = i * n;
    // Off-diagonal pairs twice (W and the ∂K are symmetric), the diagonal once.
    for (let k = 0; k < i; k++) {
      const w = 2 * (ai * alpha[k]! - inv[ri + k]!);
      gScale += w * K[ri + k]!;
      const wg = w * G[ri + k]!;
      for (let j = 0; j < d; j++) gEta[j] = gEta[j]! + wg * D[j]![ri + k]!;
    }
    const wii = ai * ai - inv[ri + i]!;
    gScale += wii * p.scale;
    trW += wii;
  }
  for (let j = 0; j < d; j++) grad[j] = 0.5 * p.invSqLengthscales[j]! * gEta[j]!;
  grad[d] = 0.5 * gScale;
  grad[d + 1] = 0.5 * p.noise * trW;
  return { value, grad };
}

/**
 * Log prior of the kernel parameters (up to a constant), Optuna's weak priors:
 * −Σ(0.1/η + 0.1·η) on the inverse squared lengthscales, Gamma(2, 1) on the
 * signal variance, Gamma(1.1, 30) on the noise; and its gradient in log space.
 */
export function logPrior(p: KernelParams): LmlResult {
  const d = p.invSqLengthscales.length;
  const grad = new Float64Array(d + 2);
  let value = 0;
  for (let j = 0; j < d; j++) {
    const eta = p.invSqLengthscales[j]!;
    value -= 0.1 / eta + 0.1 * eta;
    grad[j] = 0.1 / eta - 0.1 * eta;
  }
  value += Math.log(p.scale) - p.scale;
  grad[d] = 1 - p.scale;
  value += 0.1 * Math.log(p.noise) - 30 * p.noise;
  grad[d + 1] = 0.1 - 30 * p.noise;
  return { value, grad };
}

/** Kernel parameters from θ = (log η, log s, log noise). */
export function paramsFromLog(theta: ArrayLike<number>, d: number): KernelParams {
  const eta = new Float64Array(d);
  for (let j = 0; j < d; j++) eta[j] = Math.exp(theta[j]!);
  return { invSqLengthscales: eta, scale: Math.exp(theta[d]!), noise: Math.exp(theta[d + 1]!) };
}

export interface FitOptions {
  /** Fix the noise at MIN_NOISE instead of fitting it. */
  readonly deterministic?: boolean;
  readonly maxIterations?: number;
}

/**
 * The maximum a posteriori kernel parameters for (X, y): every start is scored
 * by its log posterior, the best two are refined by the minimiser, and the
 * better result is kept. The starts are fixed (isotropic lengthscales 1, 1/√10
 * and 1/10 … of the unit cube), so the fit is a pure function of the data.
 */
export function fitKernel(inputs: Inputs, y: ArrayLike<number>, options: FitOptions = {}): KernelParams {
  const d = inputs.d;
  const D = pairDistances(inputs);
  const lower = new Float64Array(d + 2);
  const upper = new Float64Array(d + 2);
  for (let j = 0; j < d; j++) [lower[j], upper[j]] = LOG_ETA;
  [lower[d], upper[d]] = LOG_SCALE;
  [lower[d + 1], upper[d + 1]] = options.deterministic ? [LOG_NOISE[0], LOG_NOISE[0]] : LOG_NOISE;
  const objective = (theta: Float64Array, grad: Float64Array): number => {
    const p = paramsFromLog(theta, d);
    let lml: LmlResult;
    try {
      lml = logMarginalLikelihood(D, y, p);
    } catch {
      return Infinity; // Not positive definite even with jitter: reject the step.
    }
    const prior = logPrior(p);
    for (let i = 0; i < d + 2; i++) grad[i] = -(lml.grad[i]! + prior.grad[i]!);
    return -(lml.value + prior.value);
  };

  const starts = [0, Math.log(10), Math.log(100)].map((logEta) => {
    const theta = new Float64Array(d + 2);
    theta.fill(logEta, 0, d);
    theta[d] = 0;
    theta[d + 1] = options.deterministic ? LOG_NOISE[0] : Math.log(1e-2);
    return theta;
  });
  const scratch = new Float64Array(d + 2);
  const scored = starts
    .map((theta) => ({ theta, value: objective(theta, scratch) }))
    .sort((a, b) => a.value - b.value)
    .slice(0, 2);
  let best: { x: Float64Array; value: number } | null = null;
  for (const { theta } of scored) {
    const result = minimizeBox(objective, theta, lower, upper, {
      maxIterations: options.maxIterations ?? 50,
      relativeTolerance: 1e-7,
      gradientTolerance: 1e-3,
    });
    if (best === null || result.value < best.value) best = result;
  }
  return paramsFromLog(best!.x, d);
}

/** What the posterior needs of a fitted GP: the data, the factor of K, α = K⁻¹y and K⁻¹. */
export interface Fitted {
  readonly inputs: Inputs;
  readonly y: Float64Array;
  readonly params: KernelParams;
  readonly chol: Cholesky;
  readonly alpha: Float64Array;
  readonly inv: Float64Array;
}

/** Conditions the GP with kernel parameters p on (X, y). */
export function condition(inputs: Inputs, y: ArrayLike<number>, p: KernelParams): Fitted {
  const D = pairDistances(inputs);
  const { K } = kernelMatrix(D, inputs.n, p);
  const chol = cholesky(K, inputs.n);
  return { inputs, y: Float64Array.from(y), params: p, chol, alpha: cholSolve(chol, y), inv: cholInverse(chol) };
}
