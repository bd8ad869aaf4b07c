// Bayesian optimisation with a Gaussian process (sampler type `gp`), in the
// manner of Optuna's GPSampler:
//   - the first nStartupTrials trials are random (the same draws as the random
//     sampler and TPE's startup);
//   - then the complete trials, encoded into [0, 1] (space.ts), with their
//     values standardised (and negated when minimising, so larger is better),
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
import { randomParams } from '../random.js';
import { Stream, rngFor } from '../rng.js';
import type { FinishedTrial, RecordedParams, Sampler, TrialSnapshot } from '../sampler.js';
import { TpeSampler } from '../tpe/sampler.js';
import { Posterior } from './acquisition.js';
import type { Inputs } from './kernel.js';
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

/** Acquisition effort: fewer random points once each costs O(n²). */
function acqOptions(n: number): AcqOptions {
  return { candidates: n <= 100 ? 1024 : n <= 200 ? 512 : 256, randomStarts: 4, observedStarts: 2 };
}

export class GpSampler implements Sampler {
  readonly type = 'gp' as const;
  readonly capacity = Infinity;
  private readonly encoded: EncodedSpace;
  private readonly told = new Map<number, FinishedTrial>();
  private model: Model | null = null;
  /** Define-by-run parameters, one at a time: TPE's univariate model (see sampleParam). */
  private readonly univariate: TpeSampler;

  constructor(
    private readonly space: SearchSpace,
    private readonly direction: Direction,
    private readonly seed: number,
    private readonly options: GpOptions,
  ) {
    this.encoded = new EncodedSpace(space);
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

  ask(trialNumber: number, running: readonly TrialSnapshot[]): Params {
    const rng = rngFor(this.seed, trialNumber, Stream.sampler);
    const done = this.complete();
    if (done.length < Math.max(this.options.nStartupTrials, 2) || this.encoded.dims === 0) return randomParams(this.space, rng);
    const model = this.fit(done);
    const post = new Posterior(this.withFantasies(model.fitted, running));
    const x = maximizeLogEi(post, this.encoded, model.best, model.topObserved, rng, acqOptions(post.fitted.inputs.n));
    return this.encoded.decode(x);
  }

  /** The model of the complete trials (cached until the next tell of a complete trial). */
  private fit(done: FinishedTrial[]): Model {
    if (this.model) return this.model;
    const d = this.encoded.dims;
    const n = done.length;
    const X = new Float64Array(n * d);
    const raw = done.map((t) => (this.direction === 'minimize' ? -t.value! : t.value!));
    done.forEach((t, i) => this.encoded.encode(t.params, X.subarray(i * d, (i + 1) * d)));
    const mean = raw.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(raw.reduce((a, b) => a + (b - mean) ** 2, 0) / n) || 1;
    const y = Float64Array.from(raw, (v) => (v - mean) / sd);
    const inputs: Inputs = { n, d, X, categorical: this.encoded.categorical };
    const params = fitKernel(inputs, y, { deterministic: this.options.deterministicObjective });
    const order = [...y.keys()].sort((a, b) => y[b]! - y[a]! || a - b);
    this.model = {
      fitted: condition(inputs, y, params),
      best: y[order[0]!]!,
      topObserved: order.slice(0, 2).map((i) => X.slice(i * d, (i + 1) * d)),
    };
    return this.model;
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
