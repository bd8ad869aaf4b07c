// A bounded quasi-Newton minimiser: projected L-BFGS with an active set (the
// "two-metric projection" family; L-BFGS-B's Cauchy-point machinery is not
// needed for the small, smooth problems here: a few kernel parameters, or one
// point of the search space). Each iteration:
//   1. variables at a bound whose gradient pushes outward are held (active);
//   2. the L-BFGS two-loop recursion gives a direction on the free variables;
//   3. a backtracking (Armijo) line search along the path projected onto the box.
// Deterministic: plain arithmetic, no randomness.

export type ValueAndGradient = (x: Float64Array, grad: Float64Array) => number;

export interface MinimizeOptions {
  readonly maxIterations?: number;
  /** Memory of the quasi-Newton approximation (pairs kept). */
  readonly memory?: number;
  /** Stop when every projected-gradient component is below this. */
  readonly gradientTolerance?: number;
  /** Stop when an iteration improves f by less than this, relative to |f| (at least 1). */
  readonly relativeTolerance?: number;
}

export interface MinimizeResult {
  readonly x: Float64Array;
  readonly value: number;
  readonly iterations: number;
  readonly evaluations: number;
}

function project(x: Float64Array, lower: ArrayLike<number>, upper: ArrayLike<number>): void {
  for (let i = 0; i < x.length; i++) x[i] = Math.min(upper[i]!, Math.max(lower[i]!, x[i]!));
}

/** Minimises fg over the box [lower, upper], starting from x0 (projected into the box). */
export function minimizeBox(
  fg: ValueAndGradient,
  x0: ArrayLike<number>,
  lower: ArrayLike<number>,
  upper: ArrayLike<number>,
  options: MinimizeOptions = {},
): MinimizeResult {
  const maxIterations = options.maxIterations ?? 100;
  const memory = options.memory ?? 10;
  const pgtol = options.gradientTolerance ?? 1e-5;
  const ftol = options.relativeTolerance ?? 1e-9;
  const n = x0.length;
  let x = Float64Array.from(x0);
  project(x, lower, upper);
  let g = new Float64Array(n);
  let f = fg(x, g);
  let evaluations = 1;
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const free = new Uint8Array(n);
  const dir = new Float64Array(n);
  const alpha = new Float64Array(memory);
  let xNew = new Float64Array(n);
  let gNew = new Float64Array(n);
  let iterations = 0;
  if (!Number.isFinite(f)) return { x, value: f, iterations, evaluations };

  for (; iterations < maxIterations; iterations++) {
    // 1. Active set and the projected gradient's size.
    let pgMax = 0;
    for (let i = 0; i < n; i++) {
      const atLow = x[i]! <= lower[i]! && g[i]! > 0;
      const atHigh = x[i]! >= upper[i]! && g[i]! < 0;
      free[i] = atLow || atHigh ? 0 : 1;
      if (free[i]) pgMax = Math.max(pgMax, Math.abs(g[i]!));
    }
    if (pgMax < pgtol) break;

    // 2. Two-loop recursion on the free variables.
    for (let i = 0; i < n; i++) dir[i] = free[i] ? -g[i]! : 0;
    const m = S.length;
    for (let k = m - 1; k >= 0; k--) {
      let a = 0;
      for (let i = 0; i < n; i++) if (free[i]) a += S[k]![i]! * dir[i]!;
      a *= rho[k]!;
      alpha[k] = a;
      for (let i = 0; i < n; i++) if (free[i]) dir[i] = dir[i]! - a * Y[k]![i]!;
    }
    if (m > 0) {
      let yy = 0;
      let sy = 0;
      for (let i = 0; i < n; i++) {
        yy += Y[m - 1]![i]! * Y[m - 1]![i]!;
        sy += S[m - 1]![i]! * Y[m - 1]![i]!;
      }
      const gammaScale = sy / yy;
      for (let i = 0; i < n; i++) dir[i] = dir[i]! * gammaScale;
    }
    for (let k = 0; k < m; k++) {
      let b = 0;
      for (let i = 0; i < n; i++) if (free[i]) b += Y[k]![i]! * dir[i]!;
      b *= rho[k]!;
      for (let i = 0; i < n; i++) if (free[i]) dir[i] = dir[i]! + S[k]![i]! * (alpha[k]! - b);
    }
    let slope = 0;
    for (let i = 0; i < n; i++) slope += g[i]! * dir[i]!;
    if (!(slope < 0)) {
      // Not a descent direction (curvature pairs gone stale): steepest descent.
      S.length = Y.length = rho.length = 0;
      slope = 0;
      for (let i = 0; i < n; i++) {
        dir[i] = free[i] ? -g[i]! : 0;
        slope -= dir[i]! * dir[i]!;
      }
    }

    // 3. Projected backtracking line search.
    let step = 1;
    if (S.length === 0) {
      let norm = 0;
      for (let i = 0; i < n; i++) norm += dir[i]! * dir[i]!;
      step = Math.min(1, 1 / Math.sqrt(norm));
    }
    let fNew = NaN;
    let accepted = false;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i]! + step * dir[i]!;
      project(xNew, lower, upper);
      let decrease = 0;
      for (let i = 0; i < n; i++) decrease += g[i]! * (xNew[i]! - x[i]!);
      fNew = fg(xNew, gNew);
      evaluations++;
      if (Number.isFinite(fNew) && fNew <= f + 1e-4 * decrease) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) {
      if (S.length === 0) break;
      S.length = Y.length = rho.length = 0;
      continue;
    }

    // Curvature pair (skipped when it would break positive definiteness).
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    let sy = 0;
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i]! - x[i]!;
      y[i] = gNew[i]! - g[i]!;
      sy += s[i]! * y[i]!;
    }
    if (sy > 1e-12) {
      if (S.length === memory) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
    }
    const improvement = f - fNew;
    [x, xNew] = [xNew, x];
    [g, gNew] = [gNew, g];
    f = fNew;
    if (improvement <= ftol * Math.max(1, Math.abs(f))) {
      iterations++;
      break;
    }
  }
  return { x, value: f, iterations, evaluations };
}
