// Conditional parameters (`when:` in a space file): which parameters of a
// space are active for a given assignment, and in what order a sampler must
// decide them (parents before children).
//
// A parameter is active when every condition holds: the named parent is
// itself active (present in the params) and holds one of the listed values.
// Inactive parameters are ABSENT from a trial's params; readers treat an
// absent key and a null (older journals) alike.
//
// The validator guarantees that parents exist, are categorical or fixed, and
// that the conditions form no cycle, so the order below always exists.

import type { Distribution, Scalar, SearchSpace } from './distributions.js';

/** Whether any parameter of the space has a condition. */
export function hasConditions(space: SearchSpace): boolean {
  return Object.values(space).some((d) => (d.when?.length ?? 0) > 0);
}

/** Whether `dist` is active given the values decided so far (absent or null parents: inactive). */
export function isActive(dist: Distribution, params: Readonly<Record<string, Scalar | null | undefined>>): boolean {
  if (!dist.when) return true;
  for (const c of dist.when) {
    const v = params[c.param];
    if (v === undefined || v === null || !c.values.includes(v)) return false;
  }
  return true;
}

/**
 * The parameter names in an order where every parent comes before its
 * children: file order, except that a child named before its parent moves
 * after it (Kahn's algorithm, always taking the earliest ready parameter in
 * file order). A space without conditions keeps file order exactly, so the
 * samplers draw as they did before conditions existed.
 */
export function decisionOrder(space: SearchSpace): string[] {
  const names = Object.keys(space);
  const index = new Map(names.map((n, i) => [n, i]));
  const waiting = names.map((n) => new Set((space[n]!.when ?? []).map((c) => c.param).filter((p) => index.has(p))));
  const done = new Array<boolean>(names.length).fill(false);
  const order: string[] = [];
  while (order.length < names.length) {
    const next = names.findIndex((_, i) => !done[i] && [...waiting[i]!].every((p) => done[index.get(p)!]));
    // A cycle (rejected by the validator): keep file order for the rest.
    const i = next >= 0 ? next : done.indexOf(false);
    done[i] = true;
    order.push(names[i]!);
  }
  return order;
}

/**
 * A trial's params without its inactive ones: drops null values (how older
 * journals recorded an inactive parameter) so that a trial runs, and a
 * reader shows it, exactly as one whose inactive parameters are absent.
 */
export function presentParams<V>(params: Readonly<Record<string, V | null | undefined>>): Record<string, V> {
  const out: Record<string, V> = {};
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

/** The names of the parameters some condition names (the parents). */
export function parentNames(space: SearchSpace): Set<string> {
  const parents = new Set<string>();
  for (const dist of Object.values(space)) for (const c of dist.when ?? []) parents.add(c.param);
  return parents;
}

/**
 * Keeps the active parameters of a full assignment, in the space's order
 * (a parameter absent from `params` stays absent).
 */
export function activeOnly<V>(space: SearchSpace, params: Readonly<Record<string, V>>): Record<string, V> {
  const decided: Record<string, V> = {};
  for (const name of decisionOrder(space)) {
    const v = params[name];
    if (v === undefined || !isActive(space[name]!, decided as Record<string, Scalar>)) continue;
    decided[name] = v;
  }
  const ordered: Record<string, V> = {};
  for (const name of Object.keys(space)) if (name in decided) ordered[name] = decided[name]!;
  return ordered;
}
