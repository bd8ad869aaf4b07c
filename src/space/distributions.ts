// The parameter distributions of a search space, as the samplers see them once a
// space file has been validated. Shapes follow Optuna's distributions:
// FloatDistribution(low, high, log, step), IntDistribution(low, high, log, step),
// CategoricalDistribution(choices), plus a fixed value.
//
// One addition, `includeZero` on a log float: the value 0 is possible as well
// (e.g. "lambda log-uniform in [1e-6, 1e-1], or no penalty at all"). Samplers
// treat it exactly as an Optuna user would write it by hand:
//     if trial.suggest_categorical("lambda_is_zero", [False, True]): lam = 0
//     else: lam = trial.suggest_float("lambda", 1e-6, 1e-1, log=True)
// i.e. a hidden two-way categorical switch plus a conditional log float, with
// the journal recording only `lambda` (0 or the drawn value).

// A parameter may be conditional (`when:` in a space file): active only when
// each named parent is active and holds one of the listed values. Inactive
// parameters are absent from a trial's params (see conditions.ts).

export type Scalar = number | string | boolean;

/** `when: {parent: value | [values]}`: active only when `parent` is active and holds one of `values`. */
export interface Condition {
  readonly param: string;
  readonly values: readonly Scalar[];
}

/** Every distribution may carry conditions (all must hold); none: always active. */
interface Conditional {
  readonly when?: readonly Condition[];
}
/** What a sampler suggests for one parameter. */
export type ParamValue = Scalar;
/** One value per parameter, in the space's parameter order. */
export type Params = Record<string, ParamValue>;

export interface FloatDistribution extends Conditional {
  readonly type: 'float';
  readonly low: number;
  readonly high: number;
  readonly log: boolean;
  /** Grid spacing: values are low + k·step; never together with log. */
  readonly step: number | null;
  /** Log floats only: 0 is a possible value too (see the note at the top). */
  readonly includeZero: boolean;
}

export interface IntDistribution extends Conditional {
  readonly type: 'int';
  readonly low: number;
  readonly high: number;
  readonly log: boolean;
  /** Values are low + k·step; log requires step 1 (as in Optuna). */
  readonly step: number;
}

export interface CategoricalDistribution extends Conditional {
  readonly type: 'categorical';
  readonly choices: readonly Scalar[];
}

export interface FixedDistribution extends Conditional {
  readonly type: 'fixed';
  readonly value: Scalar;
}

export type Distribution = FloatDistribution | IntDistribution | CategoricalDistribution | FixedDistribution;

/** Parameter name → distribution, in the order the space file lists them. */
export type SearchSpace = Readonly<Record<string, Distribution>>;

/** true when `value` is a value the distribution can produce (used to vet journal params). */
export function contains(dist: Distribution, value: unknown): boolean {
  switch (dist.type) {
    case 'fixed':
      return value === dist.value;
    case 'categorical':
      return dist.choices.some((c) => c === value);
    case 'int': {
      if (typeof value !== 'number' || !Number.isInteger(value)) return false;
      if (value < dist.low || value > dist.high) return false;
      return (value - dist.low) % dist.step === 0;
    }
    case 'float': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return false;
      if (dist.includeZero && value === 0) return true;
      if (value < dist.low || value > dist.high) return false;
      if (dist.step === null) return true;
      const k = Math.round((value - dist.low) / dist.step);
      return Math.abs(quantize(dist, dist.low + k * dist.step) - value) <= 1e-9 * Math.max(1, Math.abs(value));
    }
  }
}

/** Number of decimals needed to write x exactly in plain notation (capped at 15). */
function decimalsOf(x: number): number {
  const s = String(x);
  const e = s.indexOf('e-');
  if (e >= 0) {
    const mantissa = s.slice(0, e);
    const dot = mantissa.indexOf('.');
    return Math.min(15, Number(s.slice(e + 2)) + (dot >= 0 ? mantissa.length - dot - 1 : 0));
  }
  const dot = s.indexOf('.');
  return dot >= 0 ? Math.min(15, s.length - dot - 1) : 0;
}

/**
 * A stepped float's value rounded to the decimals of low and step, so that the
 * journal says 0.3 rather than low + 3·0.1 = 0.30000000000000004. Deterministic.
 */
export function quantize(dist: FloatDistribution, value: number): number {
  if (dist.step === null) return value;
  const decimals = Math.max(decimalsOf(dist.low), decimalsOf(dist.step));
  const rounded = Number(value.toFixed(decimals));
  return Math.min(dist.high, Math.max(dist.low, rounded));
}

/** Number of values of a stepped float or an int (low + k·step for k = 0..count-1). */
export function stepCount(low: number, high: number, step: number): number {
  return Math.round((high - low) / step) + 1;
}

/** Every value of a finite distribution in increasing order, or null when it is continuous. */
export function finiteValues(dist: Distribution): readonly Scalar[] | null {
  switch (dist.type) {
    case 'fixed':
      return [dist.value];
    case 'categorical':
      return dist.choices;
    case 'int': {
      const n = stepCount(dist.low, dist.high, dist.step);
      return Array.from({ length: n }, (_, k) => dist.low + k * dist.step);
    }
    case 'float': {
      if (dist.step === null) return null;
      const n = stepCount(dist.low, dist.high, dist.step);
      return Array.from({ length: n }, (_, k) => quantize(dist, dist.low + k * dist.step!));
    }
  }
}

/** A one-line description for messages and reports, e.g. `float [1e-06, 0.1] log (or 0)`. */
export function describe(dist: Distribution): string {
  switch (dist.type) {
    case 'fixed':
      return `fixed ${JSON.stringify(dist.value)}`;
    case 'categorical':
      return `categorical {${dist.choices.map((c) => JSON.stringify(c)).join(', ')}}`;
    case 'int':
      return `int [${dist.low}, ${dist.high}]${dist.log ? ' log' : ''}${dist.step !== 1 ? ` step ${dist.step}` : ''}`;
    case 'float':
      return (
        `float [${dist.low}, ${dist.high}]${dist.log ? ' log' : ''}` +
        `${dist.step !== null ? ` step ${dist.step}` : ''}${dist.includeZero ? ' (or 0)' : ''}`
      );
  }
}
