// The constants of a numeric kernel — 1/σ, the log of its truncated mass
// (an erfcx or a log1p), log σ or the log normaliser — depend only on its μ,
// which is the observation's value, and its σ. From one fit to the next few σ
// change (a new observation moves the bandwidths of its neighbours only, once
// the magic clip has settled), so the constants are kept per observation (a
// store row) and reused while σ is the same number. Same inputs, same
// arithmetic: a reused constant has the bits a recomputed one would have.
// One cache per numeric dimension; rows of either group (good or bad) share it.

const INITIAL = 64;

/** Where the constants of one kernel live (the estimator's arrays, one entry per kernel). */
export interface KernelSlots {
  readonly sigma: Float64Array;
  readonly inv: Float64Array;
  readonly logMass: Float64Array;
  readonly logNorm: Float64Array;
  readonly logSigma: Float64Array;
}

export class KernelCache {
  /** σ the constants were computed for; NaN: none yet. */
  private sigma: Float64Array = new Float64Array(INITIAL).fill(NaN);
  private inv: Float64Array = new Float64Array(INITIAL);
  private logMass: Float64Array = new Float64Array(INITIAL);
  /** log normaliser (continuous dimensions) or log σ (discrete ones). */
  private last: Float64Array = new Float64Array(INITIAL);

  constructor(private readonly discrete: boolean) {}

  /** Makes room for rows 0..rows-1. */
  reserve(rows: number): void {
    if (rows <= this.sigma.length) return;
    const size = Math.max(rows, 2 * this.sigma.length);
    const grow = (a: Float64Array, fill: number): Float64Array => {
      const bigger = new Float64Array(size).fill(fill);
      bigger.set(a);
      return bigger;
    };
    this.sigma = grow(this.sigma, NaN);
    this.inv = grow(this.inv, 0);
    this.logMass = grow(this.logMass, 0);
    this.last = grow(this.last, 0);
  }

  /**
   * The constants of kernels 0..n-1 of k, whose μ and σ are set and whose
   * store row is rows[order[i]] (negative: none): copied from the cache where
   * the row's σ is the same, else computed by compute(i) and kept.
   */
  fill(k: KernelSlots, n: number, order: Int32Array, rows: Int32Array, compute: (i: number) => void): void {
    const { sigma, inv, logMass, last } = this;
    const kSigma = k.sigma;
    const kInv = k.inv;
    const kLogMass = k.logMass;
    const kLast = this.discrete ? k.logSigma : k.logNorm;
    for (let i = 0; i < n; i++) {
      const row = rows[order[i]!]!;
      const s = kSigma[i]!;
      if (row >= 0 && sigma[row] === s) {
        kInv[i] = inv[row]!;
        kLogMass[i] = logMass[row]!;
        kLast[i] = last[row]!;
        continue;
      }
      compute(i);
      if (row >= 0) {
        sigma[row] = s;
        inv[row] = kInv[i]!;
        logMass[row] = kLogMass[i]!;
        last[row] = kLast[i]!;
      }
    }
  }
}
