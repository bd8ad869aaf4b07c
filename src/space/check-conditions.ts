// Load-time checks of conditional parameters (`when:`), so that a mistake in a
// space file is an error naming the key, not a branch that silently never runs:
//   - the parent exists, and is categorical (or fixed: e.g. pinned by --set);
//   - each value is one of the parent's choices;
//   - no cycle (a → b → a, or a parameter naming itself);
//   - every parameter can be active: the conditions along its chain of
//     parents do not demand two disjoint sets of values of one categorical.
// A fixed parent is not checked for values: `--set optimizer=adam` on a space
// with momentum `when: {optimizer: momentum}` simply leaves momentum inactive.

import { describe, type Distribution, type Scalar } from './distributions.js';
import { show, type Problems } from './problems.js';

/** Records every problem with the parsed parameters' conditions; true when there is none. */
export function checkConditions(
  problems: Problems,
  params: Readonly<Record<string, Distribution>>,
  rawParams: Readonly<Record<string, unknown>>,
): boolean {
  const before = problems.list.length;
  const names = Object.keys(params);
  /** Edges child → parent that passed the checks on their own. */
  const parentsOf = new Map<string, string[]>();
  for (const name of names) {
    const valid: string[] = [];
    for (const c of params[name]!.when ?? []) {
      const at = ['params', name, 'when', c.param];
      const parent = params[c.param];
      if (c.param === name) {
        problems.add(at, `${name} cannot depend on itself (a cycle)`);
        continue;
      }
      if (!parent) {
        // A parent that failed its own checks is reported there already.
        if (!(c.param in rawParams)) problems.add(at, `unknown parameter ${show(c.param)} (parameters: ${names.join(', ')})`);
        continue;
      }
      if (parent.type === 'categorical') {
        const outside = c.values.filter((v) => !parent.choices.includes(v));
        if (outside.length > 0) {
          const list = outside.map((v) => show(v)).join(', ');
          problems.add(at, `${list} ${outside.length > 1 ? 'are' : 'is'} not among ${c.param}'s choices (${parent.choices.map((v) => show(v)).join(', ')})`);
          continue;
        }
      } else if (parent.type !== 'fixed') {
        problems.add(
          at,
          `a condition can only name a categorical parameter, and ${c.param} is ${describe(parent)}; make ${c.param} categorical with the values to branch on`,
        );
        continue;
      }
      valid.push(c.param);
    }
    parentsOf.set(name, valid);
  }
  const cyclic = reportCycles(problems, names, parentsOf);
  if (problems.list.length === before) reportUnreachable(problems, params, cyclic);
  return problems.list.length === before;
}

/** Reports each cycle once (at its first parameter in file order); returns the parameters on one. */
function reportCycles(problems: Problems, names: readonly string[], parentsOf: ReadonlyMap<string, readonly string[]>): Set<string> {
  const state = new Map<string, 'open' | 'done'>();
  const onCycle = new Set<string>();
  const stack: string[] = [];
  const visit = (name: string): void => {
    state.set(name, 'open');
    stack.push(name);
    for (const parent of parentsOf.get(name) ?? []) {
      const s = state.get(parent);
      if (s === 'open') {
        const cycle = [...stack.slice(stack.indexOf(parent)), parent];
        if (!cycle.some((n) => onCycle.has(n))) {
          const first = cycle.slice(0, -1).sort((a, b) => names.indexOf(a) - names.indexOf(b))[0]!;
          problems.add(['params', first, 'when'], `conditions form a cycle: ${cycle.join(' → ')} (a parameter's parents must not depend on it)`);
        }
        for (const n of cycle) onCycle.add(n);
      } else if (s === undefined) visit(parent);
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of names) if (!state.has(name)) visit(name);
  return onCycle;
}

/**
 * A parameter is active only when its parents are, so its conditions and all
 * its ancestors' conditions must hold at once. For each categorical ancestor,
 * intersect the values they allow; an empty intersection can never happen.
 */
function reportUnreachable(problems: Problems, params: Readonly<Record<string, Distribution>>, cyclic: ReadonlySet<string>): void {
  const memo = new Map<string, Map<string, { values: Scalar[]; by: string[] }> | null>();
  const needs = (name: string): Map<string, { values: Scalar[]; by: string[] }> | null => {
    if (memo.has(name)) return memo.get(name)!;
    memo.set(name, null); // guards against cycles (reported already)
    const out = new Map<string, { values: Scalar[]; by: string[] }>();
    for (const c of params[name]!.when ?? []) {
      if (params[c.param]?.type !== 'categorical') continue;
      const inherited = needs(c.param);
      for (const [anc, need] of [...(inherited ?? new Map()), [c.param, { values: [...c.values], by: [name] }]] as const) {
        const have = out.get(anc);
        out.set(anc, have ? { values: have.values.filter((v) => need.values.includes(v)), by: [...have.by, ...need.by] } : { values: [...need.values], by: [...need.by] });
      }
    }
    memo.set(name, out);
    return out;
  };
  for (const name of Object.keys(params)) {
    if (cyclic.has(name) || !params[name]!.when) continue;
    for (const [anc, need] of needs(name) ?? []) {
      if (need.values.length > 0) continue;
      const who = [...new Set(need.by)].join(' and ');
      problems.add(
        ['params', name, 'when'],
        `${name} can never be active: the conditions of ${who} need ${anc} to take values that exclude each other; check the when: of ${name} and of its parents`,
      );
      break;
    }
  }
}
