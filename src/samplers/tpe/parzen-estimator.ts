// A Parzen estimator: a weighted mixture with one kernel per observation plus
// a prior kernel, over one dimension (independent TPE) or several at once
// (multivariate TPE, one product kernel per observation). As Optuna 3.x's
// _ParzenEstimator:
//   numeric kernels   normal(μ = observation, σ) truncated to the dimension's
//                     bounds; σ from the distances to the neighbouring
//                     observations (univariate) or Scott's rule 0.2·n^(−1/(d+4))
//                     times the range (multivariate), clipped to
//                     [range / min(100, 1 + m), range] by the "magic clip";
//                     the prior kernel sits mid-range with σ = range;
//   categorical       each observation puts mass 1 on its choice plus
//                     prior_weight/(n+1) on every choice (normalised); the
//                     prior kernel is uniform;
//   weights           the weights function over the observations in trial
//                     order, then prior_weight, normalised.
// Two choices differ from Optuna 3.1, both as later Optuna versions do or allow:
//   - normalizeKernels: Optuna <= 3.4 measures a continuous kernel without its
//     1/σ factor (every kernel has the same peak height whatever its width);
//     Optuna >= 3.5 uses the true density (optuna#5110). Both are offered; the
//     default is the 3.1 form: over 50 seeds × 100 trials it found clearly
//     better points on hartmann6, 5-D rosenbrock, 8-D sphere and 5-D ackley,
//     the same on branin, slightly worse on 4-D Styblinski–Tang.
//   - log-scale integers are scored by the kernel mass of the interval that
//     rounds to the suggestion, not a point density (optuna#6258).
// Evaluation skips mixture terms more than LOG_NEGLIGIBLE below the largest
// one (their total is below 1e-14 relative), so a candidate costs O(m) cheap
// arithmetic and exp/erfc only for the kernels within reach of it.

import type { Rng } from '../rng.js';
import type { Arena } from './arena.js';
import * as dimsModule from './dims.js';
import type { Dim, NumDim } from './dims.js';
import * as truncnorm from './truncnorm.js';

// Module-local copies of the imports used in hot loops: where the modules are
// transpiled to CommonJS (tsx, which runs the benchmarks and the CLI in
// development) every use of an imported binding is a getter call, which
// profiled at ~9% of an ask. Same functions and values, so same results.
const { evaluationInterval, externalValue } = dimsModule;
const { LOG_SQRT_2PI, logGaussMass, midpointSeries, truncnormPpf } = truncnorm;

const EPS = 1e-12;
const SIGMA0_MAGNITUDE = 0.2;
/** Terms this far (in log) below the largest are left out of a log-sum-exp: e^-40 ≈ 4e-18. */
const LOG_NEGLIGIBLE = 40;
/** Kernels per block of the univariate index (see Blocks). */
const BLOCK = 16;

export interface ParzenOptions {
  readonly considerPrior: boolean;
  readonly priorWeight: number;
  readonly considerMagicClip: boolean;
  readonly considerEndpoints: boolean;
  readonly multivariate: boolean;
  /** Divide continuous kernels by σ (true densities, Optuna >= 3.5) or not (Optuna <= 3.4). */
  readonly normalizeKernels: boolean;
}

/** The observations of one group (good or bad), in trial order. */
export interface ObservationGroup {
  readonly n: number;
  /** Per dimension, internal values (length >= n). */
  readonly values: readonly Float64Array[];
  /** Per dimension, positions 0..n-1 sorted by value; needed for numeric dimensions in univariate mode. */
  readonly order: ReadonlyArray<Int32Array | null>;
  /** Unnormalised weight of each observation (the weights function's output). */
  readonly weights: Float64Array;
}

/** Suggestions drawn from an estimator, per dimension. */
export interface Candidates {
  readonly count: number;
  /** Numeric: the suggested value (rounded, external scale); categorical: the choice index. */
  readonly values: Float64Array[];
  /** Numeric: where the density is measured, [lo, hi] (hi = NaN: a point). */
  readonly lo: Float64Array[];
  readonly hi: Float64Array[];
}

interface NumKernels {
  readonly dim: NumDim;
  readonly mus: Float64Array;
  readonly sigmas: Float64Array;
  readonly invSigmas: Float64Array;
  /** log of each truncated kernel's mass on [low, high]. */
  readonly logMass: Float64Array;
  /** log σ (discrete dimensions only: their mass bound needs it). */
  readonly logSigma: Float64Array | null;
  /** log √(2π) + log mass (+ log σ when kernels are normalised): the normaliser of a point density. */
  readonly logNorm: Float64Array;
  /** Univariate estimators only. */
  readonly blocks: Blocks | null;
}

/**
 * The observation kernels of a univariate numeric estimator in increasing
 * order of μ, cut into blocks of BLOCK, each with what bounds its kernels'
 * terms from above: the span of μ, the largest σ, the smallest log σ and the
 * largest constant part. A candidate then skips whole blocks whose bound lies
 * below the terms that matter, instead of evaluating every kernel: the cost of
 * a candidate follows the number of kernels near it, not the study's size.
 */
interface Blocks {
  readonly order: Int32Array;
  readonly count: number;
  readonly muLo: Float64Array;
  readonly muHi: Float64Array;
  readonly sigmaHi: Float64Array;
  /** Discrete only (the width term of the mass bound). */
  readonly logSigmaLo: Float64Array;
  /** Continuous: max of −logNorm; discrete: max of −logMass. */
  readonly constHi: Float64Array;
}

interface CatKernels {
  readonly size: number;
  /** Choice of each observation kernel (the prior kernel, last, has none). */
  readonly obs: Float64Array;
  readonly logHit: number;
  readonly logMiss: number;
  readonly hit: number;
  readonly miss: number;
}

export class ParzenEstimator {
  /** Number of mixture components (observations, plus the prior kernel when present). */
  readonly m: number;
  /** Normalised weights, their running sum, and log(max weight / min weight). */
  private readonly cumW: Float64Array;
  private readonly logWeightSpread: number;
  private readonly weights: Float64Array;
  private readonly num: Array<NumKernels | null>;
  private readonly cat: Array<CatKernels | null>;
  private readonly hasPrior: boolean;
  /** Per-candidate scratch of the general path (one term per component), reused across candidates. */
  private readonly row: Float64Array;
  private readonly rowFactors: Float64Array;

  /** The estimator's arrays come from `arena` and are valid until its next reset. */
  constructor(
    private readonly dims: readonly Dim[],
    group: ObservationGroup,
    options: ParzenOptions,
    private readonly arena: Arena,
  ) {
    const n = group.n;
    // With no observations the prior is the whole estimator.
    this.hasPrior = options.considerPrior || n === 0;
    const m = n + (this.hasPrior ? 1 : 0);
    this.m = m;

    this.weights = arena.floats(m);
    let total = 0;
    for (let i = 0; i < n; i++) {
      this.weights[i] = group.weights[i]!;
      total += group.weights[i]!;
    }
    if (this.hasPrior) {
      this.weights[n] = options.priorWeight;
      total += options.priorWeight;
    }
    this.cumW = arena.floats(m);
    let cum = 0;
    let wMin = Infinity;
    let wMax = 0;
    for (let j = 0; j < m; j++) {
      const w = this.weights[j]! / total;
      this.weights[j] = w;
      cum += w;
      this.cumW[j] = cum;
      if (w < wMin) wMin = w;
      if (w > wMax) wMax = w;
    }
    this.logWeightSpread = wMin > 0 ? Math.log(wMax / wMin) : Infinity;

    // Scott's rule bandwidth factor for the multivariate estimator.
    const sigma0 = options.multivariate ? SIGMA0_MAGNITUDE * Math.max(n, 1) ** (-1 / (dims.length + 4)) : 0;
    this.num = dims.map((dim, d) =>
      dim.kind === 'num' ? this.numKernels(dim, group.values[d]!, group.order[d] ?? null, n, sigma0, options) : null,
    );
    this.cat = dims.map((dim, d) => (dim.kind === 'cat' ? this.catKernels(dim.size, group.values[d]!, n, options) : null));
    // The one-numeric-dimension path (blocks) needs no per-component scratch.
    const general = !(dims.length === 1 && this.num[0]?.blocks);
    this.row = general ? arena.floats(m) : new Float64Array(0);
    this.rowFactors = general ? arena.floats(m) : new Float64Array(0);
  }

  private numKernels(
    dim: NumDim,
    values: Float64Array,
    order: Int32Array | null,
    n: number,
    sigma0: number,
    options: ParzenOptions,
  ): NumKernels {
    const m = this.m;
    const { low, high } = dim;
    const range = high - low;
    const priorMu = 0.5 * (low + high);
    const mus = this.arena.floats(m);
    mus.set(values.subarray(0, n));
    if (this.hasPrior) mus[n] = priorMu;
    const sigmas = this.arena.floats(m);
    let sorted: Int32Array | null = null;

    if (options.multivariate) {
      sigmas.fill(sigma0 * range);
    } else {
      if (!order) throw new Error('ParzenEstimator: univariate numeric kernels need the sorted order');
      // Components in increasing order of μ, the prior merged in at its place.
      sorted = this.arena.ints(m);
      let k = 0;
      let priorPlaced = !this.hasPrior;
      for (let i = 0; i < n; i++) {
        const idx = order[i]!;
        if (!priorPlaced && mus[idx]! > priorMu) {
          sorted[k++] = n;
          priorPlaced = true;
        }
        sorted[k++] = idx;
      }
      if (!priorPlaced) sorted[k++] = n;
      // σ_i = the larger gap to its neighbours, with low/high as outer neighbours.
      for (let i = 0; i < m; i++) {
        const here = mus[sorted[i]!]!;
        const left = i > 0 ? mus[sorted[i - 1]!]! : low;
        const right = i + 1 < m ? mus[sorted[i + 1]!]! : high;
        sigmas[sorted[i]!] = Math.max(here - left, right - here);
      }
      if (!options.considerEndpoints && m >= 2) {
        sigmas[sorted[0]!] = mus[sorted[1]!]! - mus[sorted[0]!]!;
        sigmas[sorted[m - 1]!] = mus[sorted[m - 1]!]! - mus[sorted[m - 2]!]!;
      }
    }
    const maxSigma = range;
    const minSigma = options.considerMagicClip ? range / Math.min(100, 1 + m) : EPS;
    for (let j = 0; j < m; j++) sigmas[j] = Math.min(maxSigma, Math.max(minSigma, sigmas[j]!));
    if (this.hasPrior) sigmas[n] = range;

    const invSigmas = this.arena.floats(m);
    const logMass = this.arena.floats(m);
    const logNorm = this.arena.floats(m);
    const discrete = dim.discrete !== 'none';
    const logSigma = discrete ? this.arena.floats(m) : null;
    for (let j = 0; j < m; j++) {
      const inv = 1 / sigmas[j]!;
      invSigmas[j] = inv;
      logMass[j] = logGaussMass((low - mus[j]!) * inv, (high - mus[j]!) * inv);
      if (logSigma) logSigma[j] = Math.log(sigmas[j]!);
      if (!discrete) logNorm[j] = (options.normalizeKernels ? Math.log(sigmas[j]!) : 0) + LOG_SQRT_2PI + logMass[j]!;
    }
    const kernels = { dim, mus, sigmas, invSigmas, logMass, logSigma, logNorm, blocks: null };
    return sorted ? { ...kernels, blocks: this.blocks(kernels, sorted, n) } : kernels;
  }

  /** The block index over the observation kernels (the prior kernel, index n, stays out). */
  private blocks(k: Omit<NumKernels, 'blocks'>, sorted: Int32Array, n: number): Blocks {
    const order = this.arena.ints(n);
    let len = 0;
    for (let i = 0; i < sorted.length; i++) if (sorted[i]! < n) order[len++] = sorted[i]!;
    const count = Math.ceil(n / BLOCK);
    const muLo = this.arena.floats(count);
    const muHi = this.arena.floats(count);
    const sigmaHi = this.arena.floats(count);
    const logSigmaLo = this.arena.floats(count);
    const constHi = this.arena.floats(count);
    const discrete = k.dim.discrete !== 'none';
    for (let b = 0; b < count; b++) {
      const start = b * BLOCK;
      const end = Math.min(n, start + BLOCK);
      muLo[b] = k.mus[order[start]!]!;
      muHi[b] = k.mus[order[end - 1]!]!;
      let sHi = 0;
      let lsLo = Infinity;
      let cHi = -Infinity;
      for (let i = start; i < end; i++) {
        const j = order[i]!;
        sHi = Math.max(sHi, k.sigmas[j]!);
        if (discrete) lsLo = Math.min(lsLo, k.logSigma![j]!);
        cHi = Math.max(cHi, discrete ? -k.logMass[j]! : -k.logNorm[j]!);
      }
      sigmaHi[b] = sHi;
      logSigmaLo[b] = lsLo;
      constHi[b] = cHi;
    }
    return { order, count, muLo, muHi, sigmaHi, logSigmaLo, constHi };
  }

  private catKernels(size: number, values: Float64Array, n: number, options: ParzenOptions): CatKernels {
    // Each observation row: prior_weight/(n+1) everywhere (prior_weight/n without
    // the prior kernel), +1 on the observed choice, normalised.
    const v = this.hasPrior ? options.priorWeight / (n + 1) : options.priorWeight / n;
    const hit = (v + 1) / (size * v + 1);
    const miss = v / (size * v + 1);
    return { size, obs: values.subarray(0, n), logHit: Math.log(hit), logMiss: Math.log(miss), hit, miss };
  }

  /** Index of the component chosen by u ∈ [0, 1) (numpy's choice: first cumulative weight > u). */
  private component(u: number): number {
    let lo = 0;
    let hi = this.m - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cumW[mid]! <= u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Draws `count` candidates: a component per candidate, then each dimension
   * from that component. The output lives in `scratch` (by default the
   * estimator's own arena; the sampler passes the ask's, as its estimators
   * may outlive an ask).
   */
  sample(rng: Rng, count: number, scratch: Arena = this.arena): Candidates {
    const active = scratch.ints(count);
    for (let c = 0; c < count; c++) active[c] = this.component(rng.nextFloat());
    const values: Float64Array[] = [];
    const lo: Float64Array[] = [];
    const hi: Float64Array[] = [];
    for (let d = 0; d < this.dims.length; d++) {
      const out = scratch.floats(count);
      const outLo = scratch.floats(count);
      const outHi = scratch.floats(count);
      const num = this.num[d];
      const cat = this.cat[d];
      for (let c = 0; c < count; c++) {
        const j = active[c]!;
        const u = rng.nextFloat();
        if (num) {
          const inv = num.invSigmas[j]!;
          const mu = num.mus[j]!;
          const z = truncnormPpf(u, (num.dim.low - mu) * inv, (num.dim.high - mu) * inv, num.logMass[j]!);
          const v = externalValue(num.dim, num.mus[j]! + num.sigmas[j]! * z);
          out[c] = v;
          const [l, h] = evaluationInterval(num.dim, v);
          outLo[c] = l;
          outHi[c] = h;
        } else if (cat) {
          out[c] = this.sampleChoice(cat, j, u);
        }
      }
      values.push(out);
      lo.push(outLo);
      hi.push(outHi);
    }
    return { count, values, lo, hi };
  }

  /** Choice from component j's row: the number of cumulative probabilities below u. */
  private sampleChoice(cat: CatKernels, j: number, u: number): number {
    const isPrior = j >= cat.obs.length;
    const observed = isPrior ? -1 : cat.obs[j]!;
    let cum = 0;
    for (let k = 0; k < cat.size - 1; k++) {
      cum += isPrior ? 1 / cat.size : k === observed ? cat.hit : cat.miss;
      if (!(cum < u)) return k;
    }
    return cat.size - 1;
  }

  /** log density (log mass for discrete dimensions) of each candidate under the mixture; output in `scratch` (as sample). */
  logPdf(cand: Candidates, scratch: Arena = this.arena): Float64Array {
    const count = cand.count;
    const out = scratch.floats(count);
    const single = this.dims.length === 1 ? this.cat[0] : null;
    if (single) {
      // One categorical dimension: the mixture collapses to one distribution over choices.
      const nObs = single.obs.length;
      const wObs = nObs === 0 ? 0 : this.cumW[nObs - 1]!;
      const byChoice = scratch.floats(single.size);
      for (let j = 0; j < nObs; j++) byChoice[single.obs[j]!]! += this.weights[j]!;
      const priorW = this.hasPrior ? this.weights[nObs]! : 0;
      const logProbs = scratch.floats(single.size);
      for (let k = 0; k < single.size; k++) {
        logProbs[k] = Math.log(wObs * single.miss + byChoice[k]! * (single.hit - single.miss) + priorW / single.size);
      }
      for (let c = 0; c < count; c++) out[c] = logProbs[cand.values[0]![c]!]!;
      return out;
    }
    // Candidates with discrete or categorical values often repeat: evaluate each once.
    // (Continuous candidates practically never do; the lookup would cost more than it saves.)
    const continuous = this.dims.every((dim) => dim.kind === 'num' && dim.discrete === 'none');
    if (continuous) {
      for (let c = 0; c < count; c++) out[c] = this.logPdfOne(cand, c);
      return out;
    }
    const seen = new Map<number | string, number>();
    const oneDim = cand.values.length === 1;
    for (let c = 0; c < count; c++) {
      const key = oneDim ? cand.values[0]![c]! : cand.values.map((v) => v[c]!).join(',');
      const known = seen.get(key);
      if (known !== undefined) {
        out[c] = out[known]!;
        continue;
      }
      seen.set(key, c);
      out[c] = this.logPdfOne(cand, c);
    }
    return out;
  }

  /**
   * log Σ_j w_j Π_d k_jd(candidate c). One numeric dimension goes through the
   * block index (logPdfBlocks). Otherwise the log kernel terms are computed
   * for every component, cheaply: exactly for continuous and categorical
   * dimensions; for discrete ones as an upper bound on the interval mass
   * (width × largest density). Only components within LOG_NEGLIGIBLE (plus
   * the spread of the weights) of the best exact term are then evaluated
   * exactly and summed, with the weights applied in linear scale.
   */
  private logPdfOne(cand: Candidates, c: number): number {
    const only = this.dims.length === 1 ? this.num[0] : null;
    if (only?.blocks) return this.logPdfBlocks(only, only.blocks, cand.lo[0]![c]!, cand.hi[0]![c]!);
    const m = this.m;
    const row = this.row;
    let discrete = false;
    let best = 0;
    for (let d = 0; d < this.dims.length; d++) {
      const num = this.num[d];
      const cat = this.cat[d];
      // The first dimension sets the row, the others add to it; each returns the row's argmax.
      if (num) {
        if (num.dim.discrete === 'none') best = continuousTerms(num, cand.lo[d]![c]!, m, row, d > 0);
        else {
          best = discreteBounds(num, cand.lo[d]![c]!, cand.hi[d]![c]!, m, row, d > 0);
          discrete = true;
        }
      } else if (cat) {
        best = categoricalTerms(cat, cand.values[d]![c]!, m, row, d > 0);
      }
    }
    const weights = this.weights;
    if (!discrete) {
      // Every term is exact: sum those within reach of the largest.
      const max = row[best]!;
      if (!(max > -Infinity)) return max; // -Infinity or NaN: nothing to sum
      const cut = max - LOG_NEGLIGIBLE - this.logWeightSpread;
      let sum = 0;
      for (let j = 0; j < m; j++) {
        const t = row[j]!;
        if (t >= cut) sum += weights[j]! * Math.exp(t - max);
      }
      return max + Math.log(sum);
    }
    // Discrete dimensions: replace the bounds by exact values where they can
    // matter. Exact = bound + log part (kept in row) times a factor near 1
    // (kept in `factors`, applied in linear scale: no log needed).
    const factors = this.rowFactors;
    this.discreteCorrection(cand, c, best);
    const reference = row[best]! + this.correctionLog + Math.log(this.correctionFactor);
    if (!(reference > -Infinity)) return reference;
    const cut = reference - LOG_NEGLIGIBLE - this.logWeightSpread;
    let max = -Infinity;
    for (let j = 0; j < m; j++) {
      if (!(row[j]! >= cut)) {
        row[j] = -Infinity;
        continue;
      }
      this.discreteCorrection(cand, c, j);
      row[j] = row[j]! + this.correctionLog;
      factors[j] = this.correctionFactor;
      if (row[j]! > max) max = row[j]!;
    }
    let sum = 0;
    for (let j = 0; j < m; j++) {
      const t = row[j]!;
      if (t > -Infinity) sum += weights[j]! * factors[j]! * Math.exp(t - max);
    }
    return max + Math.log(sum);
  }

  /**
   * One numeric dimension, through the block index: the prior kernel and the
   * block nearest the candidate give a first maximum; then every block whose
   * bound reaches within LOG_NEGLIGIBLE (+ weight spread) of the maximum is
   * evaluated kernel by kernel; the others cannot matter. [lo, hi] is the
   * candidate's interval (discrete) or point (hi = NaN).
   */
  private logPdfBlocks(num: NumKernels, blocks: Blocks, lo: number, hi: number): number {
    const discrete = num.dim.discrete !== 'none';
    const logWidth = discrete ? Math.log(hi - lo) : 0;
    const right = discrete ? hi : lo;
    // Discrete terms are kept without their factor near 1, which may add up to log 2.
    const slack = LOG_NEGLIGIBLE + this.logWeightSpread + (discrete ? Math.LN2 : 0);
    const { mus, invSigmas, logNorm } = num;
    const weights = this.weights;
    // Online log-sum-exp: Σ w·f·exp(t − max), rescaled whenever max grows.
    let max = -Infinity;
    let sum = 0;
    const n = blocks.order.length;
    if (this.hasPrior) {
      this.kernelTerm(num, n, lo, hi, logWidth);
      max = this.termLog;
      sum = max > -Infinity ? weights[n]! * this.termFactor : 0;
    }
    // The block whose span starts last at or before the candidate.
    let first = 0;
    let top = blocks.count - 1;
    while (first < top) {
      const mid = (first + top + 1) >>> 1;
      if (blocks.muLo[mid]! <= lo) first = mid;
      else top = mid - 1;
    }
    for (let step = 0; step <= blocks.count; step++) {
      // The nearest block first, then all the others in order.
      const b = step === 0 ? first : step - 1;
      if (step > 0 && b === first) continue;
      if (b >= blocks.count) break;
      const distance = Math.max(0, blocks.muLo[b]! - right, lo - blocks.muHi[b]!);
      const p = distance / blocks.sigmaHi[b]!;
      const bound = discrete
        ? Math.min(0, logWidth - blocks.logSigmaLo[b]! - 0.5 * p * p - LOG_SQRT_2PI) + blocks.constHi[b]!
        : blocks.constHi[b]! - 0.5 * p * p;
      if (bound < max - slack) continue;
      const end = Math.min(n, (b + 1) * BLOCK);
      for (let i = b * BLOCK; i < end; i++) {
        const j = blocks.order[i]!;
        let t: number;
        let factor = 1;
        const inv = invSigmas[j]!;
        if (discrete) {
          // As kernelTerm, inlined: this loop is the hot path of discrete parameters.
          const alpha = (lo - mus[j]!) * inv;
          const beta = (hi - mus[j]!) * inv;
          const mid = 0.5 * (alpha + beta);
          const series = midpointSeries(mid, 0.5 * (beta - alpha));
          if (Number.isNaN(series)) {
            t = logGaussMass(alpha, beta) - num.logMass[j]!;
          } else {
            t = logWidth - num.logSigma![j]! - 0.5 * mid * mid - LOG_SQRT_2PI - num.logMass[j]!;
            factor = 1 + series;
          }
        } else {
          const z = (lo - mus[j]!) * inv;
          t = -0.5 * z * z - logNorm[j]!;
        }
        if (t > max) {
          sum = max > -Infinity ? sum * Math.exp(max - t) : 0;
          max = t;
        }
        if (t >= max - slack) sum += weights[j]! * factor * Math.exp(t - max);
      }
    }
    if (!(max > -Infinity)) return max;
    return max + Math.log(sum);
  }

  // Output of kernelTerm: log term and a factor near 1 (fields: the hot loop allocates nothing).
  private termLog = 0;
  private termFactor = 1;

  /**
   * Kernel j's term for a candidate: continuous, −z²/2 − log normaliser;
   * discrete, the log mass of [lo, hi] over the kernel's mass, as
   * log(2h·φ(mid)) (+ factor 1 + S) by the midpoint expansion where it
   * applies, else exactly.
   */
  private kernelTerm(num: NumKernels, j: number, lo: number, hi: number, logWidth: number): void {
    const mu = num.mus[j]!;
    const inv = num.invSigmas[j]!;
    if (num.dim.discrete === 'none') {
      const z = (lo - mu) * inv;
      this.termLog = -0.5 * z * z - num.logNorm[j]!;
      this.termFactor = 1;
      return;
    }
    const alpha = (lo - mu) * inv;
    const beta = (hi - mu) * inv;
    const mid = 0.5 * (alpha + beta);
    const series = midpointSeries(mid, 0.5 * (beta - alpha));
    if (Number.isNaN(series)) {
      this.termLog = logGaussMass(alpha, beta) - num.logMass[j]!;
      this.termFactor = 1;
    } else {
      this.termLog = logWidth - num.logSigma![j]! - 0.5 * mid * mid - LOG_SQRT_2PI - num.logMass[j]!;
      this.termFactor = 1 + series;
    }
  }

  // Output of discreteCorrection (fields, so that the hot loop allocates nothing).
  private correctionLog = 0;
  private correctionFactor = 1;

  /**
   * exact mass / bound over the discrete dimensions, for candidate c and
   * component j, as exp(correctionLog) · correctionFactor. For a narrow
   * interval the exact mass is 2h·φ(mid)·(1 + S) and the bound 2h·φ(p), p the
   * point of [α, β] nearest 0: the ratio is exp((p² − mid²)/2)·(1 + S), with
   * no erfc and no logarithm. Other intervals: exact logGaussMass.
   */
  private discreteCorrection(cand: Candidates, c: number, j: number): void {
    let log = 0;
    let factor = 1;
    for (let d = 0; d < this.dims.length; d++) {
      const num = this.num[d];
      if (!num || num.dim.discrete === 'none') continue;
      const lo = cand.lo[d]![c]!;
      const hi = cand.hi[d]![c]!;
      const inv = num.invSigmas[j]!;
      const alpha = (lo - num.mus[j]!) * inv;
      const beta = (hi - num.mus[j]!) * inv;
      const mid = 0.5 * (alpha + beta);
      const series = midpointSeries(mid, 0.5 * (beta - alpha));
      // Where the expansion applies 2h·φ(0) < 1, so the bound is 2h·φ(peak), unclipped.
      const peak = Math.min(Math.max(alpha, 0), beta);
      if (!Number.isNaN(series)) {
        log += 0.5 * (peak * peak - mid * mid);
        factor *= 1 + series;
      } else {
        log += logGaussMass(alpha, beta) - massBound(alpha, beta, Math.log(hi - lo) - num.logSigma![j]!);
      }
    }
    this.correctionLog = log;
    this.correctionFactor = factor;
  }
}

// Kernel terms of one candidate against every component, written into `row`
// (added to it when `add`); each returns the index of the row's largest entry.

/** Continuous kernels: −z²/2 − log normaliser. */
function continuousTerms(num: NumKernels, x: number, m: number, row: Float64Array, add: boolean): number {
  const { mus, invSigmas, logNorm } = num;
  let best = 0;
  let bestValue = -Infinity;
  for (let j = 0; j < m; j++) {
    const z = (x - mus[j]!) * invSigmas[j]!;
    const v = (add ? row[j]! : 0) - 0.5 * z * z - logNorm[j]!;
    row[j] = v;
    if (v > bestValue) {
      bestValue = v;
      best = j;
    }
  }
  return best;
}

/** Upper bound of log(Φ(β) − Φ(α)): (β − α) times the largest density on [α, β]. */
function massBound(alpha: number, beta: number, logWidth: number): number {
  // The point of [α, β] nearest 0 carries the largest density; a mass is at most 1 too.
  // (min/max rather than branches: components come in no particular order.)
  const p = Math.min(Math.max(alpha, 0), beta);
  return Math.min(0, logWidth - 0.5 * p * p - LOG_SQRT_2PI);
}

/** Discrete kernels, bounded: log mass bound of [lo, hi] − log mass of the kernel. */
function discreteBounds(num: NumKernels, lo: number, hi: number, m: number, row: Float64Array, add: boolean): number {
  const { mus, invSigmas, logMass } = num;
  const logSigma = num.logSigma!;
  const logWidth = Math.log(hi - lo);
  let best = 0;
  let bestValue = -Infinity;
  for (let j = 0; j < m; j++) {
    const inv = invSigmas[j]!;
    const bound = massBound((lo - mus[j]!) * inv, (hi - mus[j]!) * inv, logWidth - logSigma[j]!);
    const v = (add ? row[j]! : 0) + bound - logMass[j]!;
    row[j] = v;
    if (v > bestValue) {
      bestValue = v;
      best = j;
    }
  }
  return best;
}

/** Categorical kernels: log of the observation row's probability of choice v. */
function categoricalTerms(cat: CatKernels, v: number, m: number, row: Float64Array, add: boolean): number {
  const nObs = cat.obs.length;
  let best = 0;
  let bestValue = -Infinity;
  for (let j = 0; j < m; j++) {
    const term = j < nObs ? (cat.obs[j] === v ? cat.logHit : cat.logMiss) : -Math.log(cat.size);
    const value = (add ? row[j]! : 0) + term;
    row[j] = value;
    if (value > bestValue) {
      bestValue = value;
      best = j;
    }
  }
  return best;
}
