// TrialPruned on its own, so that the package entry can export it without
// loading anything else.

/**
 * Thrown by an objective to say the trial was pruned (as Optuna's TrialPruned),
 * after trial.shouldPrune() answered true.
 */
export class TrialPruned extends Error {
  constructor(message = 'pruned') {
    super(message);
    this.name = 'TrialPruned';
  }
}
