// The problems of bench:samplers' quality table: the test functions of
// src/trials/functions.ts on their usual domains, and an MLP-like surrogate (a
// closed-form stand-in for "validation loss of a small MLP" over a mixed space:
// log floats, log and plain ints, a stepless float, two categoricals, with the
// interactions practitioners know: the best learning rate grows with the batch
// size, the best dropout with depth; too large a learning rate diverges to a
// plateau). bench/optuna_tpe.py has the same surrogate for the yardstick.

import type { Params, SearchSpace } from '../../src/space/distributions.js';
import { TEST_FUNCTIONS, type TestFunctionName } from '../../src/trials/functions.js';

export interface Problem {
  readonly name: string;
  readonly space: SearchSpace;
  readonly evaluate: (params: Params) => number;
  /** The known minimum (regret = best − optimum). */
  readonly optimum: number;
}

function testFunction(name: TestFunctionName, dims: number): Problem {
  const fn = TEST_FUNCTIONS[name];
  const names = fn.paramNames(dims);
  const space: Record<string, SearchSpace[string]> = {};
  names.forEach((p, i) => {
    const [low, high] = fn.domain(dims)[i]!;
    space[p] = { type: 'float', low, high, log: false, step: null, includeZero: false };
  });
  return { name, space, evaluate: (params) => fn.evaluate(names.map((p) => params[p] as number)), optimum: fn.optimum(dims).value };
}

const ACTIVATION_PENALTY: Record<string, number> = { relu: 0, gelu: -0.005, tanh: 0.03 };

/** The MLP-like surrogate: minimum 0.075 (gelu, 3 layers, lr matched to the batch, wd 1e-4, 256 units, dropout 0.25). */
export function mlpSurrogate(p: Params): number {
  const batch = p.batch_size as number;
  const layers = p.layers as number;
  const a = Math.log10(p.lr as number) + 2.5 - 0.25 * Math.log2(batch / 64);
  if (a > 1.5) return 2.3; // diverged
  const b = Math.log10(p.weight_decay as number) + 4;
  const h = Math.log2(p.hidden as number) - 8;
  const d = (p.dropout as number) - 0.2 - 0.05 * (layers - 2);
  return 0.08 + 0.12 * a * a + 0.02 * b * b + 0.03 * h * h + 0.04 * a * h + 0.2 * d * d + 0.01 * Math.abs(layers - 3) + ACTIVATION_PENALTY[p.activation as string]!;
}

const MLP_SPACE: SearchSpace = {
  lr: { type: 'float', low: 1e-5, high: 1, log: true, step: null, includeZero: false },
  weight_decay: { type: 'float', low: 1e-6, high: 1e-1, log: true, step: null, includeZero: false },
  hidden: { type: 'int', low: 16, high: 1024, log: true, step: 1 },
  dropout: { type: 'float', low: 0, high: 0.7, log: false, step: null, includeZero: false },
  layers: { type: 'int', low: 1, high: 4, log: false, step: 1 },
  batch_size: { type: 'categorical', choices: [16, 32, 64, 128, 256] },
  activation: { type: 'categorical', choices: ['relu', 'tanh', 'gelu'] },
};

export const PROBLEMS: readonly Problem[] = [
  testFunction('branin', 2),
  testFunction('hartmann6', 6),
  testFunction('rosenbrock', 5),
  { name: 'mlp', space: MLP_SPACE, evaluate: mlpSurrogate, optimum: 0.075 },
];
