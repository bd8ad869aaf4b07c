// Joint (multivariate) kernels with neighbour bandwidths (jointBandwidth:
// 'neighbour', Optuna >= 5.0's multivariate TPE): each observation's σ in a
// numeric dimension is the univariate estimator's σ of it, not one Scott's
// rule σ for the whole group. Checked against a hand-computed 2-D mixture,
// against the univariate estimator on one dimension, and that the sampler
// uses it with group: true only (plain multivariate keeps Optuna 3.1's).
import { describe, expect, it } from 'vitest';
import { CONDITIONAL_SPACE, conditionalValue } from '../bench/samplers-conditional-space.js';
import { Arena } from '../src/samplers/tpe/arena.js';
import { buildDims, type Dim } from '../src/samplers/tpe/dims.js';
import { ParzenEstimator, type Candidates, type ObservationGroup, type ParzenOptions } from '../src/samplers/tpe/parzen-estimator.js';
import { TpeSampler, type TpeSamplerOptions } from '../src/samplers/tpe/sampler.js';
import { logGaussMass } from '../src/samplers/tpe/truncnorm.js';
import type { Params, SearchSpace } from '../src/space/distributions.js';
import { DEFAULT_TPE_OPTIONS } from '../src/space/spec.js';

const options: ParzenOptions = {
  considerPrior: true,
  priorWeight: 1,
  considerMagicClip: true,
  considerEndpoints: false,
  multivariate: true,
  normalizeKernels: true,
  jointBandwidth: 'neighbour',
};
const float = { type: 'float' as const, low: 0, high: 10, log: false, step: null, includeZero: false };
const space: SearchSpace = { x: float, y: float, k: { type: 'int', low: 0, high: 10, log: false, step: 1 } };
const [xDim, yDim, kDim] = buildDims(space) as [Dim, Dim, Dim];

const group = (columns: number[][]): ObservationGroup => ({
  n: columns[0]!.length,
  values: columns.map((c) => Float64Array.from(c)),
  order: columns.map((c) => Int32Array.from(c.map((_, i) => i).sort((a, b) => c[a]! - c[b]! || a - b))),
  weights: new Float64Array(columns[0]!.length).fill(1),
  rows: null,
  cache: null,
});
const points = (dims: Dim[], columns: number[][]): Candidates => ({
  count: columns[0]!.length,
  values: columns.map((c) => Float64Array.from(c)),
  lo: columns.map((c, d) => Float64Array.from(c, (v) => (dims[d]!.kind === 'num' && dims[d]!.discrete === 'step' ? v - 0.5 : v))),
  hi: columns.map((c, d) => Float64Array.from(c, (v) => (dims[d]!.kind === 'num' && dims[d]!.discrete === 'step' ? v + 0.5 : NaN))),
});

describe('joint kernels with neighbour bandwidths', () => {
  it('match the hand-computed 2-D mixture', () => {
    // x: 1, 2, 8 and the prior 5, sorted 1, 2, 5, 8: σ = larger neighbour gap,
    // the outer two their inner gap (no consider_endpoints): 1, 3, 3; magic
    // clip to >= 10 / min(100, 1 + 4) = 2: x σ 2, 3, 3. y: 9, 1, 4, sorted
    // 1, 4, 5, 9: 3, 3, 4 → y σ 4, 3, 3 by observation. The prior: σ 10 at 5.
    // (Scott's rule: 0.2·3^(−1/6)·10 ≈ 1.66, clipped to 2 in both.)
    const mu = [[1, 2, 8, 5], [9, 1, 4, 5]];
    const sigma = [[2, 3, 3, 10], [4, 3, 3, 10]];
    const at = [4, 5];
    let density = 0;
    for (let j = 0; j < 4; j++) {
      let term = 1 / 4;
      for (let d = 0; d < 2; d++) {
        const [m, s] = [mu[d]![j]!, sigma[d]![j]!];
        const z = (at[d]! - m) / s;
        term *= Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI) / s / Math.exp(logGaussMass((0 - m) / s, (10 - m) / s));
      }
      density += term;
    }
    const obs = group([[1, 2, 8], [9, 1, 4]]);
    const pe = new ParzenEstimator([xDim, yDim], obs, options, new Arena());
    const x = points([xDim, yDim], [[at[0]!], [at[1]!]]);
    expect(pe.logPdf(x)[0]).toBeCloseTo(Math.log(density), 12);
    const scott = new ParzenEstimator([xDim, yDim], obs, { ...options, jointBandwidth: 'scott' }, new Arena());
    expect(Math.abs(scott.logPdf(x)[0]! - Math.log(density))).toBeGreaterThan(1e-3);
  });

  it.each([
    ['float', xDim, [0.5, 2, 2.2, 7.5, 3, 9.9, 4]],
    ['int', kDim, [0, 2, 2, 7, 3, 10, 4, 4, 5]],
  ] as const)('on one %s dimension equal the univariate estimator', (_, dim, values) => {
    for (const normalizeKernels of [true, false]) {
      const obs = group([[...values]]);
      const joint = new ParzenEstimator([dim], obs, { ...options, normalizeKernels }, new Arena());
      const uni = new ParzenEstimator([dim], obs, { ...options, normalizeKernels, multivariate: false }, new Arena());
      const x = points([dim], [[0, 1, 2, 3, 5, 6, 8, 10]]);
      const a = joint.logPdf(x);
      const b = uni.logPdf(x);
      a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 12));
    }
  });
});

describe('the sampler', () => {
  const run = (options: Partial<TpeSamplerOptions>): Params[] => {
    const tpe = new TpeSampler(CONDITIONAL_SPACE, 'minimize', 3, { ...DEFAULT_TPE_OPTIONS, constantLiar: false, ...options });
    const out: Params[] = [];
    for (let n = 0; n < 30; n++) {
      const params = tpe.ask(n, []);
      tpe.tell({ number: n, state: 'complete', params, value: conditionalValue(params), intermediate: [] });
      out.push(params);
    }
    return out;
  };

  it('group: true draws with neighbour bandwidths, plain multivariate with Scott bandwidths (Optuna 3.1)', () => {
    const group = run({ multivariate: true, group: true });
    expect(group).toEqual(run({ multivariate: true, group: true, jointBandwidth: 'neighbour' }));
    expect(group).not.toEqual(run({ multivariate: true, group: true, jointBandwidth: 'scott' }));
    const plain = run({ multivariate: true, group: false });
    expect(plain).toEqual(run({ multivariate: true, group: false, jointBandwidth: 'scott' }));
    expect(plain).not.toEqual(run({ multivariate: true, group: false, jointBandwidth: 'neighbour' }));
  });
});
