#!/usr/bin/python3
"""Optuna's local sweep of an instant objective, the yardstick of bench/local-sweep.ts.

Run with Debian's python (python3-optuna 3.1):
    /usr/bin/python3 bench/optuna_local.py --trials 500 [--seed 1] [--journal FILE]
A TPESampler(seed) study on JournalStorage(JournalFileStorage(FILE)) (Optuna's
append-only journal file, the closest match to hypersweep's journal.jsonl),
minimising the sum of squares of six floats x0..x5 in [-5, 5] — the same space
and objective as bench/local-sweep.ts writes for hypersweep. Every TPE option is
set explicitly, to hypersweep's defaults (Optuna 3.1's own).
Prints one JSON object: {"optuna": version, "trials", "import_s" (from the
interpreter's start to optuna imported), "optimize_s" (create_study + optimize),
"total_s" (interpreter start to the end), "best"}. The caller times the whole
process from outside too.
"""

import time

STARTED = time.time()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
from tpe_defaults import OPTIONS  # noqa: E402
import optuna  # noqa: E402
from optuna.samplers import TPESampler  # noqa: E402

IMPORTED = time.time()


def objective(trial):
    return sum(trial.suggest_float(f"x{i}", -5.0, 5.0) ** 2 for i in range(6))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--journal", help="the journal file (default: a new temp folder, removed after)")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore")  # JournalStorage is "experimental" in 3.1

    temp = None
    journal = args.journal
    if journal is None:
        temp = tempfile.mkdtemp(prefix="optuna-local-")
        journal = os.path.join(temp, "journal.log")
    sampler = TPESampler(seed=args.seed, **OPTIONS)
    start = time.time()
    storage = optuna.storages.JournalStorage(optuna.storages.JournalFileStorage(journal))
    study = optuna.create_study(direction="minimize", sampler=sampler, storage=storage)
    study.optimize(objective, n_trials=args.trials)
    end = time.time()
    complete = sum(1 for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE)
    best = study.best_value
    if temp is not None:
        os.remove(journal)
        os.rmdir(temp)
    json.dump(
        {
            "optuna": optuna.__version__,
            "trials": complete,
            "import_s": round(IMPORTED - STARTED, 3),
            "optimize_s": round(end - start, 3),
            "total_s": round(time.time() - STARTED, 3),
            "best": best,
        },
        sys.stdout,
    )
    print()


if __name__ == "__main__":
    main()
