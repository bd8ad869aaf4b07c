#!/usr/bin/python3
"""Optuna's TPESampler on the same test functions as bench/samplers.ts, as a yardstick.

Run with Debian's python (python3-optuna 3.1):
    /usr/bin/python3 bench/optuna_tpe.py --trials 100 --seeds 20 [--multivariate]
Prints one JSON object: {"optuna": version, "options": {...}, "results": {function: [[best after
trial 1, 2, ...] per seed]}}. Every TPE option is set explicitly, to the values hypersweep's TPE
uses by default, because Optuna's defaults change between versions. The functions and domains
are the same as src/trials/functions.ts.
"""

import argparse
import json
import math
import sys
import time

import numpy as np
from tpe_defaults import OPTIONS  # noqa: E402
import optuna
from optuna.samplers import TPESampler


def branin(x):
    x1, x2 = x
    b = 5.1 / (4 * math.pi**2)
    c = 5 / math.pi
    t = 1 / (8 * math.pi)
    return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


H6_ALPHA = [1.0, 1.2, 3.0, 3.2]
H6_A = [
    [10, 3, 17, 3.5, 1.7, 8],
    [0.05, 10, 17, 0.1, 8, 14],
    [3, 3.5, 1.7, 10, 17, 8],
    [17, 8, 0.05, 10, 0.1, 14],
]
H6_P = [
    [1312, 1696, 5569, 124, 8283, 5886],
    [2329, 4135, 8307, 3736, 1004, 9991],
    [2348, 1451, 3522, 2883, 3047, 6650],
    [4047, 8828, 8732, 5743, 1091, 381],
]


def hartmann6(x):
    total = 0.0
    for i in range(4):
        inner = sum(H6_A[i][j] * (x[j] - H6_P[i][j] * 1e-4) ** 2 for j in range(6))
        total += H6_ALPHA[i] * math.exp(-inner)
    return -total


def rosenbrock(x):
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(len(x) - 1))


ACTIVATION_PENALTY = {"relu": 0.0, "gelu": -0.005, "tanh": 0.03}


def mlp_objective(trial):
    """The MLP-like surrogate of bench/lib/sampler-problems.ts (minimum 0.075), define-by-run."""
    lr = trial.suggest_float("lr", 1e-5, 1, log=True)
    weight_decay = trial.suggest_float("weight_decay", 1e-6, 1e-1, log=True)
    hidden = trial.suggest_int("hidden", 16, 1024, log=True)
    dropout = trial.suggest_float("dropout", 0, 0.7)
    layers = trial.suggest_int("layers", 1, 4)
    batch = trial.suggest_categorical("batch_size", [16, 32, 64, 128, 256])
    activation = trial.suggest_categorical("activation", ["relu", "tanh", "gelu"])
    a = math.log10(lr) + 2.5 - 0.25 * math.log2(batch / 64)
    if a > 1.5:
        return 2.3
    b = math.log10(weight_decay) + 4
    h = math.log2(hidden) - 8
    d = dropout - 0.2 - 0.05 * (layers - 2)
    return (
        0.08 + 0.12 * a * a + 0.02 * b * b + 0.03 * h * h + 0.04 * a * h + 0.2 * d * d
        + 0.01 * abs(layers - 3) + ACTIVATION_PENALTY[activation]
    )


FUNCTIONS = {
    "branin": (branin, [(-5, 10), (0, 15)]),
    "hartmann6": (hartmann6, [(0, 1)] * 6),
    "rosenbrock": (rosenbrock, [(-5, 10)] * 5),
    "mlp": (None, None),
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--functions", default="branin,hartmann6,rosenbrock,mlp")
    parser.add_argument("--multivariate", action="store_true")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    import warnings

    warnings.filterwarnings("ignore")

    options = dict(OPTIONS, multivariate=args.multivariate)
    results = {}
    started = time.time()
    for name in args.functions.split(","):
        fn, domain = FUNCTIONS[name]
        per_seed = []
        for seed in range(args.seeds):
            sampler = TPESampler(seed=seed, **options)
            study = optuna.create_study(direction="minimize", sampler=sampler)

            def objective(trial, fn=fn, domain=domain):
                if fn is None:
                    return mlp_objective(trial)
                x = [trial.suggest_float(f"x{i + 1}", lo, hi) for i, (lo, hi) in enumerate(domain)]
                return fn(x)

            study.optimize(objective, n_trials=args.trials)
            best, curve = math.inf, []
            for t in study.trials:
                best = min(best, t.value)
                curve.append(best)
            per_seed.append(curve)
        results[name] = per_seed
    json.dump(
        {
            "optuna": optuna.__version__,
            "options": {**options, "gamma": "min(ceil(0.1 n), 25)", "weights": "default ramp"},
            "seconds": round(time.time() - started, 1),
            "results": results,
        },
        sys.stdout,
    )
    print()


if __name__ == "__main__":
    main()
