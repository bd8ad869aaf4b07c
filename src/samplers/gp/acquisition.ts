// The posterior of the fitted GP at a point and the log expected improvement,
// with gradients in x for the acquisition optimiser. Values are maximised here
// (the sampler flips a minimised objective's sign when it standardises).
//
//   μ(x) = k(x)ᵀα,   σ²(x) = s − k(x)ᵀK⁻¹k(x)     (the latent f, without noise)
//   EI(x) = σ·h(z),  z = (μ − best)/σ,  h(z) = φ(z) + z·Φ(z),   h'(z) = Φ(z)
//
// log h(z) is computed without cancellation far into the lower tail, where
// plain EI underflows to 0 and gives the optimiser nothing to climb (the
// remedy of Ament et al., "Unexpected improvements to expected improvement",
// 2023, as BoTorch's log_ei and Optuna's logei do; written here from the maths):
//   z > −1:          log(φ(z) + zΦ(z)) directly;
//   −1000 < z ≤ −1:  h = φ(z)·(1 − |z|·√(π/2)·erfcx(|z|/√2)), the bracket by log1mexp;
//   z ≤ −1000:       the asymptotic series h = φ(z)·z⁻²·(1 − 3/z² + 15/z⁴ − …).

import { erfc, erfcx } from '../tpe/erfcx.js';
import { crossKernel } from './kernel.js';
import type { Fitted } from './likelihood.js';

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const SQRT_HALF_PI = Math.sqrt(Math.PI / 2);
const SQRT1_2 = Math.SQRT1_2;
// Below this, 1 − |z|Φ/φ ≈ 1/z² is too small for erfcx's ~5e-15 accuracy to
// give it to better than ~5e-9: the asymptotic series takes over (its next
// term, 105/z⁸, is below 1e-22 here).
const TAIL = -1000;
/** Smallest posterior variance used (the fitted noise floor is 1e-6 of the standardised scale). */
const MIN_VARIANCE = 1e-12;

/** log(1 − eˣ) for x < 0, accurate at both ends (Mächler's log1mexp). */
export function log1mexp(x: number): number {
  return x > -Math.LN2 ? Math.log(-Math.expm1(x)) : Math.log1p(-Math.exp(x));
}

/** log h(z) and d log h / dz = Φ(z)/h(z). */
export function logH(z: number): { value: number; slope: number } {
  if (z > -1) {
    const phi = Math.exp(-0.5 * z * z - LOG_SQRT_2PI);
    const cdf = 0.5 * erfc(-z * SQRT1_2);
    const h = phi + z * cdf;
    return { value: Math.log(h), slope: cdf / h };
  }
  if (z > TAIL) {
    const ex = erfcx(-z * SQRT1_2); // Φ(z) = ½·erfcx(|z|/√2)·e^(−z²/2)
    const w = Math.log(ex * -z * SQRT_HALF_PI); // < 0: |z|Φ(z)/φ(z) < 1
    const bracket = log1mexp(w);
    // Φ/h = (½·erfcx·√(2π)·φ)/(φ·e^bracket): φ cancels.
    return { value: -0.5 * z * z - LOG_SQRT_2PI + bracket, slope: 0.5 * ex * Math.sqrt(2 * Math.PI) * Math.exp(-bracket) };
  }
  // Asymptotic series: h/φ = t(1 − 3t + 15t² − …), Φ/φ = |z|·t·(1 − t + 3t² − …), t = 1/z².
  const t = 1 / (z * z);
  const bracket = 1 - 3 * t + 15 * t * t;
  return { value: -0.5 * z * z - LOG_SQRT_2PI + Math.log(t) + Math.log(bracket), slope: (-z * (1 - t + 3 * t * t)) / bracket };
}

/** Work buffers for one fitted GP (so the optimiser's many evaluations allocate nothing). */
export class Posterior {
  private readonly k: Float64Array;
  private readonly dk: Float64Array;
  private readonly v: Float64Array;
  readonly d: number;

  constructor(readonly fitted: Fitted) {
    const { n, d } = fitted.inputs;
    this.d = d;
    this.k = new Float64Array(n);
    this.dk = new Float64Array(n * d);
    this.v = new Float64Array(n);
  }

  /** Posterior mean and variance of the latent function at x; with grads, their gradients in x. */
  at(x: ArrayLike<number>, dMean?: Float64Array, dVar?: Float64Array): { mean: number; variance: number } {
    const { inputs, params, alpha, inv } = this.fitted;
    const { n, d } = inputs;
    const { k, dk, v } = this;
    const withGrad = dMean !== undefined && dVar !== undefined;
    crossKernel(x, inputs, params, k, withGrad ? dk : undefined);
    let mean = 0;
    let quad = 0;
    if (!withGrad) {
      // σ² needs only |L⁻¹k|² (half the work of K⁻¹k): forward substitution.
      const { L } = this.fitted.chol;
      for (let i = 0; i < n; i++) {
        mean += k[i]! * alpha[i]!;
        let s = k[i]!;
        const ri = i * n;
        for (let l = 0; l < i; l++) s -= L[ri + l]! * v[l]!;
        const w = s / L[ri + i]!;
        v[i] = w;
        quad += w * w;
      }
      return { mean, variance: params.scale - quad };
    }
    for (let i = 0; i < n; i++) {
      mean += k[i]! * alpha[i]!;
      // v = K⁻¹k (K⁻¹ symmetric: row i dotted with k).
      let s = 0;
      const ri = i * n;
      for (let l = 0; l < n; l++) s += inv[ri + l]! * k[l]!;
      v[i] = s;
      quad += k[i]! * s;
    }
    const variance = params.scale - quad;
    {
      dMean.fill(0);
      dVar.fill(0);
      for (let i = 0; i < n; i++) {
        const ai = alpha[i]!;
        const vi = -2 * v[i]!;
        const row = i * d;
        for (let j = 0; j < d; j++) {
          const g = dk[row + j]!;
          dMean[j] = dMean[j]! + ai * g;
          dVar[j] = dVar[j]! + vi * g;
        }
      }
    }
    return { mean, variance };
  }
}

/** log EI at x over `best` (maximising); with grad, its gradient in x. */
export function logEi(post: Posterior, x: ArrayLike<number>, best: number, grad?: Float64Array): number {
  const d = post.d;
  const dMean = grad ? new Float64Array(d) : undefined;
  const dVar = grad ? new Float64Array(d) : undefined;
  const { mean, variance } = post.at(x, dMean, dVar);
  const clamped = variance < MIN_VARIANCE;
  const sd = Math.sqrt(clamped ? MIN_VARIANCE : variance);
  const z = (mean - best) / sd;
  const { value, slope } = logH(z);
  if (grad) {
    // d/dx [log σ + log h(z)],  dσ = dVar/(2σ),  dz = (dμ − z·dσ)/σ.
    for (let j = 0; j < d; j++) {
      const dsd = clamped ? 0 : dVar![j]! / (2 * sd);
      grad[j] = dsd / sd + (slope * (dMean![j]! - z * dsd)) / sd;
    }
  }
  return Math.log(sd) + value;
}
