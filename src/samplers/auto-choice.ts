// Which sampler `sampler: {type: auto}` uses for a study, and why: a pure
// function of the space and the budget, kept apart from the samplers so that
// light commands (status, the journal writer) can state it without loading them.
//   - grid   when every parameter has a finite set of values and the budget
//            covers every combination (nothing left to chance);
//   - tpe    when the space is empty (define-by-run), conditional, mostly categorical, or wide
//            (the GP's kernel sees one flat space; TPE models each parameter
//            and copes with tree-shaped spaces), or when the budget is large;
//   - gp     otherwise: a small budget over a mostly continuous space, where
//            Bayesian optimisation with a GP needs the fewest trials; a GP
//            study hands over to TPE after GP_TRIAL_LIMIT complete trials.

import { finiteValues, type Distribution, type SearchSpace } from '../space/distributions.js';

/** Complete trials after which a GP study continues with TPE. */
export const GP_TRIAL_LIMIT = 300;
/** Budgets above this go to TPE from the start. */
export const GP_BUDGET_LIMIT = 1000;
/** Searched dimensions above which the GP is not picked. */
export const GP_MAX_PARAMS = 20;

export type AutoChoice = 'grid' | 'gp' | 'tpe';

export interface AutoDecision {
  readonly sampler: AutoChoice;
  /** One sentence for the journal and the live view. */
  readonly reason: string;
}

function isConditional(dist: Distribution): boolean {
  const when = (dist as { when?: readonly unknown[] }).when;
  return when !== undefined && when.length > 0;
}

/** The choice for a space and a budget (null: not known), with its reason. */
export function decideSampler(space: SearchSpace, budget: number | null): AutoDecision {
  const searched = Object.entries(space).filter(([, d]) => d.type !== 'fixed');
  // No parameter in the space: the objective names them as it runs (define-by-run),
  // one at a time, which TPE samples and the grid cannot.
  if (searched.length === 0) return { sampler: 'tpe', reason: 'no parameters in the space (define-by-run): TPE samples each one as the objective asks' };
  let gridSize = 1;
  for (const [, d] of searched) {
    const values = finiteValues(d);
    gridSize = values === null ? Infinity : gridSize * values.length;
  }
  if (budget !== null && gridSize <= budget) {
    return { sampler: 'grid', reason: `every parameter is finite and the budget (${budget} trials) covers all ${gridSize} combinations` };
  }
  const conditional = searched.filter(([, d]) => isConditional(d)).map(([n]) => n);
  if (conditional.length > 0) {
    return { sampler: 'tpe', reason: `conditional parameters (${conditional.join(', ')}): TPE models tree-shaped spaces, the GP one flat space` };
  }
  const categorical = searched.filter(([, d]) => d.type === 'categorical').length;
  if (categorical * 2 > searched.length) {
    return { sampler: 'tpe', reason: `${categorical} of ${searched.length} parameters are categorical: TPE handles them better than the GP's Hamming kernel` };
  }
  if (searched.length > GP_MAX_PARAMS) {
    return { sampler: 'tpe', reason: `${searched.length} parameters (more than ${GP_MAX_PARAMS}): too wide for the GP in few trials` };
  }
  if (budget !== null && budget > GP_BUDGET_LIMIT) {
    return { sampler: 'tpe', reason: `a large budget (${budget} trials > ${GP_BUDGET_LIMIT}): TPE's asks stay cheap and it catches up with the GP` };
  }
  return {
    sampler: 'gp',
    reason:
      `${searched.length - categorical} of ${searched.length} parameters are numeric and the budget is ${budget === null ? 'not known' : `${budget} trials`}: ` +
      `the GP finds good values in the fewest trials (TPE takes over after ${GP_TRIAL_LIMIT} complete trials)`,
  };
}
