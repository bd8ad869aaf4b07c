#!/usr/bin/python3
"""One multivariate+group TPE ask on the conditional benchmark from a real TPE history, under many
seeds, with Optuna 3.1 (for bench/tpe-step-check-conditional.ts).

    /usr/bin/python3 bench/optuna_tpe_step_conditional.py HISTORY_SEED TRIALS ASKS

The history: Optuna's own TPESampler(multivariate=True, group=True, seed=HISTORY_SEED) run for
TRIALS trials of bench/optuna_conditional.py's objective (so the history looks like a real
study's, clustered in the good branches). Then ASKS asks from that history, one per sampler seed,
each run define-by-run through the objective's suggestions and then failed (it never joins the
history). Prints {"optuna": version, "history": [{"params", "value"}], "asks": [params]}.
Options as bench/optuna_conditional.py's.
"""

import json
import sys
import warnings

import optuna
from optuna.samplers import TPESampler
from optuna_conditional import objective
from tpe_defaults import OPTIONS

optuna.logging.set_verbosity(optuna.logging.ERROR)
warnings.filterwarnings("ignore")
history_seed, trials, asks = (int(a) for a in sys.argv[1:4])


def sampler(seed):
    return TPESampler(seed=seed, multivariate=True, group=True, warn_independent_sampling=False, **OPTIONS)


study = optuna.create_study(direction="minimize", sampler=sampler(history_seed))
study.optimize(objective, n_trials=trials)
history = [{"params": t.params, "value": t.value} for t in study.trials]
out = []
for seed in range(asks):
    study.sampler = sampler(10_000 + seed)
    trial = study.ask()
    objective(trial)
    out.append(trial.params)
    study.tell(trial, state=optuna.trial.TrialState.FAIL)
json.dump({"optuna": optuna.__version__, "history": history, "asks": out}, sys.stdout)
print()
