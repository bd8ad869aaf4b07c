"""Optuna 3.1's TPESampler gamma and weights, spelled out for the yardsticks (optuna_tpe.py,
optuna_local.py): Optuna's defaults change between versions, hypersweep's TPE follows 3.1's."""

import numpy as np


def gamma(n):
    return min(int(np.ceil(0.1 * n)), 25)


def weights(n):
    if n == 0:
        return np.asarray([])
    if n < 25:
        return np.ones(n)
    return np.concatenate([np.linspace(1.0 / n, 1.0, num=n - 25), np.ones(25)], axis=0)


# Every yardstick's TPESampler options: Optuna 3.1's defaults, written out (gamma and weights
# included) so that no figure depends on the defaults of the Optuna that happens to be installed.
OPTIONS = dict(
    consider_prior=True,
    prior_weight=1.0,
    consider_magic_clip=True,
    consider_endpoints=False,
    n_startup_trials=10,
    n_ei_candidates=24,
    constant_liar=False,
    gamma=gamma,
    weights=weights,
)
