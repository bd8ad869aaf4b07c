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
