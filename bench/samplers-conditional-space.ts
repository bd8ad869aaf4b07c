// The conditional benchmark of bench/samplers-conditional.ts (also used by
// tests): its space and objective, the same as bench/optuna_conditional.py's.

import type { Params, SearchSpace } from '../src/space/distributions.js';

const float = (low: number, high: number, when?: [string, string]) => ({
  type: 'float' as const,
  low,
  high,
  log: false,
  step: null,
  includeZero: false,
  ...(when ? { when: [{ param: when[0], values: [when[1]] }] } : {}),
});

/** The space of bench/optuna_conditional.py's objective, as a space file would give it. */
export const CONDITIONAL_SPACE: SearchSpace = {
  kind: { type: 'categorical', choices: ['quad', 'log', 'nested'] },
  s: float(0, 1),
  x: float(-5, 5, ['kind', 'quad']),
  y: float(-5, 5, ['kind', 'quad']),
  lr: { ...float(1e-5, 1, ['kind', 'log']), log: true },
  n: { type: 'int', low: 1, high: 16, log: false, step: 1, when: [{ param: 'kind', values: ['log'] }] },
  mode: { type: 'categorical', choices: ['p', 'q'], when: [{ param: 'kind', values: ['nested'] }] },
  w: float(-2, 2, ['kind', 'nested']),
  u: float(0, 1, ['mode', 'p']),
  v: float(0, 1, ['mode', 'q']),
};

/**
 * The objective (the same as in bench/optuna_conditional.py): a bowl per
 * branch, each term scaled to its parameter's range, offsets 0 (nested, mode
 * p), 0.15 (nested, mode q), 0.3 (log), 0.45 (quad), and a different best s
 * in each branch (0.5, 0.8, 0.2). Minimum 0 at kind=nested, mode=p, u=0.3,
 * w=1, s=0.5.
 */
export function conditionalValue(p: Params): number {
  const s = p.s as number;
  const num = (name: string) => p[name] as number;
  if (p.kind === 'quad') return 0.45 + ((num('x') - 1.5) / 10) ** 2 + ((num('y') + 2) / 10) ** 2 + 0.5 * (s - 0.2) ** 2;
  if (p.kind === 'log') return 0.3 + ((Math.log10(num('lr')) + 3) / 5) ** 2 + ((num('n') - 11) / 15) ** 2 + 0.5 * (s - 0.8) ** 2;
  if (p.mode === 'p') return (num('u') - 0.3) ** 2 + ((num('w') - 1) / 4) ** 2 + 0.5 * (s - 0.5) ** 2;
  return 0.15 + (num('v') - 0.7) ** 2 + (num('w') / 4) ** 2 + 0.5 * (s - 0.5) ** 2;
}
