// Parameter importance by the correlation ratio: for each parameter alone, the
// share of the variance of the objective explained by grouping the trials by
// that parameter's value — Pearson's correlation ratio η², with Kelley's bias
// correction ε² (T. L. Kelley, "An unbiased correlation ratio measure",
// PNAS 21(9), 1935):
//
//   ε² = 1 − (SS_within / (n − k)) / (SS_total / (n − 1)),  clipped to [0, 1]
//
// with n trials in k groups. It is a first-order (main-effect) variance-based
// importance, the quantity fANOVA reports as a main effect, estimated directly
// from the trials instead of from a random forest. Interactions are not
// counted, so the importances need not sum to 1. The correction matters: η²
// alone grows with the number of groups even for a parameter that does nothing.
//
// Groups: a categorical parameter's choices; a numeric parameter's distinct
// values when there are at most MAX_GROUPS of them, else up to MAX_GROUPS
// equal-count bins of the sorted values (bins are invariant under monotone
// transforms, so log parameters need no special treatment; equal values always
// share a bin).
export const MAX_GROUPS = 10;
/** Fewer trials per group on average than this and the numeric bins are merged. */
const MIN_PER_GROUP = 3;

export const IMPORTANCE_METHOD =
  "correlation ratio ε² (Kelley 1935): the share of the objective's variance explained by each parameter alone, bias-corrected";

export interface Importance {
  param: string;
  /** ε² in [0, 1], or null when it cannot be estimated (too few trials, a single group, constant objective). */
  value: number | null;
  /** η² before the correction (for reference). */
  eta2: number | null;
  groups: number;
  n: number;
}

export type ParamKind = 'categorical' | 'numeric';

/** Group labels for the values (see the file comment). */
export function groupValues(values: ReadonlyArray<number | string | boolean>, kind: ParamKind): number[] {
  const n = values.length;
  if (kind === 'categorical' || values.some((v) => typeof v !== 'number')) {
    const ids = new Map<string, number>();
    return values.map((v) => {
      const key = String(v);
      if (!ids.has(key)) ids.set(key, ids.size);
      return ids.get(key)!;
    });
  }
  const nums = values as readonly number[];
  const distinct = [...new Set(nums)].sort((a, b) => a - b);
  const k = Math.min(MAX_GROUPS, Math.max(1, Math.floor(n / MIN_PER_GROUP)));
  if (distinct.length <= k) {
    const id = new Map(distinct.map((v, i) => [v, i]));
    return nums.map((v) => id.get(v)!);
  }
  // Equal-count bins over the sorted order, never splitting equal values.
  const order = nums.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(n);
  let group = 0;
  let inGroup = 0;
  const target = n / k;
  for (let r = 0; r < n; r++) {
    const [v, i] = order[r]!;
    const startsNew = inGroup >= target && r > 0 && v !== order[r - 1]![0] && group < k - 1;
    if (startsNew) {
      group++;
      inGroup = 0;
    }
    out[i] = group;
    inGroup++;
  }
  return out;
}

/** ε² and η² of `y` grouped by `groups` (group ids 0..k-1). */
export function correlationRatio(y: readonly number[], groups: readonly number[]): { eps2: number | null; eta2: number | null; k: number } {
  const n = y.length;
  const sums = new Map<number, { s: number; c: number }>();
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += y[i]!;
    const g = sums.get(groups[i]!) ?? { s: 0, c: 0 };
    g.s += y[i]!;
    g.c++;
    sums.set(groups[i]!, g);
  }
  const k = sums.size;
  const mean = total / n;
  let sst = 0;
  let ssw = 0;
  for (let i = 0; i < n; i++) {
    const g = sums.get(groups[i]!)!;
    sst += (y[i]! - mean) ** 2;
    ssw += (y[i]! - g.s / g.c) ** 2;
  }
  if (k < 2 || n <= k || !(sst > 0)) return { eps2: null, eta2: null, k };
  const eta2 = 1 - ssw / sst;
  const eps2 = 1 - ssw / (n - k) / (sst / (n - 1));
  return { eps2: Math.min(1, Math.max(0, eps2)), eta2, k };
}

/**
 * Importance of each parameter from complete trials: `rows` are (params, value)
 * pairs, `kinds` says which parameters are categorical. Sorted most important first.
 */
export function parameterImportance(
  rows: ReadonlyArray<{ params: Readonly<Record<string, unknown>>; value: number }>,
  kinds: Readonly<Record<string, ParamKind>>,
): Importance[] {
  const out: Importance[] = [];
  for (const [param, kind] of Object.entries(kinds)) {
    const used = rows.filter((r) => {
      const v = r.params[param];
      return Number.isFinite(r.value) && (typeof v === 'number' ? Number.isFinite(v) : typeof v === 'string' || typeof v === 'boolean');
    });
    const values = used.map((r) => r.params[param] as number | string | boolean);
    const groups = groupValues(values, kind);
    const { eps2, eta2, k } = correlationRatio(used.map((r) => r.value), groups);
    out.push({ param, value: eps2, eta2, groups: k, n: used.length });
  }
  return out.sort((a, b) => (b.value ?? -1) - (a.value ?? -1));
}
