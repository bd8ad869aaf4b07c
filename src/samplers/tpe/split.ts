// The study-level rules of TPE (Optuna 3.x): how many trials form the good
// group, how observations are weighted, and how a finished trial is ranked.

import type { Direction, TpeOptions } from '../../space/spec.js';
import type { FinishedTrial } from '../sampler.js';

/** Size of the good group among n finished trials: min(ceil(gamma·n), gammaMax). */
export function gammaCount(options: TpeOptions, n: number): number {
  // The same floating-point expression as Optuna's default_gamma, so the two agree at every n.
  return Math.min(Math.ceil(options.gamma * n), options.gammaMax);
}

/**
 * Weights of n observations in trial order (Optuna's default_weights): all 1
 * up to 25, beyond that a linear ramp from 1/n up to 1 over the oldest n − 25
 * and 1 for the newest 25. 'uniform' gives all 1.
 */
export function observationWeights(kind: TpeOptions['weights'], n: number, out: Float64Array): void {
  if (kind === 'uniform' || n < 25) {
    out.fill(1, 0, n);
    return;
  }
  // numpy.linspace(1/n, 1, num = n − 25): start + i·step, the last one exactly 1.
  const num = n - 25;
  const start = 1 / n;
  if (num === 1) out[0] = start;
  else {
    const step = (1 - start) / (num - 1);
    for (let i = 0; i < num; i++) out[i] = start + i * step;
    out[num - 1] = 1;
  }
  out.fill(1, num, n);
}

/** How a finished trial is ranked: [step key, signed value], smaller is better; null: ignored. */
export function rankingKey(trial: FinishedTrial, direction: Direction): [number, number] | null {
  const sign = direction === 'minimize' ? 1 : -1;
  if (trial.state === 'complete') {
    // A complete trial without a usable value is a failure (Optuna would not store it).
    if (trial.value === null || Number.isNaN(trial.value)) return null;
    return [-Infinity, sign * trial.value];
  }
  if (trial.state === 'pruned') {
    // Ranked after every complete trial; among pruned ones, those that got
    // further first, then by their value at the last step reported.
    let step = -Infinity;
    let value = NaN;
    for (const [s, v] of trial.intermediate) {
      if (s >= step) {
        step = s;
        value = v;
      }
    }
    if (step === -Infinity) return [1, 0];
    return [-step, Number.isNaN(value) ? Infinity : sign * value];
  }
  return null; // failed trials teach nothing
}
