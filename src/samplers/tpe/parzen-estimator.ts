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
// Three choices differ from Optuna 3.1, each as later Optuna versions do or allow:
//   - normalizeKernels: Optuna <= 3.4 measures a continuous kernel without its
//     1/σ factor (every kernel has the same peak height whatever its width);
//     Optuna >= 3.5 uses the true density (optuna#5110). Both are offered; the
//     default is the 3.1 form: over 50 seeds × 100 trials it found clearly
//     better points on hartmann6, 5-D rosenbrock, 8-D sphere and 5-D ackley,
//     the same on branin, slightly worse on 4-D Styblinski–Tang.
//   - log-scale integers are scored by the kernel mass of the interval that
//     rounds to the suggestion, not a point density (optuna#6258).
//   - jointBandwidth: 'neighbour' (the sampler's choice with group: true) gives
//     joint kernels each observation's univariate σ per dimension instead of
//     Scott's rule, as Optuna >= 5.0 (optuna#6746) for multivariate TPE.
// Evaluation skips mixture terms more than LOG_NEGLIGIBLE below the largest
// one (their total is below 1e-14 relative), so a candidate costs O(m) cheap
// arithmetic and exp/erfc only for the kernels within reach of it.
// A univariate numeric estimator keeps its kernels in increasing order of μ
// (SortedKernels), where both its bandwidths and its block index are built;
// a kernel's constants (1/σ, log mass, …) come from the group's KernelCache
// when that observation had the same σ in an earlier fit.

import type { Rng } from '../rng.js';
import type { Arena } from './arena.js';
import * as dimsModule from './dims.js';
import type { Dim, NumDim } from './dims.js';
import type { KernelCache } from './kernel-cache.js';
import * as kernelsModule from './kernels.js';
import type { KernelArrays } from './kernels.js';
import * as truncnorm from './truncnorm.js';

// Module-local copies of the imports used in hot loops: where the modules are
// transpiled to CommonJS (tsx, which runs the benchmarks and the CLI in
// development) every use of an imported binding is a getter call, which
// profiled at ~9% of an ask. Same functions and values, so same results.
const { evaluationHigh, evaluationLow, externalValue } = dimsModule;
const { LOG_SQRT_2PI, logGaussMass, midpointSeries, truncnormPpf } = truncnorm;
const { BLOCK, blockBounds, clip, gather, kernelConstants, mergeSorted, neighbourBandwidths, withoutOne } = kernelsModule;

const EPS = 1e-12;
const SIGMA0_MAGNITUDE = 0.2;
/** Terms this far (in log) below the largest are left out of a log-sum-exp: e^-40 ≈ 4e-18. */
const LOG_NEGLIGIBLE = 40;
/** The array of a quantity an estimator does not have (never written: it has no room). */
const NONE = new Float64Array(0);
/**
 * How far (in bandwidths) bestRatio's lower bound on g looks around a
 * candidate. With many observations the kernels of g sit closer together
 * than their (magic-clipped) bandwidth, and the 24 candidates' scores often
 * differ by less than the ~1% of g that lies beyond 2.5σ: every candidate
 * whose bound cannot be told from the best is evaluated in full. 3.5σ leaves
 * ~0.05% out. Kernel terms evaluated per ask (6 floats, constant liar, ask
 * after ask as in a sweep; the suggestions are the same): 2.5σ 67k at 2,000
 * trials, 193k at 5,000; 3.5σ 49k and 114k (3σ 136k, 4σ 120k at 5,000).
 */
const NEAR_SIGMAS = 3.5;

export interface ParzenOptions {
  readonly considerPrior: boolean;
  readonly priorWeight: number;
  readonly considerMagicClip: boolean;
  readonly considerEndpoints: boolean;
  readonly multivariate: boolean;
  /** Divide continuous kernels by σ (true densities, Optuna >= 3.5) or not (Optuna <= 3.4). */
  readonly normalizeKernels: boolean;
  /**
   * Joint (multivariate) numeric kernels: 'scott' (the default), one σ per
   * dimension by Scott's rule, as Optuna 3.1–4.x; 'neighbour', each
   * observation's σ from its neighbours in that dimension, as the univariate
   * estimator (Optuna >= 5.0, optuna#6746). The sampler uses 'neighbour' with
   * group: true (see sampler.ts).
   */
  readonly jointBandwidth?: 'scott' | 'neighbour';
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
  /**
   * Univariate numeric dimensions, optionally: the store row of each
   * observation (negative: none, e.g. a liar) and the cache of kernel
   * constants by row. Without them every constant is computed; with them, the
   * same values.
   */
  readonly rows: Int32Array | null;
  readonly cache: KernelCache | null;
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

/** A numeric dimension of a joint (multivariate) estimator: kernels by component, the prior last. */
interface NumKernels extends KernelArrays {
  readonly dim: NumDim;
}

/**
 * A univariate numeric estimator: the observation kernels in increasing order
 * of μ (and their weights), the prior kernel apart, and the block index: the
 * kernels cut into blocks of BLOCK, each with what bounds its kernels' terms
 * from above: the span of μ, the largest σ, the smallest log σ and the
 * largest constant part. A candidate then skips whole blocks whose bound lies
 * below the terms that matter, instead of evaluating every kernel: the cost of
 * a candidate follows the number of kernels near it, not the study's size.
 * The kernels are contiguous so that the evaluation loop reads them in
 * sequence.
 */
interface SortedKernels {
  readonly dim: NumDim;
  /** Observation kernels, sorted by μ. */
  readonly obs: KernelArrays;
  readonly weight: Float64Array;
  /** Component (trial-order position) of each sorted kernel. */
  readonly order: Int32Array;
  /** The prior kernel (one entry), or null. */
  readonly prior: KernelArrays | null;
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
  /** Joint estimators: per dimension, numeric kernels by component. */
  private readonly num: Array<NumKernels | null>;
  private readonly cat: Array<CatKernels | null>;
  /** Univariate numeric estimators: the sorted kernels (and then num is [null]). */
  private readonly sorted: SortedKernels | null;
  /** Sorted position of each component of `sorted`, built by the first sample(). */
  private positions: Int32Array | null = null;
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
    this.cumW = arena.floats(m);
    this.lse = arena.floats(2);
    this.logWeightSpread = normalizeWeights(group.weights, n, this.hasPrior ? options.priorWeight : null, this.weights, this.cumW);

    const only = dims.length === 1 ? dims[0]! : null;
    if (only?.kind === 'num' && !options.multivariate) {
      const order = group.order[0];
      if (!order) throw new Error('ParzenEstimator: univariate numeric kernels need the sorted order');
      this.sorted = this.sortedKernels(only, group.values[0]!, order, n, options, group.rows, group.cache);
      this.num = [null];
    } else {
      // (The sampler fits univariate estimators one dimension at a time.)
      if (!options.multivariate && dims.some((dim) => dim.kind === 'num')) {
        throw new Error('ParzenEstimator: a univariate estimator with a numeric dimension has that dimension only');
      }
      this.sorted = null;
      // Scott's rule bandwidth factor for the multivariate estimator.
      const sigma0 = SIGMA0_MAGNITUDE * Math.max(n, 1) ** (-1 / (dims.length + 4));
      this.num = dims.map((dim, d) => (dim.kind === 'num' ? this.jointKernels(dim, group.values[d]!, n, sigma0, options) : null));
    }
    this.cat = dims.map((dim, d) => (dim.kind === 'cat' ? this.catKernels(dim.size, group.values[d]!, n, options) : null));
    // The one-numeric-dimension path (blocks) needs no per-component scratch.
    const general = !this.sorted;
    this.row = general ? arena.floats(m) : NONE;
    this.rowFactors = general ? arena.floats(m) : NONE;
  }

  private kernelArrays(length: number, dim: NumDim): KernelArrays {
    const discrete = dim.discrete !== 'none';
    const arena = this.arena;
    return {
      mu: arena.floats(length),
      sigma: arena.floats(length),
      inv: arena.floats(length),
      logMass: arena.floats(length),
      logNorm: discrete ? NONE : arena.floats(length),
      logSigma: discrete ? arena.floats(length) : NONE,
    };
  }

  /** Joint estimators: σ by Scott's rule or from the neighbours (options.jointBandwidth), magic-clipped; the prior's σ is the range. */
  private jointKernels(dim: NumDim, values: Float64Array, n: number, sigma0: number, options: ParzenOptions): NumKernels {
    const m = this.m;
    const { low, high } = dim;
    const range = high - low;
    const k = this.kernelArrays(m, dim);
    k.mu.set(values.subarray(0, n));
    if (this.hasPrior) k.mu[n] = 0.5 * (low + high);
    const minSigma = options.considerMagicClip ? range / Math.min(100, 1 + m) : EPS;
    if (options.jointBandwidth === 'neighbour') {
      // Per dimension, the univariate estimator's σ of each observation (the
      // prior merged in by μ, then left out): observation i's kernel is as wide
      // as that dimension's univariate kernel of it would be.
      const order = this.arena.ints(n);
      for (let i = 0; i < n; i++) order[i] = i;
      order.sort((a, b) => values[a]! - values[b]! || a - b);
      const mus = this.arena.floats(m);
      const priorAt = mergeSorted(values, order, n, this.hasPrior ? 0.5 * (low + high) : NaN, mus);
      const sorted = this.arena.floats(m);
      neighbourBandwidths(mus, m, low, high, !options.considerEndpoints, minSigma, range, sorted);
      const bySorted = this.arena.floats(n);
      withoutOne(sorted, m, priorAt, bySorted);
      for (let i = 0; i < n; i++) k.sigma[order[i]!] = bySorted[i]!;
      if (this.hasPrior) k.sigma[n] = range;
    } else {
      const sigma = clip(sigma0 * range, minSigma, range);
      for (let j = 0; j < m; j++) k.sigma[j] = this.hasPrior && j === n ? range : sigma;
    }
    for (let j = 0; j < m; j++) kernelConstants(k, j, dim, options.normalizeKernels);
    return { dim, mu: k.mu, sigma: k.sigma, inv: k.inv, logMass: k.logMass, logNorm: k.logNorm, logSigma: k.logSigma };
  }

  /**
   * Univariate estimators: in increasing order of μ, the prior merged in at
   * its place, σ_i = the larger gap to its neighbours (low/high as outer
   * neighbours; without consider_endpoints the outermost take their inner
   * gap), magic-clipped; the prior's σ is the range. Then the observation
   * kernels' constants (from the cache where it has them), their weights and
   * the block index, each pass a function of its own (see groups.ts: why).
   */
  private sortedKernels(
    dim: NumDim,
    values: Float64Array,
    order: Int32Array,
    n: number,
    options: ParzenOptions,
    rows: Int32Array | null,
    cache: KernelCache | null,
  ): SortedKernels {
    const arena = this.arena;
    const m = this.m;
    const { low, high } = dim;
    const range = high - low;
    const priorMu = 0.5 * (low + high);

    // μ of every kernel in order, and where the prior sits among them (m: nowhere).
    const mus = arena.floats(m);
    const priorAt = mergeSorted(values, order, n, this.hasPrior ? priorMu : NaN, mus);
    const obs = this.kernelArrays(n, dim);
    const minSigma = options.considerMagicClip ? range / Math.min(100, 1 + m) : EPS;
    const sigmas = arena.floats(m);
    neighbourBandwidths(mus, m, low, high, !options.considerEndpoints, minSigma, range, sigmas);
    // The observation kernels: all but the prior.
    withoutOne(mus, m, priorAt, obs.mu);
    withoutOne(sigmas, m, priorAt, obs.sigma);
    const compute = (i: number): void => kernelConstants(obs, i, dim, options.normalizeKernels);
    if (cache && rows) cache.fill(obs, n, order, rows, compute);
    else for (let i = 0; i < n; i++) compute(i);
    const weight = arena.floats(n);
    gather(this.weights, order, n, weight);

    const count = Math.ceil(n / BLOCK);
    const blocks = {
      muLo: arena.floats(count),
      muHi: arena.floats(count),
      sigmaHi: arena.floats(count),
      logSigmaLo: arena.floats(count),
      constHi: arena.floats(count),
    };
    blockBounds(obs, n, dim.discrete !== 'none', blocks);
    let prior: KernelArrays | null = null;
    if (this.hasPrior) {
      prior = this.kernelArrays(1, dim);
      prior.mu[0] = priorMu;
      prior.sigma[0] = range;
      kernelConstants(prior, 0, dim, options.normalizeKernels);
    }
    return { dim, obs, weight, order, prior, count, ...blocks };
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
      const sorted = this.sorted;
      const positions = sorted ? this.sortedPositions(sorted) : null;
      const n = sorted ? sorted.order.length : 0;
      for (let c = 0; c < count; c++) {
        const j = active[c]!;
        const u = rng.nextFloat();
        if (sorted) {
          // Component j: the prior (index n) or the observation kernel at its sorted position.
          const k = j === n ? sorted.prior! : sorted.obs;
          out[c] = this.draw(sorted.dim, k, j === n ? 0 : positions![j]!, u, outLo, outHi, c);
        } else if (num) {
          out[c] = this.draw(num.dim, num, j, u, outLo, outHi, c);
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

  /** A value from kernel i of k by its quantile u; where its density is measured goes to outLo/outHi[c]. */
  private draw(dim: NumDim, k: KernelArrays, i: number, u: number, outLo: Float64Array, outHi: Float64Array, c: number): number {
    const inv = k.inv[i]!;
    const mu = k.mu[i]!;
    const z = truncnormPpf(u, (dim.low - mu) * inv, (dim.high - mu) * inv, k.logMass[i]!);
    const v = externalValue(dim, mu + k.sigma[i]! * z);
    outLo[c] = evaluationLow(dim, v);
    outHi[c] = evaluationHigh(dim, v);
    return v;
  }

  /** Sorted position of each observation component (the inverse of sorted.order). */
  private sortedPositions(sorted: SortedKernels): Int32Array {
    if (!this.positions) {
      const positions = this.arena.ints(sorted.order.length);
      sorted.order.forEach((j, i) => (positions[j] = i));
      this.positions = positions;
    }
    return this.positions;
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
    if (this.sorted) return this.logPdfBlocks(this.sorted, cand.lo[0]![c]!, cand.hi[0]![c]!);
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
   * block nearest the candidate give a first maximum (step 0); then every
   * block whose bound reaches within LOG_NEGLIGIBLE (+ weight spread) of the
   * maximum is evaluated kernel by kernel (steps 1..count, in block order);
   * the others cannot matter. [lo, hi] is the candidate's interval (discrete)
   * or point (hi = NaN).
   */
  private logPdfBlocks(blocks: SortedKernels, lo: number, hi: number): number {
    this.blockSteps(blocks, lo, hi, 0, blocks.count + 1);
    return this.lseResult();
  }

  // The running log-sum-exp of blockSteps, Σ w·f·exp(t − max), rescaled
  // whenever max grows: [max, sum]. Kept here because a candidate's
  // evaluation may stop after step 0 and be finished later (see bestRatio);
  // in a typed array because number fields written in a hot loop may each
  // cost a heap allocation.
  private readonly lse: Float64Array;

  private lseResult(): number {
    const max = this.lse[0]!;
    if (!(max > -Infinity)) return max;
    return max + Math.log(this.lse[1]!);
  }

  /** Steps [from, to) of logPdfBlocks; step 0 starts the sum, later steps continue it. */
  private blockSteps(blocks: SortedKernels, lo: number, hi: number, from: number, to: number): void {
    const discrete = blocks.dim.discrete !== 'none';
    const logWidth = discrete ? Math.log(hi - lo) : 0;
    const right = discrete ? hi : lo;
    // Discrete terms are kept without their factor near 1, which may add up to log 2.
    const slack = LOG_NEGLIGIBLE + this.logWeightSpread + (discrete ? Math.LN2 : 0);
    if (from === 0) {
      this.lse[0] = -Infinity;
      this.lse[1] = 0;
      if (blocks.prior) {
        this.kernelTerm(blocks.dim, blocks.prior, 0, lo, hi, logWidth);
        this.lse[0] = this.termLog;
        this.lse[1] = this.termLog > -Infinity ? this.weights[blocks.order.length]! * this.termFactor : 0;
      }
    }
    const first = nearestBlock(blocks, lo);
    for (let step = from; step < to; step++) {
      // The nearest block first, then all the others in order.
      const b = step === 0 ? first : step - 1;
      if (step > 0 && b === first) continue;
      if (b >= blocks.count) break;
      const distance = Math.max(0, blocks.muLo[b]! - right, lo - blocks.muHi[b]!);
      const p = distance / blocks.sigmaHi[b]!;
      const bound = discrete
        ? Math.min(0, logWidth - blocks.logSigmaLo[b]! - 0.5 * p * p - LOG_SQRT_2PI) + blocks.constHi[b]!
        : blocks.constHi[b]! - 0.5 * p * p;
      if (bound < this.lse[0]! - slack) continue;
      this.addBlock(blocks, b, lo, hi, logWidth, slack);
    }
  }

  /** Adds block b's terms to the running sum (lse). */
  private addBlock(blocks: SortedKernels, b: number, lo: number, hi: number, logWidth: number, slack: number): void {
    const { mu, inv, logSigma } = blocks.obs;
    const weight = blocks.weight;
    const end = Math.min(blocks.order.length, (b + 1) * BLOCK);
    let max = this.lse[0]!;
    let sum = this.lse[1]!;
    // Two copies of the loop, so that neither tests the kind per kernel.
    if (blocks.dim.discrete !== 'none') {
      const logMass = blocks.obs.logMass;
      for (let i = b * BLOCK; i < end; i++) {
        // As kernelTerm, inlined: this loop is the hot path of discrete parameters.
        const alpha = (lo - mu[i]!) * inv[i]!;
        const beta = (hi - mu[i]!) * inv[i]!;
        const mid = 0.5 * (alpha + beta);
        const series = midpointSeries(mid, 0.5 * (beta - alpha));
        let t: number;
        let factor = 1;
        if (Number.isNaN(series)) {
          t = logGaussMass(alpha, beta) - logMass[i]!;
        } else {
          t = logWidth - logSigma[i]! - 0.5 * mid * mid - LOG_SQRT_2PI - logMass[i]!;
          factor = 1 + series;
        }
        if (t > max) {
          sum = max > -Infinity ? sum * Math.exp(max - t) : 0;
          max = t;
        }
        if (t >= max - slack) sum += weight[i]! * factor * Math.exp(t - max);
      }
    } else {
      const logNorm = blocks.obs.logNorm;
      for (let i = b * BLOCK; i < end; i++) {
        const z = (lo - mu[i]!) * inv[i]!;
        const t = -0.5 * z * z - logNorm[i]!;
        if (t > max) {
          sum = max > -Infinity ? sum * Math.exp(max - t) : 0;
          max = t;
        }
        // (w·1: the factor of a continuous term, left out, changes no bit.)
        if (t >= max - slack) sum += weight[i]! * Math.exp(t - max);
      }
    }
    this.lse[0] = max;
    this.lse[1] = sum;
  }

  /**
   * A lower bound on log g at [lo, hi] given the sum after step 0 (in
   * lse): that sum plus the terms of the blocks next to the nearest
   * one, out to NEAR_SIGMAS bandwidths away — most of the mass of g there.
   */
  private nearLowerBound(blocks: SortedKernels, lo: number, hi: number): number {
    const discrete = blocks.dim.discrete !== 'none';
    const logWidth = discrete ? Math.log(hi - lo) : 0;
    const right = discrete ? hi : lo;
    const first = nearestBlock(blocks, lo);
    const stepMax = this.lse[0]!;
    const stepSum = this.lse[1]!;
    this.lse[0] = -Infinity;
    this.lse[1] = 0;
    for (let b = first - 1; b >= 0 && lo - blocks.muHi[b]! <= NEAR_SIGMAS * blocks.sigmaHi[b]!; b--) {
      this.addBlock(blocks, b, lo, hi, logWidth, Infinity);
    }
    for (let b = first + 1; b < blocks.count && blocks.muLo[b]! - right <= NEAR_SIGMAS * blocks.sigmaHi[b]!; b++) {
      this.addBlock(blocks, b, lo, hi, logWidth, Infinity);
    }
    const near = this.lseResult();
    this.lse[0] = stepMax;
    this.lse[1] = stepSum;
    const step = this.lseResult();
    return near > step ? near + Math.log1p(Math.exp(step - near)) : step + Math.log1p(Math.exp(near - step));
  }

  /**
   * The candidate c with the largest logL[c] − log g(c), g being this
   * estimator: the first of equals, exactly the one that evaluating log g at
   * every candidate and comparing in order would pick. With a block index
   * most candidates need not be evaluated in full: step 0 of the evaluation
   * and the blocks next to it (nearLowerBound) sum part of the positive terms
   * of g(c), a lower bound, so an upper bound on the score; candidates are
   * finished (from step 0 on, as logPdf would evaluate them) in decreasing
   * order of that bound until it falls below the best exact score. Typically
   * one or two of the 24 are finished.
   */
  bestRatio(cand: Candidates, logL: Float64Array, scratch: Arena = this.arena): number {
    const blocks = this.sorted;
    if (!blocks || cand.count === 0) return argmaxDifference(logL, this.logPdf(cand, scratch), cand.count);
    const count = cand.count;
    const lo = cand.lo[0]!;
    const hi = cand.hi[0]!;
    // Step 0 of every candidate; its state is kept to finish it later.
    const upper = scratch.floats(count);
    const savedMax = scratch.floats(count);
    const savedSum = scratch.floats(count);
    let finite = true;
    for (let c = 0; c < count; c++) {
      this.blockSteps(blocks, lo[c]!, hi[c]!, 0, 1);
      savedMax[c] = this.lse[0]!;
      savedSum[c] = this.lse[1]!;
      upper[c] = logL[c]! - this.nearLowerBound(blocks, lo[c]!, hi[c]!);
      if (!Number.isFinite(upper[c]!)) finite = false;
    }
    // Finishes candidate c's evaluation from its step 0: log g(c), as logPdf gives it.
    const finish = (c: number): number => {
      this.lse[0] = savedMax[c]!;
      this.lse[1] = savedSum[c]!;
      this.blockSteps(blocks, lo[c]!, hi[c]!, 1, blocks.count + 1);
      return this.lseResult();
    };
    if (!finite) {
      // Nothing to bound with (an empty sum, an infinite log l): evaluate all.
      const logG = scratch.floats(count);
      for (let c = 0; c < count; c++) logG[c] = finish(c);
      return argmaxDifference(logL, logG, count);
    }
    const byUpper = Array.from({ length: count }, (_, c) => c).sort((a, b) => upper[b]! - upper[a]! || a - b);
    let best = -1;
    let bestScore = -Infinity;
    for (const c of byUpper) {
      // Bound and finished sum differ by terms the bound left out (≥ 0), terms
      // of the nearby blocks the full evaluation leaves out (each below e^-40
      // of its largest term, so n·1e-17 relative in all) and rounding
      // (~1e-16 relative per term): a margin of 1e-9 covers them.
      if (upper[c]! + 1e-9 * (1 + Math.abs(upper[c]!)) < bestScore) break;
      const score = logL[c]! - finish(c);
      if (!Number.isFinite(score)) return argmaxDifference(logL, this.logPdf(cand, scratch), count);
      if (score > bestScore || (score === bestScore && c < best)) {
        bestScore = score;
        best = c;
      }
    }
    return best;
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
  private kernelTerm(dim: NumDim, k: KernelArrays, j: number, lo: number, hi: number, logWidth: number): void {
    const mu = k.mu[j]!;
    const inv = k.inv[j]!;
    if (dim.discrete === 'none') {
      const z = (lo - mu) * inv;
      this.termLog = -0.5 * z * z - k.logNorm[j]!;
      this.termFactor = 1;
      return;
    }
    const alpha = (lo - mu) * inv;
    const beta = (hi - mu) * inv;
    const mid = 0.5 * (alpha + beta);
    const series = midpointSeries(mid, 0.5 * (beta - alpha));
    if (Number.isNaN(series)) {
      this.termLog = logGaussMass(alpha, beta) - k.logMass[j]!;
      this.termFactor = 1;
    } else {
      this.termLog = logWidth - k.logSigma[j]! - 0.5 * mid * mid - LOG_SQRT_2PI - k.logMass[j]!;
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
      const inv = num.inv[j]!;
      const alpha = (lo - num.mu[j]!) * inv;
      const beta = (hi - num.mu[j]!) * inv;
      const mid = 0.5 * (alpha + beta);
      const series = midpointSeries(mid, 0.5 * (beta - alpha));
      // Where the expansion applies 2h·φ(0) < 1, so the bound is 2h·φ(peak), unclipped.
      const peak = Math.min(Math.max(alpha, 0), beta);
      if (!Number.isNaN(series)) {
        log += 0.5 * (peak * peak - mid * mid);
        factor *= 1 + series;
      } else {
        log += logGaussMass(alpha, beta) - massBound(alpha, beta, Math.log(hi - lo) - num.logSigma[j]!);
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
  const { mu, inv, logNorm } = num;
  let best = 0;
  let bestValue = -Infinity;
  for (let j = 0; j < m; j++) {
    const z = (x - mu[j]!) * inv[j]!;
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
  const { mu, inv: invs, logMass, logSigma } = num;
  const logWidth = Math.log(hi - lo);
  let best = 0;
  let bestValue = -Infinity;
  for (let j = 0; j < m; j++) {
    const inv = invs[j]!;
    const bound = massBound((lo - mu[j]!) * inv, (hi - mu[j]!) * inv, logWidth - logSigma[j]!);
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

/** The first c with the largest logL[c] − logG[c] (0 when none is above −∞). */
function argmaxDifference(logL: Float64Array, logG: Float64Array, count: number): number {
  let best = 0;
  let bestScore = -Infinity;
  for (let c = 0; c < count; c++) {
    const score = logL[c]! - logG[c]!;
    if (score > bestScore) {
      bestScore = score;
      best = c;
    }
  }
  return best;
}

/** The block whose span starts last at or before x (0 when none does). */
function nearestBlock(blocks: SortedKernels, x: number): number {
  let first = 0;
  let top = blocks.count - 1;
  while (first < top) {
    const mid = (first + top + 1) >>> 1;
    if (blocks.muLo[mid]! <= x) first = mid;
    else top = mid - 1;
  }
  return first;
}

/**
 * The mixture weights: the observations' weights, then the prior's (null:
 * none), divided by their total, into `weights` with their running sum in
 * `cumulative`. Returns log(max weight / min weight).
 */
function normalizeWeights(raw: Float64Array, n: number, prior: number | null, weights: Float64Array, cumulative: Float64Array): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    weights[i] = raw[i]!;
    total += raw[i]!;
  }
  if (prior !== null) {
    weights[n] = prior;
    total += prior;
  }
  const m = n + (prior !== null ? 1 : 0);
  let cum = 0;
  let wMin = Infinity;
  let wMax = 0;
  for (let j = 0; j < m; j++) {
    const w = weights[j]! / total;
    weights[j] = w;
    cum += w;
    cumulative[j] = cum;
    if (w < wMin) wMin = w;
    if (w > wMax) wMax = w;
  }
  return wMin > 0 ? Math.log(wMax / wMin) : Infinity;
}

