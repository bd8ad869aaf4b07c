// How TPE sees each parameter: one or two "dimensions" in an internal scale
// where the Parzen kernels live (Optuna's _transform_to_uniform and
// _calculate_parzen_bounds):
//   float            x, kernels on [low, high]
//   float log        log x, on [log low, log high]
//   float step q     x, on [low − q/2, high + q/2], suggestions rounded to the step
//   int step q       same as a stepped float
//   int log          log x, on [log(low − ½), log(high + ½)], suggestions rounded
//   categorical      index of the choice
//   float log with include_zero
//                    a two-way categorical switch (0: a log value, 1: zero)
//                    followed by the log float, active only when the switch is 0
// Fixed parameters have no dimension.

import {
  contains,
  quantize,
  type Distribution,
  type FloatDistribution,
  type IntDistribution,
  type Scalar,
  type SearchSpace,
} from '../../space/distributions.js';

export interface NumDim {
  readonly kind: 'num';
  readonly param: string;
  readonly dist: FloatDistribution | IntDistribution;
  /** Kernel bounds in the internal scale. */
  readonly low: number;
  readonly high: number;
  /** 'step': values on a grid of spacing q; 'intlog': integers on a log scale; 'none': continuous. */
  readonly discrete: 'none' | 'step' | 'intlog';
  readonly q: number;
  /** Only active when the include_zero switch before it says "not zero". */
  readonly conditional: boolean;
}

export interface CatDim {
  readonly kind: 'cat';
  readonly param: string;
  readonly size: number;
  /** 'choice': a categorical parameter; 'zero-switch': the hidden switch of include_zero. */
  readonly role: 'choice' | 'zero-switch';
  readonly choices: readonly Scalar[];
}

export type Dim = NumDim | CatDim;

function numDim(param: string, dist: FloatDistribution | IntDistribution, conditional: boolean): NumDim {
  if (dist.log) {
    return dist.type === 'int'
      ? { kind: 'num', param, dist, low: Math.log(dist.low - 0.5), high: Math.log(dist.high + 0.5), discrete: 'intlog', q: 0, conditional }
      : { kind: 'num', param, dist, low: Math.log(dist.low), high: Math.log(dist.high), discrete: 'none', q: 0, conditional };
  }
  const q = dist.type === 'int' ? dist.step : dist.step;
  if (q !== null) {
    return { kind: 'num', param, dist, low: dist.low - 0.5 * q, high: dist.high + 0.5 * q, discrete: 'step', q, conditional };
  }
  return { kind: 'num', param, dist, low: dist.low, high: dist.high, discrete: 'none', q: 0, conditional };
}

/** The dimensions of a space, in parameter order. */
export function buildDims(space: SearchSpace): Dim[] {
  const dims: Dim[] = [];
  for (const [param, dist] of Object.entries(space)) {
    switch (dist.type) {
      case 'fixed':
        break;
      case 'categorical':
        dims.push({ kind: 'cat', param, size: dist.choices.length, role: 'choice', choices: dist.choices });
        break;
      case 'int':
        dims.push(numDim(param, dist, false));
        break;
      case 'float':
        if (dist.includeZero) {
          dims.push({ kind: 'cat', param, size: 2, role: 'zero-switch', choices: [false, true] });
          dims.push(numDim(param, dist, true));
        } else {
          dims.push(numDim(param, dist, false));
        }
        break;
    }
  }
  return dims;
}

/** A recorded parameter value in a dimension's internal scale; NaN when inactive or invalid. */
export function internalValue(dim: Dim, dist: Distribution, value: unknown): number {
  if (value === undefined || value === null || !contains(dist, value)) return NaN;
  if (dim.kind === 'cat') {
    if (dim.role === 'zero-switch') return value === 0 ? 1 : 0;
    return dim.choices.indexOf(value as Scalar);
  }
  const v = value as number;
  if (dim.conditional && v === 0) return NaN;
  return dim.dist.log ? Math.log(v) : v;
}

/** The suggestion for an internal-scale sample: rounded to the step/integers and clipped, as Optuna does. */
export function externalValue(dim: NumDim, x: number): number {
  const d = dim.dist;
  if (dim.discrete === 'intlog') return Math.min(d.high, Math.max(d.low, Math.round(Math.exp(x))));
  if (dim.discrete === 'step') {
    const v = Math.min(d.high, Math.max(d.low, Math.round((x - d.low) / dim.q) * dim.q + d.low));
    return d.type === 'float' ? quantize(d, v) : v;
  }
  if (d.log) return Math.min(d.high, Math.max(d.low, Math.exp(x)));
  return Math.min(d.high, Math.max(d.low, x));
}

/**
 * Where the density of a suggestion is measured, in the internal scale: the
 * point itself for continuous dimensions (hi = NaN), or the interval of values
 * that round to it for discrete ones.
 */
export function evaluationInterval(dim: NumDim, v: number): [number, number] {
  return [evaluationLow(dim, v), evaluationHigh(dim, v)];
}

/** The lower end of evaluationInterval (no array: the sampler calls it for every candidate). */
export function evaluationLow(dim: NumDim, v: number): number {
  if (dim.discrete === 'intlog') return Math.log(v - 0.5);
  if (dim.discrete === 'step') return v - 0.5 * dim.q;
  return dim.dist.log ? Math.log(v) : v;
}

/** The upper end of evaluationInterval (NaN: a point). */
export function evaluationHigh(dim: NumDim, v: number): number {
  if (dim.discrete === 'intlog') return Math.log(v + 0.5);
  if (dim.discrete === 'step') return v + 0.5 * dim.q;
  return NaN;
}
