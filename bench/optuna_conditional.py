#!/usr/bin/python3
"""Optuna's TPESampler on bench/samplers-conditional.ts's conditional benchmark, as a yardstick.

Run with Debian's python (python3-optuna 3.1):
    /usr/bin/python3 bench/optuna_conditional.py --trials 100 --seeds 20
Prints one JSON object: {"optuna": version, "seconds": s, "results": {variant: [[best after trial
1, 2, ...] per seed]}} for the variants "group" (multivariate=True, group=True) and "univariate"
(and, with --variants group_neighbour, group TPE with Optuna >= 5.0's joint bandwidths).
Every TPE option is set explicitly to hypersweep's defaults (Optuna's change between versions).
The objective is the same function as conditionalValue() in bench/samplers-conditional.ts, its
parameters suggested define-by-run: a parameter exists only in its branch.
"""

import argparse
import json
import math
import sys
import time
import warnings

from tpe_defaults import OPTIONS  # noqa: E402
import optuna
from optuna.samplers import TPESampler


def objective(trial):
    kind = trial.suggest_categorical("kind", ["quad", "log", "nested"])
    s = trial.suggest_float("s", 0.0, 1.0)
    if kind == "quad":
        x = trial.suggest_float("x", -5.0, 5.0)
        y = trial.suggest_float("y", -5.0, 5.0)
        return 0.45 + ((x - 1.5) / 10) ** 2 + ((y + 2) / 10) ** 2 + 0.5 * (s - 0.2) ** 2
    if kind == "log":
        lr = trial.suggest_float("lr", 1e-5, 1.0, log=True)
        n = trial.suggest_int("n", 1, 16)
        return 0.3 + ((math.log10(lr) + 3) / 5) ** 2 + ((n - 11) / 15) ** 2 + 0.5 * (s - 0.8) ** 2
    mode = trial.suggest_categorical("mode", ["p", "q"])
    w = trial.suggest_float("w", -2.0, 2.0)
    if mode == "p":
        u = trial.suggest_float("u", 0.0, 1.0)
        return (u - 0.3) ** 2 + ((w - 1) / 4) ** 2 + 0.5 * (s - 0.5) ** 2
    v = trial.suggest_float("v", 0.0, 1.0)
    return 0.15 + (v - 0.7) ** 2 + (w / 4) ** 2 + 0.5 * (s - 0.5) ** 2


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--variants", default="group,univariate")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore")
    base = dict(OPTIONS, warn_independent_sampling=False)
    variants = {
        "group": dict(multivariate=True, group=True),
        "univariate": dict(multivariate=False),
        # Not a default variant: group TPE with Optuna >= 5.0's joint bandwidths (optuna#6746), made
        # from 3.1 by giving its (unified) Parzen estimator the univariate bandwidth rule; the joint
        # product kernels, groups and split are 3.1's. For comparison with hypersweep's group TPE.
        "group_neighbour": dict(multivariate=True, group=True),
    }
    results = {}
    started = time.time()
    for name in args.variants.split(","):
        extra = variants[name]
        per_seed = []
        for seed in range(args.seeds):
            sampler = TPESampler(seed=seed, **base, **extra)
            if name == "group_neighbour":
                params = sampler._parzen_estimator_parameters
                sampler._parzen_estimator_parameters = params._replace(multivariate=False)
            study = optuna.create_study(direction="minimize", sampler=sampler)
            study.optimize(objective, n_trials=args.trials)
            best, curve = math.inf, []
            for t in study.trials:
                best = min(best, t.value)
                curve.append(best)
            per_seed.append(curve)
        results[name] = per_seed
    json.dump({"optuna": optuna.__version__, "seconds": round(time.time() - started, 1), "results": results}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
