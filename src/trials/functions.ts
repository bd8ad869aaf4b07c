// Built-in test functions for checking and benchmarking samplers without
// training anything: `objective: {function: branin | hartmann6 | rosenbrock}`.
// Definitions and optima as in the usual optimisation test suites (e.g.
// Surjanovic & Bingham, "Virtual Library of Simulation Experiments"). All are
// minimised.

export interface TestFunction {
  /** Parameter names for `dims` dimensions (x1, x2, …). */
  paramNames(dims: number): string[];
  /** The usual search domain, one [low, high] per parameter. */
  domain(dims: number): Array<[number, number]>;
  /** Dimensions used when the space file gives none; null when fixed by the function. */
  readonly defaultDims: number;
  /** Whether the number of dimensions can be chosen (`dims` in the space file). */
  readonly variableDims: boolean;
  /** The known global minimum and one point where it is reached. */
  optimum(dims: number): { value: number; at: number[] };
  evaluate(x: readonly number[]): number;
}

const names = (dims: number): string[] => Array.from({ length: dims }, (_, i) => `x${i + 1}`);

/** Branin–Hoo on [-5, 10] × [0, 15]; minimum 5/(4π) ≈ 0.397887 at three points. */
const branin: TestFunction = {
  paramNames: () => names(2),
  domain: () => [
    [-5, 10],
    [0, 15],
  ],
  defaultDims: 2,
  variableDims: false,
  optimum: () => ({ value: 5 / (4 * Math.PI), at: [Math.PI, 2.275] }),
  evaluate([x1 = NaN, x2 = NaN]) {
    const b = 5.1 / (4 * Math.PI * Math.PI);
    const c = 5 / Math.PI;
    const t = 1 / (8 * Math.PI);
    const u = x2 - b * x1 * x1 + c * x1 - 6;
    return u * u + 10 * (1 - t) * Math.cos(x1) + 10;
  },
};

// Hartmann 6-D constants (alpha, A, P·10^4).
const H6_ALPHA = [1.0, 1.2, 3.0, 3.2];
const H6_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H6_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
];

/** Hartmann 6-D on [0, 1]^6; minimum ≈ -3.32237. */
const hartmann6: TestFunction = {
  paramNames: () => names(6),
  domain: () => names(6).map(() => [0, 1] as [number, number]),
  defaultDims: 6,
  variableDims: false,
  optimum: () => ({ value: -3.322368011415515, at: [0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573] }),
  evaluate(x) {
    let sum = 0;
    for (let i = 0; i < 4; i++) {
      let inner = 0;
      for (let j = 0; j < 6; j++) {
        const d = (x[j] ?? NaN) - H6_P[i]![j]! * 1e-4;
        inner += H6_A[i]![j]! * d * d;
      }
      sum += H6_ALPHA[i]! * Math.exp(-inner);
    }
    return -sum;
  },
};

/** Rosenbrock in d >= 2 dimensions on [-5, 10]^d; minimum 0 at (1, …, 1). */
const rosenbrock: TestFunction = {
  paramNames: names,
  domain: (dims) => names(dims).map(() => [-5, 10] as [number, number]),
  defaultDims: 2,
  variableDims: true,
  optimum: (dims) => ({ value: 0, at: Array.from({ length: dims }, () => 1) }),
  evaluate(x) {
    let sum = 0;
    for (let i = 0; i + 1 < x.length; i++) {
      const a = x[i]!;
      const b = x[i + 1]!;
      sum += 100 * (b - a * a) ** 2 + (1 - a) ** 2;
    }
    return sum;
  },
};

export const TEST_FUNCTIONS = { branin, hartmann6, rosenbrock } as const;
export type TestFunctionName = keyof typeof TEST_FUNCTIONS;

export function isTestFunctionName(name: string): name is TestFunctionName {
  return Object.prototype.hasOwnProperty.call(TEST_FUNCTIONS, name);
}

/** Value of a test function for a trial's params ({x1: …, x2: …}). */
export function evaluateTestFunction(name: TestFunctionName, params: Readonly<Record<string, unknown>>, dims: number): number {
  const fn = TEST_FUNCTIONS[name];
  const x = fn.paramNames(dims).map((p) => {
    const v = params[p];
    if (typeof v !== 'number') throw new TypeError(`${name}: parameter ${p} must be a number, got ${String(v)}`);
    return v;
  });
  return fn.evaluate(x);
}
