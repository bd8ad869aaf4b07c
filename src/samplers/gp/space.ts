// The search space as the GP sees it: every searched parameter becomes
// coordinates in [0, 1] (continuous) or a choice index (categorical, compared
// by the kernel's Hamming distance), and back.
//
//   float            (x − low)/(high − low), in log space for log floats;
//   int, step float  the same over [low − step/2, high + step/2] (log ints:
//                    [log(low − ½), log(high + ½)], as the random sampler
//                    draws them), so each value owns an equal slice; the
//                    optimiser works on the relaxation and decode() rounds;
//   log float that may be 0 (includeZero)
//                    a two-way categorical "is zero" plus the log coordinate
//                    (0 when the value is 0: the bottom of the log range);
//   categorical      the choice's index;
//   fixed            no coordinate (decode() puts the value back).

import { quantize, type Distribution, type Params, type ParamValue, type SearchSpace } from '../../space/distributions.js';
import type { RecordedParams } from '../sampler.js';

interface Coordinate {
  readonly name: string;
  readonly dist: Distribution;
  /** 'switch' is includeZero's "is zero" choice, stored next to the value's coordinate. */
  readonly role: 'continuous' | 'categorical' | 'switch';
  /** Internal-scale range of a continuous coordinate (log for log params). */
  readonly lo: number;
  readonly hi: number;
  /** Number of choices of a categorical/switch coordinate. */
  readonly choices: number;
}

function range(dist: Distribution): [number, number] {
  if (dist.type === 'int') {
    return dist.log ? [Math.log(dist.low - 0.5), Math.log(dist.high + 0.5)] : [dist.low - dist.step / 2, dist.high + dist.step / 2];
  }
  if (dist.type === 'float') {
    if (dist.log) return [Math.log(dist.low), Math.log(dist.high)];
    if (dist.step !== null) return [dist.low - dist.step / 2, dist.high + dist.step / 2];
    return [dist.low, dist.high];
  }
  return [0, 1];
}

export class EncodedSpace {
  readonly coords: Coordinate[] = [];
  /** Per coordinate: compared by the Hamming distance. */
  readonly categorical: boolean[] = [];

  constructor(readonly space: SearchSpace) {
    for (const [name, dist] of Object.entries(space)) {
      if (dist.type === 'fixed') continue;
      if (dist.type === 'categorical') {
        this.coords.push({ name, dist, role: 'categorical', lo: 0, hi: 1, choices: dist.choices.length });
        continue;
      }
      if (dist.type === 'float' && dist.includeZero) {
        this.coords.push({ name, dist, role: 'switch', lo: 0, hi: 1, choices: 2 });
      }
      const [lo, hi] = range(dist);
      this.coords.push({ name, dist, role: 'continuous', lo, hi, choices: 0 });
    }
    for (const c of this.coords) this.categorical.push(c.role !== 'continuous');
  }

  get dims(): number {
    return this.coords.length;
  }

  /** Number of choices of categorical coordinate j (0 for continuous ones). */
  choices(j: number): number {
    return this.coords[j]!.choices;
  }

  /**
   * The coordinates of recorded params. A parameter missing or null (inactive
   * in that trial) sits in the middle of its range / at its first choice.
   */
  encode(params: RecordedParams, out: Float64Array = new Float64Array(this.dims)): Float64Array {
    this.coords.forEach((c, j) => {
      const value = params[c.name];
      if (value === undefined || value === null) {
        out[j] = c.role === 'continuous' ? 0.5 : 0;
        return;
      }
      if (c.role === 'categorical') {
        const k = (c.dist as { choices: readonly ParamValue[] }).choices.indexOf(value);
        out[j] = Math.max(0, k);
        return;
      }
      if (c.role === 'switch') {
        out[j] = value === 0 ? 1 : 0;
        return;
      }
      if (typeof value !== 'number' || value === 0) {
        out[j] = 0; // includeZero's 0: the bottom of the log range
        return;
      }
      const internal = c.dist.type !== 'categorical' && c.dist.type !== 'fixed' && c.dist.log ? Math.log(value) : value;
      out[j] = Math.min(1, Math.max(0, (internal - c.lo) / (c.hi - c.lo)));
    });
    return out;
  }

  /** The params of coordinates x (rounded to the parameters' steps, clamped to their ranges). */
  decode(x: ArrayLike<number>): Params {
    const params: Params = {};
    const zero = new Set<string>();
    this.coords.forEach((c, j) => {
      const u = x[j]!;
      if (c.role === 'categorical') {
        params[c.name] = (c.dist as { choices: readonly ParamValue[] }).choices[Math.round(u)]!;
      } else if (c.role === 'switch') {
        if (Math.round(u) === 1) zero.add(c.name);
      } else {
        params[c.name] = this.value(c.dist, c.lo + Math.min(1, Math.max(0, u)) * (c.hi - c.lo));
      }
    });
    const ordered: Params = {};
    for (const [name, dist] of Object.entries(this.space)) {
      ordered[name] = dist.type === 'fixed' ? dist.value : zero.has(name) ? 0 : params[name]!;
    }
    return ordered;
  }

  /** A value of an int/float distribution from its internal-scale coordinate. */
  private value(dist: Distribution, internal: number): number {
    if (dist.type === 'int') {
      const raw = dist.log ? Math.exp(internal) : internal;
      const k = Math.round((raw - dist.low) / dist.step);
      return Math.min(dist.high, Math.max(dist.low, dist.low + k * dist.step));
    }
    if (dist.type !== 'float') throw new Error('unreachable');
    const raw = dist.log ? Math.exp(internal) : internal;
    if (dist.step !== null) {
      const k = Math.round((raw - dist.low) / dist.step);
      return quantize(dist, dist.low + k * dist.step);
    }
    return Math.min(dist.high, Math.max(dist.low, raw));
  }
}
