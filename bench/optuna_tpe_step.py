#!/usr/bin/python3
"""One TPE ask from a fixed history, under many seeds, with Optuna 3.1's TPESampler (for
bench/tpe-step-check.ts). Reads {"history": [{"params": {...}, "value": v}], "space": {name: [low,
high]}, "seeds": N} on stdin, prints {"asks": [[value per param] per seed]}. Options as
bench/optuna_tpe.py (Optuna 3.1's defaults spelled out)."""

import json
import sys

import optuna
from optuna.distributions import FloatDistribution
from optuna.samplers import TPESampler
from tpe_defaults import gamma, weights

optuna.logging.set_verbosity(optuna.logging.ERROR)
job = json.load(sys.stdin)
space = {name: FloatDistribution(low, high) for name, (low, high) in job["space"].items()}
asks = []
for seed in range(job["seeds"]):
    sampler = TPESampler(gamma=gamma, weights=weights, seed=seed, n_startup_trials=10, n_ei_candidates=24)
    study = optuna.create_study(sampler=sampler)
    for h in job["history"]:
        study.add_trial(optuna.trial.create_trial(params=h["params"], distributions=space, value=h["value"]))
    trial = study.ask(space)
    asks.append([trial.params[name] for name in space])
json.dump({"optuna": optuna.__version__, "asks": asks}, sys.stdout)
print()
