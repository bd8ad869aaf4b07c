// Maximising the acquisition over the encoded space (as Optuna's GPSampler
// and BoTorch's optimize_acqf do it, in small): score many random points,
// then climb from the best of them and from the best observations with the
// bounded quasi-Newton minimiser on the continuous coordinates; categorical
// coordinates are improved by trying each of their choices in turn.

import type { Rng } from '../rng.js';
import { logEi, type Posterior } from './acquisition.js';
import { minimizeBox } from './lbfgsb.js';
import type { EncodedSpace } from './space.js';

export interface AcqOptions {
  /** Random points scored before the local searches. */
  readonly candidates: number;
  /** Local searches from the best random points … */
  readonly randomStarts: number;
  /** … and from the best observations. */
  readonly observedStarts: number;
}

interface Point {
  x: Float64Array;
  value: number;
}

/** Local search: continuous coordinates by the minimiser, then one pass over each categorical's choices. */
function climb(post: Posterior, space: EncodedSpace, best: number, start: Float64Array): Point {
  const d = space.dims;
  const free: number[] = [];
  for (let j = 0; j < d; j++) if (!space.categorical[j]) free.push(j);
  const x = Float64Array.from(start);
  const full = new Float64Array(d);
  const climbContinuous = (): number => {
    if (free.length === 0) return logEi(post, x, best);
    const lower = new Float64Array(free.length);
    const upper = new Float64Array(free.length).fill(1);
    const objective = (u: Float64Array, grad: Float64Array): number => {
      for (let f = 0; f < free.length; f++) x[free[f]!] = u[f]!;
      const value = logEi(post, x, best, full);
      for (let f = 0; f < free.length; f++) grad[f] = -full[free[f]!]!;
      return -value;
    };
    const u0 = Float64Array.from(free, (j) => x[j]!);
    const result = minimizeBox(objective, u0, lower, upper, { maxIterations: 25, gradientTolerance: 1e-5, relativeTolerance: 1e-9 });
    for (let f = 0; f < free.length; f++) x[free[f]!] = result.x[f]!;
    return -result.value;
  };
  let value = climbContinuous();
  for (let round = 0; round < 2; round++) {
    let improved = false;
    for (let j = 0; j < d; j++) {
      if (!space.categorical[j]) continue;
      const current = x[j]!;
      let bestChoice = current;
      for (let c = 0; c < space.choices(j); c++) {
        if (c === current) continue;
        x[j] = c;
        const v = logEi(post, x, best);
        if (v > value) {
          value = v;
          bestChoice = c;
          improved = true;
        }
      }
      x[j] = bestChoice;
    }
    if (!improved) break;
    value = climbContinuous();
  }
  return { x, value };
}

/** The point of the encoded space with the highest log EI found. */
export function maximizeLogEi(
  post: Posterior,
  space: EncodedSpace,
  best: number,
  observedBest: readonly Float64Array[],
  rng: Rng,
  options: AcqOptions,
): Float64Array {
  const d = space.dims;
  const scored: Point[] = [];
  for (let c = 0; c < options.candidates; c++) {
    const x = new Float64Array(d);
    for (let j = 0; j < d; j++) x[j] = space.categorical[j] ? rng.nextInt(space.choices(j)) : rng.nextFloat();
    scored.push({ x, value: logEi(post, x, best) });
  }
  // Stable order: by value, then by draw order (sort is stable in V8).
  scored.sort((a, b) => b.value - a.value);
  const starts = [...scored.slice(0, options.randomStarts).map((p) => p.x), ...observedBest.slice(0, options.observedStarts)];
  let winner: Point = scored[0] ?? { x: starts[0]!, value: -Infinity };
  for (const start of starts) {
    const p = climb(post, space, best, start);
    if (p.value > winner.value) winner = p;
  }
  return winner.x;
}
