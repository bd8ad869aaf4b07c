// Bayesian optimisation with a Gaussian process (sampler type `gp`), in the
// manner of Optuna's GPSampler:
//   - the first nStartupTrials trials are random (the same draws as the random
//     sampler and TPE's startup);
//   - then the complete trials, encoded into [0, 1] (space.ts), with their
//     values negated when minimising (larger is better), warped by a power
//     transform chosen by maximum likelihood (log-like for objectives that
//     span orders of magnitude, as HEBO does; see warp()) and standardised,
//     fit a Matérn-5/2 ARD GP by maximum a posteriori (likelihood.ts);
//   - running trials enter as fantasies ("kriging believer"): each is added at
//     its posterior mean, which shrinks the variance around it so that
//     concurrent asks spread out; the kernel parameters stay those of the fit;
//   - the next point maximises log EI (acquisition.ts, optimize.ts).
// Deterministic: the fit is a pure function of the complete trials (sorted by
// number; its starts are fixed), and the acquisition's random points come from
// rngFor(seed, trial, sampler). It is cached between asks until the next tell.

import type { Distribution, Params, ParamValue, SearchSpace } from '../../space/distributions.js';
import { DEFAULT_TPE_OPTIONS, type Direction, type GpOptions } from '../../space/spec.js';
import { Errors } from '../../errors.js';
import { activeOnly, hasConditions } from '../../space/conditions.js';
import { randomParams } from '../random.js';
import { Stream, rngFor } from '../rng.js';
import type { FinishedTrial, RecordedParams, Sampler, TrialSnapshot } from '../sampler.js';
import { TpeSampler } from '../tpe/sampler.js';
import { Posterior } from './acquisition.js';
import type { Inputs, KernelParams } from './kernel.js';
import { condition, fitKernel, type Fitted } from './likelihood.js';
import { maximizeLogEi, type AcqOptions } from './optimize.js';
import { EncodedSpace } from './space.js';

interface Model {
  readonly fitted: Fitted;
  /** Best standardised observation (larger is better). */
  readonly best: number;
  /** Coordinates of the best few observations (starts of the acquisition's local searches). */
  readonly topObserved: Float64Array[];
}

/**
 * A monotone power warping of the values (larger is better), chosen by maximum
 * likelihood as a Box-Cox transform: the shortfall x = (best − r)/median of
 * it, then ((1 + x)^λ − 1)/λ with λ in [−1, 1] picked from a grid by the
 * normal log likelihood (λ = 1: no change; λ → 0: log1p). Objectives that
 * span orders of magnitude (Rosenbrock) get a log-like scale, others stay.
 */
export function warp(raw: readonly number[]): number[] {
  const n = raw.length;
  const top = Math.max(...raw);
  const short = raw.map((r) => top - r);
  const sorted = [...short].sort((a, b) => a - b);
  const scale = sorted[Math.floor(n / 2)]! || sorted[n - 1]! || 1;
  const x = short.map((v) => v / scale);
  const logs = x.map((v) => Math.log1p(v));
  const sumLog = logs.reduce((a, b) => a + b, 0);
  const transform = (lambda: number): number[] =>
    Math.abs(lambda) < 1e-9 ? logs : x.map((v) => (Math.exp(lambda * Math.log1p(v)) - 1) / lambda);
  let bestLambda = 1;
  let bestLl = -Infinity;
  for (let k = -20; k <= 20; k++) {
    const lambda = k / 20;
    const w = transform(lambda);
    const mean = w.reduce((a, b) => a + b, 0) / n;
    const variance = w.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
    if (!(variance > 0)) continue;
    const ll = -0.5 * n * Math.log(variance) + (lambda - 1) * sumLog;
    if (ll > bestLl) {
      bestLl = ll;
      bestLambda = lambda;
    }
  }
  return transform(bestLambda).map((v) => -v);
}

/** Values standardised to mean 0 and standard deviation 1 (a constant: all 0). */
function standardize(raw: readonly number[]): Float64Array {
  const n = raw.length;
  const mean = raw.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(raw.reduce((a, b) => a + (b - mean) ** 2, 0) / n) || 1;
  return Float64Array.from(raw, (v) => (v - mean) / sd);
}

// The kernel parameters are refitted at every complete trial up to
// REFIT_ALWAYS, then each time the number of complete trials has grown by
// REFIT_GROWTH (25, 28, 31, 35, …), on at most FIT_MAX_POINTS trials: the
// fit costs O(n³) per likelihood evaluation and dozens of evaluations, while
// conditioning on every trial costs one O(n³) factorisation per ask.
const REFIT_ALWAYS = 25;
const REFIT_GROWTH = 1.1;
const FIT_MAX_POINTS = 100;

/** Number of complete trials (the first by trial number) the fit uses when n are complete. */
export function fitCount(n: number): number {
  if (n <= REFIT_ALWAYS) return n;
  let m = REFIT_ALWAYS;
  while (Math.ceil(m * REFIT_GROWTH) <= n) m = Math.ceil(m * REFIT_GROWTH);
  return m;
}

/**
 * Rows (indices into the trials by number) the kernel fit uses: the first
 * fitCount(n); beyond FIT_MAX_POINTS, the best half of those plus the rest
 * evenly spaced, so that the fit sees both the region of the optimum and the
 * whole space.
 */
function fitSubset(n: number, y: Float64Array): number[] {
  const m = fitCount(n);
  const first = Array.from({ length: m }, (_, i) => i);
  if (m <= FIT_MAX_POINTS) return first;
  const byValue = [...first].sort((a, b) => y[b]! - y[a]! || a - b);
  const best = byValue.slice(0, FIT_MAX_POINTS / 2);
  const rest = byValue.slice(FIT_MAX_POINTS / 2).sort((a, b) => a - b);
  const spaced = Array.from({ length: FIT_MAX_POINTS / 2 }, (_, k) => rest[Math.floor((k * rest.length) / (FIT_MAX_POINTS / 2))]!);
  return [...best, ...spaced].sort((a, b) => a - b);
}

/** Acquisition effort: fewer random points once each costs O(n²). */
function acqOptions(n: number): AcqOptions {
  return { candidates: n <= 50 ? 512 : 256, randomStarts: 3, observedStarts: 1 };
}

export class GpSampler implements Sampler {
  readonly type = 'gp' as const;
  readonly capacity = Infinity;
  private readonly encoded: EncodedSpace;
  private readonly conditional: boolean;
  private readonly told = new Map<number, FinishedTrial>();
  private model: Model | null = null;
  private kernel: { key: string; params: KernelParams } | null = null;
  /** Define-by-run parameters, one at a time: TPE's univariate model (see sampleParam). */
  private readonly univariate: TpeSampler;

  constructor(
    private readonly space: SearchSpace,
    private readonly direction: Direction,
    private readonly seed: number,
    private readonly options: GpOptions,
  ) {
    this.encoded = new EncodedSpace(space);
    this.conditional = hasConditions(space);
    this.univariate = new TpeSampler(space, direction, seed, DEFAULT_TPE_OPTIONS);
  }

  tell(trial: FinishedTrial): void {
    if (this.told.has(trial.number)) throw Errors.trialToldTwice(trial.number);
    this.told.set(trial.number, trial);
    this.univariate.tell(trial);
    if (trial.state === 'complete') this.model = null;
  }

  /**
   * Define-by-run: a GP needs whole points, so a parameter asked for on its
   * own is sampled by TPE's univariate model over the same told trials
   * (random draws before TPE's startup trials), as Optuna's GPSampler falls
   * back to its independent sampler.
   */
  sampleParam(trialNumber: number, name: string, distribution: Distribution, running: readonly TrialSnapshot[], soFar: RecordedParams): ParamValue {
    return this.univariate.sampleParam(trialNumber, name, distribution, running, soFar);
  }

  /** Complete trials with a finite value, by trial number. */
  private complete(): FinishedTrial[] {
    return [...this.told.values()]
      .filter((t) => t.state === 'complete' && t.value !== null && Number.isFinite(t.value))
      .sort((a, b) => a.number - b.number);
  }

  /** The same test as ask()'s: random draws until the startup trials are complete. */
  madeBy(): string {
    return this.startup(this.complete().length) ? 'gp (startup: random)' : 'gp';
  }

  private startup(complete: number): boolean {
    return complete < Math.max(this.options.nStartupTrials, 2) || this.encoded.dims === 0;
  }

  ask(trialNumber: number, running: readonly TrialSnapshot[]): Params {
    const rng = rngFor(this.seed, trialNumber, Stream.sampler);
    const done = this.complete();
    if (this.startup(done.length)) return randomParams(this.space, rng);
    const model = this.fit(done);
    const post = new Posterior(this.withFantasies(model.fitted, running));
    const x = maximizeLogEi(post, this.encoded, model.best, model.topObserved, rng, acqOptions(post.fitted.inputs.n));
    // Conditional spaces: the GP sees one flat space (inactive parameters sit
    // mid-range); the suggestion keeps only the parameters its choices activate.
    return this.conditional ? activeOnly(this.space, this.encoded.decode(x)) : this.encoded.decode(x);
  }

  /** The model of the complete trials (cached until the next tell of a complete trial). */
  private fit(done: FinishedTrial[]): Model {
    if (this.model) return this.model;
    const d = this.encoded.dims;
    const n = done.length;
    const X = new Float64Array(n * d);
    const raw = done.map((t) => (this.direction === 'minimize' ? -t.value! : t.value!));
    done.forEach((t, i) => this.encoded.encode(t.params, X.subarray(i * d, (i + 1) * d)));
    // Warped, then standardised: the GP models the warped values; EI looks for
    // the best of those, which is the best of the values (warp is monotone).
    const y = standardize(warp(raw));
    const inputs: Inputs = { n, d, X, categorical: this.encoded.categorical };
    const params = this.kernelParams(done, inputs, y);
    const order = [...y.keys()].sort((a, b) => y[b]! - y[a]! || a - b);
    this.model = {
      fitted: condition(inputs, y, params),
      best: y[order[0]!]!,
      topObserved: order.slice(0, 2).map((i) => X.slice(i * d, (i + 1) * d)),
    };
    return this.model;
  }

  /**
   * The kernel parameters, fitted on the trials fitSubset() picks and reused
   * until that subset changes (the fit is a pure function of it).
   */
  private kernelParams(done: FinishedTrial[], inputs: Inputs, y: Float64Array): KernelParams {
    const rows = fitSubset(done.length, y);
    const key = rows.map((i) => done[i]!.number).join(',');
    if (this.kernel?.key === key) return this.kernel.params;
    const { d, X, categorical } = inputs;
    const Xs = new Float64Array(rows.length * d);
    rows.forEach((i, r) => Xs.set(X.subarray(i * d, (i + 1) * d), r * d));
    const ys = Float64Array.from(rows, (i) => y[i]!);
    const params = fitKernel({ n: rows.length, d, X: Xs, categorical }, ys, { deterministic: this.options.deterministicObjective });
    this.kernel = { key, params };
    return params;
  }

  /** The model with the running trials added at their posterior means (kriging believer). */
  private withFantasies(fitted: Fitted, running: readonly TrialSnapshot[]): Fitted {
    if (running.length === 0) return fitted;
    const { n, d, X, categorical } = fitted.inputs;
    const pending = [...running].sort((a, b) => a.number - b.number);
    const post = new Posterior(fitted);
    const m = pending.length;
    const Xa = new Float64Array((n + m) * d);
    Xa.set(X);
    const ya = new Float64Array(n + m);
    ya.set(fitted.y);
    pending.forEach((r, i) => {
      const x = this.encoded.encode(r.params, Xa.subarray((n + i) * d, (n + i + 1) * d));
      ya[n + i] = post.at(x).mean;
    });
    return condition({ n: n + m, d, X: Xa, categorical }, ya, fitted.params);
  }
}
